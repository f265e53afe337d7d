"""The strand contract on the edge of the data: every strand, every report chapter, no exception but IJEvalError.

Each strand in ``ij_eval.strands.STRANDS`` runs on empty inputs (every table with its columns and no
rows) and on each degenerate folder of ``degenerate.py`` (one referral, no comparison cohort, no
reoffences, one area, one month, all zeros, costs of nothing, ...), in pipeline order with the
results of the strands before it. It must return a :class:`StrandResult` (saying in its notes what
it could not estimate) or raise :class:`~ij_eval.errors.IJEvalError`. The whole run and every
chapter of the report, the brief and the title page are then built from the store of each folder.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import polars as pl
import pytest
from builders import MINIMAL_CONFIG, write_folder
from degenerate import SCENARIOS

from ij_eval.config import load_config
from ij_eval.errors import IJEvalError
from ij_eval.pipeline import Inputs, _intake, run_pipeline
from ij_eval.report.outline import CHAPTERS, brief_markdown, report_markdown, title_page
from ij_eval.report.render import resolve_crossrefs
from ij_eval.report.store import ResultsStore
from ij_eval.strands import STRANDS
from ij_eval.strands.base import StrandResult
from ij_eval.validation import Table, load_tables

DEEPER = "\n[reoffending]\nmin_group_size = 2\n"  # lets the tiny folders reach the survival and matching code


def _run_strands(inputs: Inputs, config) -> dict[str, StrandResult | IJEvalError]:
    """Each strand whose tables are present, in order; its result or the IJEvalError it raised."""
    results: dict[str, StrandResult] = {}
    outcome: dict[str, StrandResult | IJEvalError] = {}
    for strand in STRANDS:
        if not all(inputs.has(t) for t in strand.REQUIRES):
            continue
        try:
            result = strand.run(replace(inputs, results=MappingProxyType(dict(results))), config)
        except IJEvalError as exc:
            outcome[strand.NAME] = exc
            continue
        assert isinstance(result, StrandResult) and result.name == strand.NAME
        for name, frame in result.tables.items():
            assert isinstance(frame, pl.DataFrame), (strand.NAME, name)
        results[strand.NAME] = outcome[strand.NAME] = result
    return outcome


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    folder = write_folder(tmp_path_factory.mktemp("baseline"), config=MINIMAL_CONFIG + DEEPER)
    config = load_config(folder / "evaluation.toml")
    return load_tables(folder, config), config


def _emptied(table: Table) -> Table:
    return Table(table.name, table.path, table.frame.head(0), table.encoding, table.covariates,
                 table.ignored_columns)


def test_every_strand_survives_empty_tables(baseline):
    report, config = baseline
    inputs, _, _ = _intake(report, config)
    empty = Inputs(MappingProxyType({n: _emptied(t) for n, t in inputs.tables.items()}))
    outcome = _run_strands(empty, config)
    assert set(outcome) == {s.NAME for s in STRANDS}  # every strand was tried


@pytest.mark.parametrize("keep", [n for n in ("referrals", "offences", "areas", "asb_counts", "placements",
                                              "participant_survey", "victim_survey", "costs")])
def test_every_strand_survives_one_empty_table(baseline, keep):
    """All tables full but one, which has no rows (as after an analysis period or a filter)."""
    report, config = baseline
    inputs, _, _ = _intake(report, config)
    tables = {n: (_emptied(t) if n == keep else t) for n, t in inputs.tables.items()}
    outcome = _run_strands(Inputs(MappingProxyType(tables)), config)
    assert outcome


# With min_group_size 2 the tiny folders reach the survival, matching and status sections; the baseline
# and the scenarios that set min_group_size themselves also run as they are.
PAIRS = [pytest.param(s, deeper, id=f"{s.id}-{'min_group_size_2' if deeper else 'as_given'}")
         for s in SCENARIOS for deeper in (False, True)
         if (deeper and "min_group_size" not in s.config) or (not deeper and (s.id == "baseline"
                                                                              or "min_group_size" in s.config))]


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "deeper"), PAIRS)
def test_strands_run_and_chapters_build_on_degenerate_folders(scenario, deeper, tmp_path):
    folder = scenario.write(tmp_path)
    if deeper:
        (folder / "evaluation.toml").write_text(scenario.config + DEEPER, encoding="utf-8")
    config = load_config(folder / "evaluation.toml")
    assert load_tables(folder, config).ok  # each scenario is valid input
    try:
        run_pipeline(folder, config, tmp_path / "out")
    except IJEvalError:
        return
    store = ResultsStore.open(tmp_path / "out")
    for chapter in CHAPTERS:
        assert chapter.build(store).startswith(f"# {chapter.title}")
    for markdown in (report_markdown(store), brief_markdown(store)):
        for path in resolve_crossrefs(markdown).images:  # every reference resolves, every figure is there
            assert (store.root / path).is_file(), path
    assert title_page(store)["title"]
