"""The Value for money chapter and its finding, from a results store built by the pipeline.

The store is the synthetic demo's (the fixture of ``test_report_content.py``); cases the demo does not
produce (an interval wholly above 1, a strand that did not run, a break-even at zero) are made by
editing a copy of its ``results.json`` or tables, and a second run switches the effect benefits off.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from test_report_content import _edited_store, store_dir  # noqa: F401 (the module's store, reused)

from ij_eval.config import load_config
from ij_eval.pipeline import run_pipeline
from ij_eval.report import numbers as fmt
from ij_eval.report.brief import brief
from ij_eval.report.chapters import economics
from ij_eval.report.chapters.synthesis import emmie_rows
from ij_eval.report.findings import findings
from ij_eval.report.outline import chapter_markdown, report_markdown
from ij_eval.report.store import ResultsStore
from ij_eval.synth import write_synthetic

STRAND = "value_for_money"
SLUG = "value-for-money"


def _chapter(store: ResultsStore) -> str:
    return chapter_markdown(store, SLUG)


def _headlines(results: dict) -> dict:
    return results["strands"][STRAND]["headlines"]


def _opening(chapter: str) -> str:
    """The chapter's text before its first section (the question, the answer and the callout)."""
    return chapter.split("\n## ")[0]


def _copy(store_dir: Path, tmp_path: Path) -> Path:  # noqa: F811
    copy = tmp_path / "results"
    shutil.copytree(store_dir, copy)
    return copy


@pytest.fixture(scope="module")
def effects_off(tmp_path_factory) -> Path:
    """The demo evaluated with the reoffending and hotspot benefits switched off in the config."""
    root = tmp_path_factory.mktemp("vfm_effects_off")
    write_synthetic(root / "data", seed=11, scale=1)
    config = root / "data" / "evaluation.toml"
    text = config.read_text(encoding="utf-8")
    assert "[value_for_money]\n" in text
    config.write_text(text.replace("[value_for_money]\n", "[value_for_money]\nbenefits = [\"officer_time\", "
                                   "\"criminal_justice\", \"reparative_work\"]\n", 1), encoding="utf-8")
    run_pipeline(root / "data", load_config(config), root / "results")
    return root / "results"


# --------------------------------------------------------------------------------------------------
# the money format

@pytest.mark.parametrize(("value", "text"), [
    (1_128_314.088, "£1,128,314"), (-339_850.5563, "\u2212£339,851"), (145_513.67, "£145,514"),
    (27.67328678, "£27.67"), (1.128965575, "£1.13"), (0.75, "£0.75"), (99.996, "£100"), (100.4, "£100"),
    (9_999_999.4, "£9,999,999"), (12_345_678.0, "£12.3 million"), (-25_000_000.0, "\u2212£25.0 million"),
    (0.0, "£0"), (-0.001, "£0"), (None, fmt.SUPPRESSED),
])
def test_money(value, text):
    assert fmt.money(value) == text


# --------------------------------------------------------------------------------------------------
# the chapter from the demo store

def test_the_chapter_renders_from_the_store(store_dir):  # noqa: F811
    store = ResultsStore.open(store_dir)
    assert store.ran(STRAND)
    chapter = _chapter(store)
    assert chapter.startswith("# Value for money {#sec-value-for-money}")
    assert "Green Book" in chapter and "HM Treasury" in chapter
    for section in ("vfm-costs", "vfm-benefits", "vfm-uncertainty", "vfm-break-even", "vfm-parameters"):
        assert f"{{#sec-{section}}}" in chapter
    for label in ("vfm-costs", "vfm-cost-per-unit", "vfm-benefits", "vfm-cashflows", "vfm-parameters",
                  "vfm-unit-costs"):
        assert f"{{#tbl-{label}}}" in chapter and f"@tbl-{label}" in chapter
    for name in ("vfm_npv_distribution", "vfm_tornado", "vfm_break_even"):
        label = name.replace("_", "-")
        alt = store.figure(name)["alt_text"]
        assert f'{{#fig-{label} fig-alt="{alt}"}}' in chapter and f"@fig-{label}" in chapter
    for image in re.findall(r"\]\((figures/[^)]+)\)", chapter):
        assert (store_dir / image).is_file(), image
    # every parameter is in the parameters table, with its grade, and its source is listed
    params = store.table("vfm_parameters")
    table = chapter.split("{#tbl-vfm-parameters}")[0].rsplit("\n\n", 2)[1]
    assert table.startswith("| Parameter | Value | Range |")
    for row in params.iter_rows(named=True):
        line = next(line for line in table.splitlines() if line.lower().startswith(f"| {row['label'].lower()} |"))
        assert f"| {row['grade']} |" in line
        assert row["source"].rstrip(".") in chapter
    for grade in economics.GRADES:
        assert f"**{grade}:**" in chapter
    # the opening states the prices, the base year and the discount rate
    opening = _opening(chapter)
    assert "at 2024-25 prices" in opening and "discounted at 3.5% a year" in opening
    assert "the 12 months from 1 October 2023" in opening


