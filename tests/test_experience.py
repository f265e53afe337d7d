"""Experience strand: Wilson intervals, item summaries, disclosure control of survey tables, quotes,
community difference in differences, the strand in the pipeline, and its report chapter."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from ij_eval.config import load_config
from ij_eval.errors import ValidationFailed
from ij_eval.pipeline import run_pipeline
from ij_eval.publication import check_store, publish_headline, publish_table, screen_quotes
from ij_eval.report.chapters.surveys import experience, finding
from ij_eval.report.store import ResultsStore
from ij_eval.schema import load_schemas
from ij_eval.strands import STRANDS
from ij_eval.strands.experience import _headline_item, items_of
from ij_eval.strands.experience.community import community, did_of_proportions
from ij_eval.strands.experience.likert import Item, coded, summarise_item, wilson
from ij_eval.synth import write_synthetic
from ij_eval.validation import validate_folder

AGREE = ("strongly_disagree", "disagree", "neither", "agree", "strongly_agree")
ITEM = Item("understand_asb", "I understand", AGREE)
TARGETS = {"understand_asb": 0.97, "would_handle_differently": 0.94, "accept_responsibility": 0.92,
           "workshop_beneficial": 0.94, "overall_positive": 0.91}


def _answers(counts: list[int], missing: int = 0) -> pl.DataFrame:
    codes = [i + 1 for i, c in enumerate(counts) for _ in range(c)] + [None] * missing
    return pl.DataFrame({"understand_asb": pl.Series(codes, dtype=pl.Int8)})


def _level(table: pl.DataFrame, level: str, column: str = "n"):
    return table.filter(pl.col("level") == level)[column].item()


# ---------------------------------------------------------------------------------------------
# Wilson intervals and item summaries


@pytest.mark.parametrize(("count", "n"), [(0, 1), (1, 1), (0, 25), (25, 25), (3, 7), (616, 632), (11, 40), (1, 1000)])
def test_wilson_equals_statsmodels(count, n):
    low, high = wilson(count, n)
    ref_low, ref_high = proportion_confint(count, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12) and high == pytest.approx(ref_high, abs=1e-12)


def test_item_summary_counts_percentages_and_top_two_box():
    table = summarise_item(_answers([1, 2, 3, 14, 20], missing=2), "participant", ITEM, 10)
    assert table.filter(pl.col("position").is_not_null())["n"].to_list() == [1, 2, 3, 14, 20]
    assert (_level(table, "answered"), _level(table, "top_two"), _level(table, "missing"),
            _level(table, "responses")) == (40, 34, 2, 42)
    assert _level(table, "top_two", "pct") == pytest.approx(34 / 40)
    assert _level(table, "top_two", "ci_lower") == pytest.approx(proportion_confint(34, 40, method="wilson")[0])
    assert _level(table, "answered", "base_flag") == ""
    small = summarise_item(_answers([0, 1, 2, 10, 12]), "participant", ITEM, 10)
    assert _level(small, "answered", "base_flag") == "caution: fewer than 30 answers"


def test_one_response_is_summarised_flagged_and_suppressed():
    table = summarise_item(_answers([0, 0, 0, 1, 0]), "participant", ITEM, 10)
    assert _level(table, "answered") == 1 and _level(table, "top_two", "pct") == 1.0
    assert _level(table, "answered", "base_flag") == "suppressed: fewer than 10 answers"
    published = publish_table("survey_items", table, 10).frame
    assert published.filter(pl.col("level").is_in(["agree", "answered", "top_two", "responses"]))["n"].is_null().all()
    assert published["pct"].drop_nulls().is_empty()
    headline, hidden = publish_headline(_headline_item("participant", ITEM, table), 10)
    assert hidden and headline["estimate"] is None and headline["n"] is None


def test_all_answers_missing_gives_no_percentage():
    table = summarise_item(_answers([0, 0, 0, 0, 0], missing=12), "participant", ITEM, 10)
    assert _level(table, "answered") == 0 and _level(table, "missing") == 12
    assert table["pct"].drop_nulls().is_empty() and table["ci_lower"].drop_nulls().is_empty()
    assert _level(table, "answered", "base_flag") == "no answers"
    headline = _headline_item("participant", ITEM, table)
    assert headline.estimate is None and headline.n == 0
    from ij_eval.plots.experience import likert_bars, plot_likert

    assert likert_bars(table) == []
    plot_likert(table)  # draws a "no question can be shown" message rather than failing


def test_unknown_likert_level_is_rejected_by_validation(tmp_path):
    """Validation refuses an answer that is not one of the item's levels, before any strand runs."""
    data = tmp_path / "data"
    write_synthetic(data, seed=3)
    path = data / "participant_survey.csv"
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("kinda agree"))
                               .otherwise(pl.col("understand_asb")).alias("understand_asb"))
    frame.write_csv(path)
    report = validate_folder(data, load_config(data / "evaluation.toml"))
    problems = [p for p in report.errors if p.table == "participant_survey" and p.column == "understand_asb"]
    assert problems and "answer levels" in problems[0].rule and problems[0].values == ("kinda agree",)
    with pytest.raises(ValidationFailed):
        run_pipeline(data, load_config(data / "evaluation.toml"), tmp_path / "out", only=["experience"])


