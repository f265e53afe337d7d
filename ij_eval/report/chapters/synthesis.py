"""Chapters that draw the strands together: equality, EMMIE, limitations, conclusions."""

from __future__ import annotations

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import COUNT, PERCENT, TEXT, frame_table, opening
from ij_eval.report.chapters.strands import GROUPS
from ij_eval.report.findings import findings
from ij_eval.report.markdown import bullets, join, table, tbl_ref
from ij_eval.report.store import ResultsStore

PROTECTED = ("sex", "ethnicity", "disability", "age")


def equality(store: ResultsStore) -> str:
    parts = [opening(store, "Equality", "equality"),
             "This chapter asks whether Immediate Justice reaches, and works for, different groups of people alike. "
             "Referral, completion and refusal by sex, ethnicity and disability come with the implementation "
             "analysis; what the present results allow is below.\n"]
    if store.has_table("reoffending_balance"):
        balance = store.table("reoffending_balance").filter(
            (pl.col("sample") == "before") & pl.col("covariate").str.contains(r"^(sex|ethnicity|disability)"))
        if balance.height:
            parts += [f"{tbl_ref('equality-make-up')} compares the make-up of the people referred with the "
                      "comparison cohort (all people, before matching).\n",
                      frame_table(balance, {"covariate": ("Characteristic", TEXT),
                                            "mean_treated": ("IJ referred", PERCENT),
                                            "mean_control": ("Comparison cohort", PERCENT)},
                                  label="equality-make-up", caption="Make-up of the IJ and comparison cohorts")]
    measure = store.config.get("reoffending", {}).get("primary_measure", "proven")
    if store.has_table("reoffending_rates"):
        by_age = store.table("reoffending_rates").filter(
            (pl.col("measure") == measure) & (pl.col("age_group") != "all")
            & pl.col("group").is_in(["ij_all", "comparison"])).with_columns(pl.col("group").replace(GROUPS))
        if by_age.height:
            parts += [f"{tbl_ref('equality-age')} gives the reoffending rates of adults and children "
                      "(descriptive).\n",
                      frame_table(by_age, {"group": ("Group", TEXT), "age_group": ("Age group", TEXT),
                                           "n": ("People", COUNT), "reoffenders": ("Reoffended", COUNT),
                                           "rate": ("Rate", PERCENT), "ci_lower": ("95% CI from", PERCENT),
                                           "ci_upper": ("to", PERCENT)},
                                  label="equality-age", caption=f"Fixed-window {measure} reoffending by age group "
                                  "(descriptive)", counts=["n", "reoffenders"])]
    if len(parts) == 2:
        parts.append("No equality breakdowns are available in this results store.\n")
    return join(*parts)


def emmie_rows(store: ResultsStore) -> list[list[str]]:
    """The EMMIE summary: dimension, rating, evidence (College of Policing Crime Reduction Toolkit)."""
    found = {f.key: f for f in findings(store)}
    effect = [f for f in (found["reoffending"], found["hotspots"]) if f.answered]
    if effect:
        level = max(f.sms_level or 0 for f in effect)
        effect_rating = f"{'Some' if level < 4 else 'Good'} evidence (Maryland level up to {level} of 5)"
        effect_text = " ".join(f.answer.split(". ")[0] + "." for f in effect)
    else:
        effect_rating, effect_text = "Not assessed", "Neither the reoffending nor the hotspot analysis ran."
    mechanism = ("Not tested", "The logic model states the intended mechanisms (swift, visible reparation; "
                 "contact with victims). Participants' and victims' accounts, which would test them, come with the "
                 "experience analysis.")
    if found["experience"].answered:
        mechanism = ("Partly tested", "What participants and victims say about the intended mechanisms "
                     f"(descriptive): {found['experience'].short or found['experience'].answer}")
    moderators = ("Not assessed", "No breakdowns by group are available.")
    if store.has_table("reoffending_rates"):
        moderators = ("Descriptive only", "Reoffending rates are given for adults and children separately "
                      "(descriptive; see the Equality chapter); whether the effect differs between groups has "
                      "not been tested.")
    implementation = ("Not assessed", found["implementation"].answer)
    if found["implementation"].answered:
        implementation = ("Assessed (descriptive)", found["implementation"].short or found["implementation"].answer)
    elif store.has_table("overview_referrals"):
        referrals = store.table("overview_referrals").filter(pl.col("cohort") == "ij")
        total = referrals["n"].sum()
        done = referrals.filter(pl.col("status") == "completed")["n"].sum()
        if total and referrals["n"].null_count() == 0:
            implementation = ("Partly assessed", f"{fmt.count(done)} of {fmt.count(total)} referrals "
                              f"({fmt.percent(done / total)}) were completed. Timeliness, hours and fidelity to the "
                              "design come with the implementation analysis.")
    vfm = found["value_for_money"]
    economic = ("Assessed (cost-benefit appraisal)", vfm.short or vfm.answer) if vfm.answered else \
        ("Not assessed", vfm.answer)
    return [["Effect", effect_rating, effect_text], ["Mechanism", *mechanism], ["Moderators", *moderators],
            ["Implementation", *implementation], ["Economic cost", *economic]]