def test_the_opening_gives_the_headlines_of_results_json(store_dir):  # noqa: F811
    store = ResultsStore.open(store_dir)
    h = _headlines(store.results)
    opening = _opening(_chapter(store))
    bcr, npv, p = h["bcr"], h["npv"], h["probability_bcr_above_1"]["estimate"]
    assert (f"For every £1 spent, the benefits valued come to about {fmt.money(bcr['estimate'])} (it could plausibly "
            f"be between {fmt.money(bcr['ci_lower'])} and {fmt.money(bcr['ci_upper'])})") in opening
    assert (f"a net present value of {fmt.money(npv['estimate'])} (between {fmt.money(npv['ci_lower'])} and "
            f"{fmt.money(npv['ci_upper'])})") in opening
    assert f"exceeded the costs in {fmt.percent(p)} of the simulations" in opening
    assert f"{fmt.money(h['pv_benefits']['estimate'])}, against costs of {fmt.money(h['pv_costs']['estimate'])}" \
        in _chapter(store)


def test_the_words_follow_an_edited_results_json(store_dir, tmp_path):  # noqa: F811
    def edit(results):
        _headlines(results)["bcr"].update(estimate=1.4649, ci_lower=0.8251, ci_upper=2.1)
        _headlines(results)["npv"].update(estimate=-12_345.6, ci_lower=-250_000.4, ci_upper=2_000_000.0)
        _headlines(results)["probability_bcr_above_1"].update(estimate=0.6349)

    store = _edited_store(store_dir, tmp_path, edit)
    opening = _opening(_chapter(store))
    assert "come to about £1.46 (it could plausibly be between £0.83 and £2.10)" in opening
    assert "a net present value of \u2212£12,346 (between \u2212£250,000 and £2,000,000)" in opening
    assert "in 63% of the simulations that vary the uncertain assumptions, so it is more likely than not to be value " \
           "for money" in opening


def _with_bcr(store_dir: Path, tmp_path: Path, low: float, high: float, p: float) -> ResultsStore:  # noqa: F811
    def edit(results):
        _headlines(results)["bcr"].update(estimate=(low + high) / 2, ci_lower=low, ci_upper=high)
        _headlines(results)["probability_bcr_above_1"].update(estimate=p)

    return _edited_store(store_dir, tmp_path, edit)


def test_an_interval_spanning_1_is_not_called_value_for_money(store_dir, tmp_path):  # noqa: F811
    store = _with_bcr(store_dir, tmp_path, 0.8, 1.4, 0.7)
    assert economics.verdict(_headlines(store.results)["bcr"]) == "unsettled"
    found = economics.finding(store)
    for text in (found.answer, found.short, _opening(_chapter(store)), brief(store)):
        assert "is value for money on" not in text and "is not value for money" not in text
    assert found.answer.startswith("The evidence does not settle whether Immediate Justice is value for money.")
    assert "it is not settled" in found.short and found.short in brief(store)


