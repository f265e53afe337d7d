"""Reoffending strand: did Immediate Justice reduce reoffending, compared with whom?

``run`` builds the cohort (``cohort.py``: index dates, the proven and local measures, censoring),
then reports, for the configured primary measure unless stated:

- fixed-window rates per group and age group, with differences from the comparison cohort
  (``rates.py``; descriptive);
- Kaplan-Meier curves, numbers at risk, log-rank and age-stratified log-rank tests, RMST
  (``survival.py``, ``ij_eval.stats.rmst``; descriptive);
- the adjusted effect of being referred to IJ (intention to treat) against the comparison
  cohort: a Cox model with the declared covariates, propensity-score matching and inverse
  probability weighting (``matching.py``), with balance tables, an E-value and the minimum
  detectable difference. These are causal estimates only if no unmeasured confounder differs
  between the cohorts; completers, non-completers and refusers are compared descriptively
  because completion happens after referral;
- first-time entrants (``first_time_entrants.py``).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import polars as pl
from lifelines.exceptions import ConvergenceError

from ij_eval.config import EvaluationConfig
from ij_eval.errors import IJEvalError
from ij_eval.privacy.screen import Screen, Screened, Source
from ij_eval.stats.evalue import evalue_hazard_ratio
from ij_eval.stats.power import minimum_detectable_difference
from ij_eval.stats.rmst import rmst_difference
from ij_eval.strands.base import NOT_ESTIMABLE, FigureSpec, Headline, StrandResult, TableCell, attempt
from ij_eval.strands.reoffending import matching, survival
from ij_eval.strands.reoffending.cohort import build_cohort
from ij_eval.strands.reoffending.first_time_entrants import first_time_entrants, monthly_first_time_entrants
from ij_eval.strands.reoffending.rates import MEASURE_LABELS, fixed_window_rates, jdl_sentence, offence_types

NAME = "reoffending"
TITLE = "Reoffending"
REQUIRES = ("referrals", "offences")

CAUSAL = "causal if no unmeasured confounding"
FIT_ERRORS = (np.linalg.LinAlgError, ConvergenceError)
DESCRIPTIVE = "descriptive"
STATUS_GROUPS = ("completed", "did_not_complete", "refused")
EFFECT_COLUMNS = {"term": pl.String, "label": pl.String, "estimate": pl.Float64, "std_error": pl.Float64,
                  "ci_lower": pl.Float64, "ci_upper": pl.Float64, "p_value": pl.Float64, "scale": pl.String,
                  "method": pl.String, "contrast": pl.String, "n": pl.Int64}


def _survival_frame(people: pl.DataFrame, measure: str, covariates: tuple[str, ...], *, itt: bool) -> pl.DataFrame:
    """time, event, group (IJ status, or ij/comparison for intention to treat), stratum and covariates."""
    group = pl.col("cohort") if itt else pl.col("group")
    frame = people.select(
        "person_id", time=pl.col(f"{measure}_time"), event=pl.col(f"{measure}_event"), group=group,
        stratum=pl.col("age_group"),
        **{c: (pl.col(c).fill_null("unknown") if people[c].dtype == pl.String else pl.col(c)) for c in covariates},
    )
    return frame if itt else frame.filter(pl.col("group").is_in([*STATUS_GROUPS, "comparison"]))


def _rate_cell(measure: str, group: str) -> TableCell:
    """The rates-table cell a rate headline repeats (disclosure control hides both together)."""
    return TableCell("reoffending_rates", (("measure", measure), ("group", group), ("age_group", "all")), "rate")


def _rmst(frame: pl.DataFrame, horizon: int, notes: list[str]) -> pl.DataFrame:
    """RMST by group against the comparison cohort, to the horizon or the shortest group's follow-up."""
    data = frame.filter(pl.col("time") > 0)
    tau = min(horizon, int(data.group_by("group").agg(pl.col("time").max())["time"].min()))
    if tau < horizon:
        notes.append(f"Restricted mean survival time is taken to {tau} days, the longest follow-up every group "
                     f"reaches, not to {horizon} days.")
    return rmst_difference(data["time"], data["event"], data["group"], tau, reference="comparison").with_columns(
        tau=pl.lit(tau))


