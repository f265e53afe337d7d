"""Experience strand: what participants and victims say, and whether public confidence changed.

``run`` reports, for each survey supplied:

- item summaries (``likert.py``): counts and percentages per response level, the % agreeing (top
  two boxes) with a Wilson 95% interval, small-base flags (fewer than 30 answers: caution; below
  the disclosure threshold: suppressed), and a diverging stacked bar chart centred on the neutral
  level with the base in each bar's label;
- for participants, the response rate against completers and respondents against
  non-respondents on what the referrals table records (``response.py``), and pre/post items
  paired by referral where the survey has both stages;
- subgroup comparisons of the % agreeing with Holm-adjusted tests (``subgroups.py``);
- consented comments that pass the free-text screen (:func:`ij_eval.privacy.screen.screen_quotes`; the
  rest counted and listed in the review file for the evaluator, who may approve them);
- with a community survey and an areas table, the difference in differences of the % agreeing,
  hotspots against comparison areas, after against before (``community.py``).

Surveys describe what respondents say; none of this is an estimate of the scheme's effect except
the community difference in differences, whose design caveat travels with it.
"""

from __future__ import annotations

import re
from types import MappingProxyType

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.privacy.screen import Screen, Source, screen_quotes
from ij_eval.schema import load_schemas
from ij_eval.strands.base import FigureSpec, Headline, StrandResult, TableCell
from ij_eval.strands.experience import community, likert, prepost, response, subgroups
from ij_eval.strands.experience.likert import YES_NO, Item

NAME = "experience"
TITLE = "Participants and victims"
REQUIRES = ("referrals", ("participant_survey", "victim_survey", "community_survey"))

SURVEYS = {"participant": "participant_survey", "victim": "victim_survey"}
SUBGROUPS = {"participant": ("age_group", "route"), "victim": ("route", "restorative_process")}
SELF_REPORT = "self-reported by those who answered; descriptive, not an estimate of the scheme's effect"


def _question(description: str, name: str) -> str:
    quoted = re.search(r'"([^"]+)"', description)
    if quoted:
        return quoted.group(1).strip()
    first = description.split(". ")[0].strip().rstrip(".")
    return first or name.replace("_", " ")


def items_of(table: str) -> tuple[Item, ...]:
    """The survey's items from its schema: ordinal columns, and yes/no columns other than consent."""
    out = []
    for col in load_schemas()[table].columns:
        if col.type == "ordinal":
            out.append(Item(col.name, _question(col.description, col.name), tuple(col.levels)))
        elif col.type == "boolean" and col.name != "consent_to_quote":
            out.append(Item(col.name, _question(col.description, col.name), YES_NO))
    return tuple(out)


def _cell(survey: str, item: str, level: str, column: str) -> TableCell:
    return TableCell("survey_items", (("survey", survey), ("item", item), ("level", level)), column)


def _with_groups(frame: pl.DataFrame, referrals: pl.DataFrame) -> pl.DataFrame:
    """The survey with route, restorative process and (when the survey lacks it) age group from referrals."""
    if "referral_id" not in frame.columns:
        return frame
    cols = [pl.col("referral_id")]
    if "route" in referrals.columns:
        cols.append(pl.col("route").alias("route"))
    if "restorative_justice" in referrals.columns:
        cols.append(pl.when(pl.col("restorative_justice")).then(pl.lit("yes")).when(
            pl.col("restorative_justice").is_not_null()).then(pl.lit("no")).alias("restorative_process"))
    if "age" in referrals.columns:
        cols.append(pl.when(pl.col("age") < 18).then(pl.lit("child")).when(pl.col("age").is_not_null())
                    .then(pl.lit("adult")).alias("_age_group"))
    linked = frame.join(referrals.select(cols).unique("referral_id", keep="first"), on="referral_id", how="left")
    if "age_group" in linked.columns:
        return linked.with_columns(pl.col("age_group").fill_null(pl.col("_age_group"))).drop("_age_group")
    return linked.rename({"_age_group": "age_group"})


def _headline_item(survey: str, item: Item, table: pl.DataFrame) -> Headline:
    top = likert.top_two(table, item.column)
    caveat = SELF_REPORT
    if top["base_flag"]:
        caveat = f"{top['base_flag']}; {caveat}"
    if top["base"] and top["n"] == top["base"]:
        caveat = ("everyone who answered agreed: read the figure with its interval and base, not as a bare "
                  f"headline; {caveat}")
    what = "yes" if item.levels == YES_NO else "the top two boxes (" + " or ".join(item.top) + ")"
    return Headline(top["pct"], f"share answering {what} of those who answered '{item.question}'; Wilson 95% "
                    "interval", n=top["base"], count=top["n"], ci_lower=top["ci_lower"], ci_upper=top["ci_upper"],
                    caveat=caveat, unit="proportion", source=_cell(survey, item.column, "top_two", "pct"))


def _alt_text(survey: str, items: tuple[Item, ...]) -> str:
    listed = "; ".join(f"'{i.question}'" for i in items)
    return (f"Diverging stacked bar chart of the {survey} survey: one bar per question ({listed}). Disagreeing "
            "answers extend left of the centre line and agreeing answers right, with the neutral answer split "
            "across the centre; yes/no questions show no to the left and yes to the right. Each bar's label gives "
            "the number who answered; answers hidden to protect small numbers are merged into one hatched grey "
            "segment, and a question with every answer hidden is left out. "
            "The percentages agreeing, with their intervals, are in the survey items table.")


