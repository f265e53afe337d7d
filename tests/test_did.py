"""Difference-in-differences, event study and robustness checks for the hotspot strand."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from scipy import stats

from ij_eval.strands.hotspots import did
from ij_eval.strands.hotspots.did import event_study, fit_did, poisson_fe
from ij_eval.strands.hotspots.robustness import leave_one_out, placebo, placebo_panel, rate_ratio_range
from ij_eval.synth import write_synthetic

# --------------------------------------------------------------------------------------------
# Panels
# --------------------------------------------------------------------------------------------


def panel_from_synthetic(folder) -> pl.DataFrame:
    """The panel contract built from a synthetic folder's areas.csv and asb_counts.csv."""
    areas = pl.read_csv(folder / "areas.csv", try_parse_dates=True)
    counts = pl.read_csv(folder / "asb_counts.csv")
    parents = areas.filter(pl.col("role") == "hotspot").select(
        pl.col("area_id").alias("parent_hotspot"), pl.col("intervention_start").alias("parent_start"))
    areas = areas.join(parents, on="parent_hotspot", how="left").with_columns(
        pl.when(pl.col("role") == "buffer").then(pl.col("parent_start"))
        .when(pl.col("role") == "hotspot").then(pl.col("intervention_start")).alias("intervention_start"))
    return (counts
            .with_columns(pl.col("period").str.to_date("%Y-%m"))
            .join(areas.select("area_id", "role", "parent_hotspot", "intervention_start"), on="area_id")
            .sort("area_id", "period")
            .select(
                "area_id", "role", pl.col("parent_hotspot").cast(pl.String), "period",
                pl.col("count").cast(pl.Int64), pl.col("population").cast(pl.Float64),
                pl.col("intervention_start").cast(pl.Date),
                (pl.col("period") >= pl.col("intervention_start").dt.month_start()).fill_null(False).alias("post"),
                (pl.col("period").rank("dense").cast(pl.Int64)).alias("time"),
                pl.col("period").dt.month().cast(pl.Int64).alias("season")))


def month(i: int) -> dt.date:
    return dt.date(2020 + i // 12, i % 12 + 1, 1)


def hand_panel(starts: dict[str, int | None], n_periods: int, *, effect, area_effect, period_effect,
               population=None, noise_seed: int | None = None) -> pl.DataFrame:
    """counts = population * exp(area + period + effect(event time) * post); ``y0`` is the count
    without the effect, ``event`` the event time (null for never-treated areas)."""
    rng = np.random.default_rng(noise_seed) if noise_seed is not None else None
    rows = []
    for i, (area, start) in enumerate(starts.items()):
        pop = None if population is None else float(population[i])
        for t in range(n_periods):
            event = None if start is None else t - start
            treated_now = event is not None and event >= 0
            y0 = (pop or 1.0) * math.exp(area_effect[i] + period_effect[t])
            mean = y0 * math.exp(effect(event) if treated_now else 0.0)
            count = float(rng.poisson(mean)) if rng is not None else mean
            rows.append({"area_id": area, "role": "comparison" if start is None else "hotspot",
                         "parent_hotspot": None, "period": month(t), "count": count, "population": pop,
                         "intervention_start": None if start is None else month(start), "post": treated_now,
                         "time": t + 1, "season": month(t).month, "y0": y0, "event": event})
    return pl.DataFrame(rows, schema_overrides={"parent_hotspot": pl.String, "population": pl.Float64,
                                                "intervention_start": pl.Date, "event": pl.Int64})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(folder)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))["hotspots"]
    return panel_from_synthetic(folder), truth


# --------------------------------------------------------------------------------------------
# Known answers without noise
# --------------------------------------------------------------------------------------------


