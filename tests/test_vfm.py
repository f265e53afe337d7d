"""Green Book arithmetic and the cost-benefit model against hand-worked examples.

Every expected value here is worked by hand in the comment beside it, not taken from the code.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ij_eval.config import ParameterSpec, ValueForMoneyConfig
from ij_eval.vfm import costs as cost_lines
from ij_eval.vfm.deflator import MissingDeflator, financial_year, load_deflator
from ij_eval.vfm.greenbook import benefit_cost_ratio, break_even, discount_factors, present_value
from ij_eval.vfm.model import Activity, Appraisal
from ij_eval.vfm.parameters import Parameter, estimated, resolve
from ij_eval.vfm.uncertainty import draw, effect_grid, monte_carlo, one_way

# --- discounting, NPV and BCR ----------------------------------------------------------------------------------


def test_discount_factors_at_the_green_book_rate():
    # 1, 1/1.035 = 0.966184, 1/1.035^2 = 1/1.071225 = 0.933511, 1/1.035^3 = 1/1.108718 = 0.901943
    assert discount_factors(0.035, 4) == pytest.approx([1, 0.966184, 0.933511, 0.901943], abs=1e-6)


def test_present_value_npv_and_bcr_by_hand():
    costs = [1000, 0, 0]
    benefits = [0, 600, 600]
    # PV benefits = 600 / 1.035 + 600 / 1.071225 = 579.7101 + 560.1064 = 1139.8165
    pv_b, pv_c = present_value(benefits, 0.035), present_value(costs, 0.035)
    assert pv_b == pytest.approx(1139.8165, abs=1e-3) and pv_c == 1000
    assert pv_b - pv_c == pytest.approx(139.8165, abs=1e-3)
    assert benefit_cost_ratio(pv_b, pv_c) == pytest.approx(1.1398165, abs=1e-6)
    # 100 a year for three years: 100 + 96.6184 + 93.3511 = 289.9694
    assert present_value([100, 100, 100], 0.035) == pytest.approx(289.9694, abs=1e-3)
    assert np.isnan(benefit_cost_ratio(10.0, 0.0))


def test_break_even_by_hand():
    # costs 10,000; other benefits 4,000; each unit of effect earns 120,000 -> (10,000 - 4,000) / 120,000 = 0.05
    assert break_even(10_000, 4_000, 120_000) == pytest.approx(0.05)
    assert break_even(10_000, 12_000, 120_000) == pytest.approx(-2_000 / 120_000)  # covered without the effect
    assert break_even(10_000, 0, 0) is None


# --- deflating ------------------------------------------------------------------------------------------------


def test_financial_years_run_april_to_march():
    assert financial_year(dt.date(2024, 3, 31)) == "2023-24"
    assert financial_year(dt.date(2024, 4, 1)) == "2024-25"
    assert financial_year(dt.date(1999, 12, 1)) == "1999-00"


def test_uprating_with_the_shipped_deflator_by_hand():
    deflator = load_deflator()
    # 2015-16 = 74.5804 and 2024-25 = 100 in the shipped series: factor 100 / 74.5804 = 1.340835
    assert deflator.factor("2015-16", "2024-25") == pytest.approx(1.340835, abs=1e-6)
    # Heeks 2018 criminal damage (other than arson) £1,350 at 2015/16 prices -> 1350 x 1.340835 = £1,810.13
    assert deflator.uprate(1350, "2015-16", "2024-25") == pytest.approx(1810.13, abs=0.01)
    # and back down: 2019-20 = 80.8738, so £100 of 2024-25 is £80.87 of 2019-20
    assert deflator.uprate(100, "2024-25", "2019-20") == pytest.approx(80.8738, abs=1e-4)
    assert deflator.factor("2019-20", "2019-20") == 1


@pytest.mark.parametrize(("year", "factor"), [
    ("2008-09", 1.4961), ("2015-16", 1.3408), ("2018-19", 1.2691), ("2019-20", 1.2365), ("2020-21", 1.1751),
    ("2022-23", 1.0953), ("2024-25", 1.0)])
def test_uprating_factors_match_the_published_ones(year, factor):
    # reference/vfm_parameters.md section 2: "factor to 2024-25 prices", HMT March 2026 vintage
    assert load_deflator().factor(year, "2024-25") == pytest.approx(factor, abs=5e-5)


def test_a_year_the_series_lacks_is_named_not_interpolated():
    deflator = load_deflator()
    with pytest.raises(MissingDeflator, match=r"2026-27.*\[value_for_money.deflator\]"):
        deflator.factor("2026-27", "2024-25")
    extended = load_deflator([("2026-27", 105.0)], "OBR forecast")
    assert extended.factor("2024-25", "2026-27") == pytest.approx(1.05)
    assert extended.sources["2026-27"] == "OBR forecast"


# --- costs ----------------------------------------------------------------------------------------------------


def test_cost_lines_are_spread_over_appraisal_years_by_days():
    base = dt.date(2023, 10, 1)
    assert cost_lines.spread(dt.date(2023, 10, 1), dt.date(2024, 9, 30), base) == {0: pytest.approx(1.0)}
    # 1 Jul 2024 - 31 Dec 2024: 92 days in year 0 (to 30 Sep) and 92 in year 1, of 184
    assert cost_lines.spread(dt.date(2024, 7, 1), dt.date(2024, 12, 31), base) == {
        0: pytest.approx(0.5), 1: pytest.approx(0.5)}
    # days before the base date count in year 0: 1-30 Sep 2023 (30 days) and Oct 2023 (31 days)
    assert cost_lines.spread(dt.date(2023, 9, 1), dt.date(2023, 10, 31), base) == {0: pytest.approx(1.0)}


def test_real_costs_and_yearly_costs_by_hand():
    costs = pl.DataFrame({
        "item": ["a", "b"], "amount_gbp": [1000.0, 500.0],
        "period_start": [dt.date(2019, 4, 1), dt.date(2024, 4, 1)],
        "period_end": [dt.date(2020, 3, 31), dt.date(2025, 3, 31)]})
    real, missing = cost_lines.real_costs(costs, load_deflator(), "2024-25")
    assert missing == []
    # £1,000 of 2019-20 (80.8738) is £1,236.49 of 2024-25; £500 of 2024-25 stays £500
    assert real["real_gbp"].to_list() == pytest.approx([1236.49439, 500.0], abs=1e-4)
    yearly = cost_lines.by_year(real, dt.date(2019, 4, 1), 6)
    assert yearly == pytest.approx([1236.49439, 0, 0, 0, 0, 500.0], abs=1e-4)
    late = costs.with_columns(period_start=pl.lit(dt.date(2026, 4, 1)), period_end=pl.lit(dt.date(2027, 3, 31)))
    _, missing = cost_lines.real_costs(late, load_deflator(), "2024-25")
    assert len(missing) == 1 and "2026-27" in missing[0]


# --- the model ------------------------------------------------------------------------------------------------

GENERAL = {"optimism_bias": 0.0, "deadweight": 0.0, "attribution": 0.0, "drop_off": 0.0}


def _activity(costs, referrals, *, out_of_court=None, hours=None, hotspot=None) -> Activity:
    def as_array(x) -> np.ndarray:
        return np.zeros(len(costs)) if x is None else np.asarray(x, dtype=float)

    return Activity(np.asarray(costs, dtype=float), np.asarray(referrals, dtype=float), as_array(out_of_court),
                    as_array(hours), as_array(hotspot))


REOFFENDING = {"reoffending_effect": 0.1, "reoffences_per_reoffender": 2.0, "cost_per_reoffence": 1000.0}


def test_reoffending_benefit_and_break_even_by_hand():
    appraisal = Appraisal(_activity([10_000, 0], [100, 0]), ("reoffending",))
    p = {**GENERAL, **REOFFENDING}
    result = appraisal.evaluate(p)
    # 100 people x 0.1 fewer reoffending x 2 reoffences each = 20 reoffences avoided, x £1,000 = £20,000 in year 0
    assert float(result.reoffences_avoided) == pytest.approx(20)
    assert float(result.pv_benefits["reoffending"]) == pytest.approx(20_000)
    assert float(result.npv) == pytest.approx(10_000) and float(result.bcr) == pytest.approx(2.0)
    # benefits equal costs at 10,000 / (100 x 2 x 1,000) = 0.05
    assert appraisal.break_even_effect(p) == pytest.approx(0.05)


def test_zero_effect_gives_zero_reoffending_benefit_and_break_even_still_computes():
    appraisal = Appraisal(_activity([10_000, 0], [100, 0], hours=[500, 0]), ("reoffending", "reparative_work"))
    p = {**GENERAL, **REOFFENDING, "reoffending_effect": 0.0, "reparative_wage": 10.0}
    result = appraisal.evaluate(p)
    assert float(result.pv_benefits["reoffending"]) == 0 and float(result.reoffences_avoided) == 0
    # reparative work: 500 h x £10 = £5,000, so the effect must earn the other £5,000: 5,000 / 200,000 = 0.025
    assert appraisal.break_even_effect(p) == pytest.approx(0.025)


def test_effect_years_drop_off_and_discounting_by_hand():
    appraisal = Appraisal(_activity([0, 0, 0], [100, 0, 0]), ("reoffending",), effect_years=2)
    p = {**GENERAL, **REOFFENDING, "drop_off": 0.5}
    result = appraisal.evaluate(p)
    # year 0: £20,000; year 1: half the effect, £10,000, discounted: 10,000 / 1.035 = 9,661.84
    assert result.benefits["reoffending"] == pytest.approx([20_000, 10_000, 0])
    assert float(result.pv_benefits["reoffending"]) == pytest.approx(29_661.84, abs=0.01)
    assert float(result.reoffences_avoided) == pytest.approx(30)


def test_adjustments_optimism_bias_deadweight_and_attribution_by_hand():
    appraisal = Appraisal(_activity([10_000], [100]), ("reoffending",))
    p = {**REOFFENDING, "optimism_bias": 0.41, "deadweight": 0.2, "attribution": 0.25, "drop_off": 0.0}
    result = appraisal.evaluate(p)
    assert float(result.pv_costs) == pytest.approx(14_100)  # 10,000 x 1.41
    assert float(result.pv_total_benefits) == pytest.approx(12_000)  # 20,000 x 0.8 x 0.75


def test_other_benefits_by_hand():
    activity = _activity([0, 0], [0, 0], out_of_court=[50, 30], hours=[1000, 0], hotspot=[1.0, 0.5])
    appraisal = Appraisal(activity, ("officer_time", "criminal_justice", "reparative_work", "asb_hotspots"),
                          discount_rate=0.0)
    p = {**GENERAL, "case_file_hours": 2.0, "officer_cost_per_hour": 40.0, "charge_replaced_share": 0.1,
         "cj_cost_per_case": 500.0, "reparative_wage": 11.44, "asb_hotspot_reduction": 300.0,
         "asb_buffer_change": 50.0, "asb_cost_per_incident": 100.0}
    pv = appraisal.evaluate(p).pv_benefits
    assert float(pv["officer_time"]) == pytest.approx(80 * 2 * 40)  # 6,400
    assert float(pv["criminal_justice"]) == pytest.approx(80 * 0.1 * 500)  # 4,000
    assert float(pv["reparative_work"]) == pytest.approx(11_440)
    # (300 fewer in the hotspots - 50 more in the buffers) a year x 1.5 years x £100 = £37,500
    assert float(pv["asb_hotspots"]) == pytest.approx(37_500)


def test_diffusion_counts_only_when_asked():
    activity = _activity([0], [0], hotspot=[1.0])
    p = {**GENERAL, "asb_hotspot_reduction": 300.0, "asb_buffer_change": -50.0, "asb_cost_per_incident": 1.0}
    assert float(Appraisal(activity, ("asb_hotspots",)).evaluate(p).pv_total_benefits) == 300
    assert float(Appraisal(activity, ("asb_hotspots",), count_diffusion=True).evaluate(p).pv_total_benefits) == 350


# --- uncertainty ----------------------------------------------------------------------------------------------


def _parameters(*, effect_sd: float | None, ranges: bool) -> dict[str, Parameter]:
    fixed = {k: Parameter(k, k, v, "share") for k, v in GENERAL.items()}
    cost = (Parameter("cost_per_reoffence", "cost", 1000.0, "£", 500.0, 1500.0, "triangular") if ranges
            else Parameter("cost_per_reoffence", "cost", 1000.0, "£"))
    return {**fixed, "reoffending_effect": estimated("reoffending_effect", "effect", 0.1, effect_sd, "points", "", ""),
            "reoffences_per_reoffender": Parameter("reoffences_per_reoffender", "per", 2.0, "reoffences"),
            "cost_per_reoffence": cost}


APPRAISAL = Appraisal(_activity([10_000, 0], [100, 0]), ("reoffending",))


def test_monte_carlo_equals_the_deterministic_value_when_every_range_is_zero():
    parameters = _parameters(effect_sd=None, ranges=False)
    mc = monte_carlo(APPRAISAL, parameters, 1000, seed=1)
    assert np.all(mc.npv == pytest.approx(10_000)) and mc.probability_bcr_above_1 == 1.0


def test_monte_carlo_mean_converges_to_the_deterministic_value():
    # NPV is linear in the effect and the (symmetric) cost range: its mean is the deterministic NPV
    parameters = _parameters(effect_sd=0.03, ranges=True)
    mc = monte_carlo(APPRAISAL, parameters, 10_000, seed=7)
    standard_error = mc.npv.std(ddof=1) / np.sqrt(len(mc.npv))
    assert abs(mc.npv.mean() - 10_000) < 4 * standard_error
    assert mc.npv.std() > 1000  # it did vary
    # P(NPV > 0) for a product of two independent draws is not a normal tail, but it must be between them
    assert 0.5 < mc.probability_bcr_above_1 < 1


def test_the_same_seed_gives_identical_draws_and_another_seed_does_not():
    parameters = _parameters(effect_sd=0.03, ranges=True)
    a, b, c = (monte_carlo(APPRAISAL, parameters, 500, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a.npv, b.npv) and a.table().equals(b.table())
    assert not np.array_equal(a.npv, c.npv)
    draws = draw(parameters, 200, 3)
    assert set(draws) == set(parameters) and np.all(draws["deadweight"] == 0)
    assert draws["cost_per_reoffence"].min() >= 500 and draws["cost_per_reoffence"].max() <= 1500


def test_one_way_sensitivity_by_hand():
    parameters = _parameters(effect_sd=0.03, ranges=True)
    table = one_way(APPRAISAL, parameters)
    assert table["parameter"].to_list() == ["reoffending_effect", "cost_per_reoffence"]  # biggest swing first
    cost = table.filter(pl.col("parameter") == "cost_per_reoffence").row(0, named=True)
    # 100 x 0.1 x 2 = 20 reoffences: at £500 benefits £10,000 (NPV 0), at £1,500 £30,000 (NPV 20,000)
    assert (cost["npv_low"], cost["npv_high"], cost["swing"]) == pytest.approx((0, 20_000, 20_000))
    effect = table.filter(pl.col("parameter") == "reoffending_effect").row(0, named=True)
    # effect 0.1 +/- 1.96 x 0.03: NPV = 200,000 x effect - 10,000
    assert effect["npv_low"] == pytest.approx(200_000 * (0.1 - 1.959964 * 0.03) - 10_000, abs=0.1)


def test_effect_grid_crosses_zero_at_the_break_even_effect():
    grid = effect_grid(APPRAISAL, _parameters(effect_sd=0.03, ranges=False), [0.0, 0.05, 0.1])
    assert grid["npv"].to_list() == pytest.approx([-10_000, 0, 10_000])


# --- parameters -----------------------------------------------------------------------------------------------


def test_unverified_parameters_have_no_default_and_are_named():
    config = ValueForMoneyConfig()
    found, missing = resolve([("case_file_hours", "officer_time"), ("officer_cost_per_hour", "officer_time"),
                              ("asb_cost_per_incident", "asb_hotspots")], config, load_deflator())
    assert set(found) == {"officer_cost_per_hour"}  # the Home Office on-cost, verified, uprated from 2014-15
    assert found["officer_cost_per_hour"].value == pytest.approx(36.51 * 100 / 74.0662, abs=1e-3)
    assert len(missing) == 2 and "case_file_hours" in missing[0] and "asb_cost_per_incident" in missing[1]


def test_config_values_win_and_money_is_uprated_with_its_range():
    config = ValueForMoneyConfig(parameters=(("asb_cost_per_incident", ParameterSpec(
        500, 35, 500, "2002-03", "GMCA CR1.0")),))
    found, missing = resolve([("asb_cost_per_incident", "asb_hotspots")], config, load_deflator())
    p = found["asb_cost_per_incident"]
    factor = 100 / 56.6  # 2002-03 = 56.6 in the shipped series
    assert missing == [] and p.grade == "CONFIG" and p.distribution == "triangular"
    assert (p.value, p.low, p.high) == pytest.approx((500 * factor, 35 * factor, 500 * factor))
    assert (p.native_value, p.native_price_year) == (500, "2002-03")
    no_year = ValueForMoneyConfig(parameters=(("asb_cost_per_incident", ParameterSpec(500)),))
    _, missing = resolve([("asb_cost_per_incident", "asb_hotspots")], no_year, load_deflator())
    assert "price_year" in missing[0]


def test_the_national_living_wage_of_the_price_year_is_the_default_wage():
    found, _ = resolve([("reparative_wage", "reparative_work")], ValueForMoneyConfig(price_year="2025-26",
                                                                                     deflator=(("2025-26", 103.0),)),
                       load_deflator([("2025-26", 103.0)]))
    assert (found["reparative_wage"].value, found["reparative_wage"].low) == (12.21, 7.55)
    _, missing = resolve([("reparative_wage", "reparative_work")], ValueForMoneyConfig(price_year="2019-20"),
                         load_deflator())
    assert "reparative_wage" in missing[0]
