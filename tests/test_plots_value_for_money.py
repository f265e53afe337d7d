"""Value-for-money figures: the tornado, break-even and NPV distribution plots draw the data they are given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from ij_eval.plots.value_for_money import (
    ABOVE_COLOUR,
    BELOW_COLOUR,
    LABEL_WIDTH,
    NO_BREAK_EVEN,
    NO_PARAMETERS,
    money_axis_label,
    plot_break_even,
    plot_npv_distribution,
    plot_tornado,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NPV_BASE = 420_000.0
BREAK_EVEN = 0.0389
PARAMETERS = [  # parameter, label, unit, low, high, npv_low, npv_high
    ("deadweight", "share of the outcome benefits that would have happened anyway", "share", 0.1, 0.4,
     690_000.0, 150_000.0),
    ("cj_cost_per_case", "criminal-justice cost of a charged case", "£", 900.0, 2_400.0, 180_000.0, 760_000.0),
    ("officer_cost_per_hour", "cost of an officer hour", "£", 38.5, 61.25, 330_000.0, 505_000.0),
    ("case_file_hours", "officer hours saved per case dealt with out of court", "hours", 2.0, 6.0,
     300_000.0, 540_000.0),
    ("optimism_bias", "optimism bias uplift on costs", "share", 0.05, 0.35, 470_000.0, 360_000.0),
    ("drop_off", "share of the reoffending effect lost each year after the first", "share", 0.1, 0.5,
     505_000.0, 400_000.0),
    ("reoffending_effect", "reduction in the reoffending rate (estimated from this evaluation)", "proportion points",
     0.018, 0.086,
     -60_000.0, 900_000.0),
    ("reparative_wage", "value of an hour of reparative work", "£", 9.5, 12.2, 405_000.0, 436_000.0),
]


def sensitivity_frame(rows=PARAMETERS) -> pl.DataFrame:
    """A vfm_sensitivity frame (deliberately not in swing order) with the base NPV on every row."""
    frame = pl.DataFrame(
        [{"parameter": p, "label": label, "unit": unit, "low": low, "high": high, "npv_low": a, "npv_high": b,
          "bcr_low": 1 + a / 1e6, "bcr_high": 1 + b / 1e6, "swing": abs(b - a), "npv_base": NPV_BASE}
         for p, label, unit, low, high, a, b in rows])
    return frame.sort("parameter")


def break_even_frames(break_even: float | None = BREAK_EVEN, ci: tuple[float | None, float | None] = (0.018, 0.086)):
    effect = np.linspace(0.0, 0.10, 101)
    costs = 350_000.0
    benefits = costs / BREAK_EVEN * effect
    grid = pl.DataFrame({"effect": effect, "npv": benefits - costs, "bcr": benefits / costs})
    marks = pl.DataFrame({"mark": ["estimate", "ci_lower", "ci_upper", "break_even"],
                          "effect": [0.052, ci[0], ci[1], break_even]}, schema={"mark": pl.String,
                                                                                 "effect": pl.Float64})
    return grid, marks


def npv_frame(probability: float | None = 0.83, n: int = 10_000) -> pl.DataFrame:
    rng = np.random.default_rng(8)
    npv = rng.normal(NPV_BASE, 440_000.0, n)
    return pl.DataFrame({"npv": npv, "probability_bcr_above_1": [probability] * n},
                        schema={"npv": pl.Float64, "probability_bcr_above_1": pl.Float64})


def _check(fig, path, synthetic: bool = False) -> None:
    assert isinstance(fig, Figure)
    fig.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    label = fig._suptitle.get_text() if fig._suptitle is not None else ""
    assert ("SYNTHETIC" in label) is synthetic
    plt.close(fig)


def _with_gid(ax, gid: str, kind: str = "patches") -> list:
    return [a for a in getattr(ax, kind) if a.get_gid() == gid]


def _ticks_top_down(ax) -> list[str]:
    pairs = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True)
    return [text for _, text in sorted(pairs, key=lambda p: -p[0])]


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend() or ax.figure.legends[0]
    return [t.get_text() for t in legend.get_texts()]


@pytest.mark.parametrize(("value", "expected"), [
    (0, "£0"), (950, "£950"), (1500, "£1.5k"), (250_000, "£250k"), (-1_200_000, "\u2212£1.2m"), (3.4e9, "£3.4bn"),
    (999_950, "£1m"), (1_250_000, "£1.25m"), (-0.3, "£0"), (float("nan"), ""), (float("inf"), ""),
])
def test_money_axis_label(value, expected):
    assert money_axis_label(value) == expected


def test_money_axis_label_uses_a_real_minus_sign():
    assert "-" not in money_axis_label(-250_000) and money_axis_label(-250_000).startswith("\u2212")


@pytest.mark.parametrize("synthetic", [True, False])
def test_tornado_bars_and_order(tmp_path, synthetic):
    data = sensitivity_frame()
    fig = plot_tornado(data, synthetic=synthetic)
    ax = fig.axes[0]
    low, high = _with_gid(ax, "tornado_low"), _with_gid(ax, "tornado_high")
    assert len(low) == len(high) == len(PARAMETERS)
    # Biggest swing at the top: the tick labels read from the top down in descending swing.
    by_swing = sorted(PARAMETERS, key=lambda r: -abs(r[6] - r[5]))
    top_down = _ticks_top_down(ax)
    firsts = [r[1][:1].upper() + r[1][1:] for r in by_swing]
    assert [t.rsplit("\n", 1)[0].replace("\n", " ") for t in top_down] == firsts
    assert top_down[0].startswith("Reduction in the reoffending rate")
    # Each bar runs from the base NPV to the NPV at the parameter's low (or high) value.
    top_low = max(low, key=lambda b: b.get_y())
    assert top_low.get_x() == pytest.approx(NPV_BASE)
    assert top_low.get_x() + top_low.get_width() == pytest.approx(-60_000.0)
    top_high = max(high, key=lambda b: b.get_y())
    assert top_high.get_x() + top_high.get_width() == pytest.approx(900_000.0)
    base = [line for line in ax.get_lines() if line.get_gid() == "npv_base"]
    assert len(base) == 1 and list(base[0].get_xdata()) == [NPV_BASE, NPV_BASE]
    assert any("£420k" in t for t in _legend_texts(ax))
    assert ax.get_xlabel() == "Net present value (£)"
    _check(fig, tmp_path / "tornado.png", synthetic)


def test_tornado_labels_show_values_in_units_and_wrap():
    fig = plot_tornado(sensitivity_frame())
    labels = {t.get_text().split("\n")[-1] for t in fig.axes[0].get_yticklabels()}
    assert {"(10%\u201340%)", "(£38.50\u2013£61.25)", "(2\u20136 hours)", "(£900\u2013£2.4k)",
            "(1.8\u20138.6 points)"} <= labels
    for text in (t.get_text() for t in fig.axes[0].get_yticklabels()):
        assert all(len(line) <= LABEL_WIDTH for line in text.split("\n")[:-1])
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all(t.startswith(("£", "\u2212£")) for t in ticks)
    plt.close(fig)


def test_tornado_grows_with_the_number_of_parameters():
    few, many = plot_tornado(sensitivity_frame(PARAMETERS[:2])), plot_tornado(sensitivity_frame())
    assert many.get_figheight() > few.get_figheight()
    assert few.get_figwidth() == many.get_figwidth() == 7.0
    plt.close(few)
    plt.close(many)


def test_tornado_edge_cases(tmp_path):
    empty = plot_tornado(sensitivity_frame().clear())
    assert [t.get_text() for t in empty.axes[0].texts] == [NO_PARAMETERS]
    _check(empty, tmp_path / "empty.png")
    # A missing NPV leaves that bar out; the others are drawn.
    gap = sensitivity_frame().with_columns(
        pl.when(pl.col("parameter") == "deadweight").then(None).otherwise(pl.col("npv_high")).alias("npv_high"))
    fig = plot_tornado(gap)
    assert len(_with_gid(fig.axes[0], "tornado_high")) == len(PARAMETERS) - 1
    assert len(_with_gid(fig.axes[0], "tornado_low")) == len(PARAMETERS)
    _check(fig, tmp_path / "gap.png")
    one = plot_tornado(sensitivity_frame(PARAMETERS[:1]).drop("unit"))
    assert len(_with_gid(one.axes[0], "tornado_low")) == 1
    _check(one, tmp_path / "one.png")


@pytest.mark.parametrize("synthetic", [True, False])
def test_break_even(tmp_path, synthetic):
    fig = plot_break_even(break_even_frames(), synthetic=synthetic)
    ax = fig.axes[0]
    (curve,) = _with_gid(ax, "npv_line", "lines")
    assert len(curve.get_xdata()) == 101 and curve.get_xdata()[-1] == pytest.approx(10.0)  # percentage points
    (marker,) = _with_gid(ax, "break_even_marker", "lines")
    assert list(marker.get_xdata()) == pytest.approx([100 * BREAK_EVEN])
    assert list(marker.get_ydata()) == [0.0]
    (estimate,) = _with_gid(ax, "estimate", "lines")
    assert list(estimate.get_xdata()) == pytest.approx([5.2, 5.2])
    (zero,) = _with_gid(ax, "zero_line", "lines")
    assert list(zero.get_ydata()) == [0, 0]
    (band,) = _with_gid(ax, "ci_band")
    xs = np.asarray(band.get_window_extent().get_points())[:, 0]  # a Rectangle or a Polygon, in pixels
    xs = ax.transData.inverted().transform(np.column_stack([xs, [0, 0]]))[:, 0]
    assert xs.min() == pytest.approx(1.8) and xs.max() == pytest.approx(8.6)
    assert any("3.9 points" in t for t in _legend_texts(ax))
    assert any("Breaks even at" in t.get_text() for t in ax.texts)
    assert ax.get_xlabel().startswith("Reduction in the reoffending rate")
    _check(fig, tmp_path / "break_even.png", synthetic)


def test_break_even_edge_cases(tmp_path):
    fig = plot_break_even(break_even_frames(break_even=None))
    ax = fig.axes[0]
    assert not _with_gid(ax, "break_even_marker", "lines")
    assert NO_BREAK_EVEN in _legend_texts(ax)
    assert not any("Breaks even at" in t.get_text() for t in ax.texts)
    _check(fig, tmp_path / "never.png")
    no_ci = plot_break_even(break_even_frames(ci=(None, None)))
    assert not _with_gid(no_ci.axes[0], "ci_band")
    assert len(_with_gid(no_ci.axes[0], "break_even_marker", "lines")) == 1
    _check(no_ci, tmp_path / "no_ci.png")
    half = plot_break_even(break_even_frames(ci=(0.018, None)))
    assert not _with_gid(half.axes[0], "ci_band")
    _check(half, tmp_path / "half_ci.png")
    grid, marks = break_even_frames()
    bare = plot_break_even((grid.with_columns(bcr=pl.lit(float("inf"))), marks.filter(pl.col("mark") == "estimate")))
    assert NO_BREAK_EVEN in _legend_texts(bare.axes[0])
    _check(bare, tmp_path / "bare.png")


@pytest.mark.parametrize("synthetic", [True, False])
def test_npv_distribution(tmp_path, synthetic):
    data = npv_frame(0.83)
    fig = plot_npv_distribution(data, synthetic=synthetic)
    ax = fig.axes[0]
    bars = _with_gid(ax, "npv_bar")
    assert 40 <= len(bars) <= 55
    assert sum(b.get_height() for b in bars) == data.height
    # Bars are coloured by the side of zero they lie on, and zero is a bin edge.
    for bar in bars:
        centre = bar.get_x() + bar.get_width() / 2
        assert to_hex(bar.get_facecolor()) == (ABOVE_COLOUR if centre > 0 else BELOW_COLOUR).lower()
    edges = {round(b.get_x(), 6) for b in bars}
    assert 0.0 in edges
    (text,) = [t.get_text() for t in ax.texts if t.get_gid() == "probability"]
    assert text == "P(BCR > 1) = 83%"
    (zero,) = _with_gid(ax, "npv_zero", "lines")
    assert list(zero.get_xdata()) == [0, 0]
    share = float((data["npv"] > 0).mean())
    assert any(f"{100 * share:.0f}% of draws" in t for t in _legend_texts(ax))
    _check(fig, tmp_path / "npv.png", synthetic)


@pytest.mark.parametrize(("probability", "text"), [(0.5, "50%"), (0.999, ">99%"), (1.0, "100%"), (0.001, "<1%")])
def test_npv_distribution_probability_text(probability, text):
    fig = plot_npv_distribution(npv_frame(probability, n=500))
    assert [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "probability"] == [f"P(BCR > 1) = {text}"]
    plt.close(fig)


def test_npv_distribution_edge_cases(tmp_path):
    same = pl.DataFrame({"npv": [250_000.0] * 10_000, "probability_bcr_above_1": [1.0] * 10_000})
    fig = plot_npv_distribution(same)
    bars = _with_gid(fig.axes[0], "npv_bar")
    assert len(bars) == 1 and bars[0].get_height() == 10_000
    assert bars[0].get_x() + bars[0].get_width() / 2 == pytest.approx(250_000.0)
    _check(fig, tmp_path / "same.png")
    # NaN and infinite draws are left out; with no probability given it comes from the finite BCRs.
    bcr = [float("nan"), float("inf"), 0.5, 2.0, 3.0, 1.5]
    odd = pl.DataFrame({"npv": [float("nan"), float("inf"), -1e5, 2e5, 4e5, 1e5], "bcr": bcr,
                        "probability_bcr_above_1": [None] * 6},
                       schema_overrides={"probability_bcr_above_1": pl.Float64})
    fig = plot_npv_distribution(odd)
    ax = fig.axes[0]
    assert sum(b.get_height() for b in _with_gid(ax, "npv_bar")) == 4
    assert [t.get_text() for t in ax.texts if t.get_gid() == "probability"] == ["P(BCR > 1) = 75%"]
    _check(fig, tmp_path / "odd.png")
    missing = plot_npv_distribution(pl.DataFrame({"npv": [-5e4, 1e5, 2e5]}))
    assert [t.get_text() for t in missing.axes[0].texts if t.get_gid() == "probability"] == [
        "P(BCR > 1) not available"]
    _check(missing, tmp_path / "missing.png")
    none = plot_npv_distribution(pl.DataFrame({"npv": [None, None]}, schema={"npv": pl.Float64}))
    assert not _with_gid(none.axes[0], "npv_bar")
    _check(none, tmp_path / "none.png")
