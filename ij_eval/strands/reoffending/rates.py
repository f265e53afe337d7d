"""Fixed-window reoffending measures per group, differences from the comparison cohort, and the
Justice Data Lab-style sentence that reports them.

Every contrast here is descriptive: the groups differ in who they are (see ``matching.py`` and
the Cox model for adjusted estimates). Only people whose window is complete are counted.
"""

from __future__ import annotations

import math

import polars as pl
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

#: Groups reported, in order: (key, label, rows of the cohort it covers).
IJ_STATUSES = ("completed", "did_not_complete", "refused")
GROUP_LABELS = {
    "completed": "completed Immediate Justice",
    "did_not_complete": "started but did not complete Immediate Justice",
    "refused": "refused Immediate Justice",
    "ij_all": "were referred to Immediate Justice (all referred, intention to treat)",
    "comparison": "were in the comparison cohort",
}
AGE_GROUPS = ("all", "adult", "child")
MEASURE_LABELS = {"proven": "proven reoffending (MoJ-style)", "local": "any recorded reoffence or ASB (local measure)"}


def _members(people: pl.DataFrame, group: str, age_group: str) -> pl.DataFrame:
    rows = people.filter(pl.col("cohort") == "ij") if group == "ij_all" else people.filter(pl.col("group") == group)
    return rows if age_group == "all" else rows.filter(pl.col("age_group") == age_group)


def _summary(rows: pl.DataFrame, measure: str, minimum: int) -> dict:
    done = rows.filter(pl.col(f"{measure}_complete"))
    n = done.height
    reoffenders = int(done[f"{measure}_reoffended"].sum())
    offences = int(done[f"{measure}_offences"].sum())
    out = {"n": n, "reoffenders": reoffenders, "offences": offences, "rate": None, "ci_lower": None,
           "ci_upper": None, "offences_per_person": None, "offences_per_reoffender": None,
           "offences_per_reoffender_se": None, "mean_days_to_first": None, "note": ""}
    if n < minimum:
        out["note"] = f"fewer than {minimum} people with a complete window: not analysed"
        return out
    low, high = proportion_confint(reoffenders, n, alpha=0.05, method="wilson")
    days = done[f"{measure}_days_to_first"].drop_nulls()
    out.update(rate=reoffenders / n, ci_lower=float(low), ci_upper=float(high),
               offences_per_person=offences / n,
               offences_per_reoffender=offences / reoffenders if reoffenders else None,
               offences_per_reoffender_se=_standard_error(done.filter(pl.col(f"{measure}_reoffended"))[
                   f"{measure}_offences"]),
               mean_days_to_first=float(days.mean()) if days.len() else None)
    return out


def _standard_error(values: pl.Series) -> float | None:
    """Standard error of a mean (None for fewer than two values)."""
    return float(values.std() / math.sqrt(values.len())) if values.len() > 1 else None


def _difference(a: dict, b: dict) -> dict:
    """Rate of ``a`` minus rate of ``b``: Newcombe hybrid-score 95% interval and score-test p-value."""
    none = {"difference": None, "diff_ci_lower": None, "diff_ci_upper": None, "diff_p_value": None}
    if a["rate"] is None or b["rate"] is None:
        return none
    args = (a["reoffenders"], a["n"], b["reoffenders"], b["n"])
    low, high = confint_proportions_2indep(*args, method="newcomb", compare="diff")
    p = test_proportions_2indep(*args, method="score", compare="diff").pvalue
    return {"difference": a["rate"] - b["rate"], "diff_ci_lower": float(low), "diff_ci_upper": float(high),
            "diff_p_value": float(p) if not math.isnan(p) else None}


