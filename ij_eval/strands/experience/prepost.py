"""Items asked before and after the workshop, paired by referral.

Only people with an answer at both stages count (the pre answer, and the post answer or, where
there is none, the exit answer). For each item: pairs, how many moved up the scale, stayed or
moved down, the mean change in scale points and a Wilcoxon signed-rank test (zero differences
dropped, Pratt's method not used; the exact distribution for small samples as scipy chooses).
"""

from __future__ import annotations

import polars as pl
from scipy.stats import wilcoxon

from ij_eval.strands.experience.likert import Item, coded

PAIRED_SCHEMA = {"survey": pl.String, "item": pl.String, "pairs": pl.Int64, "improved": pl.Int64,
                 "unchanged": pl.Int64, "worse": pl.Int64, "mean_change": pl.Float64, "p_value": pl.Float64}


def paired(frame: pl.DataFrame, survey: str, items: tuple[Item, ...]) -> pl.DataFrame:
    """One row per item with the paired pre/post comparison (empty without linked pairs)."""
    if "referral_id" not in frame.columns or "survey_stage" not in frame.columns:
        return pl.DataFrame(schema=PAIRED_SCHEMA)
    linked = frame.filter(pl.col("referral_id").is_not_null())
    rows = []
    for item in items:
        scored = linked.select("referral_id", "survey_stage", "survey_date", "response_id").with_columns(
            score=coded(linked, item)).filter(pl.col("score").is_not_null())
        pre = scored.filter(pl.col("survey_stage") == "pre").sort("survey_date", "response_id").unique(
            "referral_id", keep="first").select("referral_id", pre="score")
        rank = pl.when(pl.col("survey_stage") == "post").then(0).otherwise(1)
        post = scored.filter(pl.col("survey_stage").is_in(["post", "exit"])).sort(
            rank, pl.col("survey_date"), pl.col("response_id"), descending=[False, True, False]).unique(
            "referral_id", keep="first").select("referral_id", post="score")
        both = pre.join(post, on="referral_id")
        diff = (both["post"] - both["pre"]).cast(pl.Float64)
        p = None
        if (diff != 0).sum() > 0:
            p = float(wilcoxon(diff.to_numpy(), zero_method="wilcox").pvalue)
        rows.append((survey, item.column, both.height, int((diff > 0).sum()), int((diff == 0).sum()),
                     int((diff < 0).sum()), float(diff.mean()) if both.height else None, p))
    return pl.DataFrame(rows, schema=PAIRED_SCHEMA, orient="row")
