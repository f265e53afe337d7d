"""The front of the report: title page, executive summary, the scheme, questions and design, data and methods."""

from __future__ import annotations

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import COUNT, TEXT, frame_table, opening, upper_first
from ij_eval.report.escape import md_text
from ij_eval.report.findings import SMS_GLOSS, SMS_LEVELS, findings
from ij_eval.report.markdown import bullets, callout, fig_ref, figure, join, table, tbl_ref
from ij_eval.report.store import ResultsStore


def title_fields(store: ResultsStore) -> dict[str, str]:
    """Title-page fields, all from the store, as plain text (each renderer escapes them for its format)."""
    data = store.results.get("data", {})
    return {"title": f"{store.scheme.get('name') or 'Immediate Justice'}: an independent evaluation",
            "subtitle": "Independent evaluation",
            "force": store.scheme.get("force") or "",
            "team": store.scheme.get("evaluation_team") or "",
            "date": fmt.date(data.get("extract_date")),
            "period": f"{fmt.date(data.get('period_start'))} to {fmt.date(data.get('period_end'))}"}


def _scope(store: ResultsStore) -> str:
    scheme = store.scheme
    ij = store.headline("overview", "ij_referrals")
    people = store.headline("overview", "ij_people")
    data = store.results.get("data", {})
    text = (f"This is an independent evaluation of {md_text(scheme.get('name') or 'Immediate Justice')}"
            f"{' in ' + md_text(scheme['force']) if scheme.get('force') else ''}, which started in "
            f"{fmt.month(scheme.get('start'))}. It covers referrals from {fmt.date(data.get('period_start'))} to "
            f"{fmt.date(data.get('period_end'))}")
    if ij is not None and people is not None:
        text += f": {fmt.count(ij['estimate'])} referrals of {fmt.count(people['estimate'])} people"
    return text + "."


def executive_summary(store: ResultsStore) -> str:
    found = findings(store)
    answered = [f for f in found if f.answered]
    open_questions = [f for f in found if not f.answered]
    parts = [opening(store, "Executive summary", "index"), _scope(store),
             "## What we found {#sec-summary-findings}\n"]
    for f in answered:
        parts.append(f"**{f.question}** {f.answer}\n\n*How strong is the evidence?* {f.evidence}\n")
    if open_questions:
        parts.append("## Questions this run could not answer {#sec-summary-open}\n")
        parts.append(bullets([f"**{f.question}** {f.answer}" for f in open_questions]))
    parts.append("## What to do next {#sec-summary-next}\n")
    parts.append(bullets([f.next_step for f in answered] or ["Supply the data the analyses need and re-run."]))
    parts.append(callout("note", "Every estimate comes with a 95% confidence interval: the range of values "
                                 "compatible with the data. Estimates of the scheme's effect are causal only under "
                                 "the design's assumptions, stated beside each one; comparisons between groups "
                                 "that differ in who they are (for example people who completed against people "
                                 "who refused) are descriptive and are labelled so."))
    return join(*parts)


def scheme(store: ResultsStore) -> str:
    s = store.scheme
    parts = [opening(store, "The scheme and its logic model", "scheme"),
             f"{md_text(s.get('name') or 'Immediate Justice')} gives people caught committing low-level anti-social "
             "behaviour (ASB) swift, visible reparative work in the community, usually starting within 48 hours "
             "of the police decision, alongside an out-of-court disposal. The scheme "
             f"{'in ' + md_text(s['force']) + ' ' if s.get('force') else ''}started in {fmt.month(s.get('start'))}.\n"]
    if store.figure("overview_logic_model"):
        parts += [f"The logic model ({fig_ref('overview_logic_model')}) sets out how the scheme is meant to work: "
                  "the inputs that fund and staff it, what it does, what it produces and the outcomes it aims "
                  "for. The evaluation questions in the next chapter test its outcomes.\n",
                  figure(store, "overview_logic_model")]
    if store.ran("overview"):
        ij, months = store.headline("overview", "ij_referrals"), store.headline("overview", "referral_months")
        if ij is not None and months is not None:
            parts.append(f"In the data supplied, {fmt.count(ij['estimate'])} referrals to the scheme were made "
                         f"over {fmt.count(months['estimate'])} months ({fig_ref('overview_referrals_by_month')}).\n")
        parts.append(figure(store, "overview_referrals_by_month"))
        if store.has_table("overview_referrals"):
            parts.append(f"{tbl_ref('overview-referrals')} shows the referrals by outcome and age group.\n")
            parts.append(frame_table(
                store.table("overview_referrals"),
                {"cohort": ("Cohort", TEXT), "status": ("Status", TEXT), "age_group": ("Age group", TEXT),
                 "n": ("People", COUNT)},
                label="overview-referrals", caption="Referrals and comparison cohort by status and age group",
                counts=["n"]))
    return join(*parts)


