"""Report content from a results store: numbers equal results.json, honest labels, chapters that did not run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ij_eval.config import load_config
from ij_eval.pipeline import run_pipeline
from ij_eval.report import numbers as fmt
from ij_eval.report.brief import brief
from ij_eval.report.chapters import executive_summary
from ij_eval.report.chapters.synthesis import emmie_rows
from ij_eval.report.outline import CHAPTERS, report_markdown
from ij_eval.report.store import BANNER, ResultsStore
from ij_eval.synth import write_synthetic

# Numbers in the brief that are part of the design or the glossary, not results.
FIXED_PHRASES = (r"within 48 hours", r"95%", r"1 to 5", r"level \d of 5", r"5 is a randomised trial", r"every £1 spent")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")
DATE = re.compile(r"\b(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|November|"
                  r"December) \d{4}\b")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report_content")
    write_synthetic(root / "data", seed=11, scale=1)
    run_pipeline(root / "data", load_config(root / "data" / "evaluation.toml"), root / "results")
    return root / "results"


def _edited_store(store_dir: Path, tmp_path: Path, edit) -> ResultsStore:
    copy = tmp_path / "results"
    shutil.copytree(store_dir, copy)
    results = json.loads((copy / "results.json").read_text())
    edit(results)
    (copy / "results.json").write_text(json.dumps(results))
    return ResultsStore.open(copy)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _renderings(results: dict) -> tuple[set[str], set[str]]:
    """Every way the report may print a value of results.json: numbers, and dates."""
    numbers, dates = set(), set()
    for v in _leaves(results):
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int | float):
            if float(v).is_integer():
                numbers.add(fmt.count(v))
            numbers |= {fmt.percent(v), fmt.percent(v, 1), fmt.ratio(v), fmt.reduction(v), fmt.number(v),
                        fmt.number(v, 1), fmt.change(v).split()[0], fmt.points(v), fmt.points(abs(v))}
            numbers |= set(NUMBER.findall(fmt.money(v)))  # '−£339,851' -> '339,851'; '£1.13' -> '1.13'
        elif isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            dates |= {fmt.date(v), fmt.month(v)}
    return numbers, dates


def _unexplained_numbers(text: str, results: dict) -> list[str]:
    numbers, dates = _renderings(results)
    text = re.sub(r"\{#[^}]*\}", "", text)  # labels
    for phrase in FIXED_PHRASES:
        text = re.sub(phrase, "", text)
    bad = [d for d in DATE.findall(text) if d not in dates]
    text = DATE.sub("", text)
    bad += [n for n in NUMBER.findall(text) if n.rstrip(",") not in numbers]
    return bad


def test_every_number_in_the_brief_and_summary_is_a_value_of_results_json(store_dir):
    store = ResultsStore.open(store_dir)
    for name, text in (("brief", brief(store)), ("executive summary", executive_summary(store))):
        assert NUMBER.search(text), f"the {name} has no numbers at all"
        assert _unexplained_numbers(text, store.results) == [], name


def test_a_number_not_in_results_json_is_caught(store_dir):
    store = ResultsStore.open(store_dir)
    assert _unexplained_numbers(brief(store) + " ASB fell by 37.5% in 2031.", store.results) [-2:] == ["37.5%", "2031"]


def test_the_brief_follows_results_json(store_dir, tmp_path):
    def edit(results):
        results["strands"]["reoffending"]["headlines"]["main_effect"].update(estimate=0.5, ci_lower=0.4, ci_upper=0.6)
        results["strands"]["hotspots"]["headlines"]["did_hotspot"].update(estimate=1.2, ci_lower=0.9, ci_upper=1.5)

    text = brief(_edited_store(store_dir, tmp_path, edit))
    assert "50% less likely" in text and "between 40% and 60% lower" in text
    assert "The evidence is not clear: recorded ASB in the hotspots was 20% higher" in text
    assert "anywhere from 10% lower to 50% higher" in text


def test_not_significant_effect_is_not_called_a_reduction(store_dir, tmp_path):
    def edit(results):
        results["strands"]["reoffending"]["headlines"]["main_effect"].update(estimate=0.9, ci_lower=0.7, ci_upper=1.2)

    text = brief(_edited_store(store_dir, tmp_path, edit))
    assert "The evidence is not clear" in text and "no change cannot be ruled out" in text
    assert "less likely to be proven to reoffend" not in text


def test_every_chapter_builds_and_labels_resolve(store_dir):
    store = ResultsStore.open(store_dir)
    text = report_markdown(store)
    labels = re.findall(r"\{#((?:fig|tbl|sec)-[\w-]+)", text)
    assert len(labels) == len(set(labels)), "duplicate labels"
    refs = set(re.findall(r"@((?:fig|tbl|sec)-[\w-]*\w)", text))
    assert refs and refs <= set(labels), sorted(refs - set(labels))
    for c in CHAPTERS:
        assert f"{{#sec-{c.slug}}}" in text
    for image in re.findall(r"\]\((figures/[^)]+)\)", text):
        assert (store_dir / image).is_file(), image


def test_causal_claims_carry_caveats_and_descriptive_ones_are_labelled(store_dir):
    store = ResultsStore.open(store_dir)
    reoffending = next(c for c in CHAPTERS if c.slug == "reoffending").build(store)
    assert "Design caveat" in reoffending and "causal if no unmeasured confounding" in reoffending.lower()
    assert "rates (descriptive)" in reoffending  # the completers / refusers / comparison table
    hotspots = next(c for c in CHAPTERS if c.slug == "hotspots").build(store)
    assert "Design caveat" in hotspots and "(descriptive" in hotspots


def test_a_strand_that_did_not_run_is_one_sentence(store_dir, tmp_path):
    def edit(results):
        results["strands"]["hotspots"] = {"status": "skipped", "reason": "no ASB data (asb_counts) supplied"}

    store = _edited_store(store_dir, tmp_path, edit)
    chapter = next(c for c in CHAPTERS if c.slug == "hotspots").build(store)
    body = chapter.split(":::")[-1].strip()  # after the banner
    assert body == "The hotspot analysis did not run for this report: no ASB data (asb_counts) supplied."
    text = report_markdown(store)  # the rest still builds
    assert "Did anti-social behaviour fall in the hotspots?** Not answered by this run" in text


def test_banner_only_on_synthetic_stores(store_dir, tmp_path):
    store = ResultsStore.open(store_dir)
    assert report_markdown(store).count(BANNER) == len(CHAPTERS)
    real = _edited_store(store_dir, tmp_path, lambda r: r.update(synthetic=False))
    assert BANNER not in report_markdown(real) and BANNER not in brief(real)


def test_emmie_ratings_follow_the_results(store_dir, tmp_path):
    rows = {r[0]: r for r in emmie_rows(ResultsStore.open(store_dir))}
    assert list(rows) == ["Effect", "Mechanism", "Moderators", "Implementation", "Economic cost"]
    assert rows["Effect"][1].startswith("Good evidence")  # hotspots at level 4 with parallel pre-trends
    assert rows["Economic cost"][1] == "Assessed (cost-benefit appraisal)"

    def edit(results):
        results["strands"]["hotspots"] = {"status": "skipped", "reason": "no ASB data"}
        results["strands"]["reoffending"] = {"status": "skipped", "reason": "no offences"}

    rows = {r[0]: r for r in emmie_rows(_edited_store(store_dir, tmp_path, edit))}
    assert rows["Effect"][1] == "Not assessed"


def test_emmie_implementation_and_mechanism_follow_their_strands(store_dir, tmp_path):
    rows = {r[0]: r for r in emmie_rows(ResultsStore.open(store_dir))}
    assert rows["Implementation"][1] == "Assessed (descriptive)" and "within 48 hours" in rows["Implementation"][2]
    assert rows["Mechanism"][1] == "Partly tested"

    def edit(results):
        for strand in ("implementation", "experience"):
            results["strands"][strand] = {"status": "skipped", "reason": "no data"}

    rows = {r[0]: r for r in emmie_rows(_edited_store(store_dir, tmp_path, edit))}
    assert rows["Implementation"][1] == "Partly assessed"  # completions from the overview table
    assert rows["Mechanism"][1] == "Not tested"


def test_hidden_counts_show_as_c(store_dir, tmp_path):
    copy = tmp_path / "results"
    shutil.copytree(store_dir, copy)
    table = copy / "tables" / "overview_referrals.csv"
    lines = table.read_text().splitlines()
    first = lines[1].rsplit(",", 1)[0] + ","  # hide the first count
    table.write_text("\n".join([lines[0], first, *lines[2:]]) + "\n")
    scheme = next(c for c in CHAPTERS if c.slug == "scheme").build(ResultsStore.open(copy))
    row = next(line for line in scheme.splitlines() if line.startswith("| " + lines[1].split(",")[0]))
    assert row.rstrip().endswith("| [c] |")


def test_data_dictionary_appendix_comes_from_the_store(store_dir, tmp_path):
    chapter = next(c for c in CHAPTERS if c.slug == "data-dictionary")
    text = chapter.build(ResultsStore.open(store_dir))
    assert "## Tables" in text and "{#table-referrals}" in text and "<a id=" not in text
    copy = tmp_path / "results"
    shutil.copytree(store_dir, copy)
    (copy / "DATA_DICTIONARY.md").unlink()
    body = chapter.build(ResultsStore.open(copy)).split(":::")[-1].strip()
    assert body == "This results store has no data dictionary; re-run the evaluation with this version of ij-eval."
