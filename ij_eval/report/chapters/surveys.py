"""The Participants and victims chapter, and the answer to "What do participants and victims say?"."""

from __future__ import annotations

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import (
    COUNT,
    LABEL,
    P_VALUE,
    PERCENT,
    TEXT,
    frame_table,
    not_run,
    notes_list,
    opening,
    upper_first,
)
from ij_eval.report.escape import md_text
from ij_eval.report.findings import Finding
from ij_eval.report.markdown import callout, fig_ref, figure, join, tbl_ref
from ij_eval.report.store import ResultsStore

STRAND = "experience"
QUESTION = "What do participants and victims say?"
PHRASES = {
    "understand_asb": "had a better understanding of the impact of ASB",
    "would_handle_differently": "would handle things differently in future",
    "accept_responsibility": "accepted responsibility for what they did",
    "workshop_beneficial": "found the workshop beneficial",
    "overall_positive": "found Immediate Justice a positive experience overall",
    "satisfied": "were satisfied with how their case was dealt with",
    "asked_how_to_repair": "were asked how the harm should be repaired",
    "kept_informed": "felt they were kept informed",
    "felt_heard": "felt their views were listened to",
    "would_recommend": "would recommend Immediate Justice to other victims",
    "confidence_police_asb": "the police are dealing with ASB in their area",
    "feel_safe": "they feel safe in their area after dark",
    "asb_is_a_problem": "ASB is a problem in their area",
}
ITEM_ORDER = {"participant": ("understand_asb", "would_handle_differently", "accept_responsibility",
                              "workshop_beneficial", "overall_positive"),
              "victim": ("satisfied", "asked_how_to_repair", "kept_informed", "felt_heard", "would_recommend")}


def _shown(h: dict | None) -> bool:
    return h is not None and h.get("estimate") is not None


def _between(h: dict) -> str:
    if h.get("ci_lower") is None or h.get("ci_upper") is None:
        return ""
    return f"between {fmt.percent(h['ci_lower'])} and {fmt.percent(h['ci_upper'])}"


def _item_sentence(h: dict, item: str) -> str:
    """'97% had a better understanding ... (between 96% and 98%; 632 answered)'."""
    base = f"{fmt.count(h['n'])} answered"
    between = _between(h)
    phrase = PHRASES.get(item) or md_text(item.replace("_", " "))
    return f"{fmt.percent(h['estimate'])} {phrase} ({between}; {base})" if between else \
        f"{fmt.percent(h['estimate'])} {phrase} ({base})"


def _survey_answer(store: ResultsStore, survey: str) -> str:
    shown = [(item, store.headline(STRAND, f"{survey}_{item}")) for item in ITEM_ORDER[survey]]
    shown = [(item, h) for item, h in shown if _shown(h)]
    who = "participants" if survey == "participant" else "victims"
    if not shown:
        responses = store.headline(STRAND, f"{survey}_responses")
        if responses is None:
            return ""
        return (f"No percentage from the {survey} survey can be shown: too few {who} answered, or too few gave "
                "one answer, to publish it without the risk of identifying someone.")
    parts = [_item_sentence(h, item) for item, h in shown]
    text = (f"Of the {who} who answered the survey, " + "; ".join(parts[:-1])
            + ("; and " if len(parts) > 1 else "") + parts[-1] + ".")
    everyone = [(item, h) for item, h in shown if h["count"] is not None and h["count"] == h["n"]]
    for _, h in everyone[:1]:
        text += (f" A figure of {fmt.percent(h['estimate'])} rests on only {fmt.count(h['n'])} answers: the true "
                 f"share among all {who} could be as low as {fmt.percent(h['ci_lower'])}.")
    return text


def _community_answer(store: ResultsStore) -> str:
    out = []
    for item in ("confidence_police_asb", "feel_safe", "asb_is_a_problem"):
        h = store.headline(STRAND, f"community_did_{item}")
        if not _shown(h):
            continue
        direction = "rose" if h["estimate"] > 0 else "fell"
        clear = h["ci_lower"] > 0 or h["ci_upper"] < 0
        out.append(f"the share of residents agreeing that {PHRASES[item]} {direction} by "
                   f"{fmt.points(abs(h['estimate']))} percentage points more in the hotspots than in the "
                   f"comparison areas (anywhere from {fmt.points(h['ci_lower'])} to "
                   f"{fmt.points(h['ci_upper'])} points{'' if clear else ', so no change cannot be ruled out'})")
    if not out:
        return ""
    return "In the community survey, " + "; ".join(out) + "."


