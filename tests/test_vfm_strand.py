"""The value-for-money strand: its inputs from the earlier strands, what it says is missing, and the
store it writes on synthetic data."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import types
from pathlib import Path

import polars as pl
import pytest

from ij_eval.cli import main
from ij_eval.config import ParameterSpec, ValueForMoneyConfig, config_from_dict, load_config
from ij_eval.pipeline import run_pipeline
from ij_eval.strands import value_for_money
from ij_eval.strands.base import StrandResult
from ij_eval.synth import write_synthetic

# --- the strand on hand-made inputs ---------------------------------------------------------------------------

COSTS = pl.DataFrame({
    "item": ["team", "van"], "category": ["staff", "transport"], "amount_gbp": [10_000.0, 2_000.0],
    "in_kind": [False, True], "funder": ["Home Office", "PCC"],
    "period_start": [dt.date(2024, 4, 1)] * 2, "period_end": [dt.date(2025, 3, 31)] * 2})
REFERRALS = pl.DataFrame({
    "referral_id": [f"r{i}" for i in range(100)], "person_id": [f"p{i}" for i in range(100)],
    "cohort": ["ij"] * 100, "referral_date": [dt.date(2024, 6, 1)] * 100,
    "route": ["community_resolution"] * 60 + ["charge"] * 40, "status": ["completed"] * 80 + ["refused"] * 20,
    "hours_completed": [10.0] * 80 + [0.0] * 20})


def _reoffending(estimate: float, *, rate: float = 0.4) -> StrandResult:
    effects = pl.DataFrame({
        "term": ["matched_risk_difference", "matched_hazard_ratio"], "label": ["Matched RD", "Matched HR"],
        "estimate": [estimate, 0.7], "std_error": [None, 0.15], "ci_lower": [estimate - 0.05, 0.52],
        "ci_upper": [estimate + 0.05, 0.94], "scale": ["risk difference", "hazard ratio"],
        "method": ["m", "m"], "contrast": ["causal", "causal"]})
    rates = pl.DataFrame({"measure": ["proven"], "group": ["comparison"], "age_group": ["all"], "rate": [rate],
                          "offences_per_reoffender": [2.0], "offences_per_reoffender_se": [0.1]})
    types_ = pl.DataFrame({"measure": ["proven"] * 2, "group": ["comparison"] * 2,
                           "offence_type": ["criminal_damage", "asb"], "offences": [30, 10], "share": [0.75, 0.25]})
    return StrandResult("reoffending", tables={"reoffending_effects": effects, "reoffending_rates": rates,
                                               "reoffending_offence_types": types_})


def _inputs(results: dict) -> types.SimpleNamespace:
    tables = {"costs": COSTS, "referrals": REFERRALS}
    return types.SimpleNamespace(has=lambda name: name in tables, frame=tables.__getitem__, results=results)


def _config(**vfm) -> object:
    settings = {"price_year": "2024-25", "benefits": ["reoffending", "reparative_work"],
                "unit_costs": {"asb": {"value": 100, "price_year": "2024-25", "source": "test"}}, **vfm}
    return config_from_dict({"scheme": {"start": dt.date(2024, 4, 1)}, "run": {"seed": 5},
                             "value_for_money": settings})


def _benefits(result: StrandResult) -> dict[str, dict]:
    return {r["benefit"]: r for r in result.tables["vfm_benefits"].to_dicts()}


def test_reoffending_is_valued_from_the_adjusted_estimate_by_hand():
    result = value_for_money.run(_inputs({"reoffending": _reoffending(-0.1)}), _config())
    h = result.headlines
    # 100 people x 0.1 x 2 reoffences = 20 avoided; a reoffence costs 0.75 x £1,810.13 (Heeks criminal damage
    # uprated from 2015-16) + 0.25 x £100 = £1,382.60; benefits 20 x 1,382.60 = £27,651.91
    assert h["reoffending_effect"].estimate == pytest.approx(0.1)
    assert h["reoffences_avoided"].estimate == pytest.approx(20)
    assert _benefits(result)["reoffending"]["present_value_gbp"] == pytest.approx(27_651.91, abs=0.05)
    # 800 hours of reparative work at the 2024-25 National Living Wage, £11.44 = £9,152
    assert _benefits(result)["reparative_work"]["present_value_gbp"] == pytest.approx(9_152)
    # costs £12,000 of 2024-25, all in year 0
    assert h["pv_costs"].estimate == pytest.approx(12_000) and h["total_cost"].estimate == 12_000
    assert h["npv"].estimate == pytest.approx(27_651.91 + 9_152 - 12_000, abs=0.05)
    assert h["cost_per_referral"].estimate == pytest.approx(120) and h["cost_per_completion"].estimate == 150
    # break-even: (12,000 - 9,152) / (100 x 2 x 1,382.60) = 0.0103
    assert h["break_even_effect"].estimate == pytest.approx((12_000 - 9_152) / (200 * 1382.5955), rel=1e-4)


def test_a_zero_effect_values_no_reoffences_and_still_gives_a_break_even_effect():
    result = value_for_money.run(_inputs({"reoffending": _reoffending(0.0)}), _config())
    assert _benefits(result)["reoffending"]["present_value_gbp"] == 0
    assert result.headlines["reoffences_avoided"].estimate == 0
    assert result.headlines["break_even_effect"].estimate == pytest.approx(0.0103, abs=1e-4)
    assert result.headlines["cost_per_reoffence_avoided"].estimate is None


def test_a_hazard_ratio_is_converted_with_the_comparison_rate():
    result = value_for_money.run(_inputs({"reoffending": _reoffending(-0.1)}),
                                 _config(effect_term="matched_hazard_ratio"))
    # S_ij = S_c ^ HR: (1 - 0.4)^0.7 - (1 - 0.4) = 0.6^0.7 - 0.6 = 0.69936 - 0.6 = 0.09936
    assert result.headlines["reoffending_effect"].estimate == pytest.approx(0.6 ** 0.7 - 0.6)


def test_missing_unit_costs_are_named_and_the_other_benefits_still_valued():
    config = _config(unit_costs={})
    result = value_for_money.run(_inputs({"reoffending": _reoffending(-0.1)}), config)
    rows = _benefits(result)
    assert rows["reoffending"]["status"] == "not valued"
    # asb has no unit cost; criminal damage needs none (the verified Home Office figure serves)
    assert "reoffence of type asb (" in rows["reoffending"]["note"]
    assert rows["reparative_work"]["status"] == "valued"
    assert any("asb" in w for w in result.warnings) and any("understated" in n for n in result.notes)
    assert "reoffences_avoided" not in result.headlines


def _hotspot_result(dispersions: list[float]) -> StrandResult:
    displacement = pl.DataFrame({"area_id": ["HS01", "total"], "wdd_local_estimate": [-100.0, -300.0],
                                 "wdd_local_std_error": [20.0, 50.0], "wdd_displacement_estimate": [10.0, 40.0],
                                 "wdd_displacement_std_error": [5.0, 20.0], "months_after": [12, 12]})
    diagnostics = pl.DataFrame({"area_id": [f"A{i}" for i in range(len(dispersions))] * 2,
                                "role": ["hotspot"] * (2 * len(dispersions)), "dispersion": dispersions * 2})
    return StrandResult("hotspots", tables={"hotspots_displacement": displacement,
                                            "hotspots_its_diagnostics": diagnostics})


def test_hotspot_asb_is_valued_net_of_displacement_with_overdispersed_errors():
    config = _config(benefits=["asb_hotspots"], parameters={
        "asb_cost_per_incident": {"value": 100, "price_year": "2024-25", "source": "test"}})
    result = value_for_money.run(_inputs({"hotspots": _hotspot_result([1.5, 4.0, 9.0])}), config)
    parameters = {r["parameter"]: r for r in result.tables["vfm_parameters"].to_dicts()}
    reduction, moved = parameters["asb_hotspot_reduction"], parameters["asb_buffer_change"]
    # median dispersion 4: the Poisson standard errors double; 95% interval 300 +/- 1.96 x 50 x 2
    assert reduction["value"] == 300 and reduction["high"] - reduction["value"] == pytest.approx(1.959964 * 100)
    assert moved["value"] == 40 and moved["high"] - moved["value"] == pytest.approx(1.959964 * 40)
    # (300 fewer in the hotspots - 40 more in the buffers) x £100 for the 12 months measured
    assert _benefits(result)["asb_hotspots"]["present_value_gbp"] == pytest.approx(26_000)
    underdispersed = value_for_money.run(_inputs({"hotspots": _hotspot_result([0.5])}), config)
    low = underdispersed.tables["vfm_parameters"].filter(pl.col("parameter") == "asb_hotspot_reduction").row(
        0, named=True)
    assert low["high"] - low["value"] == pytest.approx(1.959964 * 50)  # never scaled below Poisson


def test_switched_off_and_unavailable_benefits_are_told_apart():
    config = _config(benefits=["reparative_work", "asb_hotspots"])
    rows = _benefits(value_for_money.run(_inputs({}), config))
    assert rows["reoffending"]["status"] == "switched off"
    assert rows["asb_hotspots"]["status"] == "not valued" and "hotspot strand" in rows["asb_hotspots"]["note"]


def test_costs_a_deflator_cannot_reach_stop_the_appraisal_with_the_year_named():
    late = COSTS.with_columns(period_start=pl.lit(dt.date(2027, 4, 1)), period_end=pl.lit(dt.date(2028, 3, 31)))
    inputs = types.SimpleNamespace(has=lambda n: n in ("costs",), frame={"costs": late}.__getitem__, results={})
    result = value_for_money.run(inputs, _config())
    assert not result.headlines and "2027-28" in result.notes[0] and "2027-28" in result.warnings[0]


def test_an_empty_costs_table_is_said_not_assessed():
    inputs = types.SimpleNamespace(has=lambda n: n == "costs", frame={"costs": COSTS.head(0)}.__getitem__,
                                   results={})
    result = value_for_money.run(inputs, _config())
    assert not result.tables and "no cost lines" in result.notes[0]


def test_same_seed_same_tables_and_the_draw_count_is_configurable():
    inputs = _inputs({"reoffending": _reoffending(-0.1)})
    a, b = (value_for_money.run(inputs, _config(monte_carlo_draws=2000)) for _ in range(2))
    for name, table in a.tables.items():
        assert table.equals(b.tables[name]), name
    assert a.tables["vfm_monte_carlo"]["draws"][0] == 2000


def test_optimism_bias_from_the_config_raises_costs():
    spec = {"optimism_bias": {"value": 0.2, "low": 0, "high": 0.41, "source": "HMT"}}
    result = value_for_money.run(_inputs({"reoffending": _reoffending(-0.1)}), _config(parameters=spec))
    assert result.headlines["pv_costs"].estimate == pytest.approx(14_400)
    assert "optimism_bias" in result.tables["vfm_sensitivity"]["parameter"].to_list()


# --- on synthetic data, through the pipeline ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("vfm") / "data"
    write_synthetic(data, seed=11, scale=1)
    out = data.parent / "results"
    run_pipeline(data, load_config(data / "evaluation.toml"), out)
    return data, out


def test_the_store_holds_every_table_figure_and_headline(demo):
    data, out = demo
    results = json.loads((out / "results.json").read_text())["strands"]["value_for_money"]
    for name in ("vfm_costs", "vfm_benefits", "vfm_parameters", "vfm_sensitivity", "vfm_cashflows",
                 "vfm_monte_carlo", "vfm_break_even", "vfm_cost_per_unit", "vfm_unit_costs"):
        assert f"tables/{name}.csv" in results["tables"], name
    for name in ("vfm_npv_distribution", "vfm_tornado", "vfm_break_even"):
        assert (out / "figures" / f"{name}.png").is_file()
    h = {k: v["estimate"] for k, v in results["headlines"].items()}
    assert h["npv"] == pytest.approx(h["pv_benefits"] - h["pv_costs"], rel=1e-8)
    assert h["bcr"] == pytest.approx(h["pv_benefits"] / h["pv_costs"], rel=1e-8)
    assert h["total_cost"] == pytest.approx(pl.read_csv(data / "costs.csv")["amount_gbp"].sum())
    benefits = pl.read_csv(out / "tables" / "vfm_benefits.csv")
    assert benefits["status"].to_list() == ["valued"] * 5
    assert benefits["present_value_gbp"].sum() == pytest.approx(h["pv_benefits"], rel=1e-8)
    # the effect valued is the reoffending strand's matched difference, reversed in sign
    effects = pl.read_csv(out / "tables" / "reoffending_effects.csv")
    matched = effects.filter(pl.col("term") == "matched_risk_difference")["estimate"][0]
    assert h["reoffending_effect"] == pytest.approx(-matched, rel=1e-8)
    parameters = pl.read_csv(out / "tables" / "vfm_parameters.csv", infer_schema_length=None)
    assert parameters.filter(pl.col("source").is_null() | (pl.col("source") == "")).height == 0
    money = parameters.filter(pl.col("unit") == "£")
    assert (money["price_year"] == "2024-25").all()


def test_the_run_says_which_unit_costs_are_missing(demo, tmp_path, capsys):
    data, _ = demo
    text = (data / "evaluation.toml").read_text()
    start = text.index("[value_for_money.unit_costs]")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    (copy / "evaluation.toml").write_text(text[:start] + text[end:])
    code = main(["run", str(copy), "--config", str(copy / "evaluation.toml"), "--out", str(tmp_path / "out"),
                 "--only", "reoffending", "value_for_money"])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: value for money" in err and "asb" in err and "[value_for_money.unit_costs]" in err
    benefits = pl.read_csv(tmp_path / "out" / "tables" / "vfm_benefits.csv")
    assert benefits.filter(pl.col("benefit") == "reoffending")["status"][0] == "not valued"


def test_a_default_config_needs_no_value_for_money_section():
    config = load_config(None)
    assert config.value_for_money == ValueForMoneyConfig()
    assert ValueForMoneyConfig(unit_costs=(("asb", ParameterSpec(1.0)),)).unit_cost("asb").value == 1.0


def test_the_appraisal_period_can_be_lengthened_or_cut():
    inputs = _inputs({"reoffending": _reoffending(-0.1)})
    base = value_for_money.run(inputs, _config())
    assert base.tables["vfm_cashflows"].height == 1  # costs and referrals all in year 0, effect for one year
    longer = value_for_money.run(inputs, _config(appraisal_years=3))
    assert longer.tables["vfm_cashflows"].height == 3
    assert longer.headlines["npv"].estimate == pytest.approx(base.headlines["npv"].estimate)
    two_years = value_for_money.run(inputs, _config(effect_years=2, appraisal_years=1))
    assert any("left out" in n for n in two_years.notes)
    # the second year of effect is cut: the benefits are those of one year only
    assert two_years.headlines["reoffences_avoided"].estimate == pytest.approx(20)