def test_common_start_no_noise_both_estimators_give_exactly_the_effect():
    n = 24
    starts = {"H1": 12, "H2": 12, "H3": 12, "C1": None, "C2": None, "C3": None}
    panel = hand_panel(starts, n, effect=lambda e: math.log(0.8), area_effect=[2.0, 2.5, 1.8, 2.2, 2.9, 2.4],
                       period_effect=0.3 * np.sin(np.arange(n) / 2) - 0.01 * np.arange(n),
                       population=[5000, 8000, 6500, 7000, 9000, 4000])
    result = fit_did(panel)
    table = result.table
    assert table["estimator"].to_list() == ["stacked", "twfe"]
    assert table["headline"].to_list() == [True, False]
    for row in table.iter_rows(named=True):
        assert row["rate_ratio"] == pytest.approx(0.8, abs=1e-9)
        assert row["estimate"] == pytest.approx(math.log(0.8), abs=1e-9)
        assert row["n_treated_areas"] == 3 and row["n_control_areas"] == 3
    assert result.rate_ratio == pytest.approx(0.8, abs=1e-9)
    assert "HEADLINE" in table["method"][0] and "log population offset" in table["method"][0]
    assert "Goodman-Bacon" in table["method"][1]
    study = event_study(panel, leads=4, lags=5)
    pre = study.table.filter(pl.col("event_time") < -1)
    post = study.table.filter(pl.col("event_time") >= 0)
    assert pre["rate_ratio"].to_list() == pytest.approx([1.0] * 3, abs=1e-9)
    assert post["rate_ratio"].to_list() == pytest.approx([0.8] * 6, abs=1e-9)
    assert study.table.filter(pl.col("reference"))["event_time"].to_list() == [-1]
    assert study.average["rate_ratio"][0] == pytest.approx(0.8, abs=1e-9)


def test_staggered_dynamic_effects_bias_twfe_but_not_the_stacked_estimator():
    # Goodman-Bacon (2021): an early and a late cohort whose effect grows with time since the start,
    # and a single small never-treated area. TWFE leans on the early cohort as a "control" for the
    # late one while the early cohort's effect is still growing, and is pulled towards no effect.
    n = 40
    starts = {"E1": 8, "E2": 8, "L1": 24, "L2": 24, "N1": None}
    panel = hand_panel(starts, n, effect=lambda e: -0.02 * (e + 1), area_effect=[3.0, 3.2, 3.1, 2.9, 2.0],
                       period_effect=0.3 * np.sin(np.arange(n) / 3) + 0.01 * np.arange(n))
    result = fit_did(panel.drop("y0", "event"))
    horizon = n - 1 - 24  # balanced post window: event times 0..15, which every cohort has
    treated = panel.filter(pl.col("event").is_between(0, horizon))
    true_rr = treated["count"].sum() / treated["y0"].sum()  # observed / counterfactual, ~0.844
    every_post = panel.filter(pl.col("event") >= 0)
    true_rr_all = every_post["count"].sum() / every_post["y0"].sum()  # over all post periods, ~0.763
    stacked = result.table.filter(pl.col("estimator") == "stacked").row(0, named=True)
    twfe = result.table.filter(pl.col("estimator") == "twfe").row(0, named=True)
    assert stacked["post_periods"] == horizon + 1
    assert stacked["rate_ratio"] == pytest.approx(true_rr, abs=1e-8)
    assert twfe["rate_ratio"] > true_rr + 0.08 and twfe["rate_ratio"] > true_rr_all + 0.15
    # with every post period kept, the stacked estimate is the average over all of them
    full = fit_did(panel.drop("y0", "event"), window=(None, None))
    assert full.rate_ratio == pytest.approx(true_rr_all, abs=1e-8)
    # and the event study recovers the dynamic path itself
    study = event_study(panel.drop("y0", "event"), leads=3, lags=6)
    post = study.table.filter(pl.col("event_time") >= 0)
    assert post["estimate"].to_list() == pytest.approx([-0.02 * (e + 1) for e in range(7)], abs=1e-8)