def test_a_code_outside_the_levels_reaching_the_strand_counts_as_missing():
    """Library use (a frame not from validation): 9 on a 1-5 item and an unknown label are not answers."""
    assert coded(pl.DataFrame({"understand_asb": [4, 9, None, 0]}), ITEM).to_list() == [4, None, None, None]
    assert coded(pl.DataFrame({"understand_asb": ["agree", "kinda"]}), ITEM).to_list() == [4, None]
    table = summarise_item(pl.DataFrame({"understand_asb": [4, 9, 5]}), "participant", ITEM, 1)
    assert (_level(table, "answered"), _level(table, "missing")) == (2, 1)


def test_items_come_from_the_schemas():
    victim = {i.column: i for i in items_of("victim_survey")}
    assert set(victim) == {"satisfied", "asked_how_to_repair", "kept_informed", "felt_heard", "would_recommend"}
    assert victim["would_recommend"].levels == ("no", "yes") and victim["would_recommend"].top == ("yes",)
    assert victim["satisfied"].top == ("satisfied", "very_satisfied") and victim["satisfied"].neutral == "neither"
    participant = items_of("participant_survey")
    assert [i.column for i in participant] == list(TARGETS)
    assert participant[0].question == "I have a better understanding of the impact of ASB."


def test_every_survey_level_is_in_the_disclosure_policy():
    from ij_eval.publication import TABLES

    answered = next(s for s in TABLES["survey_items"].sums if s.total == "answered" and len(s.parts) > 1)
    levels = {lv for name in ("participant_survey", "victim_survey") for c in load_schemas()[name].columns
              for lv in c.levels}
    assert levels | {"no", "yes"} <= set(answered.parts)


# ---------------------------------------------------------------------------------------------
# Disclosure control of the item table


def test_small_levels_are_hidden_with_secondary_suppression():
    table = summarise_item(_answers([0, 3, 12, 14, 20]), "participant", ITEM, 10)
    out = publish_table("survey_items", table, 10)
    n = dict(zip(out.frame["level"], out.frame["n"], strict=True))
    assert n["disagree"] is None  # primary
    # disagree cannot be worked back from the base, the top two and the levels shown
    shown = [n[lv] for lv in ("strongly_disagree", "neither") if n[lv] is not None]
    assert not (n["answered"] is not None and n["top_two"] is not None and len(shown) == 2)
    assert out.n_secondary >= 1
    pct = dict(zip(out.frame["level"], out.frame["pct"], strict=True))
    assert pct["disagree"] is None


def test_a_high_share_from_a_small_group_is_hidden():
    """97% of 40: the one person not agreeing must not be recoverable from the % agreeing."""
    table = summarise_item(_answers([0, 0, 1, 14, 25]), "participant", ITEM, 10)
    out = publish_table("survey_items", table, 10).frame
    assert _level(out, "answered") is None or _level(out, "top_two") is None
    assert _level(out, "top_two", "pct") is None
    headline, hidden = publish_headline(_headline_item("participant", ITEM, table), 10)
    assert hidden and headline["estimate"] is None


def test_all_satisfied_from_a_small_base_is_shown_with_its_interval():
    item = Item("understand_asb", "Satisfied", AGREE)
    table = summarise_item(_answers([0, 0, 0, 11, 14]), "victim", item, 10)
    assert publish_table("survey_items", table, 10).frame.filter(pl.col("level") == "top_two")["pct"].item() == 1.0
    headline, hidden = publish_headline(_headline_item("victim", item, table), 10)
    assert not hidden and headline["estimate"] == 1.0 and headline["n"] == 25
    assert headline["ci_lower"] == pytest.approx(proportion_confint(25, 25, method="wilson")[0])
    assert "not as a bare headline" in headline["caveat"] and "fewer than 30" in headline["caveat"]


# ---------------------------------------------------------------------------------------------
# Quotes


def test_quotes_need_consent_and_no_identifier():
    frame = pl.DataFrame({
        "comment": ["It was fair.", "Better than court.", "Ring me on 07700 900123 if you need me.", None],
        "consent_to_quote": [True, False, True, True]})
    screened = screen_quotes(frame, "comment", "consent_to_quote")
    assert screened.quotes["comment"].to_list() == ["It was fair."]
    assert (screened.n_comments, screened.n_without_consent, screened.n_withheld) == (3, 1, 1)
    # the published table re-screens: a quote with an identifier never reaches the store
    quotes = pl.DataFrame({"survey": ["participant"] * 2, "quote": ["It was fair.", "Call 07700 900123."]})
    assert publish_table("survey_quotes", quotes, 10).frame["quote"].to_list() == ["It was fair."]


