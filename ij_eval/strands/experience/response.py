"""Who answered: the response rate against completers, and respondents against non-respondents.

A survey answered mainly by the most engaged participants overstates how positive everyone is.
The rate is linked responses from completers over completers (Wilson interval); respondents and
completers who did not respond are then compared on what the referrals table records about them
(age group, sex, ethnicity, route, prior offences), with a chi-squared test of independence
(Fisher's exact test for a two-by-two table). A characteristic on which they differ is a warning
that the survey percentages may not stand for all completers.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import chi2_contingency, fisher_exact

from ij_eval.strands.experience.likert import wilson

RESPONSE_SCHEMA = {"survey": pl.String, "completers": pl.Int64, "respondents": pl.Int64, "responses": pl.Int64,
                   "other_linked": pl.Int64, "anonymous": pl.Int64, "rate": pl.Float64, "ci_lower": pl.Float64,
                   "ci_upper": pl.Float64}
NONRESPONSE_SCHEMA = {"characteristic": pl.String, "value": pl.String, "group": pl.String, "n": pl.Int64,
                      "pct": pl.Float64, "test": pl.String, "p_value": pl.Float64}
GROUPS = ("respondent", "non_respondent")


def characteristics(referrals: pl.DataFrame) -> pl.DataFrame:
    """referral_id and the characteristics compared (text, 'unknown' where blank)."""
    cols = [pl.col("referral_id")]
    if "age" in referrals.columns:
        cols.append(pl.when(pl.col("age") < 18).then(pl.lit("child")).when(pl.col("age").is_not_null())
                    .then(pl.lit("adult")).alias("age_group"))
    for c in ("sex", "ethnicity", "route"):
        if c in referrals.columns:
            cols.append(pl.col(c).cast(pl.String))
    if "prior_offences" in referrals.columns:
        p = pl.col("prior_offences")
        cols.append(pl.when(p == 0).then(pl.lit("none")).when(p <= 2).then(pl.lit("1-2"))
                    .when(p.is_not_null()).then(pl.lit("3 or more")).alias("prior_offences"))
    out = referrals.select(cols)
    return out.with_columns([pl.col(c).fill_null("unknown") for c in out.columns if c != "referral_id"])


def response_rate(survey: str, responses: pl.DataFrame, referrals: pl.DataFrame) -> pl.DataFrame:
    """One row: completers, those who responded, other linked and anonymous responses, the rate."""
    completers = referrals.filter(pl.col("status") == "completed")["referral_id"]
    linked = responses["referral_id"].drop_nulls().unique() if "referral_id" in responses.columns else \
        pl.Series([], dtype=pl.String)
    respondents = int(linked.is_in(completers.implode()).sum())
    anonymous = int(responses["referral_id"].is_null().sum()) if "referral_id" in responses.columns \
        else responses.height
    n_completers = int(completers.n_unique())
    lo, hi = wilson(respondents, n_completers)
    return pl.DataFrame([(survey, n_completers, respondents, responses.height,
                          responses.height - anonymous - respondents, anonymous,
                          respondents / n_completers if n_completers else None, lo, hi)],
                        schema=RESPONSE_SCHEMA, orient="row")


def _test(table: np.ndarray) -> tuple[str, float | None]:
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return "not tested (one category only)", None
    if table.shape == (2, 2):
        return "Fisher's exact test", float(fisher_exact(table).pvalue)
    res = chi2_contingency(table, correction=False)
    approx = " (approximate: some expected counts below 5)" if (res.expected_freq < 5).any() else ""
    return "chi-squared test of independence" + approx, float(res.pvalue)


def nonresponse(responses: pl.DataFrame, referrals: pl.DataFrame) -> pl.DataFrame:
    """Respondents and non-respondents among completers, by characteristic (one row per value x group)."""
    completers = referrals.filter(pl.col("status") == "completed")
    if completers.is_empty() or "referral_id" not in responses.columns:
        return pl.DataFrame(schema=NONRESPONSE_SCHEMA)
    linked = responses["referral_id"].drop_nulls().unique()
    people = characteristics(completers).with_columns(
        group=pl.when(pl.col("referral_id").is_in(linked.implode())).then(pl.lit(GROUPS[0]))
        .otherwise(pl.lit(GROUPS[1])))
    rows = []
    for c in [c for c in people.columns if c not in ("referral_id", "group")]:
        values = sorted(people[c].unique().to_list())
        counts = np.array([[int(((people[c] == v) & (people["group"] == g)).sum()) for g in GROUPS] for v in values])
        test, p = _test(counts)
        totals = counts.sum(axis=0)
        for v, row in zip(values, counts, strict=True):
            for g, n, total in zip(GROUPS, row, totals, strict=True):
                rows.append((c, v, g, int(n), n / total if total else None, test, p))
    return pl.DataFrame(rows, schema=NONRESPONSE_SCHEMA, orient="row")