def run(inputs, config: EvaluationConfig) -> StrandResult:
    from ij_eval.plots.experience import plot_likert

    threshold = config.disclosure.threshold
    referrals = inputs.frame("referrals")
    tables: dict[str, pl.DataFrame] = {}
    headlines: dict[str, Headline] = {}
    figures: list[FigureSpec] = []
    notes: list[str] = []
    summaries, group_rows, group_tests, quotes, screening, paired = [], [], [], [], [], []
    review: tuple = ()  # comments withheld or approved, for the review file
    for survey, table in SURVEYS.items():
        if not inputs.has(table):
            notes.append(f"No {survey} survey supplied ({table}): its section is left out.")
            continue
        frame = inputs.frame(table)
        items = tuple(i for i in items_of(table) if i.column in frame.columns)
        if "survey_stage" in frame.columns and (frame["survey_stage"] == "pre").any():
            paired.append(prepost.paired(frame, survey, items))
            n_pre = int((frame["survey_stage"] == "pre").sum())
            frame = frame.filter(pl.col("survey_stage").is_null() | (pl.col("survey_stage") != "pre"))
            notes.append(f"{survey.capitalize()} survey: the item percentages use the post-workshop and exit "
                         f"answers; {n_pre:,} pre-workshop responses are used only in the paired comparison.")
        summary = likert.summarise(frame, survey, items, threshold)
        summaries.append(summary)
        headlines[f"{survey}_responses"] = Headline(frame.height, f"{survey} survey responses analysed",
                                                    n=frame.height, unit="responses")
        for item in items:
            headlines[f"{survey}_{item.column}"] = _headline_item(survey, item, summary)
        if items and frame.height:
            figures.append(FigureSpec(f"survey_{survey}_items", f"{survey.capitalize()} survey answers",
                                      _alt_text(survey, items), summary, plot_likert))
        rows, tests = subgroups.compare(_with_groups(frame, referrals), survey, items, SUBGROUPS[survey])
        group_rows.append(rows)
        group_tests.append(tests)
        if {"comment", "consent_to_quote"} <= set(frame.columns):
            screened = screen_quotes(frame, "comment", "consent_to_quote", screen=Screen.from_config(config),
                                     source=Source(table, "comment"))
            review += screened.screened
            kept = screened.quotes["comment"].unique(maintain_order=True)
            quotes.append(pl.DataFrame({"survey": survey, "quote": kept}, schema={"survey": pl.String,
                                                                                   "quote": pl.String}))
            screening.append(pl.DataFrame(
                [(survey, screened.n_comments, screened.n_without_consent, screened.n_withheld,
                  screened.quotes.height)],
                schema={"survey": pl.String, "comments": pl.Int64, "without_consent": pl.Int64,
                        "withheld": pl.Int64, "quoted": pl.Int64}, orient="row"))
        if survey == "participant":
            rate = response.response_rate(survey, frame, referrals)
            tables["survey_response"] = rate
            r = rate.row(0, named=True)
            headlines["participant_response_rate"] = Headline(
                r["rate"], "completers with a linked survey response, of all completers; Wilson 95% interval",
                n=r["completers"], count=r["respondents"], ci_lower=r["ci_lower"], ci_upper=r["ci_upper"],
                caveat="anonymous responses cannot be linked and are not counted as respondents", unit="proportion",
                source=TableCell("survey_response", (("survey", survey),), "rate"))
            tables["survey_nonresponse"] = response.nonresponse(frame, referrals)
    if summaries:
        tables["survey_items"] = pl.concat(summaries)
        tables["survey_subgroups"] = pl.concat(group_rows)
        tables["survey_subgroup_tests"] = pl.concat(group_tests)
    if quotes:
        tables["survey_quotes"] = pl.concat(quotes)
        tables["survey_quote_screening"] = pl.concat(screening)
    if paired:
        tables["survey_pre_post"] = pl.concat(paired)
    if inputs.has("community_survey"):
        if inputs.has("areas"):
            cells, did, more = community.community(inputs.frame("community_survey"), inputs.frame("areas"),
                                                   items_of("community_survey"), threshold=threshold,
                                                   seed=config.run.seed)
            notes += more
            tables["survey_community"] = cells
            tables["survey_community_did"] = did
            for row in did.iter_rows(named=True):
                if row["estimate"] is None:
                    continue
                headlines[f"community_did_{row['item']}"] = Headline(
                    row["estimate"], "difference in differences of the share agreeing (hotspots minus comparison "
                    "areas, after minus before); delta-method 95% interval", ci_lower=row["ci_lower"],
                    ci_upper=row["ci_upper"], caveat="assumes the hotspots' share would have changed as the "
                    "comparison areas' did; respondents differ between waves", unit="difference in proportions")
        else:
            notes.append("Community survey supplied without an areas table: hotspot and comparison areas cannot be "
                         "told apart, so the confidence analysis is left out.")
    return StrandResult(name=NAME, headlines=MappingProxyType(headlines), tables=MappingProxyType(tables),
                        figures=tuple(figures), notes=tuple(notes), screened=tuple(review))
