"""Data overview: what went into the evaluation (rows per table, referrals by cohort and month), and
the scheme's logic model from the config.

Every report opens with this: the scheme being evaluated, and the size and period of the data behind
every later figure.
"""

from __future__ import annotations

from types import MappingProxyType

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.privacy.screen import Screen, Screened, Source, Verdict
from ij_eval.strands.base import FigureSpec, Headline, StrandResult

NAME = "overview"
TITLE = "Data overview"
REQUIRES = ("referrals",)


def _age_group(age: pl.Expr) -> pl.Expr:
    return pl.when(age < 18).then(pl.lit("child (10-17)")).otherwise(pl.lit("adult (18+)"))


def logic_model_table(config: EvaluationConfig, screen: Screen | None = None
                      ) -> tuple[pl.DataFrame, tuple[Screened, ...]]:
    """The ``[logic_model]`` section as a tidy table, one row per box (``stage``, ``position``, ``entry``),
    each entry through the free-text screen (a withheld entry reads "[withheld: ...]"); and the entries
    withheld or approved, for the review file."""
    screen = screen or Screen.from_config(config)
    rows, listed = [], []
    for stage, entries in config.logic_model.columns():
        for i, entry in enumerate(entries):
            s = screen.check(entry, Source("config", f"[logic_model] {stage}"))
            rows.append((stage, i + 1, s.published))
            if s.verdict is not Verdict.PUBLISH:
                listed.append(s)
    frame = pl.DataFrame(rows, schema={"stage": pl.String, "position": pl.Int64, "entry": pl.String}, orient="row")
    return frame, tuple(listed)


def logic_model_alt_text(table: pl.DataFrame) -> str:
    """Every box of the logic model (:func:`logic_model_table`) in words, column by column: 'Logic model ...
    Inputs: a; b. Activities: ...'."""
    columns = " ".join(
        f"{stage.capitalize()}: {'; '.join(e.strip().rstrip('.') for e in part.sort('position')['entry'])}."
        for (stage,), part in table.group_by("stage", maintain_order=True))
    return f"Logic model of the scheme, read left to right, each column leading to the next. {columns}"


def run(inputs, config: EvaluationConfig) -> StrandResult:
    referrals = inputs.frame("referrals")
    rows = pl.DataFrame(
        {"table": list(inputs.tables), "file": [t.file for t in inputs.tables.values()],
         "rows": [t.n_rows for t in inputs.tables.values()]},
        schema={"table": pl.String, "file": pl.String, "rows": pl.Int64},
    )
    by_group = (
        referrals.group_by(
            "cohort", pl.col("status").fill_null("(comparison)"), _age_group(pl.col("age")).alias("age_group")
        )
        .agg(n=pl.len())
        .sort("cohort", "status", "age_group")
    )
    by_month = (
        referrals.group_by("cohort", month=pl.col("referral_date").dt.truncate("1mo"))
        .agg(n=pl.len())
        .sort("month", "cohort")
    )
    ij = referrals.filter(pl.col("cohort") == "ij")
    first, last = referrals["referral_date"].min(), referrals["referral_date"].max()
    headlines = {
        "ij_referrals": Headline(ij.height, "count of IJ referrals", n=ij.height, unit="referrals"),
        "ij_people": Headline(ij["person_id"].n_unique(), "distinct pseudonymised person_id among IJ referrals",
                              unit="people"),
        "comparison_people": Headline(
            referrals.filter(pl.col("cohort") == "comparison")["person_id"].n_unique(),
            f"distinct people in the {config.reoffending.comparison} comparison cohort", unit="people"),
        "referral_months": Headline(by_month["month"].n_unique(), "months with at least one referral",
                                    caveat=f"referral dates {first} to {last}" if first else "no referrals",
                                    unit="months"),
    }
    from ij_eval.plots.logic_model import plot_logic_model
    from ij_eval.plots.overview import plot_referrals_by_month

    logic_model, screened = logic_model_table(config)
    logic_figure = FigureSpec(
        name="overview_logic_model",
        title="The scheme's logic model",
        alt_text=logic_model_alt_text(logic_model),
        data=logic_model,
        plot=plot_logic_model,
    )
    figure = FigureSpec(
        name="overview_referrals_by_month",
        title="Referrals by month",
        alt_text=(f"Line chart of the number of referrals each month from {first:%B %Y} to {last:%B %Y}, "
                  "one line for Immediate Justice referrals and one for the comparison cohort." if first else
                  "An empty chart: there are no referrals to count by month."),
        data=by_month,
        plot=plot_referrals_by_month,
    )
    return StrandResult(
        name=NAME,
        headlines=MappingProxyType(headlines),
        tables=MappingProxyType({"overview_inputs": rows, "overview_referrals": by_group,
                                 "overview_referrals_by_month": by_month, "overview_logic_model": logic_model}),
        figures=(logic_figure, figure),
        screened=screened,
    )
