"""Displacement and diffusion: the weighted displacement quotient (WDQ) and difference test (WDD)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from builders import synthetic_panel

from ij_eval.errors import IJEvalError
from ij_eval.strands.hotspots.displacement import (
    TABLE_COLUMNS,
    displacement_table,
    wdd,
    wdd_scaled,
    wdq,
    wdq_category,
)
from ij_eval.synth import write_synthetic


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> pl.DataFrame:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(folder, seed=20231001)
    return synthetic_panel(folder)


# --- Wheeler & Ratcliffe (2018) published example -------------------------------------------

def test_wdd_reproduces_the_published_example():
    # control (308, 318), treated (207, 110), displacement-control (150, 140), displacement-treated (178, 157)
    out = wdd(rb=207, ra=110, db=178, da=157, cb=308, ca=318, dcb=150, dca=140)
    assert out["estimate"] == -118  # (110-207) - (318-308) + (157-178) - (140-150) = -97 - 10 - 21 + 10
    assert out["variance"] == 1568  # 207+110+178+157+308+318+150+140
    assert out["std_error"] == pytest.approx(math.sqrt(1568))
    assert round(out["std_error"], 1) == 39.6
    assert round(out["z"], 2) == -2.98
    assert (round(out["ci_lower"]), round(out["ci_upper"])) == (-196, -40)
    assert out["p_value"] == pytest.approx(0.00288, abs=1e-5)
    assert out["local_estimate"] == -107  # (110-207) - (318-308)
    assert round(out["local_std_error"], 1) == 30.7  # sqrt(110+207+318+308) = sqrt(943)
    assert out["displacement_estimate"] == -11  # (157-178) - (140-150)
    assert out["displacement_std_error"] == pytest.approx(25.0)  # sqrt(157+178+140+150) = sqrt(625)


def test_wdd_rejects_negative_counts():
    with pytest.raises(ValueError):
        wdd(-1, 1, 1, 1, 1, 1, 1, 1)


# --- WDQ ------------------------------------------------------------------------------------

def test_wdq_components_on_a_hand_example():
    # Rb=100, Ra=70, Db=50, Da=40, Cb=1000, Ca=900.
    # success = 70/900 - 100/1000 = 7/90 - 9/90 = -1/45
    # buffer  = 40/900 - 50/1000  = 2/45 - 1/20 = (8 - 9)/180 = -1/180
    # WDQ = (-1/180) / (-1/45) = 0.25 -> diffusion of benefit, smaller than the direct effect
    # total net effect = [100*0.9 - 70] + [50*0.9 - 40] = 20 + 5 = 25 incidents prevented
    out = wdq(100, 70, 50, 40, 1000, 900)
    assert out["success_measure"] == pytest.approx(-1 / 45)
    assert out["buffer_measure"] == pytest.approx(-1 / 180)
    assert out["wdq"] == pytest.approx(0.25)
    assert out["local_net_effect"] == pytest.approx(20)
    assert out["buffer_net_effect"] == pytest.approx(5)
    assert out["total_net_effect"] == pytest.approx(25)
    assert out["hotspot_relative_change"] == pytest.approx((70 / 900) / 0.1 - 1)  # -22.2%
    assert out["buffer_relative_change"] == pytest.approx((40 / 900) / 0.05 - 1)  # -11.1%
    assert out["category"] == "diffusion"
    assert "Diffusion of benefit" in out["reading"]
    assert "positive = incidents prevented" in out["sign_convention"]


def test_wdq_displacement_example():
    # Rb=100, Ra=80, Db=50, Da=60, Cb=Ca=1000: success = -0.02, buffer = +0.01, WDQ = -0.5
    # total net effect = (100 - 80) + (50 - 60) = 10 (the displacement ate half the gain)
    out = wdq(100, 80, 50, 60, 1000, 1000)
    assert out["wdq"] == pytest.approx(-0.5)
    assert out["total_net_effect"] == pytest.approx(10)
    assert out["category"] == "displacement"
    assert "smaller than the direct effect" in out["reading"]


@pytest.mark.parametrize("ra", [100, 110, 130])
def test_wdq_undefined_when_the_hotspot_did_not_improve(ra):
    # Cb = Ca, so the success measure is (ra - 100)/1000 >= 0: no direct effect to displace.
    out = wdq(100, ra, 50, 40, 1000, 1000)
    assert out["success_measure"] == pytest.approx((ra - 100) / 1000)
    assert out["wdq"] is None
    assert out["category"] == "undefined"
    assert "not meaningful" in out["reading"]
    assert "did not improve" in out["note"]
    assert out["total_net_effect"] == pytest.approx((100 - ra) + 10)  # still reported


def test_wdq_without_comparison_incidents():
    out = wdq(10, 5, 10, 5, 0, 10)
    assert out["wdq"] is None and out["success_measure"] is None and "comparison" in out["note"]


@pytest.mark.parametrize(("value", "band"), [(1.5, "diffusion_exceeds"), (0.4, "diffusion"), (0.0, "none"),
                                             (-0.4, "displacement"), (-1.0, "displacement"),
                                             (-2.0, "displacement_exceeds"), (None, "undefined")])
def test_wdq_reading_bands(value, band):
    assert wdq_category(value) == band


# --- WDD with the pooled comparison rescaled ----------------------------------------------------

def test_scaled_wdd_is_minus_the_net_effect():
    est = wdd_scaled(207, 110, 178, 157, 3080, 3180)
    net = wdq(207, 110, 178, 157, 3080, 3180)
    assert est["estimate"] == pytest.approx(-net["total_net_effect"])
    assert est["local_estimate"] == pytest.approx(-net["local_net_effect"])
    assert est["displacement_estimate"] == pytest.approx(-net["buffer_net_effect"])
    # delta-method variance written out: Ra + Da + r^2 (Rb + Db) + (k^2) Ca + (k r)^2 Cb
    r, k = 3180 / 3080, (207 + 178) / 3080
    assert est["variance"] == pytest.approx(110 + 157 + r ** 2 * 385 + k ** 2 * 3180 + (k * r) ** 2 * 3080)


def test_scaled_wdd_matches_raw_wdd_when_the_control_has_the_hotspots_volume():
    # Same-sized control, no change in it: the two tests agree closely.
    raw = wdd(200, 150, 0, 0, 200, 200, 0, 0)
    scaled = wdd_scaled(200, 150, 0, 0, 200, 200)
    assert scaled["estimate"] == raw["estimate"] == -50
    assert scaled["std_error"] == pytest.approx(raw["std_error"], rel=0.05)


def test_scaled_wdd_variance_matches_simulation():
    rng = np.random.default_rng(7)
    mean = {"rb": 300, "ra": 250, "db": 200, "da": 190, "cb": 2600, "ca": 2500}
    draws = {k: rng.poisson(v, 40_000) for k, v in mean.items()}
    ratio = draws["ca"] / draws["cb"]
    est = (draws["ra"] - draws["rb"] * ratio) + (draws["da"] - draws["db"] * ratio)
    theory = wdd_scaled(**mean)["std_error"]
    assert est.std() == pytest.approx(theory, rel=0.03)


# --- The table on synthetic data ------------------------------------------------------------

def test_table_columns_and_one_hotspot_by_hand(panel):
    table = displacement_table(panel)
    assert tuple(table.columns) == TABLE_COLUMNS
    assert table["area_id"].to_list()[-1] == "total"
    hotspots = panel.filter(pl.col("role") == "hotspot")["area_id"].unique().sort().to_list()
    assert table["area_id"].to_list()[:-1] == hotspots
    row = table.row(0, named=True)
    start = panel.filter(pl.col("area_id") == row["area_id"])["intervention_start"][0]
    lo, hi = start.replace(year=start.year - 1), start.replace(year=start.year + 1)

    def window(role_filter, a, b):
        return int(panel.filter(role_filter & (pl.col("period") >= a) & (pl.col("period") < b))["count"].sum())

    assert row["buffer_id"] == panel.filter(pl.col("parent_hotspot") == row["area_id"])["area_id"][0]
    assert row["rb"] == window(pl.col("area_id") == row["area_id"], lo, start)
    assert row["ra"] == window(pl.col("area_id") == row["area_id"], start, hi)
    assert row["db"] == window(pl.col("area_id") == row["buffer_id"], lo, start)
    assert row["da"] == window(pl.col("area_id") == row["buffer_id"], start, hi)
    assert row["cb"] == window(pl.col("role") == "comparison", lo, start)
    assert row["ca"] == window(pl.col("role") == "comparison", start, hi)
    assert (row["months_before"], row["months_after"]) == (12, 12)
    measures = wdq(row["rb"], row["ra"], row["db"], row["da"], row["cb"], row["ca"])
    test = wdd_scaled(row["rb"], row["ra"], row["db"], row["da"], row["cb"], row["ca"])
    assert row["success_measure"] == pytest.approx(measures["success_measure"])
    assert row["total_net_effect"] == pytest.approx(measures["total_net_effect"])
    assert row["wdd_estimate"] == pytest.approx(-row["total_net_effect"])
    assert row["wdd_std_error"] == pytest.approx(test["std_error"])
    assert row["wdd_ci_lower"] < row["wdd_estimate"] < row["wdd_ci_upper"]


def test_total_row_sums(panel):
    table = displacement_table(panel)
    each, total = table.filter(pl.col("area_id") != "total"), table.row(-1, named=True)
    for column in ("rb", "ra", "db", "da", "cb", "ca"):
        assert total[column] == each[column].sum()
    assert total["total_net_effect"] == pytest.approx(each["total_net_effect"].sum())
    assert total["wdd_estimate"] == pytest.approx(each["wdd_estimate"].sum())
    assert total["wdd_local_estimate"] == pytest.approx(each["wdd_local_estimate"].sum())
    assert total["success_measure"] == pytest.approx(total["ra"] / total["ca"] - total["rb"] / total["cb"])
    assert total["buffer_measure"] == pytest.approx(total["da"] / total["ca"] - total["db"] / total["cb"])
    # The comparison is shared, so the hotspots' estimates are positively correlated:
    assert total["wdd_std_error"] ** 2 > (each["wdd_std_error"] ** 2).sum()


def test_total_row_with_a_common_start_matches_one_pooled_test(panel):
    # With one start for everyone, the total is one WDD on the summed hotspots and buffers against
    # the comparison total counted once.
    common = panel.with_columns(
        intervention_start=pl.when(pl.col("role") == "comparison").then(None).otherwise(pl.lit(dt.date(2024, 1, 1))))
    table = displacement_table(common)
    each, total = table.filter(pl.col("area_id") != "total"), table.row(-1, named=True)
    cb, ca = each["cb"][0], each["ca"][0]
    assert each["cb"].n_unique() == 1
    pooled = wdd_scaled(total["rb"], total["ra"], total["db"], total["da"], cb, ca)
    assert total["wdd_estimate"] == pytest.approx(pooled["estimate"])
    assert total["wdd_std_error"] == pytest.approx(pooled["std_error"])


def test_synthetic_buffers_show_diffusion(tmp_path):
    # The true buffer rate ratio is 0.95 (hotspot 0.85, comparison 1): a small diffusion of benefit.
    # One buffer's 5% is within its noise, so the check pools hotspots over several seeds.
    negative = hotspots = 0
    for seed in range(1, 5):
        folder = tmp_path / str(seed)
        write_synthetic(folder, seed=seed, scale=3)
        table = displacement_table(synthetic_panel(folder))
        each, total = table.filter(pl.col("area_id") != "total"), table.row(-1, named=True)
        negative += int((each["buffer_measure"] < 0).sum())
        hotspots += each.height
        assert total["success_measure"] < 0
        assert total["buffer_measure"] < 0  # the buffers improved relative to the comparison areas
        assert 0 < total["wdq"] < 1  # diffusion of benefit, smaller than the direct effect
        assert -0.25 < total["hotspot_relative_change"] < -0.08  # true -15%
        assert -0.15 < total["buffer_relative_change"] < 0.0  # true -5%
        assert total["total_net_effect"] > 0 and total["wdd_ci_upper"] < 0
        assert "Diffusion of benefit" in total["reading"]
    assert negative > hotspots / 2


def test_short_panel_uses_what_is_available(panel):
    start = panel.filter(pl.col("area_id") == "HS01")["intervention_start"][0]
    assert start == dt.date(2023, 10, 1)  # the synthetic panel runs 2019-01 to 2025-09
    short = panel.filter(pl.col("period") >= dt.date(2023, 4, 1))
    table = displacement_table(short, before=12, after=36)
    row = table.filter(pl.col("area_id") == "HS01").row(0, named=True)
    assert row["months_before"] == 6 and row["months_after"] == 24
    assert "only 6 of 12 months before" in row["note"] and "only 24 of 36 months from the start" in row["note"]
    assert row["rb"] == int(short.filter((pl.col("area_id") == "HS01") & (pl.col("period") < start))["count"].sum())


def test_hotspot_without_buffer_or_start(panel):
    no_buffer = panel.filter(pl.col("area_id") != "BF01").with_columns(
        intervention_start=pl.when(pl.col("area_id") == "HS02").then(None).otherwise(pl.col("intervention_start")))
    table = displacement_table(no_buffer)
    hs1 = table.filter(pl.col("area_id") == "HS01").row(0, named=True)
    assert hs1["buffer_id"] is None and hs1["db"] is None and hs1["wdq"] is None
    assert hs1["total_net_effect"] == pytest.approx(hs1["rb"] * hs1["ca"] / hs1["cb"] - hs1["ra"])
    assert hs1["wdd_estimate"] == pytest.approx(-hs1["total_net_effect"])
    assert "no buffer" in hs1["note"]
    hs2 = table.filter(pl.col("area_id") == "HS02").row(0, named=True)
    assert hs2["rb"] is None and "no intervention start" in hs2["note"]
    total = table.row(-1, named=True)
    assert total["rb"] == table.filter(~pl.col("area_id").is_in(["total", "HS02"]))["rb"].sum()


def test_bad_input():
    with pytest.raises(IJEvalError, match="no column"):
        displacement_table(pl.DataFrame({"area_id": ["A"]}))
    empty = pl.DataFrame(schema={"area_id": pl.String, "role": pl.String, "parent_hotspot": pl.String,
                                 "period": pl.Date, "count": pl.Int64, "intervention_start": pl.Date})
    with pytest.raises(IJEvalError, match="whole number"):
        displacement_table(empty, before=0)
    assert displacement_table(empty).columns == list(TABLE_COLUMNS)


def test_wdq_flags_a_tiny_improvement_as_unstable():
    # Rb=100, Ra=99, Db=50, Da=60, Cb=Ca=1000: success = -0.001 (a 1% improvement), buffer = +0.01,
    # WDQ = 0.01 / -0.001 = -10: reported, but flagged as dividing by almost nothing.
    out = wdq(100, 99, 50, 60, 1000, 1000)
    assert out["wdq"] == pytest.approx(-10)
    assert "unstable" in out["note"] and "unstable" in out["reading"]


def test_weekly_panel_is_summed_into_months(panel):
    # Split every monthly count into a first-of-month row and a mid-month row: the table must not change.
    first = panel.with_columns(count=pl.col("count") // 2)
    second = panel.with_columns(count=pl.col("count") - pl.col("count") // 2,
                                period=pl.col("period").dt.offset_by("14d"))
    split = displacement_table(pl.concat([first, second]).sort("area_id", "period"))
    assert split.equals(displacement_table(panel))
