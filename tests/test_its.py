"""Interrupted time series: the published Sicily result through the user's input path, and recovery
of the known level changes in the synthetic data."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from ij_eval.config import EvaluationConfig, HotspotConfig
from ij_eval.strands.hotspots.its import POOLED, TIDY_COLUMNS, fit_its, its_by_area
from ij_eval.strands.hotspots.panel import build_panel
from ij_eval.validation import load_tables

SICILY = Path(__file__).resolve().parents[1] / "reference" / "sicily.csv"


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def sicily_panel(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """Sicily as a user would supply it: one hotspot area (ban = intervention, January 2005) and
    its monthly counts (aces) with the age-standardised population (stdpop) per month."""
    folder = tmp_path_factory.mktemp("sicily")
    rows = list(csv.DictReader(SICILY.open(encoding="utf-8")))
    _write(folder / "areas.csv", [{"area_id": "SICILY", "name": "Sicily", "role": "hotspot", "parent_hotspot": "",
                                   "lsoa_codes": "", "population": "", "intervention_start": "2005-01-01"}])
    _write(folder / "asb_counts.csv", [
        {"area_id": "SICILY", "period": f"{r['year']}-{int(r['month']):02d}", "count": r["aces"],
         "population": str(round(float(r["stdpop"])))} for r in rows])
    # The referrals table is required by validation: two valid rows (see data_schemas/referrals.yaml).
    _write(folder / "referrals.csv", [
        {"referral_id": f"R{i}", "person_id": f"P{i}", "cohort": cohort, "referral_date": "2005-03-15",
         "offence_date": "2005-03-14", "offence_type": "asb", "route": "community_resolution", "age": "20",
         "sex": "male", "prior_offences": "0", "status": status}
        for i, cohort, status in ((1, "ij", "in_progress"), (2, "comparison", ""))])
    report = load_tables(folder, EvaluationConfig())
    panel = build_panel(report.tables["areas"].frame, counts=report.tables["asb_counts"].frame)
    assert panel.frame.height == 59 and panel.frame["count"].sum() == sum(int(r["aces"]) for r in rows)
    return panel.frame


def _rr(table: pl.DataFrame, area: str = "SICILY", term: str = "level_change") -> tuple[float, float, float]:
    row = table.filter((pl.col("area_id") == area) & (pl.col("term") == term)).row(0, named=True)
    return row["rate_ratio"], row["rr_ci_lower"], row["rr_ci_upper"]


def test_sicily_published_result(sicily_panel: pl.DataFrame) -> None:
    table, fits = its_by_area(sicily_panel, HotspotConfig(), slope_change=False)
    rr, lo, hi = _rr(table)
    # Published (Lopez Bernal et al. 2017): 0.885 (0.839 to 0.933).
    assert (round(rr, 3), round(lo, 3), round(hi, 3)) == (0.885, 0.839, 0.933)
    assert list(table.columns) == ["area_id", *TIDY_COLUMNS]
    assert table.filter(pl.col("area_id") == "SICILY")["term"].to_list() == ["level_change", "trend"]
    fit = fits["SICILY"]
    assert fit.n_pre == 36 and fit.n_post == 23
    assert fit.dispersion == pytest.approx(2.262, abs=1e-3)
    # One area: the pooled model is the same model.
    assert _rr(table, POOLED) == pytest.approx((rr, lo, hi), rel=1e-6)
    # Residual autocorrelation diagnostics: lags 1..12 and a sentence.
    assert fit.autocorrelation["lag"].to_list() == list(range(1, 13))
    assert "Ljung-Box" in fit.autocorrelation_note and "Lag-1" in fit.autocorrelation_note


def test_sicily_without_seasonality(sicily_panel: pl.DataFrame) -> None:
    table, fits = its_by_area(sicily_panel, HotspotConfig(harmonics=0, slope_change=False))
    rr, lo, hi = _rr(table)
    # Published: 0.894, quasi-Poisson CI 0.839 to 0.953, dispersion about 3.56.
    assert (round(rr, 3), round(lo, 3), round(hi, 3)) == (0.894, 0.839, 0.953)
    assert round(fits["SICILY"].dispersion, 2) == 3.56


def test_sicily_fit_its_directly_matches(sicily_panel: pl.DataFrame) -> None:
    result = fit_its(sicily_panel, intervention=dt.date(2005, 1, 1), slope_change=False)
    assert round(result.rate_ratio, 4) == 0.8851
    # Intervention dated mid-month: the period containing it (January 2005) is the first post period.
    mid = fit_its(sicily_panel, intervention=dt.date(2005, 1, 20), slope_change=False)
    assert mid.rate_ratio == pytest.approx(result.rate_ratio, rel=1e-12)


def test_counterfactual(sicily_panel: pl.DataFrame) -> None:
    fit = its_by_area(sicily_panel, slope_change=False)[1]["SICILY"]
    f = fit.fitted
    assert f.columns == ["period", "observed", "fitted", "counterfactual", "cf_lower", "cf_upper"]
    assert f["fitted"].sum() == pytest.approx(f["observed"].sum(), rel=1e-6)  # Poisson score equations
    post = f.filter(pl.col("period") >= dt.date(2005, 1, 1))
    pre = f.filter(pl.col("period") < dt.date(2005, 1, 1))
    assert pre["counterfactual"].null_count() == pre.height
    assert post["counterfactual"].null_count() == 0
    assert (post["counterfactual"] > post["fitted"]).all()
    assert (post["cf_lower"] < post["counterfactual"]).all() and (post["counterfactual"] < post["cf_upper"]).all()
    # With a level change only, fitted / counterfactual is the rate ratio in every post month.
    assert (post["fitted"] / post["counterfactual"]).to_list() == pytest.approx([fit.rate_ratio] * post.height)


def test_slope_change_and_newey_west(sicily_panel: pl.DataFrame) -> None:
    plain = fit_its(sicily_panel, intervention=dt.date(2005, 1, 1))
    assert plain.table["term"].to_list() == ["level_change", "slope_change", "trend"]
    nw = fit_its(sicily_panel, intervention=dt.date(2005, 1, 1), newey_west_lags=3)
    assert nw.table["estimate"].to_list() == pytest.approx(plain.table["estimate"].to_list(), rel=1e-9)
    assert nw.table["std_error"].to_list() != pytest.approx(plain.table["std_error"].to_list(), rel=1e-3)
    assert nw.dispersion == pytest.approx(plain.dispersion)  # the Pearson dispersion is still reported
    assert "Newey-West" in nw.method


def test_negative_binomial_close_to_quasi_poisson(sicily_panel: pl.DataFrame) -> None:
    qp = its_by_area(sicily_panel, slope_change=False)[1]["SICILY"]
    table, fits = its_by_area(sicily_panel, slope_change=False, overdispersion="negative-binomial")
    nb = fits["SICILY"]
    assert nb.rate_ratio == pytest.approx(qp.rate_ratio, abs=0.01)
    assert 0 < nb.dispersion < 0.01  # alpha: variance mu + alpha mu^2 with mu around 800
    assert "alpha" in nb.dispersion_kind
    rr, lo, hi = _rr(table)
    assert lo < rr < hi
    # alpha is the joint maximum-likelihood estimate: statsmodels' discrete NB2 model agrees.
    s = sicily_panel.sort("period")
    angle = 2 * np.pi * s["season"].to_numpy() / 12
    X = np.column_stack([np.ones(s.height), s["time"], s["post"].cast(pl.Float64), np.sin(angle), np.cos(angle),
                         np.sin(2 * angle), np.cos(2 * angle)])
    y, offset = s["count"].to_numpy().astype(float), np.log(s["population"].to_numpy())
    start = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit().params
    mle = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2").fit(
        start_params=np.append(start, 0.001), method="newton", disp=0)
    assert mle.mle_retvals["converged"]
    assert nb.dispersion == pytest.approx(mle.params[-1], rel=1e-3)
    assert nb.rate_ratio == pytest.approx(np.exp(mle.params[2]), rel=1e-4)


def test_without_population_no_offset(sicily_panel: pl.DataFrame) -> None:
    result = fit_its(sicily_panel.with_columns(pl.lit(None, pl.Float64).alias("population")),
                     intervention=dt.date(2005, 1, 1), slope_change=False)
    assert "no population offset" in result.method
    assert any("without a population offset" in n for n in result.notes)
    assert 0.8 < result.rate_ratio < 1.0


def test_too_short_areas_are_skipped_not_errors(sicily_panel: pl.DataFrame) -> None:
    short = sicily_panel.filter(pl.col("period") >= dt.date(2004, 7, 1))  # 6 months before the ban (7 needed)
    table, fits = its_by_area(short, slope_change=False)
    assert table.height == 0 and "SICILY" in fits.skipped and "too few periods" in fits.skipped["SICILY"]
    assert any("SICILY skipped" in n for n in fits.notes)
    with pytest.raises(ValueError, match="before and after"):
        fit_its(sicily_panel, intervention=dt.date(2010, 1, 1))


# --------------------------------------------------------------------------------------------
# synthetic data: known level changes (the generator has a level change only, no slope change,
# so these fits use slope_change=False to match it)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, dict]:
    from ij_eval.config import load_config
    from ij_eval.synth import write_synthetic

    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(folder, seed=11)
    report = load_tables(folder, load_config(folder / "evaluation.toml"))
    panel = build_panel(report.tables["areas"].frame, counts=report.tables["asb_counts"].frame)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))["hotspots"]
    return panel.frame, truth


@pytest.mark.parametrize("role", ["hotspot", "buffer", "comparison"])
def test_synthetic_pooled_rate_ratio_covers_truth(synthetic: tuple[pl.DataFrame, dict], role: str) -> None:
    panel, truth = synthetic
    table, fits = its_by_area(panel, HotspotConfig(), roles=(role,), slope_change=False)
    rr, lo, hi = _rr(table, POOLED)
    assert lo <= truth["rate_ratio"][role] <= hi, (role, rr, lo, hi)
    assert fits[POOLED].n_areas == 10 and not fits.skipped
    areas = table.filter((pl.col("area_id") != POOLED) & (pl.col("term") == "level_change"))
    assert areas.height == 10
    if role == "comparison":
        assert any("negative control" in n for n in fits.notes)
    # Pooled fitted totals match the observed totals; counterfactual from the first start on.
    f = fits[POOLED].fitted
    assert f["fitted"].sum() == pytest.approx(f["observed"].sum(), rel=1e-6)


def test_synthetic_pooled_newey_west_and_negative_binomial(synthetic: tuple[pl.DataFrame, dict]) -> None:
    panel, truth = synthetic
    base, _ = its_by_area(panel, roles=("hotspot",), slope_change=False)
    nw, nw_fits = its_by_area(panel, roles=("hotspot",), slope_change=False, newey_west_lags=2)
    assert _rr(nw, POOLED)[0] == pytest.approx(_rr(base, POOLED)[0], rel=1e-9)
    assert "panel Newey-West" in nw_fits[POOLED].method
    nb, _ = its_by_area(panel, roles=("hotspot",), slope_change=False, overdispersion="negative-binomial")
    rr, lo, hi = _rr(nb, POOLED)
    assert rr == pytest.approx(_rr(base, POOLED)[0], abs=0.03)
    assert lo <= truth["rate_ratio"]["hotspot"] <= hi