def emmie(store: ResultsStore) -> str:
    return join(
        opening(store, "The evidence in EMMIE terms", "emmie"),
        "The College of Policing's Crime Reduction Toolkit summarises the evidence on an intervention under five "
        "headings: its Effect, the Mechanism by which it works, the Moderators that change how well it works, its "
        f"Implementation and its Economic cost (EMMIE). {tbl_ref('emmie')} applies them to this evaluation; each "
        "rating is drawn from the results in the chapters before.\n",
        table(emmie_rows(store), ["Dimension", "Rating", "Evidence"], label="emmie",
              caption="EMMIE summary of the evidence from this evaluation", align="lll"),
    )


def limitations(store: ResultsStore) -> str:
    items = []
    if store.ran("reoffending"):
        items += [
            "**Unmeasured differences.** The reoffending comparison balances recorded characteristics only. People "
            "referred to Immediate Justice may differ from the comparison cohort in ways the data do not record "
            "(motivation, family support, the officer's judgement); the E-value in the Reoffending chapter says "
            "how strong such a difference would have to be.",
            "**Follow-up still running.** Rates use only people whose whole follow-up window (plus the waiting "
            "period for offences to be proven) had closed by the extract date; later referrals add to the survival "
            "analysis but not to the rates.",
            "**Recorded offending.** Reoffending is offending that was detected and proven; a change in detection "
            "looks like a change in reoffending.",
        ]
    if store.ran("hotspots"):
        items += [
            "**Choice of hotspots.** Hotspots are chosen because ASB there is high, so part of any fall may be a "
            "return towards usual levels; comparison areas only partly remove this.",
            "**Recorded ASB.** Counts are incidents reported to and recorded by the police; more patrols can raise "
            "reporting while reducing the behaviour.",
            "**Other activity.** Other local initiatives starting at the same time in the hotspots would be credited "
            "to Immediate Justice.",
        ]
    missing = [f.key.replace("_", " ") for f in findings(store) if not f.answered]
    if missing:
        items.append(f"**Questions not answered.** This run has no results for: {', '.join(missing)}.")
    if store.synthetic:
        items.append("**Synthetic data.** This report is built from synthetic demonstration data; it describes no "
                     "real scheme, place or person.")
    return join(opening(store, "Limitations", "limitations"), bullets(items) if items else "None recorded.\n")


def conclusions(store: ResultsStore) -> str:
    found = findings(store)
    parts = [opening(store, "Conclusions and recommendations", "conclusions"),
             "## Conclusions {#sec-conclusions-findings}\n"]
    parts.append(bullets([f"**{f.question}** {f.answer}" for f in found]))
    parts.append("## Recommendations {#sec-conclusions-recommendations}\n")
    recs = [f.next_step for f in found if f.answered]
    unanswered = [f.key.replace("_", " ") for f in found if not f.answered]
    if unanswered:
        recs.append(f"Collect and supply the data needed to answer the remaining questions ({', '.join(unanswered)}).")
    recs.append("Publish this report with its technical appendices so others can check the methods.")
    parts.append(bullets(recs))
    return join(*parts)