def _fit(notes: list[str], what: str, fit):
    """Fit a model; a numerical failure (too few events in some level, separation) becomes a note."""
    try:
        return fit()
    except FIT_ERRORS as exc:
        notes.append(f"Could not fit {what}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return None


def _categorical(frame: pl.DataFrame, covariates: tuple[str, ...]) -> list[str]:
    return [c for c in covariates if frame[c].dtype == pl.String]


def _effect(term: str, label: str, row: dict, *, scale: str, method: str, contrast: str, n: int) -> dict:
    keys = ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")
    return {"term": term, "label": label, **{k: row.get(k) for k in keys}, "scale": scale, "method": method,
            "contrast": contrast, "n": n}


def _hazard_ratio(result: survival.CoxResult, term: str, label: str, method: str, contrast: str) -> dict:
    row = result.table.filter(pl.col("term") == "group=ij").row(0, named=True)
    return _effect(term, label, {"estimate": row["hazard_ratio"], "std_error": row["std_error"],
                                 "ci_lower": row["hr_ci_lower"], "ci_upper": row["hr_ci_upper"],
                                 "p_value": row["p_value"]},
                   scale="hazard ratio", method=method, contrast=contrast, n=result.n)


def _adjusted(itt: pl.DataFrame, people: pl.DataFrame, covariates: tuple[str, ...], config: EvaluationConfig,
              measure: str) -> tuple[list[dict], dict[str, pl.DataFrame], list[str], pl.DataFrame | None]:
    """Propensity matching and weighting: effects, tables, notes and the matched survival frame."""
    r = config.reoffending
    frame = itt.with_columns(treated=(pl.col("group") == "ij").cast(pl.Int8))
    model = matching.propensity_scores(frame, list(covariates), min_group_size=r.min_group_size)
    matched = matching.nearest_neighbour_match(model, caliper_sd=r.caliper_sd)
    weights = matching.ipw_weights(model, estimand="ATT")
    balance = matching.balance_before_after(frame, list(covariates), matched=matched, weighted=weights)
    tables = {"reoffending_balance": balance, "reoffending_propensity": model.coefficients,
              "reoffending_common_support": matching.common_support(model.scores, model.treated),
              "reoffending_matching": matched.counts()}
    matched_frame = matched.frame.select("person_id", "time", "event", "group", "weights", "subclass")
    weighted_frame = frame.with_columns(weights=pl.Series(weights.weights))
    effects = [
        _hazard_ratio(survival.cox(matched_frame, [], reference_group="comparison", weights="weights", robust=True),
                      "matched_hazard_ratio", "Matched (propensity score, 1:1 within caliper)",
                      "Cox on the matched sample, robust standard errors", CAUSAL),
        _hazard_ratio(survival.cox(weighted_frame, [], reference_group="comparison", weights="weights", robust=True),
                      "ipw_hazard_ratio", "Weighted (inverse probability, ATT)",
                      "Cox weighted by the odds of the propensity score, robust standard errors", CAUSAL),
    ]
    complete = people.join(matched.frame.select("person_id"), on="person_id").filter(pl.col(f"{measure}_complete"))
    matched_rates = fixed_window_rates(complete, measures=(measure,), minimum=r.min_group_size).filter(
        (pl.col("group") == "ij_all") & (pl.col("age_group") == "all")).row(0, named=True)
    if matched_rates["difference"] is not None:
        effects.append(_effect(
            "matched_risk_difference", "Matched: difference in the fixed-window rate",
            {"estimate": matched_rates["difference"], "ci_lower": matched_rates["diff_ci_lower"],
             "ci_upper": matched_rates["diff_ci_upper"], "p_value": matched_rates["diff_p_value"]},
            scale="risk difference", method="matched sample with a complete window; Newcombe interval", contrast=CAUSAL,
            n=matched_rates["n"]))
    worst = balance.filter(pl.col("sample") != "before").group_by("sample").agg(pl.col("smd").abs().max())
    notes = [f"Matching kept {matched.n_treated_matched:,} of {matched.n_treated:,} people referred to IJ "
             f"(caliper {r.caliper_sd} SD of the logit propensity score); weighting's effective comparison sample "
             f"is {weights.ess_control:,.0f}. Largest standardised mean difference after adjustment: "
             + ", ".join(f"{s} {v:.3f}" for s, v in worst.sort("sample").iter_rows()) + "."]
    return effects, tables, notes, matched_frame


def _publishable_levels(people: pl.DataFrame, referrals, screen: Screen | None = None
                        ) -> tuple[pl.DataFrame, tuple[Screened, ...]]:
    """``people`` with the text levels of each declared covariate column (``referrals.covariates``, not the
    schema's closed categories) as they may be published: a level the free-text screen withholds
    ("brother of Kyle Smith") becomes "[withheld: ...] #1", #2 ... (still distinct, so every estimate is
    unchanged) in every table, figure and note built on it; and the levels withheld or approved."""
    screen = screen or Screen()
    listed: list[Screened] = []
    for column in referrals.covariates:
        if column not in people.columns or people[column].dtype != pl.String:
            continue
        rows: dict[str, list[int]] = {}
        frame = referrals.frame
        if column in frame.columns and "__row" in frame.columns:
            for v, row in frame.select(pl.col(column).cast(pl.String), "__row").iter_rows():
                rows.setdefault(v, []).append(row)
        mapping, found = screen.labels(people[column].unique().sort().to_list(), Source("referrals", column),
                                       rows=rows, distinct=True)
        listed += found
        if any(k != v for k, v in mapping.items()):
            people = people.with_columns(pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String))
    return people, tuple(listed)


