"""Timeliness: hours from the police decision to first contact and to the start of work.

The police decision is ``referral_date`` (the schema's "date of the police decision to refer"). It
has no time of day, so waits count from midnight at its start: a first contact (date and time) is
"within 48 hours" when it comes before midnight two days later, which can only understate the
share. Work start is a date, so it is "within 48 hours" when it is on the decision day or one of
the two days after (``days_to_start`` ≤ 2), the reading the published pilot figures use.

Shares rest on referrals made at least two days before the extract date (everyone else has not
had 48 hours yet). People not yet contacted, or not yet started, at the extract date count as not
within 48 hours in the shares, and are censored (not dropped) in the Kaplan-Meier estimates of
time to contact and time to start, from which the medians and their intervals come (the interval
is where the curve's pointwise 95% band crosses one half, Brookmeyer-Crowley style). People who
refused or were not suitable never start: they are left out of time to start (an exit, not a
delay).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from ij_eval.strands.implementation.common import NOT_STARTING, WINDOW_DAYS, WINDOW_HOURS, wilson

BREAKDOWNS = ("all", "route", "age_group")
MEASURES = ("contact", "start")
SCHEMA = {"measure": pl.String, "breakdown": pl.String, "group": pl.String, "n": pl.Int64, "within_48h": pl.Int64,
          "not_yet": pl.Int64, "share": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64,
          "median_hours": pl.Float64, "median_ci_lower": pl.Float64, "median_ci_upper": pl.Float64}
KM_SCHEMA = {"group": pl.String, "time": pl.Int64, "n_at_risk": pl.Int64, "n_events": pl.Int64,
             "n_censored": pl.Int64, "share_started": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64}
CONTACT_BANDS = (("under 24 hours", 24), ("24 to 48 hours", 48), ("2 to 3 days", 72), ("3 to 7 days", 168),
                 ("over 7 days", math.inf))
START_BANDS = (("same day", 0), ("next day", 1), ("2 days", 2), ("3 to 7 days", 7), ("8 to 14 days", 14),
               ("over 14 days", math.inf))
NOT_YET = "not yet"


def population(ij: pl.DataFrame, measure: str, extract: dt.date) -> pl.DataFrame:
    """Who a timeliness measure rests on, with ``time`` (hours), ``event`` and ``within``.

    Referrals made at least two days before the extract; for work start, only people who could
    start (not refused or not suitable, unless they started anyway). ``time`` is the hours to the
    event, or to the end of the extract date for people still waiting (censored).
    """
    eligible = ij.filter(pl.col("referral_date") <= extract - dt.timedelta(days=WINDOW_DAYS))
    to_extract = ((pl.lit(extract) - pl.col("referral_date")).dt.total_days() + 1) * 24.0
    if measure == "contact":
        event = pl.col("hours_to_contact").is_not_null()
        return eligible.with_columns(
            event=event, time=pl.when(event).then(pl.col("hours_to_contact")).otherwise(to_extract),
            within=event & (pl.col("hours_to_contact") < WINDOW_HOURS))
    eligible = eligible.filter(~pl.col("status").is_in(NOT_STARTING) | pl.col("days_to_start").is_not_null())
    event = pl.col("days_to_start").is_not_null()
    return eligible.with_columns(
        event=event, time=pl.when(event).then(pl.col("days_to_start") * 24.0).otherwise(to_extract - 24.0),
        within=event & (pl.col("days_to_start") <= WINDOW_DAYS))


def _fit(part: pl.DataFrame) -> KaplanMeierFitter:
    kmf = KaplanMeierFitter()
    kmf.fit(part["time"].to_numpy(), part["event"].to_numpy(), alpha=0.05)
    return kmf


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def median_with_interval(part: pl.DataFrame) -> tuple[float | None, float | None, float | None]:
    """Kaplan-Meier median time (hours) and its 95% interval; None where the curve (or the band)
    never reaches one half."""
    if part.height == 0:
        return None, None, None
    kmf = _fit(part)
    ci = median_survival_times(kmf.confidence_interval_)
    return _finite(kmf.median_survival_time_), _finite(ci.iloc[0, 0]), _finite(ci.iloc[0, 1])


def timeliness(ij: pl.DataFrame, extract: dt.date) -> pl.DataFrame:
    rows = []
    for measure in MEASURES:
        people = population(ij, measure, extract)
        for breakdown in BREAKDOWNS:
            parts = [("all", people)] if breakdown == "all" else sorted(
                ((str(k[0]), p) for k, p in people.group_by(breakdown)), key=lambda x: x[0])
            for group, part in parts:
                within = int(part["within"].sum())
                rows.append((measure, breakdown, group, part.height, within, int((~part["event"]).sum()),
                             *wilson(within, part.height), *median_with_interval(part)))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def bands(ij: pl.DataFrame, extract: dt.date) -> pl.DataFrame:
    """The distribution of waits: people in each band of hours (contact) or days (start)."""
    rows = []
    for measure, scale, cuts in (("contact", 1.0, CONTACT_BANDS), ("start", 24.0, START_BANDS)):
        people = population(ij, measure, extract)
        waits = people.filter(pl.col("event"))["time"].to_numpy() / scale
        lower = -math.inf
        for label, upper in cuts:
            inside = (waits > lower) & (waits <= upper) if measure == "start" else (waits >= max(lower, 0)) & (
                waits < upper)
            rows.append((measure, label, int(inside.sum())))
            lower = upper
        rows.append((measure, NOT_YET, int((~people["event"]).sum())))
    return pl.DataFrame(rows, schema={"measure": pl.String, "band": pl.String, "n": pl.Int64}, orient="row")


def km_start(ij: pl.DataFrame, extract: dt.date) -> pl.DataFrame:
    """Kaplan-Meier of time to start (days), all and by age group: the share started by each day
    (1 - S) with its 95% interval, and numbers at risk, events and censored at each time."""
    people = population(ij, "start", extract).with_columns(days=(pl.col("time") / 24.0).round(0).cast(pl.Int64))
    out = []
    for group, part in [("all", people), *sorted(((str(k[0]), p) for k, p in people.group_by("age_group")),
                                                  key=lambda x: x[0])]:
        if part.height == 0:
            continue
        kmf = KaplanMeierFitter().fit(part["days"].to_numpy(), part["event"].to_numpy(), alpha=0.05)
        table = kmf.event_table
        surv = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        for t in table.index:
            e = table.loc[t]
            out.append((group, int(t), int(e["at_risk"]), int(e["observed"]), int(e["censored"]),
                        1.0 - float(surv.loc[t]), 1.0 - float(ci.loc[t].iloc[1]), 1.0 - float(ci.loc[t].iloc[0])))
    return pl.DataFrame(out, schema=KM_SCHEMA, orient="row").filter(
        (pl.col("n_events") + pl.col("n_censored") > 0) | (pl.col("time") == 0))
