"""The reoffending cohort: one row per person, their index date and both reoffending measures.

These are the evaluation's definitions; every later reoffending figure is computed from the frame
built here.

**Who is in the cohort.** One row per person (``person_id``). A person's index referral is their
FIRST referral: the earliest ``referral_date``, ties broken by ``referral_id``. Later referrals of
the same person are listed in the exclusions ("later referral of a person already in the cohort
(the first referral is the index)"); their offences still count as reoffences after the first
index date. The index date is the index referral's ``referral_date``.

- ``group``: for the IJ cohort the referral's status (completed, did_not_complete, refused,
  in_progress, not_suitable); for the comparison cohort ``"comparison"``.
- ``age_group``: ``"child"`` if age < 18, otherwise ``"adult"`` (age at the index offence).

**Extract date.** ``[data] extract_date`` from the config. When it is not set, the latest date
seen in the data (referral dates, offence dates and disposal dates) is used, and a note says so.

**Reoffences.** Rows of the offences table for the person with ``offence_date`` strictly AFTER
the index date (an offence on the index date is the index offence, or cannot be told apart from
it, and does not count) and on or before the window end, ``index date + follow_up_days``
(365 by default: an offence on day 365 counts, one on day 366 does not).

Two measures are computed side by side, with column prefixes ``proven_`` and ``local_``:

- **proven** (Ministry of Justice style): a reoffence in the window that is proven - its
  ``disposal`` is one of ``[reoffending] proven_disposals`` or its ``proven`` flag is true - and
  was disposed of on or before the window end + ``waiting_days`` (182 by default: the further
  time allowed for a charge to reach court or a caution to be given). A proven offence with no
  disposal date is taken as disposed of on its offence date (counted in a note). The window is
  complete when window end + waiting_days <= the extract date.
- **local**: any recorded offence or ASB incident attributed to the person in the window,
  whatever its disposal (community resolution, Outcome 22, ASB warning, no further action and
  pending included). The window is complete when window end <= the extract date.

Columns per measure ``m``:

- ``m_complete`` (bool): the fixed window (plus the waiting period for ``proven``) has ended by
  the extract date.
- ``m_reoffended`` (bool), ``m_offences`` (count of qualifying reoffences in the window) and
  ``m_days_to_first`` (days from the index date to the first qualifying reoffence; null when
  there is none): all null when the window is not complete. People whose window is not complete
  are left out of fixed-window rates (one exclusions row per person per measure, pointing at
  their index referral's file row) but stay in the survival analysis.
- ``m_time`` (days, >= 0) and ``m_event`` (0/1): time to the first qualifying reoffence,
  censored at the earlier of the horizon (``follow_up_days``) and the end of what can be
  observed: the extract date for ``local``; the extract date minus ``waiting_days`` for
  ``proven`` (a later offence may not be proven yet). For ``proven`` an offence is an event only
  if it would qualify in the fixed window (proven, disposed of by the window end + waiting). A
  person whose observable end is on or before their index date gets time 0, event 0; survival
  methods drop them (a note gives the count).

The ``people`` frame keeps ``person_id``, ``referral_id``, ``__row`` (the index referral's row in
its file), ``cohort``, ``group``, ``age_group``, ``index_date``, ``window_end``, the covariates
(``[reoffending] covariates`` plus declared extra covariate columns), ``prior_offences``, ``age``
and ``sex``, then the measure columns; sorted by ``person_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.errors import IJEvalError
from ij_eval.io.tables import ROW
from ij_eval.strands.base import EXCLUSION_COLUMNS, empty_exclusions

STAGE = "reoffending"
MEASURES = ("proven", "local")
IJ_GROUPS = ("completed", "did_not_complete", "refused", "in_progress", "not_suitable")
COMPARISON = "comparison"
CHILD_AGE = 18  # under 18 at the index offence is a child
LATER_REFERRAL = "later referral of a person already in the cohort (the first referral is the index)"
NO_INDEX = "referral has no person_id or no referral_date, so it cannot be followed up"

REFERRAL_COLUMNS = ("referral_id", "person_id", "cohort", "referral_date", "status", "age", "sex", "prior_offences")
OFFENCE_COLUMNS = ("person_id", "offence_date", "disposal", "proven", "disposal_date")
BASE_COLUMNS = ("person_id", "referral_id", ROW, "cohort", "group", "age_group", "index_date", "window_end")
MEASURE_SUFFIXES = ("complete", "reoffended", "offences", "days_to_first", "time", "event")


@dataclass(frozen=True)
class Cohort:
    """The reoffending cohort (see the module docstring for the definitions)."""

    people: pl.DataFrame
    exclusions: pl.DataFrame
    extract_date: dt.date
    notes: tuple[str, ...] = ()
    # Offences in each person's window: person_id, offence_type, proven (counts for the proven measure).
    reoffences: pl.DataFrame | None = None


def _require(frame: pl.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IJEvalError(f"reoffending: the {table} table has no column {', '.join(missing)}, "
                          "which the reoffending measures need")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _exclusion_rows(rows: pl.DataFrame, file: str, reason: str) -> pl.DataFrame:
    """Exclusions for referral rows (``rows`` has ``referral_id`` and ``__row``)."""
    return rows.select(
        table=pl.lit("referrals", pl.String), file=pl.lit(file, pl.String), row=pl.col(ROW).cast(pl.Int64),
        record_id=pl.col("referral_id").cast(pl.String), stage=pl.lit(STAGE, pl.String),
        reason=pl.lit(reason, pl.String), n=pl.lit(1, pl.Int64),
    ).select(list(EXCLUSION_COLUMNS))


def _covariate_columns(referrals: pl.DataFrame, config: EvaluationConfig, extra: Sequence[str]) -> list[str]:
    wanted = [*config.reoffending.covariates, *extra, "prior_offences", "age", "sex"]
    names = [c for c in dict.fromkeys(wanted) if c not in BASE_COLUMNS]
    missing = [c for c in names if c not in referrals.columns]
    if missing:
        raise IJEvalError(f"reoffending: covariate {', '.join(missing)} (from [reoffending] covariates or the "
                          "declared covariate columns) is not a column of the referrals table; remove it from "
                          "the config or add the column to the referrals file")
    return names


def _default_extract_date(referrals: pl.DataFrame, offences: pl.DataFrame) -> dt.date:
    seen = [referrals["referral_date"].max(), offences["offence_date"].max(), offences["disposal_date"].max()]
    seen = [d for d in seen if d is not None]
    if not seen:
        raise IJEvalError("reoffending: no extract date is set ([data] extract_date) and the data have no dates "
                          "to take it from")
    return max(seen)


def _measure(prefix: str, count: str, first: str, observable_end: dt.date, follow_up: int,
             complete: pl.Expr) -> list[pl.Expr]:
    """The six columns of one measure from the per-person count and first qualifying offence date."""
    index = pl.col("index_date")
    days_first = (pl.col(first) - index).dt.total_days()
    censor = pl.min_horizontal(pl.lit(follow_up, pl.Int64),
                               (pl.lit(observable_end, pl.Date) - index).dt.total_days()).clip(lower_bound=0)
    event = days_first.is_not_null() & (days_first <= censor)
    n = pl.col(count).fill_null(0).cast(pl.Int64)
    return [
        complete.alias(f"{prefix}_complete"),
        pl.when(complete).then(n > 0).otherwise(None).alias(f"{prefix}_reoffended"),
        pl.when(complete).then(n).otherwise(None).cast(pl.Int64).alias(f"{prefix}_offences"),
        pl.when(complete).then(days_first).otherwise(None).cast(pl.Int64).alias(f"{prefix}_days_to_first"),
        pl.when(event).then(days_first).otherwise(censor).cast(pl.Int64).alias(f"{prefix}_time"),
        event.cast(pl.Int8).alias(f"{prefix}_event"),
    ]


def build_cohort(referrals: pl.DataFrame, offences: pl.DataFrame | None, config: EvaluationConfig, *,
                 referrals_file: str = "referrals.csv", covariates: tuple[str, ...] = ()) -> Cohort:
    """One row per person with their index referral and both reoffending measures.

    ``referrals`` and ``offences`` are the validated, typed frames (``referrals`` with ``__row``);
    ``covariates`` are extra declared covariate columns of the referrals table to keep.
    """
    if offences is None:
        raise IJEvalError("reoffending: the offences table is needed to measure reoffending (see "
                          "data_schemas/offences.yaml)")
    _require(referrals, REFERRAL_COLUMNS, "referrals")
    _require(offences, OFFENCE_COLUMNS, "offences")
    r = config.reoffending
    follow_up, waiting = r.follow_up_days, r.waiting_days
    if ROW not in referrals.columns:
        referrals = referrals.with_columns(pl.lit(None, pl.Int64).alias(ROW))
    keep = _covariate_columns(referrals, config, covariates)
    notes: list[str] = []
    exclusions = [empty_exclusions()]

    extract = config.data.extract_date
    if extract is None:
        extract = _default_extract_date(referrals, offences)
        notes.append(f"No data extract date was set ([data] extract_date), so the latest date in the referrals "
                     f"and offences data, {extract.isoformat()}, was taken as the extract date. If the data were "
                     "extracted later, follow-up is longer than assumed here; set the extract date in the config.")

    # --- the index referral of each person ------------------------------------------------
    unusable = pl.col("person_id").is_null() | pl.col("referral_date").is_null()
    bad = referrals.filter(unusable)
    if bad.height:
        exclusions.append(_exclusion_rows(bad, referrals_file, NO_INDEX))
        notes.append(f"{_plural(bad.height, 'referral')} had no person_id or referral date and could not be "
                     "followed up.")
    ordered = referrals.filter(~unusable).sort("person_id", "referral_date", "referral_id", nulls_last=True)
    first = pl.col("person_id").is_first_distinct()
    later = ordered.filter(~first)
    if later.height:
        exclusions.append(_exclusion_rows(later, referrals_file, LATER_REFERRAL))
        notes.append(f"{_plural(later.height, 'later referral')} of people already in the cohort "
                     f"{'was' if later.height == 1 else 'were'} left out: each person is followed from their first "
                     "referral (offences after it, including those behind later referrals, count as reoffences).")
    age = pl.col("age")
    people = ordered.filter(first).select(
        "person_id", "referral_id", ROW, "cohort",
        pl.when(pl.col("cohort") == "ij").then(pl.col("status"))
        .when(pl.col("cohort") == COMPARISON).then(pl.lit(COMPARISON)).otherwise(None).cast(pl.String).alias("group"),
        pl.when(age < CHILD_AGE).then(pl.lit("child")).when(age.is_not_null()).then(pl.lit("adult"))
        .otherwise(None).cast(pl.String).alias("age_group"),
        pl.col("referral_date").alias("index_date"),
        (pl.col("referral_date") + pl.duration(days=follow_up)).alias("window_end"),
        *keep,
    )

    # --- reoffences in each person's window -------------------------------------------------
    proven_flag = pl.col("disposal").is_in(list(r.proven_disposals)).fill_null(False) | pl.col("proven").fill_null(
        False)
    offs = offences.filter(pl.col("person_id").is_not_null() & pl.col("offence_date").is_not_null()).select(
        "person_id", "offence_date", proven_flag.alias("is_proven"),
        (pl.col("offence_type") if "offence_type" in offences.columns else pl.lit("other")).alias("offence_type"),
        pl.coalesce("disposal_date", "offence_date").alias("disposed"),
        pl.col("disposal_date").is_null().alias("no_disposal_date"),
    )
    orphans = offs.join(people.select("person_id"), on="person_id", how="anti").height
    if orphans:
        notes.append(f"{_plural(orphans, 'offence row')} belonged to people not in the referrals table and "
                     f"{'was' if orphans == 1 else 'were'} ignored.")
    in_window = (
        offs.join(people.select("person_id", "index_date", "window_end"), on="person_id", how="inner")
        .filter((pl.col("offence_date") > pl.col("index_date")) & (pl.col("offence_date") <= pl.col("window_end")))
        .with_columns(qualifies=pl.col("is_proven")
                      & (pl.col("disposed") <= pl.col("window_end") + pl.duration(days=waiting)))
    )
    undated = in_window.filter(pl.col("is_proven") & pl.col("no_disposal_date")).height
    if undated:
        notes.append(f"{_plural(undated, 'proven reoffence')} in the follow-up windows had no disposal date; "
                     "each was taken as disposed of on its offence date (so it counts as proven in time).")
    late = in_window.filter(pl.col("is_proven") & ~pl.col("qualifies")).height
    if late:
        notes.append(f"{_plural(late, 'proven offence')} in the follow-up windows {'was' if late == 1 else 'were'} "
                     f"disposed of after the {waiting}-day waiting period; not counted as proven reoffending "
                     "(counted by the local measure).")
    per_person = in_window.group_by("person_id").agg(
        local_count=pl.len(),
        local_first=pl.col("offence_date").min(),
        proven_count=pl.col("qualifies").sum(),
        proven_first=pl.col("offence_date").filter(pl.col("qualifies")).min(),
    )

    # --- the two measures --------------------------------------------------------------------
    window_end = pl.col("window_end")
    proven_complete = (window_end + pl.duration(days=waiting)) <= pl.lit(extract, pl.Date)
    local_complete = window_end <= pl.lit(extract, pl.Date)
    people = (
        people.join(per_person, on="person_id", how="left")
        .with_columns(
            *_measure("proven", "proven_count", "proven_first", extract - dt.timedelta(days=waiting), follow_up,
                      proven_complete),
            *_measure("local", "local_count", "local_first", extract, follow_up, local_complete),
        )
        .drop("local_count", "local_first", "proven_count", "proven_first")
        .sort("person_id")
    )

    ends = {"proven": f"{follow_up} days + {waiting}-day waiting period", "local": f"{follow_up} days"}
    observable = {"proven": f"the extract date less the {waiting}-day waiting period "
                            f"({(extract - dt.timedelta(days=waiting)).isoformat()})",
                  "local": f"the extract date ({extract.isoformat()})"}
    for m in MEASURES:
        incomplete = people.filter(~pl.col(f"{m}_complete"))
        if incomplete.height:
            reason = (f"{m}-reoffending window ({ends[m]}) not complete at the extract date {extract.isoformat()}: "
                      "survival analysis only")
            exclusions.append(_exclusion_rows(incomplete, referrals_file, reason))
            notes.append(f"{_plural(incomplete.height, 'person', 'people')} of {people.height:,} had not completed "
                         f"the {m}-reoffending window ({ends[m]}) by the extract date {extract.isoformat()}: left "
                         "out of fixed-window rates, kept in the survival analysis.")
        unobserved = people.filter(pl.col(f"{m}_time") == 0).height
        if unobserved:
            notes.append(f"{_plural(unobserved, 'person', 'people')} had no observable {m}-reoffending follow-up "
                         f"(index date on or after {observable[m]}): time 0, dropped by the survival analysis.")

    return Cohort(
        people=people,
        exclusions=pl.concat(exclusions).sort("row", "record_id", "reason", nulls_last=True),
        extract_date=extract,
        notes=tuple(notes),
        reoffences=in_window.select("person_id", "offence_type", proven=pl.col("qualifies")),
    )


__all__ = ["Cohort", "build_cohort", "MEASURES", "IJ_GROUPS", "COMPARISON", "LATER_REFERRAL"]