# ---------------------------------------------------------------------------------------------
# Community confidence


def test_did_of_proportions_matches_a_hand_worked_example():
    cells = {("hotspot", "before"): (40, 100), ("hotspot", "after"): (60, 100),
             ("comparison", "before"): (50, 100), ("comparison", "after"): (55, 100)}
    did, se = did_of_proportions(cells)
    # (0.60 - 0.40) - (0.55 - 0.50) = 0.15; SE^2 = .4*.6/100 + .6*.4/100 + .5*.5/100 + .55*.45/100 = 0.009775
    assert did == pytest.approx(0.15) and se == pytest.approx(math.sqrt(0.009775))


def test_community_table_from_responses():
    rows = []
    for area, role in (("H1", "hotspot"), ("H2", "hotspot"), ("C1", "comparison"), ("C2", "comparison")):
        for wave, agree_share in (("before", 0.4 if role == "hotspot" else 0.5), ("after", 0.6 if role == "hotspot"
                                                                                  else 0.55)):
            k = round(50 * agree_share)
            rows += [(area, wave, 4)] * k + [(area, wave, 2)] * (50 - k)
    survey = pl.DataFrame(rows, schema={"area_id": pl.String, "wave": pl.String, "feel_safe": pl.Int8}, orient="row")
    areas = pl.DataFrame({"area_id": ["H1", "H2", "C1", "C2"], "role": ["hotspot", "hotspot", "comparison",
                                                                        "comparison"]})
    cells, did, _ = community(survey, areas, (Item("feel_safe", "Safe", AGREE),), reps=200)
    row = did.row(0, named=True)
    assert row["estimate"] == pytest.approx(0.15, abs=0.011)  # 28/50 rounding in the comparison after wave
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"] and row["boot_ci_lower"] is not None
    assert cells.height == 4


# ---------------------------------------------------------------------------------------------
# The strand in the pipeline, the store and the chapter


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    write_synthetic(out)  # the default scenario and seed
    return out


@pytest.fixture(scope="module")
def store(synthetic_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store") / "results"
    run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), out, only=["overview", "experience"])
    return out


def test_strand_is_registered():
    assert "experience" in [s.NAME for s in STRANDS]


def test_calibration_on_the_default_scenario(store):
    headlines = json.loads((store / "results.json").read_text())["strands"]["experience"]["headlines"]
    for item, target in TARGETS.items():
        h = headlines[f"participant_{item}"]
        assert h["estimate"] == pytest.approx(target, abs=0.04), item
        assert h["ci_lower"] <= h["estimate"] <= h["ci_upper"] and h["n"] >= 300
    satisfied = headlines["victim_satisfied"]
    assert satisfied["estimate"] == 1.0 and satisfied["n"] == 25 and satisfied["ci_lower"] < 0.9


def test_store_passes_the_publication_gate(store):
    assert check_store(store) == []
    tables = {p.stem for p in (store / "tables").glob("*.csv")}
    assert {"survey_items", "survey_response", "survey_nonresponse", "survey_subgroups", "survey_subgroup_tests",
            "survey_quotes", "survey_quote_screening", "survey_community", "survey_community_did"} <= tables
    figures = json.loads((store / "figures.json").read_text())
    assert {"survey_participant_items", "survey_victim_items"} <= set(figures)
    quotes = pl.read_csv(store / "tables" / "survey_quotes.csv")
    assert quotes.height and quotes["quote"].n_unique() == quotes.height


def test_chapter_and_finding_render(store):
    s = ResultsStore.open(store)
    md = experience(s)
    assert md.startswith("# Participants and victims {#sec-experience}")
    for ref in ("@fig-survey-participant-items", "@tbl-experience-participant-items", "@tbl-experience-victim-items"):
        assert ref in md
    assert "\n> " in md  # quotes as block quotes
    f = finding(s)
    assert f.answered and f.question == "What do participants and victims say?"
    assert "between" in f.answer and "25 answered" in f.answer


