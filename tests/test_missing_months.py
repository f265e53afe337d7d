"""Hotspot models on panels with months left out as missing (``[hotspots] missing_months = "missing"``).

A month that is missing is absent from the panel, not zero: the interrupted time series must keep
calendar time (trend, seasonality and the intervention period), and the difference-in-differences
must count event time in calendar months, also when the start month itself is missing.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from test_did import hand_panel, month

from ij_eval.strands.hotspots.did import event_study, fit_did
from ij_eval.strands.hotspots.its import fit_its


def _dynamic(event: int | None) -> float:
    """An effect that grows with time since the start: log rate ratio -0.05 * (event time + 1)."""
    return -0.05 * ((event or 0) + 1)


def _panel() -> pl.DataFrame:
    n = 30
    starts = {"H1": 12, "H2": 12, "C1": None, "C2": None, "C3": None}
    return hand_panel(starts, n, effect=_dynamic, area_effect=[2.0, 2.5, 1.8, 2.2, 2.9],
                      period_effect=0.3 * np.sin(np.arange(n) / 2) - 0.01 * np.arange(n),
                      population=[5000, 8000, 6500, 7000, 9000])


@pytest.mark.parametrize("gone", [[12], [14, 15], [12, 20, 3]], ids=["start", "post", "several"])
def test_event_study_counts_calendar_months_across_missing_months(gone: list[int]) -> None:
    panel = _panel().filter(~pl.col("period").is_in([month(t) for t in gone]))
    study = event_study(panel, leads=4, lags=6)
    post = study.table.filter((pl.col("event_time") >= 0) & pl.col("rate_ratio").is_not_null())
    missing_events = {t - 12 for t in gone}
    expected = [e for e in range(7) if e not in missing_events]
    assert post["event_time"].to_list() == expected  # no effect for an event time with no data
    for e, rr in post.select("event_time", "rate_ratio").iter_rows():
        assert rr == pytest.approx(math.exp(_dynamic(e)), abs=1e-8), e


def test_did_with_a_month_missing_in_one_area_only() -> None:
    panel = _panel()
    panel = panel.filter(~((pl.col("area_id") == "C2") & pl.col("period").is_in([month(5), month(13)])))
    full = fit_did(_panel()).rate_ratio
    assert fit_did(panel).rate_ratio == pytest.approx(full, abs=1e-8)  # no noise: the same fit


def _series(months: int, start: int, level: float, slope: float) -> pl.DataFrame:
    """A noise-free monthly series: log count = 3 + 0.01 t + level * post + slope * (t - start) * post."""
    t = np.arange(1, months + 1)
    post = t >= start
    log_mu = 3 + 0.01 * t + level * post + slope * (t - start) * post + 0.2 * np.sin(2 * np.pi * t / 12)
    return pl.DataFrame({"period": [month(i - 1) for i in t], "count": np.exp(log_mu), "population": 1000.0,
                         "time": t, "season": [month(i - 1).month for i in t]})


@pytest.mark.parametrize("gone", [[13], [13, 14, 20], [2, 5]], ids=["start", "start-and-later", "before"])
def test_its_keeps_the_intervention_period_when_it_is_missing(gone: list[int]) -> None:
    series = _series(36, 13, level=math.log(0.7), slope=-0.02)
    kept = series.filter(~pl.col("time").is_in(gone))
    fit = fit_its(kept, intervention=month(12), harmonics=1)
    assert fit.term("level_change")["estimate"] == pytest.approx(math.log(0.7), abs=1e-6)
    assert fit.term("slope_change")["estimate"] == pytest.approx(-0.02, abs=1e-6)
    assert any(f"{len(gone)} period(s) missing from the series" in n for n in fit.notes), fit.notes
