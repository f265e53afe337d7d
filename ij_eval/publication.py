"""Disclosure control for everything the results store publishes: the one place that says how.

Every table a strand returns is declared in :data:`TABLES` with its disclosure policy, every
figure in :data:`FIGURES`; the pipeline passes each through :func:`publish_table` /
:func:`publish_figure_data` before writing it, refuses a table or figure that is not declared,
hides headline figures that rest on small counts (:func:`publish_headline`), rewrites small
numbers of people in notes (:func:`screen_notes`), and runs :func:`check_store` over the staged
store before it replaces the previous one. The report runs :func:`check_store` and
:func:`check_text` over what it renders.

The rule (``[disclosure] threshold``, T, default 10; :func:`rule_sentences` says it in words)
-----------------------------------------------------------------------------------------------

- **Counts of people** (people, referrals, offences and other events of people, survey
  responses, excluded records): every count from 1 to T - 1 is hidden (primary suppression).
  Zeros are shown.
- **Secondary suppression along the table's real margins.** A policy declares which rows add up
  to which (:class:`Sum`: the ``all`` age group is adult + child; ``ij_all`` is the sum of the IJ
  statuses; a cohort's referrals add up over status and age group, whether or not that total is
  printed in the table) and which columns split another (:class:`Split`: reoffenders and, never
  published, non-reoffenders make up ``n``). Totals that are not in the table are assumed to be
  published elsewhere (a headline, a sentence of the report), which is the cautious assumption.
  The part of a total that no row shows (IJ referrals in progress inside ``ij_all``; people who
  did not reoffend) is never published but is protected too when small: this is what hides a rate
  of 97% in a group of 40. The engine (:func:`ij_eval.stats.disclosure.protect`) then hides
  further counts until no hidden count can be worked out exactly from the published ones and the
  totals, by any combination of additions and subtractions (a rank test on the linear system).
- **Dependent figures** (:class:`Dependent`): rates, intervals, means per person, differences
  and p-values built on a count are hidden wherever one of their counts is hidden (a rate with a
  published numerator would give the denominator back). A figure that repeats one in another
  table (:class:`Linked`) or a headline that repeats a table cell (``Headline.source``) is hidden
  wherever that cell is.
- **Kaplan-Meier curves** are published on a grid of about a month (each numbers-at-risk interval
  cut in three) instead of at every event time: the number at risk is a count (hidden below T,
  with the survival there), and the survival is also hidden at a point that fewer than T (but
  some) reoffences separate from the previous point shown, so no step of the curve stands for a
  handful of reoffences. The numbers-at-risk table hides every number the curve table hides.
- **Not published at all** (``drop``): the extreme propensity scores in the common-support table
  (a minimum or maximum is one person's value). The row-level ``exclusions.csv`` (row numbers,
  record ids) and ``manifest.json`` stay in the store for the evaluation team but are working
  files, not publications; ``tables/exclusions_summary.csv`` publishes the counts by reason.
- **Exempt** (``exempt`` gives the reason, printed by :func:`rule_sentences`): ASB *incident*
  counts by area and month (events, not people; data.police.uk publishes them openly at street
  level every month), and model output (coefficients, hazard ratios, test statistics, RMST),
  which summarise whole groups. One model table is not exempt: the covariate balance table's
  category shares times the published group sizes give counts of people (0.0021 of 1,438 is 3
  people of "other" sex), so a share standing for fewer than T people, or all but fewer than T,
  is hidden there with the standardised difference built on it.
- **Free text** (survey quotes, sites, funders, the logic model, config names, covariate labels)
  passes the one screen of :mod:`ij_eval.privacy.screen`: a quote with a possible identifier is
  withheld, not redacted, and the number withheld is reported; a label becomes
  :data:`~ij_eval.privacy.screen.WITHHELD`; both are listed in the review file for the evaluator,
  who may approve them by id.

Only exact recovery is prevented: hidden cells whose sum is published are still bounded by it.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ij_eval.errors import IJEvalError
from ij_eval.privacy import detect
from ij_eval.privacy.columns import direct_identifier_columns
from ij_eval.privacy.screen import (
    ALLOWED_CAPITALISED,
    REVIEW_FILE,
    WITHHELD,
    QuoteScreening,
    never_publishable,
    publishable_quotes,
    quote_problems,
    screen_quote,
    screen_quotes,
)
from ij_eval.stats.disclosure import MARKER, protect, rule_text

ALL = "(all)"  # label of a total that is not a row of the table (assumed published elsewhere)
HIDE = "__disclosure_hide"  # a transform's flag: hide this row's counts (treated as primary)
DEFAULT_THRESHOLD = 10

#: Person identifiers that must never be a column of a published table (besides the direct
#: identifiers of :mod:`ij_eval.privacy.columns`).
PERSON_ID_COLUMNS = ("person_id", "person_ref", "nominal_id", "offender_id", "referral_id", "record_id",
                     "response_id", "incident_id")
#: Units of headline figures that are counts of people (or of their records and events).
PEOPLE_UNITS = frozenset({"people", "person", "referrals", "participants", "respondents", "responses", "reoffenders",
                          "offences", "entrants", "victims", "children", "adults", "cases", "records"})
#: Working files of the store for the evaluation team, never published: the row-level exclusions, the
#: run manifest and the free-text screen's review file (the text it withheld, with ids to approve).
INTERNAL_FILES = ("exclusions.csv", "manifest.json", REVIEW_FILE)


# ---------------------------------------------------------------------------------------------
# The policy vocabulary


@dataclass(frozen=True)
class Sum:
    """Along ``column``, the rows labelled ``parts`` (every other label when None) add up to the row
    labelled ``total``, for each combination of the other key columns.

    A ``total`` label that is not in the table is a total assumed to be published elsewhere. The
    parts may fall short of the total (``ij_all`` also holds referrals in progress): the rest is
    never published but is protected when small.
    """

    column: str
    total: str = ALL
    parts: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Split:
    """In each row, the ``parts`` columns make up the ``total`` column; what they leave (e.g. the
    people who did not reoffend) is never published but is protected when small."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Dependent:
    """``columns`` are built on the counts ``on``: hidden in a row where one of them is hidden, or
    hidden in the ``reference`` row (the row with these key values instead, e.g. the comparison
    cohort a difference is taken from)."""

    columns: tuple[str, ...]
    on: tuple[str, ...]
    reference: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Linked:
    """``columns`` in the rows matching ``rows`` repeat (or give back) ``column`` of the rows of the
    published ``table`` matching ``match``: hidden wherever that is hidden."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, Any], ...]
    table: str
    match: tuple[tuple[str, Any], ...]
    column: str


Transform = Callable[[pl.DataFrame, int, "Context"], pl.DataFrame]


@dataclass(frozen=True)
class TablePolicy:
    """How one published table is protected.

    ``keys`` identify a row; ``counts`` are counts of people (or their records or events), hidden
    from 1 to T - 1; ``sums`` and ``splits`` are the table's margins; ``dependents`` and ``linked``
    are figures hidden with their counts; ``drop`` columns are never published; ``transform``
    reshapes the table first (e.g. a Kaplan-Meier curve onto a coarse grid); ``exempt`` gives
    the reason a table is published as it is.
    """

    keys: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    sums: tuple[Sum, ...] = ()
    splits: tuple[Split, ...] = ()
    dependents: tuple[Dependent, ...] = ()
    linked: tuple[Linked, ...] = ()
    drop: tuple[str, ...] = ()
    transform: Transform | None = None
    exempt: str = ""


@dataclass(frozen=True, eq=False)
class PublishedTable:
    """A table as published, and what disclosure control did to it."""

    name: str
    frame: pl.DataFrame
    policy: TablePolicy
    n_primary: int = 0
    n_secondary: int = 0
    n_dependent: int = 0
    hidden_totals: tuple[str, ...] = ()

    @property
    def exempt(self) -> str:
        return self.policy.exempt


class Context:
    """The raw tables of a run, so a policy can consult a sibling table (e.g. group sizes, or a
    figure repeated elsewhere); published versions are computed once and cached."""

    def __init__(self, raw: Mapping[str, pl.DataFrame], threshold: int):
        self.raw = dict(raw)
        self.threshold = threshold
        self._published: dict[str, PublishedTable] = {}

    def published(self, name: str) -> PublishedTable | None:
        if name not in self.raw:
            return None
        if name not in self._published:
            self._published[name] = publish_table(name, self.raw[name], self.threshold, context=self)
        return self._published[name]


# ---------------------------------------------------------------------------------------------
# Transforms for the few tables that are reshaped before suppression


def _grid(frame: pl.DataFrame, context: Context | None) -> list[int]:
    """Publication times of a KM curve: each numbers-at-risk interval cut in three (about monthly
    for a year), or every 30 days to the last time when there is no numbers-at-risk table."""
    at_risk = context.raw.get("reoffending_at_risk") if context is not None else None
    if at_risk is not None and at_risk.height:
        quarter = sorted({int(t) for t in at_risk["time"].to_list()})
        points = {quarter[-1]}
        for a, b in zip(quarter, quarter[1:], strict=False):
            points.update({a, round(a + (b - a) / 3), round(a + 2 * (b - a) / 3)})
        return sorted(points)
    last = int(frame["time"].max()) if frame.height else 0
    return sorted({*range(0, last + 1, 30), last})


def _small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def km_on_grid(frame: pl.DataFrame, threshold: int, context: Context | None = None) -> pl.DataFrame:
    """A Kaplan-Meier table (one row per event or censoring time) on a coarse grid.

    Keeps ``group, time, n_at_risk, survival, ci_lower, ci_upper, sample``. ``n_at_risk`` at time t
    counts people followed to t or beyond. The survival (and its interval) at a point is left
    out where fewer than ``threshold``, but some, reoffences separate it from the previous point
    shown: the size of a step of the curve times the number at risk would give that count.
    """
    grid = _grid(frame, context)
    out = []
    for (sample, group), part in frame.sort("time").group_by(["sample", "group"], maintain_order=True):
        t = part["time"].to_numpy()
        risk = part["n_at_risk"].to_numpy()
        events = part["n_events"].to_numpy()
        censored = part["n_censored"].to_numpy()
        surv, low, high = (part[c].to_numpy() for c in ("survival", "ci_lower", "ci_upper"))
        cum_events = np.cumsum(events)
        shown_events = 0  # reoffences up to the last point whose survival is shown
        for g in grid:
            le = np.searchsorted(t, g, side="right") - 1  # last row at or before g
            ge = np.searchsorted(t, g, side="left")  # first row at or after g
            n_risk = int(risk[ge]) if ge < t.size else int(risk[-1] - events[-1] - censored[-1])
            to_date = int(cum_events[le]) if le >= 0 else 0
            curve = (float(surv[le]), float(low[le]), float(high[le])) if le >= 0 else (1.0, 1.0, 1.0)
            if _small(to_date - shown_events, threshold):
                curve = (None, None, None)
            else:
                shown_events = to_date
            out.append({"group": group, "time": g, "n_at_risk": n_risk, "survival": curve[0],
                        "ci_lower": curve[1], "ci_upper": curve[2], "sample": sample})
    schema = {"group": pl.String, "time": pl.Int64, "n_at_risk": pl.Int64, "survival": pl.Float64,
              "ci_lower": pl.Float64, "ci_upper": pl.Float64, "sample": pl.String}
    return pl.DataFrame(out, schema=schema, orient="row").with_columns(
        [pl.col(c).fill_nan(None) for c in ("survival", "ci_lower", "ci_upper")])


def at_risk_like_km(frame: pl.DataFrame, threshold: int, context: Context | None = None) -> pl.DataFrame:
    """Numbers at risk, hidden wherever the published Kaplan-Meier curve hides the same point."""
    km = context.published("reoffending_km") if context is not None else None
    if km is None:
        return frame
    hidden = km.frame.filter(pl.col("n_at_risk").is_null()).select("group", "sample", "time").with_columns(
        pl.lit(True).alias(HIDE))
    return frame.join(hidden, on=["group", "sample", "time"], how="left").with_columns(
        pl.col(HIDE).fill_null(False))


def balance_shares(frame: pl.DataFrame, threshold: int, context: Context | None = None) -> pl.DataFrame:
    """Hide category shares in the balance table that stand for fewer than T people (or all but T).

    A categorical covariate's level (``"sex: other"``) has means that are shares; times the group
    sizes in ``reoffending_matching`` they are counts of people. The weighted comparison mean is
    not a count (weights) and is kept; the weighted IJ mean equals the unweighted one (ATT).
    """
    sizes = context.raw.get("reoffending_matching") if context is not None else None
    level = pl.col("covariate").str.contains(": ", literal=True)
    if sizes is None:  # group sizes unknown: hide every category share (the cautious choice)
        hide_t = hide_c = level
    else:
        n = {(g, c): int(v) for g, *vals in sizes.select("group", "n", "matched").iter_rows()
             for c, v in zip(("n", "matched"), vals, strict=True)}

        def small_share(mean: str, group: str) -> pl.Expr:
            size = (pl.when(pl.col("sample") == "matched").then(pl.lit(n.get((group, "matched"), 0)))
                    .otherwise(pl.lit(n.get((group, "n"), 0))))
            k = (pl.col(mean) * size).round(0)
            return level & (((k > 0) & (k < threshold)) | ((size - k > 0) & (size - k < threshold)))

        before_t = frame.filter(pl.col("sample") == "before").select(
            "covariate", small_share("mean_treated", "ij").alias("_bt"))
        frame = frame.join(before_t, on="covariate", how="left")
        hide_t = pl.when(pl.col("sample") == "weighted").then(pl.col("_bt").fill_null(True)).otherwise(
            small_share("mean_treated", "ij"))
        hide_c = (pl.col("sample") != "weighted") & small_share("mean_control", "comparison")
    out = frame.with_columns(_ht=hide_t, _hc=hide_c)
    either = pl.col("_ht") | pl.col("_hc")
    return out.with_columns(
        pl.when(pl.col("_ht")).then(None).otherwise(pl.col("mean_treated")).alias("mean_treated"),
        pl.when(pl.col("_hc")).then(None).otherwise(pl.col("mean_control")).alias("mean_control"),
        *[pl.when(either).then(None).otherwise(pl.col(c)).alias(c) for c in ("smd", "variance_ratio")],
    ).drop("_ht", "_hc", "_bt", strict=False)


# ---------------------------------------------------------------------------------------------
# The registry: every table a strand publishes

_MODEL = ("model output: {what}, each summarising a whole group, not a count of people; SDC guidance "
          "treats such estimates as safe when the model rests on enough people (the strand does not fit "
          "groups smaller than [reoffending] min_group_size)")
_INCIDENTS = ("ASB incidents by area and period: counts of events, not of people, for areas of thousands of "
              "residents; data.police.uk publishes the same counts openly at street level every month")
_MONEY = ("value-for-money model output: {what}, for the scheme as a whole; money and modelled quantities, not "
          "counts of people")
_CONFIG_TEXT = "text from the evaluation's config (the scheme's logic model): no data about anyone"
_IJ_STATUSES = ("completed", "did_not_complete", "refused", "in_progress", "not_suitable")
_RATE_STATUSES = ("completed", "did_not_complete", "refused")
_RATE = ("rate", "ci_lower", "ci_upper")

TABLES: dict[str, TablePolicy] = {
    # --- data overview ----------------------------------------------------------------------
    "overview_inputs": TablePolicy(keys=("table",), counts=("rows",)),
    "overview_logic_model": TablePolicy(exempt=_CONFIG_TEXT),
    "overview_referrals": TablePolicy(
        keys=("cohort", "status", "age_group"), counts=("n",),
        sums=(Sum("status"), Sum("age_group"), Sum("cohort"))),
    "overview_referrals_by_month": TablePolicy(
        keys=("cohort", "month"), counts=("n",), sums=(Sum("month"), Sum("cohort"))),
    "exclusions_summary": TablePolicy(
        keys=("table", "stage", "reason"), counts=("n",), sums=(Sum("reason"), Sum("stage"), Sum("table"))),
    # --- reoffending ------------------------------------------------------------------------
    "reoffending_rates": TablePolicy(
        keys=("measure", "group", "age_group"), counts=("n", "reoffenders", "offences"),
        sums=(Sum("group", "ij_all", _RATE_STATUSES), Sum("age_group", "all", ("adult", "child"))),
        splits=(Split("n", ("reoffenders",)),),
        dependents=(
            Dependent(_RATE, ("n", "reoffenders")),
            Dependent(("offences_per_person",), ("n", "offences")),
            Dependent(("offences_per_reoffender", "offences_per_reoffender_se"), ("reoffenders", "offences")),
            Dependent(("mean_days_to_first",), ("reoffenders",)),
            Dependent(("difference", "diff_ci_lower", "diff_ci_upper", "diff_p_value"), ("n", "reoffenders"),
                      reference=(("group", "comparison"),)),
        )),
    "reoffending_offence_types": TablePolicy(
        keys=("measure", "group", "offence_type"), counts=("offences",), sums=(Sum("offence_type"),),
        dependents=(Dependent(("share",), ("offences",)),)),
    "reoffending_first_time_entrants": TablePolicy(
        keys=("group", "age_group"), counts=("eligible", "entrants"),
        sums=(Sum("group", "ij_all", _IJ_STATUSES), Sum("age_group", "all", ("adult", "child"))),
        splits=(Split("eligible", ("entrants",)),),
        dependents=(Dependent(_RATE, ("eligible", "entrants")),)),
    "reoffending_first_time_entrants_monthly": TablePolicy(
        keys=("period", "month"), counts=("entrants",), sums=(Sum("month"), Sum("period"))),
    "reoffending_km": TablePolicy(
        keys=("sample", "group", "time"), counts=("n_at_risk",),
        sums=(Sum("group", "ij_all", _RATE_STATUSES),),
        dependents=(Dependent(("survival", "ci_lower", "ci_upper"), ("n_at_risk",)),),
        transform=km_on_grid),
    "reoffending_at_risk": TablePolicy(
        keys=("sample", "group", "time"), counts=("n_at_risk",),
        sums=(Sum("group", "ij_all", _RATE_STATUSES),), transform=at_risk_like_km),
    "reoffending_effects": TablePolicy(
        keys=("term",), counts=("n",),
        dependents=(Dependent(("estimate", "std_error", "ci_lower", "ci_upper", "p_value"), ("n",)),),
        linked=(
            # the unadjusted risk difference repeats the rates table's, and its n is ij_all + comparison
            Linked(("n", "estimate", "std_error", "ci_lower", "ci_upper", "p_value"),
                   (("term", "naive_risk_difference"),), "reoffending_rates",
                   (("group", "ij_all"), ("age_group", "all")), "difference"),
            Linked(("n", "estimate", "std_error", "ci_lower", "ci_upper", "p_value"),
                   (("term", "naive_risk_difference"),), "reoffending_rates",
                   (("group", "comparison"), ("age_group", "all")), "n"),
        )),
    "reoffending_matching": TablePolicy(
        keys=("group",), counts=("n", "matched", "unmatched"), splits=(Split("n", ("matched", "unmatched")),)),
    "reoffending_common_support": TablePolicy(
        keys=("group",), counts=("n", "n_outside_other_range"), splits=(Split("n", ("n_outside_other_range",)),),
        drop=("min_score", "max_score")),
    "reoffending_balance": TablePolicy(transform=balance_shares),
    "reoffending_cox": TablePolicy(exempt=_MODEL.format(what="Cox model coefficients and hazard ratios")),
    "reoffending_ph_test": TablePolicy(exempt=_MODEL.format(what="proportional-hazards test statistics")),
    "reoffending_propensity": TablePolicy(exempt=_MODEL.format(what="propensity-score model coefficients")),
    "reoffending_tests": TablePolicy(exempt=_MODEL.format(what="log-rank test statistics")),
    "reoffending_rmst": TablePolicy(exempt=_MODEL.format(what="restricted mean survival times and their "
                                                                "differences")),
    # --- hotspots ---------------------------------------------------------------------------
    **{name: TablePolicy(exempt=_INCIDENTS) for name in (
        "hotspots_panel", "hotspots_before_after", "hotspots_share", "hotspots_displacement",
        "hotspots_its_counterfactual", "hotspots_event_study")},
    **{name: TablePolicy(exempt=_MODEL.format(what=what) + "; the areas' ASB counts are incidents, not people")
       for name, what in (
           ("hotspots_its", "interrupted time series coefficients"),
           ("hotspots_its_diagnostics", "residual autocorrelation and dispersion statistics"),
           ("hotspots_did", "difference-in-differences estimates"),
           ("hotspots_robustness_placebo", "placebo difference-in-differences estimates"),
           ("hotspots_robustness_leave_one_out", "leave-one-out difference-in-differences estimates"))},
    # --- implementation strand tables ---
    "implementation_funnel": TablePolicy(
        keys=("breakdown", "group", "stage"), counts=("n",),
        sums=(Sum("group"),
              Sum("stage", "referred", ("completed", "did_not_complete", "refused", "not_suitable", "in_progress")),
              Sum("stage", "referred", ("contacted",)), Sum("stage", "contacted", ("work_booked",)),
              Sum("stage", "work_booked", ("started",)), Sum("stage", "started", ("completed", "did_not_complete"))),
        dependents=(Dependent(("share", "ci_lower", "ci_upper"), ("n",), reference=(("stage", "referred"),)),)),
    "implementation_timeliness": TablePolicy(
        keys=("measure", "breakdown", "group"), counts=("n", "within_48h", "not_yet"),
        sums=(Sum("group"),), splits=(Split("n", ("within_48h", "not_yet")),),
        dependents=(Dependent(("share", "ci_lower", "ci_upper"), ("n", "within_48h")),
                    Dependent(("median_hours", "median_ci_lower", "median_ci_upper"), ("n",)))),
    "implementation_wait_bands": TablePolicy(keys=("measure", "band"), counts=("n",), sums=(Sum("band"),)),
    "implementation_km_start": TablePolicy(
        keys=("group", "time"), counts=("n_at_risk",), sums=(Sum("group", "all", ("adult", "child")),),
        dependents=(Dependent(("share_started", "ci_lower", "ci_upper"), ("n_at_risk",)),),
        # a curve on a grid of days (imported when used: ij_eval.stats.km_grid)
        transform=lambda frame, threshold, context=None: __import__(
            "ij_eval.stats.km_grid", fromlist=["start_on_grid"]).start_on_grid(frame, threshold, context)),
    "implementation_dosage": TablePolicy(
        keys=("breakdown", "group"), counts=("n", "workshop", "restorative"), sums=(Sum("group"),),
        splits=(Split("n", ("workshop",)), Split("n", ("restorative",))),
        dependents=(Dependent(("hours_required", "hours_completed", "pct_hours_completed", "mean_hours_completed",
                               "median_hours_required"), ("n",)),)),
    "implementation_activities": TablePolicy(
        keys=("activity",), counts=("people",), sums=(Sum("activity"),),
        dependents=(Dependent(("hours_completed",), ("people",)),)),
    "implementation_sites": TablePolicy(
        keys=("placement_id",), counts=("people",), sums=(Sum("placement_id"),),
        dependents=(Dependent(("hours_completed",), ("people",)),)),
    "implementation_equality": TablePolicy(
        keys=("characteristic", "group"), counts=("comparison_n", "referred", "settled", "completed", "refused"),
        sums=(Sum("group"),), splits=(Split("referred", ("settled",)), Split("settled", ("completed", "refused"))),
        dependents=(
            Dependent(("comparison_share",), ("comparison_n",)),
            Dependent(("referred_share", "referred_ci_lower", "referred_ci_upper"), ("referred",)),
            Dependent(("representation_ratio", "representation_p", "representation_p_holm"),
                      ("referred", "comparison_n")),
            Dependent(("completion_rate", "completion_ci_lower", "completion_ci_upper", "completion_ratio",
                       "completion_p", "completion_p_holm"), ("settled", "completed")),
            Dependent(("refusal_rate", "refusal_ci_lower", "refusal_ci_upper", "refusal_ratio", "refusal_p",
                       "refusal_p_holm"), ("settled", "refused")),
            # only with [population]: the population share is the config's, not a count; the referral share
            # is over referrals with a recorded value, so it is hidden with its count and with the
            # characteristic's unrecorded counts (the base would give them away)
            *(Dependent(("population_referred_share", "population_ci_lower", "population_ci_upper",
                         "population_ratio", "population_p", "population_p_holm"), ("referred",), reference=ref)
              for ref in ((), (("group", "not recorded"),), (("group", "unknown"),))),
            Dependent(("flag",), ("comparison_n", "referred", "settled", "completed", "refused")))),
    # --- value-for-money strand tables ---
    "vfm_cost_per_unit": TablePolicy(keys=("item",), counts=("n",),
                                     dependents=(Dependent(("units", "real_gbp"), ("n",)),)),
    **{name: TablePolicy(exempt=_MONEY.format(what=what)) for name, what in (
        ("vfm_costs", "the scheme's cost lines summed in pounds"),
        ("vfm_benefits", "the value of each benefit and the modelled quantity behind it"),
        ("vfm_parameters", "the appraisal's parameters, their sources and ranges"),
        ("vfm_unit_costs", "published and configured unit costs of crime"),
        ("vfm_sensitivity", "net present values and benefit-cost ratios under one-way sensitivity"),
        ("vfm_cashflows", "yearly costs and benefits in pounds"),
        ("vfm_monte_carlo", "summaries of the Monte Carlo distribution of net present value and benefit-cost ratio"),
        ("vfm_break_even", "net present values across reoffending effects"))},
    # --- experience strand tables ---
    # An item's response levels (every scale in data_schemas/*_survey.yaml; yes/no items as no, yes) add up to
    # its base ("answered"), the top two (or "yes") to "top_two", answered + missing to "responses"; a
    # percentage is hidden with its count, and every percentage of an item with its base.
    "survey_items": TablePolicy(
        keys=("survey", "item", "level"), counts=("n",),
        sums=(Sum("level", "answered", ("strongly_disagree", "disagree", "neither", "agree", "strongly_agree",
                                         "very_dissatisfied", "dissatisfied", "satisfied", "very_satisfied",
                                         "no", "yes")),
              Sum("level", "top_two", ("agree", "strongly_agree", "satisfied", "very_satisfied", "yes")),
              Sum("level", "answered", ("top_two",)),  # those not agreeing: protected when small (97% of 40)
              Sum("level", "responses", ("answered", "missing"))),
        dependents=(Dependent(("pct", "ci_lower", "ci_upper"), ("n",)),
                    Dependent(("pct", "ci_lower", "ci_upper"), ("n",), reference=(("level", "answered"),)))),
    "survey_response": TablePolicy(
        keys=("survey",), counts=("completers", "respondents", "responses", "other_linked", "anonymous"),
        splits=(Split("completers", ("respondents",)),
                Split("responses", ("respondents", "other_linked", "anonymous"))),
        dependents=(Dependent(("rate", "ci_lower", "ci_upper"), ("completers", "respondents")),)),
    "survey_nonresponse": TablePolicy(
        keys=("characteristic", "value", "group"), counts=("n",), sums=(Sum("value"), Sum("group")),
        dependents=(Dependent(("pct",), ("n",)),)),
    "survey_subgroups": TablePolicy(
        keys=("survey", "item", "subgroup", "group"), counts=("n", "agree"), sums=(Sum("group"),),
        splits=(Split("n", ("agree",)),), dependents=(Dependent(("pct", "ci_lower", "ci_upper"), ("n", "agree")),)),
    "survey_subgroup_tests": TablePolicy(exempt=(
        "model output: tests (Fisher's exact, chi-squared) that the share agreeing is the same in every subgroup, "
        "with Holm-adjusted p-values, each summarising whole groups; the group counts are in survey_subgroups, "
        "protected there")),
    # quotes were screened by the strand (ij_eval.privacy.screen, with the evaluator's approvals); a last
    # net drops any holding contact details or an id, which no approval publishes
    "survey_quotes": TablePolicy(transform=lambda frame, threshold, context: frame.filter(
        pl.Series([not never_publishable(q) for q in frame["quote"].to_list()], dtype=pl.Boolean))),
    "survey_quote_screening": TablePolicy(
        keys=("survey",), counts=("comments", "without_consent", "withheld", "quoted"),
        splits=(Split("comments", ("without_consent", "withheld", "quoted")),)),
    "survey_pre_post": TablePolicy(
        keys=("survey", "item"), counts=("pairs", "improved", "unchanged", "worse"),
        splits=(Split("pairs", ("improved", "unchanged", "worse")),),
        dependents=(Dependent(("mean_change", "p_value"), ("pairs", "improved", "unchanged", "worse")),)),
    "survey_community": TablePolicy(
        keys=("item", "role", "wave"), counts=("n", "agree"), splits=(Split("n", ("agree",)),),
        dependents=(Dependent(("pct", "ci_lower", "ci_upper"), ("n", "agree")),)),
    "survey_community_did": TablePolicy(exempt=(
        "model output: differences in differences of the share agreeing (hotspots against comparison areas, "
        "after against before), estimated only where each of the four groups has at least 30 answers and at "
        "least T respondents agreeing and T not, so no group's hidden share can be worked back from it")),
}


# ---------------------------------------------------------------------------------------------
# The engine


def _policy(name: str) -> TablePolicy:
    policy = TABLES.get(name)
    if policy is None:
        raise IJEvalError(f"table {name!r} has no disclosure policy, so it cannot be published: declare it in "
                          "ij_eval/publication.py (TABLES) with its counts, margins and dependent figures, or "
                          "as exempt with the reason")
    return policy


def _pairs_match(frame: pl.DataFrame, pairs: Iterable[tuple[str, Any]]) -> pl.Expr:
    expr = pl.lit(True)
    for column, value in pairs:
        if column not in frame.columns:
            return pl.lit(False)
        expr = expr & (pl.col(column) == value)
    return expr


def _suppress(name: str, frame: pl.DataFrame, policy: TablePolicy,
              threshold: int) -> tuple[pl.DataFrame, int, int, tuple[str, ...]]:
    """Primary and secondary suppression of ``policy.counts`` along its sums and splits."""
    keys, counts = list(policy.keys), list(policy.counts)
    for c in [*keys, *counts]:
        if c not in frame.columns:
            raise IJEvalError(f"table {name!r}: column {c!r} of its disclosure policy is missing "
                              f"(columns: {', '.join(frame.columns)}); update ij_eval/publication.py")
    for c in counts:
        if frame[c].null_count() or not frame[c].dtype.is_integer():
            raise IJEvalError(f"table {name!r}: count column {c!r} must hold whole numbers without gaps")
    if frame.height == 0 or not counts:
        return frame, 0, 0, ()
    rows: dict[tuple, bool] = {}  # key -> is a row of the table
    for key in frame.select(keys).iter_rows():
        if key in rows:
            raise IJEvalError(f"table {name!r}: the disclosure keys {keys} do not identify a row ({key} repeats)")
        rows[key] = True
    value: dict[str, dict[tuple, int]] = {c: dict(zip(rows, frame[c].to_list(), strict=True)) for c in counts}
    flagged = set()
    if HIDE in frame.columns:
        flagged = {k for k, h in zip(rows, frame[HIDE].to_list(), strict=True) if h}

    def members_of(s: Sum, universe: Iterable[tuple]) -> dict[tuple, list[tuple]]:
        d = keys.index(s.column)
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for key in universe:
            label = key[d]
            if label == s.total or (s.parts is not None and label not in s.parts):
                continue
            groups[key[:d] + (s.total,) + key[d + 1:]].append(key)
        return groups

    copies: set[tuple] = set()
    grown = True
    while grown:  # totals that are not rows of the table (and totals of totals), until none is missing
        grown = False
        for s in policy.sums:
            for total, members in members_of(s, list(rows)).items():
                if total not in rows:
                    rows[total] = False
                    if len(members) == 1 and rows.get(members[0]):
                        copies.add(total)  # a "total" of one table row is that row: not worth reporting
                    grown = True
                    for c in counts:
                        value[c][total] = sum(value[c][m] for m in members)

    entries: list[tuple[tuple, str]] = []
    index: dict[tuple[tuple, str], int] = {}
    values: list[int] = []
    unpublished: list[bool] = []
    hide: list[bool] = []

    def add(entry: tuple[tuple, str], v: int, *, shown: bool, flag: bool = False) -> int:
        index[entry] = len(entries)
        entries.append(entry)
        values.append(int(v))
        unpublished.append(not shown)
        hide.append(flag)
        return index[entry]

    for key in rows:
        for c in counts:
            add((key, c), value[c][key], shown=True, flag=key in flagged)
    lines: list[tuple[list[int], int]] = []

    def line(members: list[int], total: int, rest: int, where: str) -> None:
        if rest < 0:
            raise IJEvalError(f"table {name!r}: {where} adds up to more than its total; the disclosure policy's "
                              "margins do not match the table (ij_eval/publication.py)")
        if rest > 0:  # the part of the total no row shows: unpublished, protected when small
            members = [*members, add((("rest", len(entries)), where), rest, shown=False)]
        if members or values[total]:
            lines.append((members, total))

    for s in policy.sums:
        for total, members in members_of(s, list(rows)).items():
            if total not in rows:
                continue
            for c in counts:
                rest = value[c][total] - sum(value[c][m] for m in members)
                line([index[(m, c)] for m in members], index[(total, c)], rest, f"{c} over {s.column} at {total}")
        for total in [k for k in rows if k[keys.index(s.column)] == s.total and k not in members_of(s, rows)]:
            for c in counts:  # a total row none of whose parts is in the table
                line([], index[(total, c)], value[c][total], f"{c} over {s.column} at {total}")
    for sp in policy.splits:
        for key in rows:
            rest = value[sp.total][key] - sum(value[p][key] for p in sp.parts)
            line([index[(key, p)] for p in sp.parts], index[(key, sp.total)], rest, f"{sp.total} split at {key}")

    result = protect(values, lines, threshold=threshold, unpublished=unpublished, hide=hide)
    shown_cells = ~np.asarray(unpublished)
    in_table = np.array([isinstance(e[0], tuple) and rows.get(e[0], False) for e in entries]) & shown_cells
    n_primary = int((result.primary & in_table).sum())
    n_secondary = int((result.secondary & in_table).sum())
    hidden_totals = tuple(f"{c} at {', '.join(f'{k}={v}' for k, v in zip(keys, key, strict=True))}"
                          for (key, c), h, shown in zip(entries, result.hidden, shown_cells, strict=True)
                          if h and shown and isinstance(key, tuple) and key in rows and not rows[key]
                          and key not in copies)
    masks = {c: pl.Series([bool(result.hidden[index[(k, c)]]) for k in frame.select(keys).iter_rows()])
             for c in counts}
    out = frame.with_columns([pl.when(masks[c]).then(None).otherwise(pl.col(c)).alias(c) for c in counts])
    return out, n_primary, n_secondary, hidden_totals


def _dependents(frame: pl.DataFrame, policy: TablePolicy) -> pl.DataFrame:
    for dep in policy.dependents:
        hidden = pl.any_horizontal([pl.col(c).is_null() for c in dep.on])
        if dep.reference:
            ref = frame.filter(_pairs_match(frame, dep.reference))
            other = [k for k in policy.keys if k not in dict(dep.reference)]
            ref_hidden = ref.select(*other, pl.any_horizontal([pl.col(c).is_null() for c in dep.on])
                                    .alias("_ref_hidden"))
            frame = frame.join(ref_hidden, on=other, how="left", nulls_equal=True)
            hidden = hidden | pl.col("_ref_hidden").fill_null(False)
        frame = frame.with_columns([pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
                                    for c in dep.columns if c in frame.columns]).drop("_ref_hidden", strict=False)
    return frame


def _linked(frame: pl.DataFrame, policy: TablePolicy, context: Context | None) -> pl.DataFrame:
    for link in policy.linked:
        other = context.published(link.table) if context is not None else None
        if other is None:
            continue
        raw = context.raw[link.table]
        if link.column not in raw.columns or link.column not in other.frame.columns:
            continue
        was = raw.filter(_pairs_match(raw, link.match))[link.column].is_not_null()
        now = other.frame.filter(_pairs_match(other.frame, link.match))[link.column].is_null()
        if (was & now).any():  # shown before disclosure control, hidden after
            rows = _pairs_match(frame, link.rows)
            frame = frame.with_columns([pl.when(rows).then(None).otherwise(pl.col(c)).alias(c)
                                        for c in link.columns if c in frame.columns])
    return frame


def _hidden_cells(before: pl.DataFrame, after: pl.DataFrame, columns: Iterable[str]) -> int:
    return sum(int((before[c].is_not_null() & after[c].is_null()).sum()) for c in columns
               if c in before.columns and c in after.columns)


def publish_table(name: str, frame: pl.DataFrame, threshold: int = DEFAULT_THRESHOLD, *,
                  context: Context | None = None) -> PublishedTable:
    """The table ``name`` as it may be published, under its policy in :data:`TABLES`.

    Raises :class:`IJEvalError` when the table has no declared policy, or when its declared
    margins do not match the data. ``context`` holds the run's other raw tables (some policies
    consult a sibling table); without it those policies take the cautious default.
    """
    policy = _policy(name)
    if threshold < 1:
        raise IJEvalError(f"the disclosure threshold must be at least 1 (got {threshold})")
    if policy.exempt:
        return PublishedTable(name, frame.drop(list(policy.drop), strict=False), policy)
    work = policy.transform(frame, threshold, context) if policy.transform is not None else frame
    suppressed, n_primary, n_secondary, hidden_totals = _suppress(name, work, policy, threshold)
    dependent = _linked(_dependents(suppressed, policy), policy, context)
    others = [c for c in work.columns if c not in policy.counts and c not in policy.keys]
    n_dependent = _hidden_cells(work, dependent, others)
    if policy.transform is not None:  # cells the transform itself hid (e.g. balance shares)
        shared = [c for c in frame.columns if c in work.columns and c not in policy.keys and c not in policy.counts]
        if frame.height == work.height:
            n_dependent += _hidden_cells(frame, work, shared)
        else:  # reshaped (a curve on a grid): every hidden figure is disclosure control's
            n_dependent = sum(dependent[c].null_count() for d in policy.dependents for c in d.columns
                              if c in dependent.columns)
    out = dependent.drop([HIDE, *policy.drop], strict=False)
    return PublishedTable(name, out, policy, n_primary, n_secondary, n_dependent, hidden_totals)


# ---------------------------------------------------------------------------------------------
# Figures: drawn from published data only


def _km_figure(data: tuple[pl.DataFrame, pl.DataFrame], threshold: int, context: Context):
    """Curves and numbers at risk as published; no censoring ticks (each is one person); a
    numbers-at-risk column is left out where any group's count is hidden."""
    curves, risk = data
    km, at_risk = context.published("reoffending_km"), context.published("reoffending_at_risk")
    if km is None or at_risk is None:
        raise IJEvalError("the Kaplan-Meier figure needs the reoffending_km and reoffending_at_risk tables")
    pairs = curves.select("group", "sample").unique()
    shown = km.frame.join(pairs, on=["group", "sample"]).filter(pl.col("survival").is_not_null()).with_columns(
        n_censored=pl.lit(0, pl.Int64))  # a hidden point is left out: the step falls at the next point shown
    order = {g: i for i, g in enumerate(curves["group"].unique(maintain_order=True).to_list())}
    shown = shown.sort(pl.col("group").replace_strict(order, default=len(order)), "time")
    table = at_risk.frame.join(risk.select("group", "sample").unique(), on=["group", "sample"])
    gaps = table.filter(pl.col("n_at_risk").is_null())["time"].unique()
    return shown, table.filter(~pl.col("time").is_in(gaps.implode()))


