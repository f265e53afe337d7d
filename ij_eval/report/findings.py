"""The answer to each evaluation question, in plain English, from the results store.

Written once and used by the executive summary, the brief, the conclusions and the EMMIE
table. Every number goes through :mod:`ij_eval.report.numbers`; every causal statement carries
its design caveat; descriptive comparisons are labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from ij_eval.report import numbers as fmt
from ij_eval.report.escape import md_text
from ij_eval.report.store import ResultsStore

# Maryland Scientific Methods Scale (Sherman et al. 1997), glossed for non-specialists.
SMS_GLOSS = ("the Maryland Scientific Methods Scale rates how well a study rules out other explanations, "
             "from level 1 (a correlation at one point in time) to level 5 (a randomised trial)")
SMS_LEVELS = {
    1: "a correlation at one point in time",
    2: "a before-and-after comparison with no comparison group, or a comparison with no 'before'",
    3: "a before-and-after comparison against a comparable group that did not receive the scheme",
    4: "a comparison with several comparison units, controlling for other factors that could explain the result",
    5: "random allocation to the scheme or not",
}
STRENGTH_WORDS = {1: "weak", 2: "weak", 3: "moderate", 4: "fairly strong", 5: "strong"}


@dataclass(frozen=True)
class Finding:
    """One evaluation question and what the results say about it. The texts are Markdown: any value
    from the store in them has been escaped (:func:`ij_eval.report.escape.md_text`)."""

    key: str
    question: str
    answered: bool
    answer: str  # plain English, numbers with their uncertainty in words
    evidence: str  # how strong the evidence is, and why
    next_step: str
    sms_level: int | None = None
    design: str = ""
    short: str = ""  # a shorter answer for the two-page brief (the full answer when empty)
    strength: str = ""  # the brief's strength of evidence in a phrase (from the Maryland level when empty)


def _interval_change(h: dict) -> str:
    """'between 5% and 48% lower' / 'anywhere from 12% lower to 3% higher' for a ratio's interval."""
    lo, hi = h["ci_lower"], h["ci_upper"]
    if lo is None or hi is None:
        return "no interval could be estimated"
    if hi < 1:  # both ends lower: the upper ratio is the smaller reduction
        return f"between {fmt.change(hi).split()[0]} and {fmt.change(lo)}"
    if lo > 1:
        return f"between {fmt.change(lo).split()[0]} and {fmt.change(hi)}"
    return f"anywhere from {fmt.change(lo)} to {fmt.change(hi)}"


def _clear(h: dict) -> bool:
    """The interval excludes no change."""
    return h["ci_lower"] is not None and (h["ci_upper"] < 1 or h["ci_lower"] > 1)


def reoffending(store: ResultsStore) -> Finding:
    question = "Did Immediate Justice reduce reoffending compared with similar people?"
    main = store.headline("reoffending", "main_effect")
    if main is None or main["estimate"] is None:
        return _not_answered("reoffending", question, store, "reoffending")
    design = ("a matched" if main["method"].startswith("Matched") else
              "a weighted" if main["method"].startswith("Weighted") else "an adjusted")
    rates = [store.headline("reoffending", k) for k in ("rate_ij_all", "rate_comparison")]
    raw = ""
    if all(r is not None and r["estimate"] is not None for r in rates):
        raw = (f" Before any adjustment, {fmt.percent(rates[0]['estimate'])} of people referred had a proven reoffence "
               f"within the follow-up period, against {fmt.percent(rates[1]['estimate'])} of the comparison group; "
               "that raw gap is descriptive, because the two groups differ in who they are.")
    if _clear(main):
        less = main["estimate"] < 1
        size = fmt.reduction(main["estimate"]) if less else fmt.change(main["estimate"]).split()[0]
        answer = (f"People referred to Immediate Justice were {size} {'less' if less else 'more'} "
                  f"likely to be proven to reoffend at any given time than similar people in the comparison group "
                  f"(a hazard ratio of {fmt.ratio(main['estimate'])}; the risk was {_interval_change(main)})." + raw)
    else:
        answer = (f"The evidence is not clear. The best estimate is that people referred were "
                  f"{fmt.change(main['estimate'])} in their risk of proven reoffending than similar people "
                  f"(a hazard ratio of {fmt.ratio(main['estimate'])}), but the risk could be "
                  f"{_interval_change(main)}, so no change cannot be ruled out." + raw)
    evalue = store.headline("reoffending", "e_value")
    sensitivity = ""
    if evalue is not None and evalue["estimate"] is not None:
        sensitivity = (f" To explain the result away, something not measured would have to raise both the chance of "
                       f"being referred and the risk of reoffending by a factor of {fmt.ratio(evalue['estimate'])}.")
    level = 3
    evidence = (f"{STRENGTH_WORDS[level].capitalize()}: {design} comparison with a concurrent group of people "
                f"dealt with in other ways (Maryland level {level} of 5). It holds only if the comparison group is "
                "similar in every way that matters that was not measured." + sensitivity)
    mdd = store.headline("reoffending", "minimum_detectable_difference")
    next_step = ("Repeat the analysis when more people have completed the full follow-up year, and keep the "
                 "comparison group's data flowing so the estimate can be tightened.")
    if mdd is not None and mdd["estimate"] is not None:
        next_step = (f"With the people followed up so far, only a fall of about {fmt.number(mdd['estimate'])} "
                     "percentage points or more could be reliably detected; " + next_step[0].lower() + next_step[1:])
    return Finding("reoffending", question, True, answer, evidence, next_step, level,
                   "matched comparison of individuals (propensity score), survival analysis",
                   short=answer.removesuffix(raw))


