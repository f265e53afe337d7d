"""The hotspot strand end to end on synthetic data with known effects, and its results-store contract."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from ij_eval.config import load_config
from ij_eval.pipeline import Inputs, run_pipeline
from ij_eval.strands import hotspots
from ij_eval.synth import write_synthetic
from ij_eval.validation import load_tables

TIDY = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("hotspots")
    write_synthetic(out, seed=20231001)
    return out


def _run(folder):
    config = load_config(folder / "evaluation.toml")
    return hotspots.run(Inputs(load_tables(folder, config).tables), config), json.loads(
        (folder / "ground_truth.json").read_text())["hotspots"]


def test_level_change_and_buffer_effect_recover_the_ground_truth(folder):
    result, truth = _run(folder)
    hotspot_rr, buffer_rr = truth["rate_ratio"]["hotspot"], truth["rate_ratio"]["buffer"]
    for key, true in (("did_hotspot", hotspot_rr), ("did_buffer", buffer_rr)):
        h = result.headlines[key]
        assert h.ci_lower < true < h.ci_upper, (key, h)
    its_row = result.headlines["its_hotspot_level_change"]
    assert its_row.ci_lower < hotspot_rr < its_row.ci_upper
    assert result.headlines["pretrend_hotspot"].estimate > 0.05


def test_results_store_tables_follow_the_contract(folder):
    result, _ = _run(folder)
    t = result.tables
    for name in ("hotspots_its", "hotspots_did", "hotspots_event_study", "hotspots_displacement", "hotspots_panel"):
        assert name in t, name
    its_table = t["hotspots_its"]
    assert set(TIDY + ["rate_ratio", "rr_ci_lower", "rr_ci_upper"]) <= set(its_table.columns)
    assert set(its_table["term"]) == {"level_change", "slope_change", "trend"}
    assert "pooled" in its_table["area_id"].to_list()
    names = [f.name for f in result.figures]
    for name in ("hotspots_series", "hotspots_counterfactual", "hotspots_event_study", "hotspots_displacement"):
        assert name in names


def test_with_only_hotspots_its_runs_and_comparison_analyses_are_skipped(folder, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(folder, data)
    areas = pl.read_csv(data / "areas.csv", infer_schema=False).filter(pl.col("role") == "hotspot")
    areas.write_csv(data / "areas.csv")
    counts = pl.read_csv(data / "asb_counts.csv", infer_schema=False)
    counts.filter(pl.col("area_id").is_in(areas["area_id"].implode())).write_csv(data / "asb_counts.csv")
    (data / "community_survey.csv").unlink()  # its comparison-area responses would be orphans
    referrals = pl.read_csv(data / "referrals.csv", infer_schema=False)
    referrals.with_columns(hotspot_id=pl.when(pl.col("hotspot_id").is_in(areas["area_id"].implode()))
                           .then(pl.col("hotspot_id"))).write_csv(data / "referrals.csv")
    result, _ = _run(data)
    assert "hotspots_its" in result.tables and "hotspots_did" not in result.tables
    assert any(n.startswith("No comparison areas: difference-in-differences") for n in result.notes)


def test_pipeline_writes_the_hotspot_tables(folder, tmp_path):
    out = tmp_path / "results"
    run_pipeline(folder, load_config(folder / "evaluation.toml"), out, only=["hotspots"])
    for name in ("hotspots_its", "hotspots_did", "hotspots_event_study", "hotspots_displacement", "hotspots_panel"):
        assert (out / "tables" / f"{name}.csv").is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert results["strands"]["hotspots"]["status"] == "ran"