def _forest_figure(effects: pl.DataFrame, threshold: int, context: Context) -> pl.DataFrame:
    published = context.published("reoffending_effects")
    if published is None:
        return effects
    hidden = published.frame.filter(pl.col("estimate").is_null())["term"]
    return effects.filter(~pl.col("term").is_in(hidden.implode()))


def _by_month_figure(data: pl.DataFrame, threshold: int, context: Context) -> pl.DataFrame:
    published = context.published("overview_referrals_by_month")
    frame = published.frame if published is not None else data
    return frame.with_columns(pl.col("n").cast(pl.Float64).fill_null(float("nan")))  # a gap in the line


@dataclass(frozen=True)
class FigurePolicy:
    """How a figure's plot data is made publishable (``transform``), or why it is ``exempt``."""

    transform: Callable[[Any, int, Context], Any] | None = None
    exempt: str = ""


FIGURES: dict[str, FigurePolicy] = {
    "overview_referrals_by_month": FigurePolicy(_by_month_figure),
    "overview_logic_model": FigurePolicy(exempt=_CONFIG_TEXT),
    "reoffending_km": FigurePolicy(_km_figure),
    "reoffending_km_matched": FigurePolicy(_km_figure),
    "reoffending_forest": FigurePolicy(_forest_figure),
    "reoffending_love_plot": FigurePolicy(exempt="standardised mean differences plotted without values or "
                                                 "group sizes; a position read off the chart gives no count"),
    **{name: FigurePolicy(exempt=_INCIDENTS) for name in (
        "hotspots_series", "hotspots_counterfactual", "hotspots_event_study", "hotspots_displacement")},
    # --- implementation strand figures ---
    "implementation_funnel": FigurePolicy(lambda data, threshold, context: context.published(
        "implementation_funnel").frame.filter(pl.col("breakdown") == "all")),
    "implementation_monthly": FigurePolicy(lambda data, threshold, context: context.published(
        "implementation_funnel").frame.filter(pl.col("breakdown") == "month")),
    "implementation_km_start": FigurePolicy(
        lambda data, threshold, context: context.published("implementation_km_start").frame),
    "implementation_hours": FigurePolicy(
        lambda data, threshold, context: context.published("implementation_activities").frame),
    # --- value-for-money strand figures ---
    **{name: FigurePolicy(exempt=_MONEY.format(what=what)) for name, what in (
        ("vfm_npv_distribution", "Monte Carlo draws of the net present value"),
        ("vfm_tornado", "net present values under one-way sensitivity"),
        ("vfm_break_even", "net present values across reoffending effects"))},
    # --- experience strand figures ---
    # drawn from survey_items as published: a question with any hidden count is left out of the chart
    **{f"survey_{survey}_items": FigurePolicy(lambda data, threshold, context: context.published(
        "survey_items").frame.join(data.select("survey", "item", "level"), on=["survey", "item", "level"],
                                   how="semi")) for survey in ("participant", "victim")},
}


