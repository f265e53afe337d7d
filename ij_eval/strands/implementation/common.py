"""What the implementation modules share: the IJ referrals with derived columns, Wilson intervals,
the extract date and the breakdowns."""

from __future__ import annotations

import datetime as dt

import polars as pl
from statsmodels.stats.proportion import proportion_confint

from ij_eval.config import EvaluationConfig

FINAL_STATUSES = ("completed", "did_not_complete", "refused", "not_suitable")
STATUSES = (*FINAL_STATUSES, "in_progress")
NOT_STARTING = ("refused", "not_suitable")  # exits, not delays: left out of time to start
NONE = "none"  # label of a blank outcome code (ASB with no crime outcome)
NOT_RECORDED = "not recorded"
WINDOW_HOURS = 48
SETTLED_DAYS = 150  # referrals this old have nearly all reached a final status
WINDOW_DAYS = 2  # work start is a date: "within 48 hours" = on the decision day or the two days after


def wilson(count: int, n: int, alpha: float = 0.05) -> tuple[float | None, float | None, float | None]:
    """Share ``count / n`` and its Wilson score interval (statsmodels ``proportion_confint``)."""
    if n <= 0:
        return None, None, None
    low, high = proportion_confint(count, n, alpha=alpha, method="wilson")
    return count / n, float(low), float(high)


def age_group(age: pl.Expr) -> pl.Expr:
    return pl.when(age < 18).then(pl.lit("child")).otherwise(pl.lit("adult"))


def extract_date(referrals: pl.DataFrame, config: EvaluationConfig) -> dt.date:
    """The data extract date from the config, else the latest date recorded in the referrals."""
    if config.data.extract_date is not None:
        return config.data.extract_date
    latest = [referrals["referral_date"].max()]
    for c in ("first_contact_at", "work_booked_at"):
        if c in referrals.columns and referrals[c].drop_nulls().len():
            latest.append(referrals[c].max().date())
    if "work_start_date" in referrals.columns and referrals["work_start_date"].drop_nulls().len():
        latest.append(referrals["work_start_date"].max())
    return max(d for d in latest if d is not None)


def prepare(referrals: pl.DataFrame) -> pl.DataFrame:
    """IJ referrals with the breakdown columns and the stages each referral reached.

    Stages are cumulative: a referral that completed or dropped out started, one that started was
    booked, one that was booked was contacted, even where an earlier timestamp is blank (so the
    funnel never widens). ``hours_to_contact`` counts from midnight at the start of the referral
    (police decision) date, which has no time of day: it can only overstate the true wait.
    """
    ij = referrals.filter(pl.col("cohort") == "ij")
    started = pl.col("work_start_date").is_not_null() | pl.col("status").is_in(["completed", "did_not_complete"])
    booked = started | pl.col("work_booked_at").is_not_null()
    contacted = booked | pl.col("first_contact_at").is_not_null()
    decision = pl.col("referral_date").cast(pl.Datetime("us"))
    return ij.with_columns(
        month=pl.col("referral_date").dt.strftime("%Y-%m"),
        age_group=age_group(pl.col("age")),
        outcome_code=pl.col("outcome_code").fill_null(NONE),
        contacted=contacted, work_booked=booked, started=started,
        hours_to_contact=(pl.col("first_contact_at") - decision).dt.total_minutes() / 60.0,
        days_to_start=(pl.col("work_start_date") - pl.col("referral_date")).dt.total_days(),
    )


def settled(ij: pl.DataFrame, extract: dt.date) -> pl.DataFrame:
    """Referrals old enough to have a final status (made at least ``SETTLED_DAYS`` before the extract),
    less any still in progress. Recent referrals that already ended are mostly refusals and people
    found not suitable (they end soonest), so including them would understate completion."""
    return ij.filter((pl.col("referral_date") <= extract - dt.timedelta(days=SETTLED_DAYS))
                     & (pl.col("status") != "in_progress"))