def hotspots(store: ResultsStore) -> Finding:
    question = "Did anti-social behaviour fall in the hotspots?"
    did = store.headline("hotspots", "did_hotspot")
    if did is None or did["estimate"] is None:
        return _not_answered("hotspots", question, store, "hotspots")
    pre = store.headline("hotspots", "pretrend_hotspot")
    pre_ok = pre is not None and pre["estimate"] is not None and pre["estimate"] >= 0.05
    if _clear(did):
        answer = (f"After Immediate Justice began, recorded ASB in the hotspots was {fmt.change(did['estimate'])} "
                  f"than the comparison areas' trend predicts ({_interval_change(did)}).")
    else:
        answer = (f"The evidence is not clear: recorded ASB in the hotspots was {fmt.change(did['estimate'])} than the "
                  f"comparison areas' trend predicts, but it could be {_interval_change(did)}.")
    its = store.headline("hotspots", "its_hotspot_level_change")
    if its is not None and its["estimate"] is not None:
        answer += (f" Looking at the hotspots alone, against their own past trend and seasons, ASB was "
                   f"{fmt.change(its['estimate'])} ({_interval_change(its)}).")
    level = 4 if pre_ok else 3
    trend_words = ("before the scheme, ASB in the hotspots and the comparison areas moved in step, which supports the "
                   "comparison" if pre_ok else
                   "before the scheme, ASB in the hotspots and the comparison areas did not clearly move in step, "
                   "which weakens the comparison")
    evidence = (f"{STRENGTH_WORDS[level].capitalize()}: hotspots compared with similar areas without the scheme, "
                f"before and after (Maryland level {level} of 5); {trend_words}. Hotspots are chosen because ASB "
                "there is high, so some fall could be a return to normal levels that the comparison areas share "
                "only in part.")
    next_step = ("Keep the comparison areas free of hotspot activity and re-run the analysis each quarter; check "
                 "whether recording practice changed in the hotspots.")
    return Finding("hotspots", question, True, answer, evidence, next_step, level,
                   "difference-in-differences against comparison areas, with an event-study check",
                   short=answer.split(" Looking at the hotspots alone")[0])


def displacement(store: ResultsStore) -> Finding:
    question = "Did anti-social behaviour just move next door?"
    buffer = store.headline("hotspots", "did_buffer")
    if buffer is None or buffer["estimate"] is None:
        return _not_answered("displacement", question, store, "hotspots")
    if _clear(buffer) and buffer["estimate"] > 1:
        reading = "ASB rose in the surrounding areas, which suggests some of it moved there (displacement)"
    elif _clear(buffer):
        reading = ("ASB also fell in the surrounding areas, so there is no sign that it moved next door; if anything "
                   "the benefit spread (a 'diffusion of benefit')")
    else:
        reading = "there is no clear sign that ASB moved into the surrounding areas"
    answer = (f"In the areas around the hotspots, recorded ASB was {fmt.change(buffer['estimate'])} than the "
              f"comparison areas' trend predicts ({_interval_change(buffer)}): {reading}.")
    level = 3
    evidence = (f"{STRENGTH_WORDS[level].capitalize()}: surrounding ('buffer') areas compared with comparison areas "
                f"before and after (Maryland level {level} of 5). Displacement to places further away, or to other "
                "times or types of behaviour, is not measured.")
    return Finding("displacement", question, True, answer, evidence,
                   "Keep monitoring the surrounding areas; ask officers whether the behaviour moved elsewhere.",
                   level, "difference-in-differences in buffer areas; weighted displacement quotient")


def _not_answered(key: str, question: str, store: ResultsStore, strand: str) -> Finding:
    name = strand.replace('_', ' ')
    if store.ran(strand):  # it ran, but the data could not support the estimate this question needs
        return Finding(key, question, False,
                       f"Not answered by this run: the {name} analysis ran, but these data could not support an "
                       f"estimate of the effect (the notes of the {name} chapter say why).",
                       "No evidence from this evaluation.",
                       "Re-run the evaluation when the data hold enough people, events and periods for the estimate.")
    reason = md_text(store.not_run_reason(strand))
    return Finding(key, question, False,
                   f"Not answered by this run: the {strand.replace('_', ' ')} analysis did not run ({reason}).",
                   "No evidence from this evaluation.",
                   "Supply the data this analysis needs and re-run the evaluation.")


def findings(store: ResultsStore) -> list[Finding]:
    """The evaluation questions in order, each with its answer."""
    from ij_eval.report.chapters import delivery, economics, surveys  # the strand chapters build on Finding
    return [
        reoffending(store),
        hotspots(store),
        displacement(store),
        delivery.finding(store),
        surveys.finding(store),
        economics.finding(store),
    ]