def publish_figure_data(name: str, data: Any, threshold: int, context: Context) -> Any:
    """The plot data of figure ``name`` as it may be drawn for publication."""
    policy = FIGURES.get(name)
    if policy is None:
        raise IJEvalError(f"figure {name!r} has no disclosure policy, so it cannot be published: declare it in "
                          "ij_eval/publication.py (FIGURES)")
    return data if policy.exempt else policy.transform(data, threshold, context)


# ---------------------------------------------------------------------------------------------
# Headlines and notes


def _suppressed_caveat(caveat: str, threshold: int, why: str) -> str:
    text = f"suppressed for disclosure control ({why}; threshold {threshold})"
    return f"{caveat}; {text}" if caveat else text


def publish_headline(headline: Any, threshold: int, context: Context | None = None) -> tuple[dict[str, Any], bool]:
    """A headline (``Headline`` or its dict) as it may be published, and whether it was hidden.

    Hidden: a count of people below T; a figure whose ``n`` (people it rests on), ``count`` (its
    numerator) or ``n - count`` is from 1 to T - 1; a figure repeating a table cell
    (``source``) that the published table hides. A hidden figure keeps its method and unit, and
    its caveat says why.
    """
    d = headline.to_dict() if hasattr(headline, "to_dict") else dict(headline)
    source = getattr(headline, "source", None)
    n, count = d.get("n"), d.get("count")
    why = ""
    if d.get("unit") in PEOPLE_UNITS and isinstance(d.get("estimate"), int | float) \
            and _small(d["estimate"], threshold):
        why = f"fewer than {threshold} {d['unit']}"
    elif isinstance(n, int) and _small(n, threshold):
        why = f"based on fewer than {threshold} people"
    elif isinstance(count, int) and (_small(count, threshold) or (isinstance(n, int) and _small(n - count, threshold))):
        why = f"fewer than {threshold} people with, or without, the outcome"
    elif source is not None and context is not None:
        table = context.published(source.table)
        if table is not None and source.column in table.frame.columns:
            cell = table.frame.filter(_pairs_match(table.frame, source.row))[source.column]
            if cell.len() and cell.is_null().any():
                why = f"the same figure is hidden in {source.table} to protect small counts"
    if not why:
        return d, False
    hidden = {**d, "estimate": None, "ci_lower": None, "ci_upper": None, "count": None,
              "caveat": _suppressed_caveat(d.get("caveat", ""), threshold, why)}
    if isinstance(n, int) and _small(n, threshold):
        hidden["n"] = None
    return hidden, True