# --------------------------------------------------------------------------------------------
# Clustered standard errors against statsmodels and the sandwich formula
# --------------------------------------------------------------------------------------------


def _dummies(codes: np.ndarray, drop_first: bool) -> np.ndarray:
    levels = np.unique(codes)
    out = (codes[:, None] == levels[None, :]).astype(float)
    return out[:, 1:] if drop_first else out


def test_twfe_clustered_errors_match_statsmodels_glm_with_dummies():
    n = 12
    starts = {f"H{i}": 7 for i in range(4)} | {f"C{i}": None for i in range(5)}
    rng = np.random.default_rng(5)
    pops = rng.integers(3000, 9000, len(starts))
    panel = hand_panel(starts, n, effect=lambda e: -0.2, area_effect=rng.normal(-6, 0.3, len(starts)),
                       period_effect=rng.normal(0, 0.1, n), population=pops, noise_seed=11)
    twfe = fit_did(panel).table.filter(pl.col("estimator") == "twfe").row(0, named=True)

    area = panel["area_id"].to_numpy()
    x = np.column_stack([_dummies(area, False), _dummies(panel["time"].to_numpy(), True),
                         panel["post"].cast(pl.Float64).to_numpy()])
    y = panel["count"].to_numpy()
    offset = np.log(panel["population"].to_numpy())
    groups = np.unique(area, return_inverse=True)[1]
    glm = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    res = glm.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}, tol=1e-12)
    g = len(starts)
    assert twfe["estimate"] == pytest.approx(res.params[-1], abs=1e-7)
    assert twfe["std_error"] == pytest.approx(res.bse[-1] * math.sqrt(g / (g - 1)), rel=1e-6)

    # the sandwich by hand: (X'WX)^-1 [sum_g X_g' u_g u_g' X_g] (X'WX)^-1 * G/(G-1)
    mu = res.mu
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    scores = np.vstack([x[groups == k].T @ (y - mu)[groups == k] for k in range(g)])
    cov = bread @ (scores.T @ scores) @ bread * g / (g - 1)
    assert twfe["std_error"] == pytest.approx(math.sqrt(cov[-1, -1]), rel=1e-6)
    # t interval with min(treated, control areas) - 1 = 3 degrees of freedom
    q = float(stats.t.ppf(0.975, 4 - 1))
    assert twfe["ci_upper"] - twfe["estimate"] == pytest.approx(q * twfe["std_error"], rel=1e-9)


def test_stacked_engine_matches_statsmodels_on_the_stacked_design():
    n = 16
    starts = {"A1": 6, "A2": 6, "B1": 9, "B2": 9, "B3": 9} | {f"C{i}": None for i in range(4)}
    rng = np.random.default_rng(8)
    panel = hand_panel(starts, n, effect=lambda e: -0.1 - 0.03 * e, area_effect=rng.normal(3, 0.4, len(starts)),
                       period_effect=rng.normal(0, 0.15, n), noise_seed=3)
    data = did._prepare(panel, "hotspot", "comparison")
    design = did._stacked(data, pre=4, post=5, event_study=True, not_yet_treated=False)
    fit = did._fit(design)

    # the same model with explicit dummies: sub-experiment x area, sub-experiment x period (one
    # dropped per sub-experiment) and one per event time
    sub = design.row_cohort
    period_cols = []
    for s in np.unique(sub):
        in_sub = sub == s
        levels = np.unique(design.fe_t[in_sub])[1:]
        period_cols.append((design.fe_t[:, None] == levels[None, :]).astype(float))
    cells = (design.cell[:, None] == np.arange(design.n_cells)[None, :]).astype(float)
    x = np.column_stack([_dummies(design.fe_a, False), *period_cols, cells])
    res = sm.GLM(design.y, x, family=sm.families.Poisson(), offset=design.offset).fit(
        cov_type="cluster", cov_kwds={"groups": design.cluster, "use_correction": False}, tol=1e-12)
    g = np.unique(design.cluster).size
    k = design.n_cells
    assert fit.n_clusters == g
    assert fit.delta == pytest.approx(res.params[-k:], abs=1e-7)
    assert fit.cov == pytest.approx(np.asarray(res.cov_params())[-k:, -k:] * g / (g - 1), rel=1e-5, abs=1e-12)