def test_an_interval_wholly_above_1_is_value_for_money(store_dir, tmp_path):  # noqa: F811
    store = _with_bcr(store_dir, tmp_path, 1.05, 1.9, 0.99)
    found = economics.finding(store)
    assert found.answer.startswith("Immediate Justice is value for money on the benefits that could be valued: "
                                   "for every £1 spent, the benefits valued come to about £1.48 (it could plausibly "
                                   "be between £1.05 and £1.90)")
    assert "does not settle" not in found.answer
    assert found.short.startswith("It is value for money on the benefits valued") and found.short in brief(store)


def test_an_interval_wholly_below_1_is_not_value_for_money(store_dir, tmp_path):  # noqa: F811
    found = economics.finding(_with_bcr(store_dir, tmp_path, 0.4, 0.9, 0.01))
    assert found.answer.startswith("On the benefits that could be valued, Immediate Justice is not value for money")
    assert "in only 1% of the simulations that vary" in found.answer


def test_the_finding_feeds_the_summary_brief_and_emmie(store_dir):  # noqa: F811
    store = ResultsStore.open(store_dir)
    found = {f.key: f for f in findings(store)}[STRAND]
    assert found.answered and found.question == "Is it value for money?"
    assert "Maryland level 3 of 5" in found.evidence and "Green Book" in found.evidence
    assert found.strength.startswith("moderate at best") and found.strength in brief(store)
    assert "SECONDHAND" in found.next_step and found.next_step in brief(store)
    economic = {r[0]: r for r in emmie_rows(store)}["Economic cost"]
    assert economic[1] == "Assessed (cost-benefit appraisal)" and economic[2] == found.short


# --------------------------------------------------------------------------------------------------
# uncertainty: the break-even and the tornado

def test_break_even_in_words(store_dir, tmp_path):  # noqa: F811
    def edit(results):
        _headlines(results)["break_even_effect"].update(estimate=0.046429)
        _headlines(results)["reoffending_effect"].update(estimate=0.0802, ci_lower=0.0297, ci_upper=0.1307)

    chapter = _chapter(_edited_store(store_dir, tmp_path, edit))
    assert ("The benefits equal the costs if the scheme cuts the reoffending rate by at least 4.6 percentage points; "
            "the estimate is 8.0 (3.0 to 13.1). The estimate is above the break-even point, but its interval "
            "reaches below it.") in chapter


@pytest.mark.parametrize(("estimate", "words"), [
    (0.0, "The other benefits cover the costs on their own"),
    (-0.02, "The other benefits cover the costs on their own"),
    (None, "No reduction in reoffending makes the benefits equal the costs"),
])
def test_break_even_at_or_below_zero_or_none(store_dir, tmp_path, estimate, words):  # noqa: F811
    def edit(results):
        _headlines(results)["break_even_effect"].update(estimate=estimate)

    chapter = _chapter(_edited_store(store_dir, tmp_path, edit))
    assert words in chapter and "cuts the reoffending rate by at least" not in chapter


def test_the_tornado_names_the_assumptions_that_move_the_answer_most(store_dir):  # noqa: F811
    store = ResultsStore.open(store_dir)
    chapter = _chapter(store)
    sentence = next(line for line in chapter.splitlines() if "The answer moves most with" in line)
    top = store.table("vfm_sensitivity").sort("swing", descending=True)["label"].to_list()
    named = [label for label in top if label[1:].lower() in sentence.lower()]
    assert named[:3] == top[:3], (named, top)


# --------------------------------------------------------------------------------------------------
# hidden values, strands that did not run, benefits not valued

def test_a_hidden_cost_per_unit_shows_the_disclosure_marker(store_dir, tmp_path):  # noqa: F811
    copy = _copy(store_dir, tmp_path)
    path = copy / "tables" / "vfm_cost_per_unit.csv"
    frame = pl.read_csv(path)
    hidden = pl.col("item") == "per completion"
    frame.with_columns(*(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
                         for c in ("n", "units", "real_gbp"))).write_csv(path)
    results = json.loads((copy / "results.json").read_text())
    _headlines(results)["cost_per_completion"].update(estimate=None, n=None)
    (copy / "results.json").write_text(json.dumps(results))
    chapter = _chapter(ResultsStore.open(copy))
    assert r"\[c\] per completion" in chapter
    row = next(line for line in chapter.splitlines() if line.startswith("| completion |"))
    assert row == r"| completion | \[c\] | \[c\] | outturn cost divided by the completions |"


