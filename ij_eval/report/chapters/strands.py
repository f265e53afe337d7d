"""The chapters of the effect strands: reoffending and hotspots."""

from __future__ import annotations

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import (
    COUNT,
    NUMBER1,
    P_VALUE,
    PERCENT,
    RATIO,
    TEXT,
    frame_table,
    not_run,
    notes_list,
    opening,
    upper_first,
)
from ij_eval.report.escape import md_text
from ij_eval.report.findings import displacement as displacement_finding
from ij_eval.report.findings import hotspots as hotspots_finding
from ij_eval.report.findings import reoffending as reoffending_finding
from ij_eval.report.markdown import callout, fig_ref, figure, join, tbl_ref
from ij_eval.report.store import ResultsStore

GROUPS = {"ij_all": "IJ, all referred", "completed": "IJ, completed", "refused": "IJ, refused",
          "did_not_complete": "IJ, did not complete", "in_progress": "IJ, in progress",
          "not_suitable": "IJ, not suitable", "comparison": "Comparison cohort"}
CONTRAST = {"descriptive": "descriptive", "causal if no unmeasured confounding": "causal*"}


def _sentence(text: str) -> str:
    """A caveat fragment (text) as a Markdown sentence: first letter up, full stop at the end."""
    text = text.strip()
    return md_text(upper_first(text) + ("" if text.endswith(".") else "."))


def _label_groups(frame: pl.DataFrame, column: str = "group") -> pl.DataFrame:
    return frame.with_columns(pl.col(column).replace(GROUPS))