def test_poisson_fe_sets_aside_all_zero_groups_and_reports_unidentified_designs():
    y = np.array([0, 0, 0, 3, 5, 2, 4, 6, 1], dtype=float)
    fe_a = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    fe_t = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    cell = np.array([-1, -1, -1, -1, 0, 0, -1, -1, -1])
    fit = poisson_fe(y, np.zeros(9), fe_a, fe_t, cell, fe_a, n_a=3, n_t=3, n_cells=1)
    assert fit.n_obs == 6 and fit.alpha[0] == -np.inf and np.isfinite(fit.delta[0])
    # a treatment cell covering every row of a period (no control there) is not identified
    with pytest.raises(ValueError, match="not identified"):
        poisson_fe(y[3:], np.zeros(6), fe_a[3:], fe_t[3:], np.array([-1, 0, -1, -1, 0, -1]), fe_a[3:],
                   n_a=3, n_t=3, n_cells=1)


def test_wild_bootstrap_draws_match_a_full_refit_on_sign_flipped_residuals():
    # The restricted wild bootstrap linearises each draw at the restricted fit; with large counts
    # it must agree with actually refitting y* = mu0 + v_g (y - mu0) and recomputing the Wald test.
    n = 14
    starts = {"A1": 6, "A2": 6, "B1": 8, "B2": 8, "B3": 8} | {f"C{i}": None for i in range(5)}
    rng = np.random.default_rng(8)
    panel = hand_panel(starts, n, effect=lambda e: -0.1, area_effect=rng.normal(10, 0.3, len(starts)),
                       period_effect=rng.normal(0, 0.1, n), noise_seed=3)
    design = did._stacked(did._prepare(panel, "hotspot", "comparison"), pre=3, post=2, event_study=True,
                          not_yet_treated=False)
    pre = design.cell_event <= -2
    which, has = np.maximum(design.cell, 0), design.cell >= 0
    kept = np.where(has & ~pre[which], (np.cumsum(~pre) - 1)[which], -1)
    tested = np.where(has & pre[which], (np.cumsum(pre) - 1)[which], -1)
    restricted = poisson_fe(design.y, design.offset, design.fe_a, design.fe_t, kept, design.cluster,
                            n_a=design.n_a, n_t=design.n_t, n_cells=int((~pre).sum()), test_cell=tested,
                            n_test=int(pre.sum()))
    delta = np.append(restricted.delta, 0.0)
    mu0 = np.exp(design.offset + restricted.alpha[design.fe_a] + restricted.gamma[design.fe_t] + delta[kept])
    signs = np.random.default_rng(1).choice([-1.0, 1.0], size=(6, restricted.n_clusters))
    linear = did._wild_statistics(restricted.wild, signs)
    idx = np.flatnonzero(pre)
    for v, w_linear in zip(signs, linear, strict=True):
        refit = poisson_fe(mu0 + v[design.cluster] * (design.y - mu0), design.offset, design.fe_a, design.fe_t,
                           design.cell, design.cluster, n_a=design.n_a, n_t=design.n_t, n_cells=design.n_cells)
        d = refit.delta[idx]
        w_refit = d @ np.linalg.pinv(refit.cov[np.ix_(idx, idx)]) @ d
        assert w_linear == pytest.approx(w_refit, rel=0.005)


# --------------------------------------------------------------------------------------------
# Event study pre-trend test
# --------------------------------------------------------------------------------------------