def finding(store: ResultsStore) -> Finding:
    """The plain-English answer to 'What do participants and victims say?' from the experience headlines."""
    if not store.ran(STRAND):
        reason = md_text(store.not_run_reason(STRAND))
        return Finding(STRAND, QUESTION, False,
                       f"Not answered by this run: the experience analysis did not run ({reason}).",
                       "No evidence from this evaluation.", "Supply the survey data and re-run the evaluation.")
    answer = " ".join(t for t in (_survey_answer(store, "participant"), _survey_answer(store, "victim"),
                                  _community_answer(store)) if t)
    rate = store.headline(STRAND, "participant_response_rate")
    if _shown(rate):
        answer += (f" {fmt.percent(rate['estimate'])} of those who completed answered the participant survey "
                   f"({_between(rate)}), so the views of the rest are not known.")
    evidence = ("Descriptive: what the people who chose to answer said about themselves, with no comparison group. "
                "Surveys taken at the end of the scheme tend to be answered by the more engaged and to lean "
                "positive; they show how the scheme was received, not whether it changed behaviour.")
    if store.headline(STRAND, "community_did_confidence_police_asb") is not None:
        evidence += (" The community survey compares hotspots with comparison areas before and after, which is "
                     "stronger, but different residents answer in each wave.")
    next_step = ("Survey every completer (and those who refuse or drop out) at a fixed point, record who did not "
                 "answer, and ask the same questions before the workshop so answers can be paired.")
    return Finding(STRAND, QUESTION, bool(answer), answer or "No survey figure can be published from this run.",
                   evidence, next_step, None, "participant, victim and community surveys (descriptive)",
                   short=_short_answer(store))


def _short_answer(store: ResultsStore) -> str:
    """The brief's version: the range of agreement per survey, and the base behind any 100%."""
    out = []
    for survey, who in (("participant", "participants"), ("victim", "victims")):
        shown = [h for item in ITEM_ORDER[survey] if _shown(h := store.headline(STRAND, f"{survey}_{item}"))]
        if not shown:
            continue
        low, high = min(shown, key=lambda h: h["estimate"]), max(shown, key=lambda h: h["estimate"])
        share = (fmt.percent(low["estimate"]) if low is high or fmt.percent(low["estimate"]) ==
                 fmt.percent(high["estimate"]) else f"between {fmt.percent(low['estimate'])} and "
                 f"{fmt.percent(high['estimate'])}")
        text = f"{share} of {who} who answered agreed with each published statement ({fmt.count(high['n'])} answered)"
        if high["count"] is not None and high["count"] == high["n"]:
            text += f"; a 100% figure from {fmt.count(high['n'])} answers could really be as low as " \
                    f"{fmt.percent(high['ci_lower'])}"
        out.append(text)
    return (upper_first(". ".join(out)) + ". These are views, not measured change.") if out else ""



def _items_frame(store: ResultsStore, survey: str) -> pl.DataFrame:
    items = store.table("survey_items").filter(pl.col("survey") == survey)
    base = items.filter(pl.col("level") == "answered").select("item", "question", base=pl.col("n"),
                                                                  flag=pl.col("base_flag"))
    top = items.filter(pl.col("level") == "top_two").select("item", agree=pl.col("n"), pct=pl.col("pct"),
                                                            ci_lower=pl.col("ci_lower"), ci_upper=pl.col("ci_upper"))
    return base.join(top, on="item", how="left", maintain_order="left")


def _items_table(store: ResultsStore, survey: str, label: str) -> str:
    frame = _items_frame(store, survey)
    return frame_table(frame, {"question": ("Question", TEXT), "base": ("Answered", COUNT),
                               "agree": ("Agreed (or yes)", COUNT), "pct": ("% agreeing", PERCENT),
                               "ci_lower": ("95% CI from", PERCENT), "ci_upper": ("to", PERCENT),
                               "flag": ("Base", TEXT)},
                       label=label, caption=f"{survey.capitalize()} survey: % agreeing (top two boxes, or yes) "
                       "with Wilson 95% intervals and base sizes", counts=("base", "agree"))


def _figure(store: ResultsStore, survey: str) -> list[str]:
    name = f"survey_{survey}_items"
    if store.figure(name) is None:
        return []
    return [f"{fig_ref(name)} shows every answer, disagreeing to the left of the centre line and agreeing to the "
            "right; each bar's label gives the number who answered.\n", figure(store, name)]


def _tests(store: ResultsStore, survey: str, label: str) -> list[str]:
    if not store.has_table("survey_subgroup_tests"):
        return []
    tests = store.table("survey_subgroup_tests").filter(pl.col("survey") == survey)
    if tests.is_empty():
        return []
    return [f"{tbl_ref(label)} tests whether the % agreeing differs between groups (Fisher's exact test for two "
            "groups, chi-squared for more; p-values adjusted for the number of tests with Holm's method). A small "
            "adjusted p-value is a difference worth looking into, not proof of its cause.\n",
            frame_table(tests, {"item": ("Question", LABEL), "subgroup": ("Groups", LABEL), "groups": ("Groups (n)",
                        COUNT), "test": ("Test", TEXT), "p_value": ("p", P_VALUE), "p_holm": ("p (Holm)", P_VALUE)},
                        label=label, caption=f"{survey.capitalize()} survey: differences between subgroups")]


