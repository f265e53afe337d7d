"""Hotspot figures: each returns a Figure, saves as PNG and carries the synthetic-data label on request."""

from __future__ import annotations

import datetime as dt

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from builders import synthetic_panel
from matplotlib.figure import Figure

from ij_eval.plots.hotspots import plot_counterfactual, plot_displacement, plot_event_study, plot_series
from ij_eval.strands.hotspots.displacement import displacement_table
from ij_eval.synth import write_synthetic

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> pl.DataFrame:
    folder = tmp_path_factory.mktemp("synth_plots")
    write_synthetic(folder, seed=11)
    return synthetic_panel(folder)


@pytest.fixture(scope="module")
def series(panel) -> pl.DataFrame:
    return panel.group_by("period", "role").agg(pl.col("count").sum()).sort("role", "period")


@pytest.fixture(scope="module")
def fit(panel) -> pl.DataFrame:
    one = panel.filter(pl.col("area_id") == "HS01").sort("period")
    month = one["period"].dt.month().to_numpy()
    fitted = 25 * np.exp(0.2 * np.cos(2 * np.pi * (month - 7) / 12))
    post = one["post"].to_numpy()
    cf = np.where(post, fitted, np.nan)
    return pl.DataFrame({"period": one["period"], "observed": one["count"], "fitted": np.where(post, 0.85, 1) * fitted,
                         "counterfactual": cf, "cf_lower": 0.9 * cf, "cf_upper": 1.1 * cf}).fill_nan(None)


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    t = np.arange(-6, 7)
    rr = np.where(t >= 0, 0.85, 1.0)
    table = pl.DataFrame({"event_time": t, "rate_ratio": rr, "rr_ci_lower": rr * 0.9, "rr_ci_upper": rr / 0.9})
    return table.with_columns(  # the reference period as an estimation routine reports it: 1, no interval
        pl.when(pl.col("event_time") == -1).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("rr_ci_lower", "rr_ci_upper"))


def _check(fig, path, synthetic: bool) -> None:
    assert isinstance(fig, Figure)
    fig.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 10_000
    label = fig._suptitle.get_text() if fig._suptitle is not None else ""
    assert ("SYNTHETIC" in label) is synthetic
    plt.close(fig)


@pytest.mark.parametrize("synthetic", [True, False])
def test_plot_series(series, panel, tmp_path, synthetic):
    starts = panel.filter(pl.col("role") == "hotspot")["intervention_start"]
    band = plot_series(series, synthetic=synthetic, intervention=(starts.min(), starts.max()))
    legend = [t.get_text() for t in band.axes[0].get_legend().get_texts()]
    assert legend[:3] == ["Hotspots", "Buffer areas", "Comparison areas"]
    assert any("Intervention starts" in t for t in legend)
    assert "ASB incidents per month" in band.axes[0].get_ylabel()
    _check(band, tmp_path / "series_band.png", synthetic)
    line = plot_series(series, synthetic=synthetic, intervention=dt.date(2023, 10, 1))
    assert any("Oct 2023" in t.get_text() for t in line.axes[0].get_legend().get_texts())
    _check(line, tmp_path / "series_line.png", synthetic)
    _check(plot_series(series, synthetic=synthetic), tmp_path / "series_none.png", synthetic)


@pytest.mark.parametrize("synthetic", [True, False])
def test_plot_counterfactual(fit, tmp_path, synthetic):
    fig = plot_counterfactual(fit, synthetic=synthetic, title="HS01")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "HS01"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"Observed", "Model fit", "Counterfactual (no intervention)", "Counterfactual 95% interval"} <= set(labels)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and len(dashed[0].get_xdata()) == fit["counterfactual"].drop_nulls().len()
    _check(fig, tmp_path / "counterfactual.png", synthetic)


@pytest.mark.parametrize("synthetic", [True, False])
def test_plot_event_study(events, tmp_path, synthetic):
    fig = plot_event_study(events, synthetic=synthetic)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert "Reference period (-1), fixed at 1" in [t.get_text() for t in ax.get_legend().get_texts()]
    _check(fig, tmp_path / "event_study.png", synthetic)
    # Without a row for the reference period it is still drawn at 1.
    _check(plot_event_study(events.filter(pl.col("event_time") != -1), synthetic=synthetic),
           tmp_path / "event_study_noref.png", synthetic)


@pytest.mark.parametrize("synthetic", [True, False])
def test_plot_displacement(panel, tmp_path, synthetic):
    table = displacement_table(panel)
    fig = plot_displacement(table, synthetic=synthetic)
    left = fig.axes[0]
    ticks = [t.get_text() for t in left.get_yticklabels()]
    assert ticks[0] == "HS01" and ticks[-1] == "All hotspots"
    text = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "All hotspots:" in text and "WDQ" in text
    _check(fig, tmp_path / "displacement.png", synthetic)


def test_plot_displacement_with_only_the_listed_columns(panel, tmp_path):
    # A table with just the documented core columns (no relative changes) still draws.
    core = displacement_table(panel).select("area_id", "buffer_id", "success_measure", "buffer_measure", "wdq",
                                            "total_net_effect", "wdd_ci_lower", "wdd_ci_upper", "reading")
    fig = plot_displacement(core)
    assert "ratio" in fig.axes[0].get_xlabel()
    _check(fig, tmp_path / "displacement_core.png", False)


def test_plot_event_study_reads_the_reference_column(tmp_path):
    # A did.event_study-style table: the reference row flagged, a binned end point with no interval.
    table = pl.DataFrame({"event_time": [-3, -2, -1, 0, 1, 2], "reference": [False, True, False, False, False, False],
                          "rate_ratio": [1.02, 1.0, 0.98, 0.86, 0.84, float("nan")],
                          "rr_ci_lower": [0.9, None, 0.88, 0.77, 0.75, float("nan")],
                          "rr_ci_upper": [1.15, None, 1.09, 0.96, 0.94, float("nan")]})
    fig = plot_event_study(table)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Reference period (-2), fixed at 1" in legend
    _check(fig, tmp_path / "event_reference.png", False)