def reoffending(store: ResultsStore) -> str:
    parts = [opening(store, "Reoffending", "reoffending")]
    if not store.ran("reoffending"):
        return join(*parts, not_run(store, "reoffending", "reoffending"))
    finding = reoffending_finding(store)
    main = store.headline("reoffending", "main_effect")
    if main is None or main["estimate"] is None:  # ran, but the data could not support an effect estimate
        parts += [finding.answer + "\n",
                  callout("important", "**No estimate of the effect.** The data could not support the survival and "
                                       "adjusted comparisons; the notes at the end of this chapter say why. "
                                       f"**Strength of evidence.** {finding.evidence}")]
    else:
        parts += [finding.answer + "\n",
                  callout("important", f"**Design caveat.** {_sentence(main['caveat'] or '')} "
                                       f"**Strength of evidence.** {finding.evidence}")]
    measure = store.config.get("reoffending", {}).get("primary_measure", "proven")
    if store.has_table("reoffending_rates"):
        rates = store.table("reoffending_rates").filter((pl.col("measure") == measure) & (pl.col("age_group") == "all"))
        parts += ["## Reoffending rates {#sec-reoffending-rates}\n",
                  f"{tbl_ref('reoffending-rates')} gives the share of each group with a {md_text(measure)} reoffence "
                  "within the fixed window, for people whose window had closed by the extract date. Comparisons "
                  "between IJ groups (completed, refused) and with the comparison cohort in this table are "
                  "descriptive: the groups differ in who they are.\n",
                  frame_table(_label_groups(rates),
                              {"group": ("Group", TEXT), "n": ("People", COUNT), "reoffenders": ("Reoffended", COUNT),
                               "rate": ("Rate", PERCENT), "ci_lower": ("95% CI from", PERCENT),
                               "ci_upper": ("to", PERCENT), "contrast": ("Comparison is", TEXT)},
                              label="reoffending-rates", caption=f"Fixed-window {measure} reoffending rates "
                              "(descriptive)", counts=["n", "reoffenders"])]
    # Each section only when the data supported it (a small cohort gets the rates alone; the notes say why).
    if store.figure("reoffending_km"):
        matched = (f"; {fig_ref('reoffending_km_matched')} does the same for the matched sample, where the groups "
                   "are balanced on recorded characteristics" if store.figure("reoffending_km_matched") else "")
        parts += ["## Time to first reoffence {#sec-reoffending-survival}\n",
                  f"{fig_ref('reoffending_km')} follows everyone from referral, including people whose follow-up is "
                  f"still running (censored, not dropped){matched}.\n",
                  figure(store, "reoffending_km"), figure(store, "reoffending_km_matched") if matched else ""]
    if store.has_table("reoffending_effects") and store.figure("reoffending_forest"):
        parts += ["## Estimates of the effect {#sec-reoffending-effects}\n",
                  f"{tbl_ref('reoffending-effects')} and {fig_ref('reoffending_forest')} set the headline "
                  "(matched) estimate beside the unadjusted, covariate-adjusted and weighted ones. Estimates marked "
                  "causal\\* are causal only if no unmeasured difference between the groups affects reoffending.\n",
                  frame_table(store.table("reoffending_effects").with_columns(pl.col("contrast").replace(CONTRAST)),
                              {"label": ("Estimate", TEXT), "scale": ("Scale", TEXT), "estimate": ("Value", RATIO),
                               "ci_lower": ("95% CI from", RATIO), "ci_upper": ("to", RATIO),
                               "p_value": ("p", P_VALUE), "contrast": ("Reading", TEXT)},
                              label="reoffending-effects", caption="Effect of IJ on reoffending, by method"),
                  figure(store, "reoffending_forest")]
    if store.figure("reoffending_love_plot"):
        parts += ["## Balance of the comparison {#sec-reoffending-balance}\n",
                  f"{fig_ref('reoffending_love_plot')} shows how different the groups were on each recorded "
                  "characteristic before and after matching or weighting (standardised mean differences; below 0.1 "
                  "is usually taken as balanced).\n", figure(store, "reoffending_love_plot")]
    evalue = store.headline("reoffending", "e_value")
    if evalue is not None:
        parts += ["## Sensitivity to what was not measured {#sec-reoffending-evalue}\n",
                  md_text(evalue["caveat"]) + "\n"]
    rmst = store.headline("reoffending", "rmst_difference_days")
    if rmst is not None and rmst["estimate"] is not None:
        parts.append(f"Over the first year, people referred spent on average {fmt.number(rmst['estimate'])} more days "
                     f"without a proven reoffence than the comparison cohort (between {fmt.number(rmst['ci_lower'])} "
                     f"and {fmt.number(rmst['ci_upper'])} days; restricted mean survival time, descriptive).\n")
    mdd = store.headline("reoffending", "minimum_detectable_difference")
    if mdd is not None:
        parts += ["## What this evaluation could detect {#sec-reoffending-power}\n", md_text(mdd["caveat"]) + "\n"]
    if store.has_table("reoffending_first_time_entrants"):
        fte = store.table("reoffending_first_time_entrants").filter(pl.col("age_group") == "all")
        parts += ["## First-time entrants {#sec-reoffending-fte}\n",
                  f"{tbl_ref('reoffending-fte')} counts people with no previous proven offence who entered the "
                  "criminal justice system (a conviction or caution) within the window: a force headline measure "
                  "(descriptive).\n",
                  frame_table(_label_groups(fte),
                              {"group": ("Group", TEXT), "eligible": ("People with no previous offence", COUNT),
                               "entrants": ("Entered the CJS", COUNT), "rate": ("Rate", PERCENT),
                               "ci_lower": ("95% CI from", PERCENT), "ci_upper": ("to", PERCENT)},
                              label="reoffending-fte", caption="First-time entrants to the criminal justice system",
                              counts=["eligible", "entrants"])]
    notes = notes_list(store, "reoffending", skip=("Synthetic data", "For every 100"))
    if notes:
        parts += ["## Notes from the analysis {#sec-reoffending-notes}\n", notes]
    return join(*parts)