def test_chapter_is_one_sentence_when_the_strand_is_skipped(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    for name in ("participant_survey", "victim_survey", "community_survey"):
        (data / f"{name}.csv").unlink()
    out = tmp_path / "results"
    summary = run_pipeline(data, load_config(data / "evaluation.toml"), out, only=["overview", "experience"])
    assert "experience" in summary.skipped
    md = experience(ResultsStore.open(out))
    body = md.split(":::\n", 2)[-1].strip()
    assert body.count(".") == 1 and body.startswith("The participant and victim experience analysis did not run")
    assert not finding(ResultsStore.open(out)).answered


# ---------------------------------------------------------------------------------------------
# Pre/post pairing (the synthetic surveys have only exit answers)


def _pre_post_frame() -> pl.DataFrame:
    """understand_asb (1..5) and would_handle_differently before and after, by referral.

    Pairs (pre -> post): r1 2 -> 4 (a second, later pre answer of 5 is not used), r2 3 -> 3, r3 4 -> 2,
    r4 1 -> exit 5 (no post answer), r5 2 -> post 3 (its exit answer of 1 is not used), r6 3 -> 5, r7 2 -> 5,
    r8 3 -> post 1 then a later post 4 (the latest post is used). Left out: r9 (pre only), r10 (post only),
    r11 (pre answer blank), and the pre and post answers with no referral id.
    """
    d = dt.date(2024, 3, 1)
    rows = [  # referral_id, stage, days after d, understand_asb, would_handle_differently
        ("r1", "pre", 0, 2, 3), ("r1", "pre", 3, 5, 3), ("r1", "post", 7, 4, 3),
        ("r2", "pre", 0, 3, 3), ("r2", "post", 7, 3, 3),
        ("r3", "pre", 0, 4, 3), ("r3", "post", 7, 2, 3),
        ("r4", "pre", 0, 1, 3), ("r4", "exit", 30, 5, 3),
        ("r5", "pre", 0, 2, 3), ("r5", "post", 7, 3, 3), ("r5", "exit", 30, 1, 3),
        ("r6", "pre", 0, 3, 3), ("r6", "post", 7, 5, 3),
        ("r7", "pre", 0, 2, 3), ("r7", "post", 7, 5, 3),
        ("r8", "pre", 0, 3, 3), ("r8", "post", 5, 1, 3), ("r8", "post", 7, 4, 3),
        ("r9", "pre", 0, 1, 3),
        ("r10", "post", 7, 5, 3),
        ("r11", "pre", 0, None, 3), ("r11", "post", 7, 5, 3),
        (None, "pre", 0, 1, 3), (None, "post", 7, 5, 3),
    ]
    return pl.DataFrame(
        [(f"resp{i:02d}", r, d + dt.timedelta(days=days), stage, a, b)
         for i, (r, stage, days, a, b) in enumerate(rows)],
        schema={"response_id": pl.String, "referral_id": pl.String, "survey_date": pl.Date,
                "survey_stage": pl.String, "understand_asb": pl.Int8, "would_handle_differently": pl.Int8},
        orient="row")


def test_pre_post_pairs_by_referral_and_leaves_unpaired_answers_out():
    from scipy.stats import wilcoxon

    from ij_eval.strands.experience.prepost import PAIRED_SCHEMA, paired

    items = (ITEM, Item("would_handle_differently", "I would handle it differently", AGREE))
    table = paired(_pre_post_frame(), "participant", items)
    assert table.schema == pl.Schema(PAIRED_SCHEMA)
    row = table.filter(pl.col("item") == "understand_asb").row(0, named=True)
    changes = [2, 0, -2, 4, 1, 2, 3, 1]  # r1..r8, by hand from the docstring
    assert (row["survey"], row["pairs"], row["improved"], row["unchanged"], row["worse"]) == ("participant", 8, 6, 1, 1)
    assert row["mean_change"] == pytest.approx(11 / 8)
    # the signed-rank test on the non-zero changes: |d| ranks 1.5, 1.5 (the 1s), 4, 4, 4 (the 2s), 6, 7;
    # the only fall (-2) has rank 4, so W = 4
    nonzero = [c for c in changes if c != 0]
    assert wilcoxon(nonzero).statistic == 4
    assert row["p_value"] == pytest.approx(wilcoxon(nonzero).pvalue, rel=1e-12)
    # an item nobody changed on: every pair unchanged, no test
    flat = table.filter(pl.col("item") == "would_handle_differently").row(0, named=True)
    assert (flat["pairs"], flat["improved"], flat["unchanged"], flat["worse"], flat["mean_change"], flat["p_value"]) \
        == (9, 0, 9, 0, 0.0, None)  # r11 pairs here: its blank is only in understand_asb


def test_pre_post_without_links_or_stages_is_empty():
    from ij_eval.strands.experience.prepost import paired

    frame = _pre_post_frame()
    assert paired(frame.drop("survey_stage"), "participant", (ITEM,)).height == 0
    no_links = frame.with_columns(referral_id=pl.lit(None, pl.String))
    unlinked = paired(no_links, "participant", (ITEM,)).row(0, named=True)
    assert (unlinked["pairs"], unlinked["mean_change"], unlinked["p_value"]) == (0, None, None)