def sms_table(store: ResultsStore) -> str:
    rows = []
    for f in findings(store):
        if f.sms_level is None:  # descriptive or economic strands have a design but no Maryland level
            design = upper_first(f.design) if f.answered and f.design else "not run"
            rows.append([f.question, design, "–", "not a causal design" if design != "not run" else "–"])
        else:
            rows.append([f.question, f.design, str(f.sms_level), SMS_LEVELS[f.sms_level]])
    return table(rows, ["Question", "Design", "Maryland level", "What that level means"],
                 label="design", caption="Evaluation questions, designs and their Maryland Scientific Methods "
                                         "Scale level", align="llcl")


def design(store: ResultsStore) -> str:
    return join(
        opening(store, "Evaluation questions and design", "design"),
        "The evaluation asks six questions, set by what forces and their Police and Crime Commissioners must "
        f"answer about Immediate Justice. {tbl_ref('design')} gives the design that answers each and its level "
        f"on the Maryland Scientific Methods Scale ({SMS_GLOSS}).\n",
        sms_table(store),
        "## Why these levels {#sec-design-levels}\n",
        bullets([
            "**Reoffending (level 3).** People referred to Immediate Justice are compared with a concurrent group "
            "dealt with in other ways, matched on their recorded characteristics (propensity-score matching), "
            "with outcomes followed over the same fixed window. Matching can only balance what was recorded, so "
            "the design is not rated higher; the sensitivity analysis (E-value) says how strong an unrecorded "
            "difference would have to be to explain the result away.",
            "**Hotspots (level 3 or 4).** ASB in the hotspots is compared before and after the scheme with several "
            "comparison areas, allowing for trend, season and population (difference-in-differences). When the "
            "event study shows the areas moved in step before the scheme, the comparison earns level 4; otherwise "
            "level 3.",
            "**Displacement (level 3).** The areas around each hotspot are compared with the comparison areas in "
            "the same way.",
            "**Implementation, experience and value for money.** Descriptive measures of delivery, survey "
            "responses with their base sizes, and a cost-benefit model built on the estimates above; these are "
            "not rated on the scale.",
        ]),
    )


def data_methods(store: ResultsStore) -> str:
    parts = [opening(store, "Data and methods", "data-methods"), "## Data {#sec-data}\n"]
    if store.has_table("overview_inputs"):
        parts += [f"{tbl_ref('overview-inputs')} lists the tables supplied; every row is either used or listed, "
                  "with its reason, among the exclusions (appendix).\n",
                  frame_table(store.table("overview_inputs"),
                              {"table": ("Table", TEXT), "file": ("File", TEXT), "rows": ("Rows", COUNT)},
                              label="overview-inputs", caption="Input tables and their rows")]
    parts.append("Person identifiers were replaced by keyed pseudonyms before analysis; names, addresses and "
                 "dates of birth never enter the results.\n")
    parts.append("## Methods {#sec-methods}\n")
    parts.append(bullets([
        "**Reoffending.** Proven reoffending in the Ministry of Justice style: an offence committed within a "
        "fixed follow-up window after the referral and proven (charged, convicted or cautioned) within a "
        "further waiting period; a local measure that also counts community resolutions and repeat ASB. "
        "Fixed-window rates with Wilson intervals; time to first reoffence with Kaplan–Meier curves and Cox "
        "models (robust standard errors, proportional-hazards checks); restricted mean time without "
        "reoffending; a propensity-score matched comparison (and inverse-probability weighting as a check) "
        "with a balance table; sensitivity to unmeasured confounding (E-value).",
        "**Hotspots.** Monthly ASB counts per area. Interrupted time series (Poisson with overdispersion, "
        "population offset, trend, seasonal terms) for each hotspot; difference-in-differences against "
        "comparison areas that allows hotspots to start at different times, with an event study to check "
        "that areas moved in step beforehand; displacement and diffusion of benefit in buffer areas "
        "(weighted displacement quotient and difference); placebo start dates and leave-one-area-out checks.",
    ]))
    parts.append("## Disclosure control {#sec-disclosure}\n")
    disclosure = store.results.get("disclosure", {})
    rules = disclosure.get("rules") or ([disclosure["rule"]] if disclosure.get("rule") else [])
    if rules:
        parts += [f"Everything published passes statistical disclosure control (threshold "
                  f"{fmt.count(disclosure.get('threshold'))}):\n", bullets([md_text(r) for r in rules])]
    else:
        parts.append("The results store does not record its disclosure-control rule; re-run the evaluation with "
                     "this version of ij-eval before publishing.\n")
    return join(*parts)