def fixed_window_rates(people: pl.DataFrame, *, measures: tuple[str, ...] = ("proven", "local"),
                       minimum: int = 20) -> pl.DataFrame:
    """One row per measure × group × age group with the rate, its Wilson interval, frequency,
    days to first reoffence and the (descriptive) difference from the comparison cohort."""
    records = []
    for measure in measures:
        for age_group in AGE_GROUPS:
            comparison = _summary(_members(people, "comparison", age_group), measure, minimum)
            for group in (*IJ_STATUSES, "ij_all", "comparison"):
                summary = _summary(_members(people, group, age_group), measure, minimum)
                diff = _difference(summary, comparison) if group != "comparison" else _difference({"rate": None}, {})
                records.append({"measure": measure, "group": group, "age_group": age_group, **summary, **diff,
                                "contrast": "descriptive"})
    schema = {"measure": pl.String, "group": pl.String, "age_group": pl.String, "n": pl.Int64,
              "reoffenders": pl.Int64, "offences": pl.Int64, "rate": pl.Float64, "ci_lower": pl.Float64,
              "ci_upper": pl.Float64, "offences_per_person": pl.Float64, "offences_per_reoffender": pl.Float64,
              "offences_per_reoffender_se": pl.Float64, "mean_days_to_first": pl.Float64, "note": pl.String,
              "difference": pl.Float64,
              "diff_ci_lower": pl.Float64, "diff_ci_upper": pl.Float64, "diff_p_value": pl.Float64,
              "contrast": pl.String}
    return pl.DataFrame(records, schema=schema)


def jdl_sentence(rates: pl.DataFrame, *, group: str, measure: str, comparison_label: str,
                 follow_up_days: int = 365) -> str:
    """The Justice Data Lab-style sentence for ``group`` against the comparison cohort (all ages)."""
    pick = rates.filter((pl.col("measure") == measure) & (pl.col("age_group") == "all"))
    row = pick.filter(pl.col("group") == group).row(0, named=True)
    comp = pick.filter(pl.col("group") == "comparison").row(0, named=True)
    window = "within a year" if follow_up_days == 365 else f"within {follow_up_days} days"
    if row["rate"] is None or comp["rate"] is None:
        return (f"Too few people who {GROUP_LABELS[group]} ({row['n']}) or in the comparison cohort "
                f"({comp['n']}) have a complete follow-up window to report {MEASURE_LABELS[measure]}.")
    per100 = round(100 * row["rate"])
    comp100 = round(100 * comp["rate"])
    text = (f"For every 100 people who {GROUP_LABELS[group]}, {per100} had {MEASURE_LABELS[measure]} {window}, "
            f"compared with {comp100} for every 100 people in the {comparison_label}.")
    low, high = 100 * row["diff_ci_lower"], 100 * row["diff_ci_upper"]
    if high < 0 or low > 0:
        direction = "fewer" if high < 0 else "more"
        a, b = sorted((abs(low), abs(high)))
        text += (f" The difference is statistically significant: between {a:.0f} and {b:.0f} {direction} people "
                 f"in every 100 reoffended (95% confidence interval).")
    else:
        text += (" The analysis does not provide enough evidence to say whether the difference is real: "
                 f"it could be anywhere from {abs(low):.0f} {'fewer' if low < 0 else 'more'} to "
                 f"{abs(high):.0f} {'more' if high > 0 else 'fewer'} people in every 100 (95% confidence interval).")
    text += (" This is a descriptive comparison of groups that differ in who they are, not an estimate of the"
             " effect of the scheme.")
    return text


def offence_types(people: pl.DataFrame, reoffences: pl.DataFrame, *, measures: tuple[str, ...] = ("proven", "local"),
                  minimum: int = 20) -> pl.DataFrame:
    """Reoffences in complete windows by offence type, for everyone referred to IJ and the comparison
    cohort: what kinds of offence the fixed-window rates count (and the value-for-money strand values)."""
    frames = []
    for measure in measures:
        counted = reoffences if measure == "local" else reoffences.filter(pl.col("proven"))
        for group in ("ij_all", "comparison"):
            members = _members(people, group, "all").filter(pl.col(f"{measure}_complete"))
            if members.height < minimum:
                continue
            frames.append(counted.join(members.select("person_id"), on="person_id").group_by("offence_type")
                          .agg(offences=pl.len()).with_columns(measure=pl.lit(measure), group=pl.lit(group)))
    schema = {"measure": pl.String, "group": pl.String, "offence_type": pl.String, "offences": pl.Int64}
    if not frames:
        return pl.DataFrame(schema={**schema, "share": pl.Float64})
    out = pl.concat([f.select(pl.col(c).cast(t) for c, t in schema.items()) for f in frames])
    return out.with_columns(share=pl.col("offences") / pl.col("offences").sum().over("measure", "group")).sort(
        "measure", "group", "offence_type")