def test_pretrend_test_detects_differing_pre_trends():
    n = 30
    starts = {f"H{i}": 18 for i in range(8)} | {f"C{i}": None for i in range(8)}
    rng = np.random.default_rng(2)
    area_fx = rng.normal(6, 0.2, len(starts))
    period_fx = rng.normal(0, 0.05, n)
    # treated areas' ASB rises 3% a period before the start, controls' does not
    trend = np.array([0.03 if s is not None else 0.0 for s in starts.values()])
    rows = []
    base = hand_panel(starts, n, effect=lambda e: 0.0, area_effect=area_fx, period_effect=period_fx)
    noise = np.random.default_rng(4)
    for row in base.iter_rows(named=True):
        i = list(starts).index(row["area_id"])
        t = row["time"] - 1
        rows.append(noise.poisson(row["count"] * math.exp(trend[i] * min(t, 18))))
    panel = base.with_columns(pl.Series("count", rows, dtype=pl.Float64))
    study = event_study(panel, leads=6, lags=4, draws=199)
    assert study.pretrend.df == 5 and study.pretrend.draws == 199
    assert study.pretrend.p_value == pytest.approx(1 / 200)  # no bootstrap draw as extreme
    assert study.pretrend.sentence.startswith("evidence of differing pre-trends (p = 0.005)")
    # without the trend: no rejection
    flat = base.with_columns(pl.Series("count", noise.poisson(base["count"].to_numpy()), dtype=pl.Float64))
    quiet = event_study(flat, leads=6, lags=4, draws=199)
    assert quiet.pretrend.p_value > 0.05
    assert quiet.pretrend.sentence.startswith("no evidence of differing pre-trends (p = ")


# --------------------------------------------------------------------------------------------
# Synthetic data with known effects
# --------------------------------------------------------------------------------------------


def test_synthetic_hotspot_and_buffer_did_cover_the_true_rate_ratios(synthetic):
    panel, truth = synthetic
    for role in ("hotspot", "buffer"):
        result = fit_did(panel, treated_role=role)
        row = result.headline
        assert row["estimator"] == "stacked" and row["treated_role"] == role
        assert row["rr_ci_lower"] <= truth["rate_ratio"][role] <= row["rr_ci_upper"], (role, row)
        assert row["n_treated_areas"] == 10 and row["n_control_areas"] == 10 and row["n_cohorts"] == 7
        assert result.cohorts.height == 7
        assert result.cohorts["observed"].sum() > 0


def test_synthetic_event_study_shows_no_pre_trend(synthetic):
    panel, _ = synthetic
    study = event_study(panel, leads=12, lags=12)
    assert study.table["event_time"].to_list() == list(range(-12, 13))
    assert study.pretrend.df == 11
    assert study.pretrend.p_value > 0.05, study.pretrend
    assert study.pretrend.sentence.startswith("no evidence of differing pre-trends")
    assert study.average["rr_ci_lower"][0] <= 0.85 <= study.average["rr_ci_upper"][0]


def test_synthetic_placebo_covers_no_change(synthetic):
    panel, _ = synthetic
    table = placebo(panel, shift=12, fit=fit_did)
    assert table["check"].unique().to_list() == ["placebo start 12 periods earlier"]
    row = table.filter(pl.col("headline")).row(0, named=True)
    assert row["rr_ci_lower"] <= 1.0 <= row["rr_ci_upper"]
    assert row["post_periods"] == 12


def test_synthetic_leave_one_out_reports_the_range(synthetic):
    panel, _ = synthetic
    table = leave_one_out(panel, fit=fit_did)
    assert table.height == 10
    assert table["area_left_out"].to_list() == [f"CA{i:02d}" for i in range(1, 11)]
    assert table["rate_ratio"].null_count() == 0
    low, high = rate_ratio_range(table)
    assert low < high and table["min_rate_ratio"][0] == low and table["max_rate_ratio"][0] == high
    assert low <= table["all_areas_rate_ratio"][0] <= high
    some = leave_one_out(panel, fit=fit_did, areas=["CA03", "CA01"])
    assert some["area_left_out"].to_list() == ["CA01", "CA03"]
    assert some["rate_ratio"].to_list() == pytest.approx(table["rate_ratio"][[0, 2]].to_list())
    with pytest.raises(ValueError, match="not comparison areas"):
        leave_one_out(panel, areas=["HS01"])