_NOUNS = (r"(?:people|persons?|referrals?|participants?|individuals?|children|adults?|(?:re)?offenders?|victims?|"
          r"respondents?|responses?|entrants?|cases?|records?)")
_COUNT_IN_TEXT = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w.,]\d)(\s+(?:of\s+[\d,]+\s+)?"
                            + _NOUNS + r")\b")
_COUNT_IN_PARENS = re.compile(r"\((\d+)\)")


def _small_numbers(text: str, threshold: int) -> list[tuple[int, int, str]]:
    """(start, end, number) of each count of people in ``text`` from 1 to T - 1."""
    found = []
    for m in _COUNT_IN_TEXT.finditer(text):
        v = int(m.group(1).replace(",", ""))
        if _small(v, threshold):
            found.append((m.start(1), m.end(1), m.group(1)))
    if re.search(_NOUNS, text):
        for m in _COUNT_IN_PARENS.finditer(text):
            if _small(int(m.group(1)), threshold):
                found.append((m.start(1), m.end(1), m.group(1)))
    return sorted(set(found))


def screen_notes(notes: Sequence[str], threshold: int) -> tuple[list[str], int]:
    """Notes with each number of people from 1 to T - 1 written as "fewer than T"; and how many."""
    out, n = [], 0
    for note in notes:
        for start, end, _ in reversed(_small_numbers(note, threshold)):
            note = note[:start] + f"fewer than {threshold}" + note[end:]
            n += 1
        out.append(note)
    return out, n


