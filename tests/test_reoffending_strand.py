"""The reoffending strand end to end on synthetic data whose true effect is known."""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from ij_eval.config import load_config
from ij_eval.pipeline import Inputs
from ij_eval.strands import reoffending
from ij_eval.synth import write_synthetic
from ij_eval.validation import load_tables

TIDY = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value"]


def _run(folder, **settings):
    config = load_config(folder / "evaluation.toml")
    config = dataclasses.replace(config, reoffending=dataclasses.replace(config.reoffending, **settings))
    report = load_tables(folder, config)
    return reoffending.run(Inputs(report.tables), config), json.loads((folder / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def default_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reoffending")
    write_synthetic(folder, seed=20231001)
    return folder


def _effect(result, term: str) -> dict:
    return result.tables["reoffending_effects"].filter(pl.col("term") == term).row(0, named=True)


def test_adjusted_estimates_recover_the_true_hazard_ratio_and_the_naive_one_does_not(default_folder):
    # The generator's event is any recorded offence after referral: the local measure.
    result, truth = _run(default_folder, primary_measure="local")
    true_hr = truth["reoffending"]["hazard_ratio_ij"]
    for term in ("adjusted_hazard_ratio", "matched_hazard_ratio", "ipw_hazard_ratio"):
        row = _effect(result, term)
        assert row["ci_lower"] < true_hr < row["ci_upper"], (term, row)
        assert row["contrast"] == "causal if no unmeasured confounding"
    naive = _effect(result, "naive_hazard_ratio")
    assert naive["ci_upper"] < true_hr and naive["contrast"] == "descriptive"
    assert result.headlines["main_effect"].estimate == _effect(result, "matched_hazard_ratio")["estimate"]


def test_results_store_tables_have_the_contracted_columns(default_folder):
    result, _ = _run(default_folder)
    tables = result.tables
    for name in ("reoffending_rates", "reoffending_km", "reoffending_at_risk", "reoffending_cox",
                 "reoffending_balance", "reoffending_effects"):
        assert name in tables, name
    assert tables["reoffending_cox"].columns[:6] == TIDY
    assert {"hazard_ratio", "hr_ci_lower", "hr_ci_upper"} <= set(tables["reoffending_cox"].columns)
    effects = tables["reoffending_effects"]
    assert effects.columns[0] == "term" and set(TIDY) <= set(effects.columns)
    balance = tables["reoffending_balance"]
    assert set(balance["sample"]) == {"before", "matched", "weighted"}
    assert balance.filter(pl.col("sample") == "before")["imbalanced"].any()
    assert not balance.filter(pl.col("sample") != "before")["imbalanced"].any()
    km = tables["reoffending_km"]
    assert {"completed", "comparison", "ij_all"} <= set(km["group"])
    assert km.filter(pl.col("time") == 0)["survival"].to_list() == [1.0] * km.filter(pl.col("time") == 0).height
    names = [f.name for f in result.figures]
    assert names == ["reoffending_km", "reoffending_km_matched", "reoffending_love_plot", "reoffending_forest"]
    assert any(n.startswith("For every 100 people who completed Immediate Justice") for n in result.notes)
    assert result.headlines["e_value"].estimate > 1
    assert result.headlines["minimum_detectable_difference"].estimate > 0


def test_null_effect_scenario_gives_an_interval_covering_one(tmp_path):
    write_synthetic(tmp_path, scenario="null-effect", seed=11, scale=2)
    result, truth = _run(tmp_path, primary_measure="local")
    assert truth["reoffending"]["hazard_ratio_ij"] == 1.0
    row = _effect(result, "matched_hazard_ratio")
    assert row["ci_lower"] < 1.0 < row["ci_upper"]


def test_too_small_cohort_is_refused_with_the_minimum(default_folder):
    result, _ = _run(default_folder, min_group_size=100_000)
    assert "reoffending_effects" not in result.tables
    assert any("at least 100000 are needed in each cohort" in n for n in result.notes)