def test_a_strand_that_did_not_run_is_one_sentence(store_dir, tmp_path):  # noqa: F811
    def edit(results):
        results["strands"][STRAND] = {"status": "skipped", "reason": "no costs table supplied"}

    store = _edited_store(store_dir, tmp_path, edit)
    body = _chapter(store).split(":::")[-1].strip()
    assert body == "The value-for-money analysis did not run for this report: no costs table supplied."
    found = economics.finding(store)
    assert not found.answered and "no costs table supplied" in found.answer
    assert {r[0]: r for r in emmie_rows(store)}["Economic cost"][1] == "Not assessed"
    assert "Is it value for money?** Not answered by this run" in report_markdown(store)
    assert "is value for money" not in brief(store)


def test_a_strand_that_ran_without_an_appraisal_says_why(store_dir, tmp_path):  # noqa: F811
    note = "Value for money not assessed: the costs cannot be put in 2024-25 prices: no deflator for 2031-32."

    def edit(results):
        results["strands"][STRAND] = {"status": "ran", "headlines": {}, "notes": [note], "tables": [],
                                      "figures": []}

    store = _edited_store(store_dir, tmp_path, edit)
    chapter = _chapter(store)
    assert note in chapter and "## Costs" not in chapter
    found = economics.finding(store)
    assert not found.answered and "no deflator for 2031-32" in found.answer
    report_markdown(store)


def test_effect_benefits_switched_off(effects_off):
    store = ResultsStore.open(effects_off)
    statuses = dict(store.table("vfm_benefits").select("benefit", "status").iter_rows())
    assert statuses["reoffending"] == statuses["asb_hotspots"] == "switched off"
    chapter = _chapter(store)
    assert "Reoffending was not valued in this appraisal, so there is no break-even reduction" in chapter
    assert "{#fig-vfm-break-even" not in chapter and "@fig-vfm-break-even" not in chapter
    assert "Not valued: reoffences avoided (switched off in the config" in chapter
    assert "**Reoffences avoided.** Not valued: switched off" in chapter
    assert "| Status |" in chapter  # shown once some benefit is not valued
    found = economics.finding(store)
    assert found.answered and "Some benefits were not valued (reoffences avoided, ASB incidents" in found.answer
    assert "no measured effect" in found.strength and "Maryland level" not in found.evidence
    labels = re.findall(r"\{#((?:fig|tbl|sec)-[\w-]+)", report_markdown(store))
    refs = set(re.findall(r"@((?:fig|tbl|sec)-[\w-]*\w)", report_markdown(store)))
    assert refs <= set(labels), sorted(refs - set(labels))


def test_a_benefit_not_valued_for_lack_of_inputs(store_dir, tmp_path):  # noqa: F811
    copy = _copy(store_dir, tmp_path)
    path = copy / "tables" / "vfm_benefits.csv"
    asb = pl.col("benefit") == "asb_hotspots"
    frame = pl.read_csv(path).with_columns(
        pl.when(asb).then(pl.lit("not valued")).otherwise(pl.col("status")).alias("status"),
        pl.when(asb).then(pl.lit("not valued: the hotspot analysis did not run")).otherwise(pl.col("note"))
        .alias("note"),
        *(pl.when(asb).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("quantity", "real_gbp", "present_value_gbp", "share")))
    frame.write_csv(path)
    store = ResultsStore.open(copy)
    chapter = _chapter(store)
    assert "**ASB incidents avoided in hotspots, net of displacement.** Not valued: the hotspot analysis did not " \
           "run." in chapter
    assert "The benefits, and so the ratio, are understated" in chapter
    found = economics.finding(store)
    assert found.answer.endswith("Some benefits were not valued (ASB incidents avoided in hotspots, net of "
                                 "displacement), so the benefits are understated.")
    assert "supply what the benefits not valued need (ASB incidents avoided" in found.next_step