# ---------------------------------------------------------------------------------------------
# Identifier patterns (tables, rendered text and survey quotes)

#: What the publication gate looks for in every published file: contact details, official ids and
#: dates of birth (:mod:`ij_eval.privacy.detect`), and pseudonymised ids.
_GATE_KINDS = (*detect.CONTACT_AND_IDS, *detect.PSEUDONYMS)


@functools.cache
def documented_examples() -> frozenset[str]:
    """Example values from ``data_schemas/`` (e.g. the made-up pseudonym in the data dictionary the
    report's appendix reprints): documentation, not data, so not flagged."""
    from ij_eval.schema import load_schemas

    return frozenset(c.example for schema in load_schemas().values() for c in schema.columns if c.example)


def _identifiers_in(text: str) -> list[tuple[str, str, int]]:
    """(kind, masked match, line number) of each identifier-like pattern in ``text``."""
    return [(str(f.kind), f.shown(text), f.line(text)) for f in detect.find_identifiers(text, _GATE_KINDS)
            if text[f.start:f.end] not in documented_examples()]


def check_text(text: str, where: str) -> list[str]:
    """Problems in rendered text (HTML, Markdown): anything that looks like a person identifier.

    Looks for email addresses, UK phone numbers and postcodes, pseudonymised person ids
    (``p_`` + 16 hex characters) and a date of birth ("DOB", "date of birth", "born on" followed
    by a date). Embedded images (``data:`` URIs) are skipped. Each problem names ``where`` and
    the line, and shows only the first characters of the match.
    """
    text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", "", text)
    return [f"{where}, line {line}: looks like {kind} ({shown})" for kind, shown, line in _identifiers_in(text)]


