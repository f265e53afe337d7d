"""First-time entrants to the criminal justice system (a force headline).

``first_time_entrants``: among people with no previous caution or conviction - ``prior_offences``
is 0 AND the offences table has no offence dated before their index date with a disposal in
``[reoffending] entry_disposals`` - the share who enter the criminal justice system during
follow-up: an offence strictly after the index date and on or before the window end with an
entry disposal (a conviction or a caution of any kind; community resolutions and Outcome 22 are
not entry) disposed of on or before the window end + ``waiting_days`` (a missing disposal date is
taken as the offence date). Only people whose window plus waiting period is complete at the
extract date (``proven_complete`` in the cohort) are counted; a person with an unknown
``prior_offences`` is not counted as having no previous record. The index disposal itself (in the
referrals table) is not an entry: for a comparison-cohort person cautioned at the index, entry is
only measured from later offences.

``monthly_first_time_entrants``: for every person in the supplied offences data, the month of
their first entry disposal, counted by month. It covers only the people in the offences table
(the IJ and comparison cohorts), not every first-time entrant in the force, and "first" means
first in the supplied records: people whose earlier record falls before the start of the data
are counted as entering when their first recorded entry disposal falls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl
from statsmodels.stats.proportion import proportion_confint

from ij_eval.config import EvaluationConfig, ReoffendingConfig
from ij_eval.errors import IJEvalError
from ij_eval.strands.reoffending.cohort import COMPARISON, IJ_GROUPS

GROUPS = ("ij_all", *IJ_GROUPS, COMPARISON)  # rows of the table, in order
AGE_GROUPS = ("all", "adult", "child")
PEOPLE_COLUMNS = ("person_id", "cohort", "group", "age_group", "index_date", "window_end", "prior_offences",
                  "proven_complete")
OFFENCE_COLUMNS = ("person_id", "offence_date", "disposal", "disposal_date")

TABLE_SCHEMA = {"group": pl.String, "age_group": pl.String, "eligible": pl.Int64, "entrants": pl.Int64,
                "rate": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64}
MONTHLY_SCHEMA = {"month": pl.Date, "entrants": pl.Int64, "period": pl.String}


def _require(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IJEvalError(f"first-time entrants: the {what} has no column {', '.join(missing)}")


def _entry_offences(offences: pl.DataFrame, entry: Sequence[str]) -> pl.DataFrame:
    return offences.filter(pl.col("disposal").is_in(list(entry)) & pl.col("offence_date").is_not_null()).select(
        "person_id", "offence_date", pl.coalesce("disposal_date", "offence_date").alias("disposed"))


def first_time_entrants(people: pl.DataFrame, offences: pl.DataFrame, config: EvaluationConfig) -> pl.DataFrame:
    """Entry to the criminal justice system within follow-up among people with no previous record,
    by group (``ij_all``, each IJ status, ``comparison``) and age group (``all``, ``adult``, ``child``)."""
    _require(people, PEOPLE_COLUMNS, "cohort (people) frame")
    _require(offences, OFFENCE_COLUMNS, "offences table")
    r = config.reoffending
    base = people.filter(pl.col("proven_complete").fill_null(False)).select(
        "person_id", "cohort", "group", "age_group", "index_date", "window_end", "prior_offences")
    entries = _entry_offences(offences, r.entry_disposals).join(
        base.select("person_id", "index_date", "window_end"), on="person_id", how="inner")
    previous = entries.filter(pl.col("offence_date") < pl.col("index_date")).select("person_id").unique()
    entered = entries.filter(
        (pl.col("offence_date") > pl.col("index_date")) & (pl.col("offence_date") <= pl.col("window_end"))
        & (pl.col("disposed") <= pl.col("window_end") + pl.duration(days=r.waiting_days))
    ).select("person_id").unique()
    eligible = (
        base.filter(pl.col("prior_offences") == 0)
        .join(previous, on="person_id", how="anti")
        .with_columns(entrant=pl.col("person_id").is_in(entered["person_id"].implode()))
    )
    counts = eligible.group_by("cohort", "group", "age_group").agg(
        eligible=pl.len().cast(pl.Int64), entrants=pl.col("entrant").sum().cast(pl.Int64))

    records = []
    for group in GROUPS:
        in_group = counts.filter(pl.col("cohort") == "ij") if group == "ij_all" else counts.filter(
            pl.col("group") == group)
        for age_group in AGE_GROUPS:
            rows = in_group if age_group == "all" else in_group.filter(pl.col("age_group") == age_group)
            records.append({"group": group, "age_group": age_group, "eligible": int(rows["eligible"].sum()),
                            "entrants": int(rows["entrants"].sum())})
    table = pl.DataFrame(records, schema={k: TABLE_SCHEMA[k] for k in ("group", "age_group", "eligible", "entrants")},
                         orient="row")
    n = table["eligible"].to_numpy()
    k = table["entrants"].to_numpy()
    some = n > 0
    low = np.full(n.size, np.nan)
    high = np.full(n.size, np.nan)
    if some.any():
        low[some], high[some] = proportion_confint(k[some], n[some], alpha=0.05, method="wilson")
        low[some & (k == 0)] = 0.0  # exact bounds where floating point leaves a tiny residue
        high[some & (k == n)] = 1.0
    rate = np.where(some, k / np.where(some, n, 1), np.nan)
    return table.with_columns(
        pl.Series("rate", rate).fill_nan(None), pl.Series("ci_lower", low).fill_nan(None),
        pl.Series("ci_upper", high).fill_nan(None),
    ).select(list(TABLE_SCHEMA)).cast(TABLE_SCHEMA)


def monthly_first_time_entrants(offences: pl.DataFrame, scheme_start: dt.date | None, *,
                                entry_disposals: Sequence[str] | None = None) -> pl.DataFrame:
    """People whose first entry disposal (its disposal date, else the offence date) falls in each
    month, zero-filled from the first to the last month, with ``period`` "before" / "after" the
    scheme start ("unknown" when there is no scheme start). The month the scheme started in counts
    as "after". Covers only the people in the supplied offences data, not the whole force (see the
    module docstring).

    ``entry_disposals`` defaults to ``[reoffending] entry_disposals``'s default.
    """
    _require(offences, OFFENCE_COLUMNS, "offences table")
    entry = tuple(entry_disposals) if entry_disposals is not None else ReoffendingConfig().entry_disposals
    first = (
        _entry_offences(offences.filter(pl.col("person_id").is_not_null()), entry)
        .group_by("person_id").agg(first=pl.col("disposed").min())
        .select(month=pl.col("first").dt.truncate("1mo"))
    )
    if first.height == 0:
        return pl.DataFrame(schema=MONTHLY_SCHEMA)
    counts = first.group_by("month").agg(entrants=pl.len().cast(pl.Int64))
    months = pl.date_range(first["month"].min(), first["month"].max(), interval="1mo", eager=True).alias("month")
    frame = pl.DataFrame(months).join(counts, on="month", how="left").with_columns(pl.col("entrants").fill_null(0))
    if scheme_start is None:
        period = pl.lit("unknown")
    else:
        start_month = scheme_start.replace(day=1)
        period = pl.when(pl.col("month") < start_month).then(pl.lit("before")).otherwise(pl.lit("after"))
    return frame.with_columns(period.alias("period")).sort("month").cast(MONTHLY_SCHEMA).select(list(MONTHLY_SCHEMA))


__all__ = ["first_time_entrants", "monthly_first_time_entrants", "GROUPS", "AGE_GROUPS"]