def _quotes(store: ResultsStore) -> list[str]:
    if not store.has_table("survey_quotes"):
        return []
    quotes = store.table("survey_quotes")
    out = ["## In their own words {#sec-experience-quotes}\n",
           "Comments are quoted only where the respondent agreed, and only if they contain nothing that could "
           "identify anyone; others are left out, not edited.\n"]
    if store.has_table("survey_quote_screening"):
        for row in store.table("survey_quote_screening").iter_rows(named=True):
            out.append(f"{md_text(str(row['survey']).capitalize())} survey: {fmt.count(row['comments'])} comments, "
                       f"{fmt.count(row['without_consent'])} without consent to quote, {fmt.count(row['withheld'])} "
                       "withheld because they might identify someone.\n")
    for survey in ("participant", "victim"):
        for text in quotes.filter(pl.col("survey") == survey)["quote"].head(4).to_list():
            out.append(f"> {md_text(text)}\n>\n> — {survey}\n")
    return out


def experience(store: ResultsStore) -> str:
    """The Participants and victims chapter (Markdown)."""
    parts = [opening(store, "Participants and victims", "experience")]
    if not store.ran(STRAND):
        return join(*parts, not_run(store, STRAND, "participant and victim experience"))
    found = finding(store)
    parts += [found.answer + "\n", callout("note", f"**What this can and cannot show.** {found.evidence}")]
    has_items = store.has_table("survey_items")
    surveys = store.table("survey_items")["survey"].unique().to_list() if has_items else []
    if "participant" in surveys:
        parts.append("## Participants {#sec-experience-participants}\n")
        rate = store.headline(STRAND, "participant_response_rate")
        if _shown(rate):
            parts.append(f"{fmt.percent(rate['estimate'])} of the {fmt.count(rate['n'])} people who completed "
                         f"Immediate Justice answered the exit survey ({_between(rate)}). "
                         f"{md_text(rate['caveat'].capitalize())}.\n")
        parts += _figure(store, "participant")
        parts += [f"{tbl_ref('experience-participant-items')} gives the % agreeing with each statement. Where fewer "
                  "than 30 answered, the base column says so; where a count would identify someone it is hidden.\n",
                  _items_table(store, "participant", "experience-participant-items")]
        if store.has_table("survey_nonresponse"):
            nr = store.table("survey_nonresponse").pivot("group", index=["characteristic", "value", "test", "p_value"],
                                                         values=["n", "pct"])
            if {"n_respondent", "n_non_respondent"} <= set(nr.columns):
                parts += [f"{tbl_ref('experience-nonresponse')} compares completers who answered with those who did "
                          "not. Where they differ, the survey may not speak for everyone who completed.\n",
                          frame_table(nr, {"characteristic": ("Characteristic", TEXT), "value": ("Group", TEXT),
                                           "pct_respondent": ("Respondents", PERCENT),
                                           "pct_non_respondent": ("Non-respondents", PERCENT),
                                           "p_value": ("p", P_VALUE)},
                                      label="experience-nonresponse", counts=("n_respondent", "n_non_respondent"),
                                      caption="Completers who answered and who did not (non-response bias)")]
        parts += _tests(store, "participant", "experience-participant-tests")
    if "victim" in surveys:
        parts.append("## Victims {#sec-experience-victims}\n")
        parts += _figure(store, "victim")
        parts += [f"{tbl_ref('experience-victim-items')} gives the % satisfied or agreeing for each question. A "
                  "share of 100% from a small number of answers is shown with its interval: it does not mean every "
                  "victim would say the same.\n",
                  _items_table(store, "victim", "experience-victim-items")]
        parts += _tests(store, "victim", "experience-victim-tests")
    if store.has_table("survey_community_did"):
        did = store.table("survey_community_did")
        parts += ["## Community confidence {#sec-experience-community}\n",
                  f"{tbl_ref('experience-community')} gives the change in the share of residents agreeing, in the "
                  "hotspots minus the comparison areas, after minus before (difference in differences, in "
                  "proportions; a normal interval from the delta method and a bootstrap interval that resamples "
                  "areas).\n",
                  frame_table(did, {"item": ("Statement", TEXT), "estimate": ("Difference", _points),
                                    "ci_lower": ("95% CI from", _points), "ci_upper": ("to", _points),
                                    "boot_ci_lower": ("Area bootstrap from", _points),
                                    "boot_ci_upper": ("to", _points), "p_value": ("p", P_VALUE),
                                    "note": ("Note", TEXT)},
                              label="experience-community",
                              caption="Community confidence: difference in differences of the share agreeing "
                              "(percentage points)")]
    parts += _quotes(store)
    notes = notes_list(store, STRAND)
    if notes:
        parts += ["## Notes from the analysis {#sec-experience-notes}\n", notes]
    return join(*parts)


def _points(v: object) -> str:
    return fmt.points(float(v), 1)