def run(inputs, config: EvaluationConfig) -> StrandResult:
    r = config.reoffending
    referrals = inputs.tables["referrals"]
    offences = inputs.frame("offences")
    cohort = build_cohort(referrals.frame, offences, config, referrals_file=referrals.file,
                          covariates=referrals.covariates)
    people, screened = _publishable_levels(cohort.people, referrals, Screen.from_config(config))
    measure = r.primary_measure
    covariates = tuple(dict.fromkeys((*r.covariates, *referrals.covariates)))
    notes = list(cohort.notes)

    rates = fixed_window_rates(people, minimum=r.min_group_size)
    status = _survival_frame(people, measure, covariates, itt=False)
    itt = _survival_frame(people, measure, covariates, itt=True)
    sizes = dict(itt.filter(pl.col("time") > 0).group_by("group").len().iter_rows())
    too_small = [f"{g} {sizes.get(g, 0)}" for g in ("ij", "comparison") if sizes.get(g, 0) < r.min_group_size]
    if too_small:
        return _rates_only(rates, cohort, notes, f"too few people with follow-up ({', '.join(too_small)}; at least "
                           f"{r.min_group_size} are needed in each cohort; [reoffending] min_group_size)")
    try:
        return _estimates(people, cohort, offences, rates, status, itt, covariates, config, list(notes),
                          screened)
    except NOT_ESTIMABLE as exc:  # the survival analysis as a whole cannot be supported by these data
        return _rates_only(rates, cohort, notes, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _rates_only(rates: pl.DataFrame, cohort, notes: list[str], reason: str) -> StrandResult:
    """The fixed-window rates alone, with a note saying why nothing more was estimated."""
    notes = [*notes, f"Survival and adjusted analyses not run: {reason}."]
    return StrandResult(NAME, MappingProxyType({}), MappingProxyType({"reoffending_rates": rates}), (),
                        cohort.exclusions, tuple(notes))


def _estimates(people: pl.DataFrame, cohort, offences: pl.DataFrame, rates: pl.DataFrame, status: pl.DataFrame,
               itt: pl.DataFrame, covariates: tuple[str, ...], config: EvaluationConfig,
               notes: list[str], screened: tuple[Screened, ...]) -> StrandResult:
    """Survival curves and tests, the adjusted effects and first-time entrants, for cohorts large enough."""
    r = config.reoffending
    measure, horizon = r.primary_measure, r.follow_up_days
    comparison_label = f"{r.comparison} comparison cohort"
    synthetic = config.scheme.synthetic
    status_sizes = dict(status.filter(pl.col("time") > 0).group_by("group").len().iter_rows())
    small_groups = sorted(g for g in STATUS_GROUPS if status_sizes.get(g, 0) < r.min_group_size)
    if small_groups:
        status = status.filter(~pl.col("group").is_in(small_groups))
        notes.append(f"Fewer than {r.min_group_size} people with follow-up in {', '.join(small_groups)}: "
                     "left out of the survival curves and tests by IJ status.")
    km = pl.concat([
        survival.kaplan_meier(status, horizon=horizon),
        survival.kaplan_meier(itt.filter(pl.col("group") == "ij"), horizon=horizon).with_columns(
            group=pl.lit("ij_all")),
    ]).with_columns(sample=pl.lit("all"))
    at_risk_times = [round(horizon * k / 4) for k in range(5)]
    at_risk = survival.numbers_at_risk(status, at_risk_times).with_columns(sample=pl.lit("all"))
    # Each comparison is a section: one the data cannot support (a single status group) becomes a note.
    tests = pl.concat([t for t in (
        attempt(notes, "The log-rank test by IJ status", lambda: survival.logrank(
            status, reference="comparison").with_columns(test=pl.lit("log-rank, IJ status groups"))),
        survival.logrank(itt, reference="comparison").with_columns(test=pl.lit("log-rank, all referred")),
        attempt(notes, "The log-rank test stratified by adults and children", lambda: survival.stratified_logrank(
            itt, "stratum", reference="comparison").with_columns(
            test=pl.lit("log-rank stratified by adults and children, all referred"))),
    ) if t is not None])
    by_status = attempt(notes, "Restricted mean survival time by IJ status", lambda: _rmst(
        status, horizon, notes).filter(~pl.col("term").str.starts_with("rmst: comparison")))
    rmst = pl.concat([_rmst(itt, horizon, notes), *([by_status] if by_status is not None else [])])
    adjusted_cox = _fit(notes, "the adjusted Cox model", lambda: survival.cox(
        itt, list(covariates), reference_group="comparison", categorical=_categorical(itt, covariates)))
    naive_cox = _fit(notes, "the unadjusted Cox model", lambda: survival.cox(itt, [], reference_group="comparison"))
    itt_rates = rates.filter((pl.col("measure") == measure) & (pl.col("age_group") == "all"))
    itt_row = itt_rates.filter(pl.col("group") == "ij_all").row(0, named=True)
    comparison_row = itt_rates.filter(pl.col("group") == "comparison").row(0, named=True)
    effects = [
        _effect("naive_risk_difference", "Unadjusted: difference in the fixed-window rate",
                {"estimate": itt_row["difference"], "ci_lower": itt_row["diff_ci_lower"],
                 "ci_upper": itt_row["diff_ci_upper"], "p_value": itt_row["diff_p_value"]},
                scale="risk difference", method="all referred vs comparison; Newcombe interval", contrast=DESCRIPTIVE,
                n=itt_row["n"] + comparison_row["n"]),
    ]
    if naive_cox:
        effects.append(_hazard_ratio(naive_cox, "naive_hazard_ratio", "Unadjusted hazard ratio", "Cox, group only",
                                     DESCRIPTIVE))
    if adjusted_cox:
        effects.append(_hazard_ratio(adjusted_cox, "adjusted_hazard_ratio", "Adjusted for " + ", ".join(covariates),
                                     "Cox with the declared covariates (Efron ties)", CAUSAL))
    tables: dict[str, pl.DataFrame] = {}
    figures: list[FigureSpec] = []
    try:
        adjusted_effects, adjusted_tables, adjusted_notes, matched_frame = _adjusted(itt, people, covariates,
                                                                                   config, measure)
        effects += adjusted_effects
        tables.update(adjusted_tables)
        notes += adjusted_notes
        km = pl.concat([km, survival.kaplan_meier(matched_frame, horizon=horizon).with_columns(
            group=pl.col("group").replace("ij", "ij_all"), sample=pl.lit("matched"))])
        at_risk = pl.concat([at_risk, survival.numbers_at_risk(matched_frame, at_risk_times).with_columns(
            group=pl.col("group").replace("ij", "ij_all"), sample=pl.lit("matched"))])
    except (IJEvalError, *FIT_ERRORS) as exc:
        notes.append(f"No matched or weighted comparison: {exc}")
    effects_table = pl.DataFrame(effects, schema=EFFECT_COLUMNS)
    main_term = "matched_hazard_ratio" if r.matching == "nearest" else "ipw_hazard_ratio"
    for fallback in ("adjusted_hazard_ratio", "naive_hazard_ratio"):
        if main_term not in effects_table["term"]:
            main_term = fallback
    main = effects_table.filter(pl.col("term") == main_term).row(0, named=True) if main_term in effects_table[
        "term"] else None
    baseline = comparison_row["rate"]
    headlines: dict[str, Headline] = {}
    if baseline is not None and main is not None:
        e = evalue_hazard_ratio(main["estimate"], main["ci_lower"], main["ci_upper"], outcome_proportion=baseline)
        headlines["e_value"] = Headline(e.point, f"E-value for the {main['label'].lower()} (VanderWeele & Ding 2017)",
                                        caveat=e.interpretation)
        mdd = minimum_detectable_difference(itt_row["n"], comparison_row["n"], baseline)
        headlines["minimum_detectable_difference"] = Headline(
            mdd.decrease_pp, "smallest fall in the fixed-window rate detectable with 80% power, 5% two-sided",
            caveat=mdd.describe(), unit="percentage points", source=_rate_cell(measure, "comparison"))
    for group in ("ij_all", "completed", "comparison"):
        row = itt_rates.filter(pl.col("group") == group).row(0, named=True)
        headlines[f"rate_{group}"] = Headline(row["rate"], f"{MEASURE_LABELS[measure]} within {horizon} days; "
                                              "Wilson 95% interval", n=row["n"], ci_lower=row["ci_lower"],
                                              ci_upper=row["ci_upper"], caveat=row["note"], unit="proportion",
                                              count=row["reoffenders"], source=_rate_cell(measure, group))
    if main is not None:
            headlines["main_effect"] = Headline(main["estimate"], f"{main['label']}: {main['method']}", n=main["n"],
                                            ci_lower=main["ci_lower"], ci_upper=main["ci_upper"],
                                            caveat=f"IJ (all referred) vs the {comparison_label}; {main['contrast']}",
                                            unit="hazard ratio")
    itt_rmst = rmst.filter(pl.col("term") == "difference: ij - comparison").row(0, named=True)
    headlines["rmst_difference_days"] = Headline(
        itt_rmst["estimate"], f"difference in restricted mean time without reoffending to {itt_rmst['tau']} days",
        ci_lower=itt_rmst["ci_lower"], ci_upper=itt_rmst["ci_upper"], caveat=DESCRIPTIVE, unit="days")
    fte = first_time_entrants(people, offences, config)
    fte_monthly = monthly_first_time_entrants(offences, config.scheme.start,
                                              entry_disposals=r.entry_disposals)
    notes += [jdl_sentence(rates, group=g, measure=measure, comparison_label=comparison_label,
                           follow_up_days=horizon) for g in ("completed", "ij_all")]
    if adjusted_cox:
        notes.append(f"Proportional hazards (adjusted Cox model): {adjusted_cox.ph_verdict}")
    notes.append(f"Comparison cohort: {comparison_label}.")

    from ij_eval.plots.balance import plot_love
    from ij_eval.plots.reoffending import plot_forest, plot_km

    def km_figure(data, *, synthetic=False):
        curves, risk = data
        return plot_km(curves, risk, synthetic=synthetic, horizon=horizon)

    all_km = km.filter((pl.col("sample") == "all") & (pl.col("group") != "ij_all"))
    all_risk = at_risk.filter(pl.col("sample") == "all")
    figures.append(FigureSpec(
        "reoffending_km", "Time to first reoffence by group",
        f"Kaplan-Meier curves of the share not yet reoffending ({MEASURE_LABELS[measure]}) over {horizon} days "
        "for people who completed, did not complete or refused Immediate Justice and for the comparison cohort, "
        "with 95% bands and a numbers-at-risk table.", (all_km, all_risk), km_figure))
    if "matched" in km["sample"]:
        figures.append(FigureSpec(
            "reoffending_km_matched", "Time to first reoffence, matched sample",
            "Kaplan-Meier curves for people referred to Immediate Justice and their matched comparison cohort, "
            "with 95% bands and a numbers-at-risk table.",
            (km.filter(pl.col("sample") == "matched"), at_risk.filter(pl.col("sample") == "matched")), km_figure))
        figures.append(FigureSpec(
            "reoffending_love_plot", "Covariate balance before and after adjustment",
            "Love plot of absolute standardised mean differences for each covariate before adjustment, after "
            "matching and after weighting, with a dashed line at 0.1.", tables["reoffending_balance"], plot_love))
    figures.append(FigureSpec(
        "reoffending_forest", "Hazard ratios for reoffending, IJ vs comparison",
        "Forest plot of hazard ratios with 95% intervals for people referred to Immediate Justice against the "
        "comparison cohort: unadjusted, adjusted, matched and weighted.",
        effects_table.filter(pl.col("scale") == "hazard ratio"), plot_forest))
    named = {"comparison_cohort": pl.lit(comparison_label)}  # every output names its comparison
    rates, effects_table, tests = (t.with_columns(**named) for t in (rates, effects_table, tests))
    tables.update({
        "reoffending_rates": rates, "reoffending_km": km, "reoffending_at_risk": at_risk,
        "reoffending_tests": tests, "reoffending_rmst": rmst,
        "reoffending_effects": effects_table, "reoffending_first_time_entrants": fte,
        "reoffending_offence_types": offence_types(people, cohort.reoffences, minimum=r.min_group_size),
        "reoffending_first_time_entrants_monthly": fte_monthly,
    })
    if adjusted_cox:
        tables.update({"reoffending_cox": adjusted_cox.table, "reoffending_ph_test": adjusted_cox.ph_test})
    if synthetic:
        notes.append("Synthetic data: these figures illustrate the method and describe no real scheme.")
    return StrandResult(NAME, MappingProxyType(headlines), MappingProxyType(dict(sorted(tables.items()))),
                        tuple(figures), cohort.exclusions, tuple(notes), screened=screened)
