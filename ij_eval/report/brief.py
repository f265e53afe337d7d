"""The two-page brief for chief officers: each question answered in plain English.

The answers are the same sentences as the report's (:mod:`ij_eval.report.findings`), so the
brief and the report cannot disagree.
"""

from __future__ import annotations

from ij_eval.report.chapters.front import title_fields
from ij_eval.report.escape import md_text
from ij_eval.report.findings import SMS_LEVELS, STRENGTH_WORDS, Finding, findings
from ij_eval.report.markdown import banner, bullets, join
from ij_eval.report.store import ResultsStore

GLOSSARY = {
    "ASB": "anti-social behaviour, as recorded by the police.",
    "Hotspot": "a small area where ASB is high and where the scheme concentrated its work.",
    "Comparison group": "people dealt with in other ways over the same period, matched to those referred on their "
                        "age, sex, previous offences and other recorded characteristics.",
    "Hazard ratio": "the risk of reoffending at any given time for people referred, relative to the comparison "
                    "group; below 1 means lower risk.",
    "Between X and Y": "the 95% confidence interval: the range of effects the data are compatible with.",
    "Maryland scale": "a 1 to 5 rating of how well a study rules out other explanations; 5 is a randomised trial.",
    "Descriptive": "a comparison of groups that differ in who they are; it does not show what the scheme caused.",
}


def _strength(f: Finding) -> str:
    if f.strength:
        return f.strength
    if f.sms_level is None:
        return "descriptive only: it shows what happened, not what the scheme caused"
    return f"{STRENGTH_WORDS[f.sms_level]} (level {f.sms_level} of 5 on the Maryland scale: {SMS_LEVELS[f.sms_level]})"


def brief(store: ResultsStore) -> str:
    fields = title_fields(store)
    found = findings(store)
    answered = [f for f in found if f.answered]
    unanswered = [f for f in found if not f.answered]
    scheme = md_text(fields["title"].removesuffix(": an independent evaluation"))
    parts = [f"# {scheme}: brief for chief officers {{#sec-brief}}\n", banner(store),
             f"{md_text(fields['force'])}{' · ' if fields['force'] and fields['team'] else ''}"
             f"{md_text(fields['team'])}. "
             f"Data from {md_text(fields['period'])}.\n",
             "## The answers {#sec-brief-answers}\n"]
    for f in answered:
        parts.append(f"**{f.question}** {f.short or f.answer} *Strength of evidence:* {_strength(f)}.\n")
    if unanswered:
        parts.append("**Not answered yet:** " + "; ".join(f.question.rstrip("?").lower() for f in unanswered)
                     + ". The data for these analyses were not part of this run.\n")
    parts += ["## What to do next {#sec-brief-next}\n",
              bullets([f.next_step for f in answered]
                      + (["Supply the data the unanswered questions need and re-run the evaluation."]
                         if unanswered else [])),
              "## Words used {#sec-brief-words}\n",
              bullets([f"**{term}:** {gloss}" for term, gloss in GLOSSARY.items()])]
    return join(*parts)