def hotspots(store: ResultsStore) -> str:
    parts = [opening(store, "Anti-social behaviour in the hotspots", "hotspots")]
    if not store.ran("hotspots"):
        return join(*parts, not_run(store, "hotspots", "hotspot"))
    finding, moved = hotspots_finding(store), displacement_finding(store)
    parts += [finding.answer + "\n",
              callout("important", f"**Design caveat and strength of evidence.** {finding.evidence}"),
              f"{fig_ref('hotspots_series')} shows monthly ASB in the hotspots, the areas around them (buffers) and "
              "the comparison areas.\n", figure(store, "hotspots_series")]
    if store.has_table("hotspots_before_after"):
        parts += [f"{tbl_ref('hotspots-before-after')} compares the months before and after the start (descriptive: "
                  "it does not allow for trend or season).\n",
                  frame_table(store.table("hotspots_before_after"),
                              {"role": ("Areas", TEXT), "phase": ("Period", TEXT), "areas": ("Areas (n)", COUNT),
                               "area_months": ("Area-months", COUNT), "count": ("ASB incidents", COUNT),
                               "mean_per_area_month": ("Per area-month", NUMBER1),
                               "rate_per_1000_per_month": ("Per 1,000 people a month", RATIO)},
                              label="hotspots-before-after", caption="ASB before and after the start (descriptive)")]
    parts += ["## Against the comparison areas {#sec-hotspots-did}\n",
              f"{fig_ref('hotspots_event_study')} shows the hotspots against the comparison areas month by month "
              "around the start; estimates before the start near 1 mean the areas moved in step beforehand.\n",
              figure(store, "hotspots_event_study")]
    pre = store.headline("hotspots", "pretrend_hotspot")
    if pre is not None and pre["caveat"]:
        parts.append(f"Pre-trend check: {md_text(pre['caveat'])}.\n")
    if store.has_table("hotspots_did"):
        parts.append(frame_table(
            store.table("hotspots_did"),
            {"treated_role": ("Areas", TEXT), "estimator": ("Estimator", TEXT), "rate_ratio": ("Rate ratio", RATIO),
             "rr_ci_lower": ("95% CI from", RATIO), "rr_ci_upper": ("to", RATIO), "p_value": ("p", P_VALUE)},
            label="hotspots-did", caption="Difference-in-differences rate ratios (stacked: the headline; two-way "
            "fixed effects: for comparison only)"))
    parts += ["## Against their own past {#sec-hotspots-its}\n",
              f"{fig_ref('hotspots_counterfactual')} sets observed ASB in the hotspots against what their own trend "
              "and seasons predict without the scheme (interrupted time series; no comparison areas involved).\n",
              figure(store, "hotspots_counterfactual"),
              "## Displacement or diffusion of benefit {#sec-hotspots-displacement}\n", moved.answer + "\n"]
    wdq = store.headline("hotspots", "wdq_total")
    if wdq is not None and wdq["caveat"]:
        parts.append(f"Weighted displacement quotient for all hotspots together: {fmt.ratio(wdq['estimate'])}. "
                     f"{md_text(wdq['caveat'])}\n")
    parts.append(figure(store, "hotspots_displacement"))
    if store.has_table("hotspots_displacement"):
        parts.append(frame_table(
            store.table("hotspots_displacement"),
            {"area_id": ("Hotspot", TEXT), "buffer_id": ("Buffer", TEXT), "wdq": ("WDQ", RATIO),
             "wdd_estimate": ("Net change (incidents)", NUMBER1), "wdq_category": ("Reading", TEXT)},
            label="hotspots-displacement", caption="Displacement by hotspot (weighted displacement quotient and "
            "difference)"))
    parts.append("## Robustness {#sec-hotspots-robustness}\n")
    if store.has_table("hotspots_robustness_placebo"):
        placebo = store.table("hotspots_robustness_placebo").filter(pl.col("headline"))
        if placebo.height:
            p = placebo.row(0, named=True)
            parts.append(f"A placebo start ({md_text(p['check'])}) gives a rate ratio of {fmt.ratio(p['rate_ratio'])} "
                         f"(between {fmt.ratio(p['rr_ci_lower'])} and {fmt.ratio(p['rr_ci_upper'])}); an effect "
                         "before the scheme began would point to a difference the design does not remove.\n")
    if store.has_table("hotspots_robustness_leave_one_out"):
        loo = store.table("hotspots_robustness_leave_one_out")
        if loo.height:
            parts.append(f"Leaving out one comparison area at a time, the rate ratio stays between "
                         f"{fmt.ratio(loo['rate_ratio'].min())} and {fmt.ratio(loo['rate_ratio'].max())}.\n")
    notes = notes_list(store, "hotspots")
    if notes:
        parts += ["## Notes from the analysis {#sec-hotspots-notes}\n", notes]
    return join(*parts)