# --------------------------------------------------------------------------------------------
# Placebo panel, options and bad input
# --------------------------------------------------------------------------------------------


def test_placebo_panel_moves_starts_and_keeps_only_pre_scheme_periods():
    starts = {"H1": 10, "H2": 14, "C1": None}
    panel = hand_panel(starts, 20, effect=lambda e: -0.1, area_effect=[1, 1, 1], period_effect=np.zeros(20))
    moved = placebo_panel(panel, shift=4)
    last = moved.group_by("area_id").agg(pl.col("period").max()).sort("area_id")
    assert last["period"].to_list() == [month(13), month(9), month(13)]  # C1 up to the latest real start
    h1 = moved.filter(pl.col("area_id") == "H1")
    assert h1["intervention_start"][0] == month(6)
    assert h1.filter(pl.col("post"))["period"].to_list() == [month(t) for t in range(6, 10)]
    assert not moved.filter(pl.col("area_id") == "C1")["post"].any()
    with pytest.raises(ValueError):
        placebo_panel(panel, shift=0)
    # any fit function: its table comes back with the check column first
    seen = placebo(panel, shift=4, fit=lambda p: pl.DataFrame({"term": ["rows"], "rate_ratio": [float(p.height)]}))
    assert seen.columns == ["check", "term", "rate_ratio"] and seen["rate_ratio"][0] == moved.height
    with pytest.raises(TypeError):
        placebo(panel, shift=4, fit=lambda p: 1.0)


def test_not_yet_treated_controls_and_windows():
    n = 30
    starts = {"A1": 8, "A2": 8, "B1": 20, "B2": 20, "C1": None, "C2": None}
    panel = hand_panel(starts, n, effect=lambda e: math.log(0.9), area_effect=[2, 2.2, 2.1, 1.9, 2.5, 2.3],
                       period_effect=0.1 * np.cos(np.arange(n)))
    plain = fit_did(panel, window=(6, 6))
    wider = fit_did(panel, window=(6, 6), not_yet_treated=True)
    assert plain.headline["n_control_areas"] == 2
    assert wider.headline["n_control_areas"] == 4  # B1, B2 are clean controls for the cohort starting at 8
    assert "not yet treated" in wider.headline["method"]
    assert wider.rate_ratio == pytest.approx(0.9, abs=1e-9) and plain.rate_ratio == pytest.approx(0.9, abs=1e-9)


def test_bad_input_is_refused_with_a_reason():
    starts = {"H1": 5, "C1": None}
    panel = hand_panel(starts, 10, effect=lambda e: 0.0, area_effect=[1, 1], period_effect=np.zeros(10))
    with pytest.raises(ValueError, match="lacks column"):
        fit_did(panel.drop("post"))
    with pytest.raises(ValueError, match="no comparison areas"):
        fit_did(panel.filter(pl.col("role") == "hotspot"))
    with pytest.raises(ValueError, match="must differ"):
        fit_did(panel, treated_role="comparison")
    with pytest.raises(ValueError, match="treated_role must be one of"):
        fit_did(panel, treated_role="hotspots")
    # a hotspot treated from its first period cannot be compared before and after: left out, with a note
    early = hand_panel({"H1": 5, "H2": 0, "C1": None}, 10, effect=lambda e: 0.0, area_effect=[1, 1, 1],
                       period_effect=np.zeros(10))
    result = fit_did(early)
    assert result.headline["n_treated_areas"] == 1
    assert any("H2" in note for note in result.notes)