# ---------------------------------------------------------------------------------------------
# The publication gate


def _read_table(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _check_table(name: str, frame: pl.DataFrame, threshold: int) -> list[str]:
    where = f"tables/{name}.csv"
    problems = []
    policy = TABLES.get(name)
    if policy is None:
        problems.append(f"{where}: no disclosure policy for this table (declare it in ij_eval/publication.py)")
    ids = sorted(set(direct_identifier_columns(frame.columns))
                 | {c for c in frame.columns if c.lower() in PERSON_ID_COLUMNS})
    problems += [f"{where}, column {c!r}: a person identifier column must not be published" for c in ids]
    if policy is not None and not policy.exempt:
        for c in policy.counts:
            if c not in frame.columns:
                continue
            for i, v in enumerate(frame[c].to_list()):
                if v is None or v == "":
                    continue
                try:
                    number = float(v)
                except ValueError:
                    problems.append(f"{where}, column {c!r}, data row {i + 1}: count {v!r} is not a number")
                    continue
                if _small(number, threshold):
                    problems.append(f"{where}, column {c!r}, data row {i + 1}: {v} is below the disclosure "
                                    f"threshold {threshold} and is not suppressed")
    for c in frame.columns:
        values = frame[c].drop_nulls().unique().to_list()
        for v in values:
            for kind, shown, _ in _identifiers_in(v):
                rows = (frame.with_row_index("_i").filter(pl.col(c) == v)["_i"] + 1).to_list()
                problems.append(f"{where}, column {c!r}, data row {rows[0]}: looks like {kind} ({shown})")
    return problems


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _check_headlines(results: dict, threshold: int) -> list[str]:
    problems = []
    for strand, entry in results.get("strands", {}).items():
        for key, h in entry.get("headlines", {}).items():
            where = f"results.json strands.{strand}.headlines.{key}"
            n, count, estimate = h.get("n"), h.get("count"), h.get("estimate")
            if h.get("unit") in PEOPLE_UNITS and isinstance(estimate, int | float) and _small(estimate, threshold):
                problems.append(f"{where}: a count of {h['unit']} ({estimate}) below the threshold {threshold}")
            if isinstance(n, int) and _small(n, threshold):
                problems.append(f"{where}: n = {n} is below the threshold {threshold}")
            if estimate is not None and isinstance(count, int) and (
                    _small(count, threshold) or (isinstance(n, int) and _small(n - count, threshold))):
                problems.append(f"{where}: a figure whose count ({count} of {n}) leaves fewer than {threshold} "
                                "people with or without the outcome is not suppressed")
        for i, note in enumerate(entry.get("notes", [])):
            for _, _, number in _small_numbers(note, threshold):
                problems.append(f"results.json strands.{strand}.notes[{i}]: {number} people is below the "
                                f"threshold {threshold}")
    return problems


def check_store(results_dir: Path) -> list[str]:
    """The publication gate: every problem that should stop ``results_dir`` being published.

    Re-reads every ``tables/*.csv``, ``results.json`` and ``figures.json`` and reports: a table
    with no disclosure policy; a declared count from 1 to T - 1 that is not hidden; a column that
    is a direct identifier or a person id; a cell or text that looks like a pseudonymised id, an
    email address, a UK phone number or postcode, or a date of birth; a headline or note giving a
    number of people below T. T is the store's ``disclosure.threshold``. An empty list passes.
    The working files of :data:`INTERNAL_FILES` (exclusions, manifest, the screen's review file,
    which holds the withheld text itself) are not publications and are not read.
    """
    results_dir = Path(results_dir)
    problems: list[str] = []
    results: dict[str, Any] = {}
    path = results_dir / "results.json"
    if path.is_file():
        results = json.loads(path.read_text(encoding="utf-8"))
    else:
        problems.append(f"{path}: missing")
    threshold = results.get("disclosure", {}).get("threshold")
    if not isinstance(threshold, int):
        problems.append(f"{path}: no disclosure.threshold; counts checked against the default {DEFAULT_THRESHOLD}")
        threshold = DEFAULT_THRESHOLD
    for csv in sorted((results_dir / "tables").glob("*.csv")):
        problems += _check_table(csv.stem, _read_table(csv), threshold)
    problems += _check_headlines(results, threshold)
    for where, text in _strings(results, "results.json"):
        problems += [f"{where}: looks like {kind} ({shown})" for kind, shown, _ in _identifiers_in(text)]
    figures = results_dir / "figures.json"
    if figures.is_file():
        for where, text in _strings(json.loads(figures.read_text(encoding="utf-8")), "figures.json"):
            problems += [f"{where}: looks like {kind} ({shown})" for kind, shown, _ in _identifiers_in(text)]
    return problems


# ---------------------------------------------------------------------------------------------
# What the report says


def rule_sentences(threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """The disclosure rule in plain English, one sentence (or two) per line, for the report."""
    if threshold == 1:
        return [rule_text(1)]
    t = threshold
    return [
        rule_text(t),
        "Where a table's rows add up to totals shown elsewhere (the 'all' rows, cohort totals, headline "
        "figures), enough further counts are hidden that no hidden count can be worked out from those totals.",
        f"A rate is not shown when fewer than {t} people in its group had the outcome, or fewer than {t} did not "
        "(so a rate close to 0% or 100% cannot single anyone out); its confidence interval and any difference "
        "built on it are not shown either.",
        f"Kaplan-Meier curves are shown at about monthly points rather than at each reoffence; a point is not "
        f"shown where fewer than {t} people were still followed up, or where fewer than {t} reoffences separate "
        "it from the previous point shown.",
        f"In the covariate balance table, the share of a category is not shown where it stands for fewer than "
        f"{t} people.",
        "Counts of anti-social behaviour incidents by area and month are shown in full: they count events, not "
        "people, and data.police.uk publishes them openly. Model estimates (coefficients, hazard ratios, test "
        "statistics) summarise whole groups and are shown in full.",
        f"In the text, a number of people below {t} is written as 'fewer than {t}'.",
        "Comments from surveys are quoted only where the respondent agreed, and only if they contain no name, "
        "age, school or birth year, phone number, email, address, postcode or date; a comment that does is left "
        "out, not edited, unless the evaluation team checked it and approved it.",
        "Other text from the data or the evaluation's settings (work sites, funders, the logic model, the names "
        "of the scheme and its categories) is checked the same way; text that may identify a person is shown "
        f"as '{WITHHELD}'.",
        "The list of excluded records, the run manifest and the list of withheld text are working files for the "
        "evaluation team and are not published; the report gives excluded records only as counts by reason.",
    ]


def exempt_reasons() -> dict[str, str]:
    """Tables published without small-count suppression, with the reason."""
    return {name: p.exempt for name, p in sorted(TABLES.items()) if p.exempt}


__all__ = [
    "ALL", "ALLOWED_CAPITALISED", "FIGURES", "INTERNAL_FILES", "MARKER", "TABLES", "WITHHELD", "Context",
    "Dependent", "FigurePolicy", "Linked", "PublishedTable",
    "QuoteScreening", "Split", "Sum", "TablePolicy", "check_store", "check_text", "exempt_reasons",
    "publish_figure_data", "publish_headline", "publish_table", "publishable_quotes", "quote_problems",
    "rule_sentences", "screen_notes", "screen_quote", "screen_quotes",
]
