"""Value-for-money figures: the one-way sensitivity tornado, NPV against the reoffending effect (break
even) and the Monte Carlo distribution of the net present value.

Each function draws result data it is given (it computes no estimates) and returns a Figure. Money
is in pounds; axes read "£250k", "−£1.2m" (a real minus sign).
"""

from __future__ import annotations

import math
import numbers
import textwrap
from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ij_eval.plots.style import PALETTE, TEXT_COLOUR, label_synthetic, new_figure
from ij_eval.report.escape import plot_text

MINUS = "\u2212"
DASH = "\u2013"
NPV_AXIS = "Net present value (£)"
EFFECT_AXIS = "Reduction in the reoffending rate (percentage points)"
LABEL_WIDTH = 40  # tornado labels wrap at this many characters
NO_PARAMETERS = "No uncertain parameters"
NO_BREAK_EVEN = "Does not break even in this range"
LOW_COLOUR, HIGH_COLOUR = PALETTE[1], PALETTE[0]  # orange: parameter at its low value; blue: at its high value
ABOVE_COLOUR, BELOW_COLOUR = PALETTE[0], PALETTE[3]  # NPV above / below zero
_UNITS = ((1e9, "bn"), (1e6, "m"), (1e3, "k"))


def _finish(fig, synthetic: bool):
    if synthetic:
        label_synthetic(fig)
        # The label is placed at a fixed height, so constrained layout leaves no room for it: keep the
        # top 0.25 inch clear so it never sits on the plot.
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            engine.set(rect=(0.0, 0.0, 1.0, 1.0 - 0.25 / fig.get_figheight()))
    return fig


def _finite(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def money_axis_label(value: float) -> str:
    """A money amount for an axis or a label: "£0", "£950", "£1.5k", "£250k", "−£1.2m", "£3.4bn".

    Whole pounds below £1,000, else up to three significant figures in thousands, millions or
    billions (trailing zeros dropped); a real minus sign; "" for a missing or infinite value.
    """
    if not _finite(value):
        return ""
    size = abs(float(value))
    if size < 999.5:
        text = f"{size:.0f}"
        return "£0" if text == "0" else (MINUS if value < 0 else "") + "£" + text
    for i, (threshold, suffix) in enumerate(_UNITS):
        if size >= threshold or i == len(_UNITS) - 1:
            scaled = size / threshold
            decimals = min(2, max(0, 2 - math.floor(math.log10(scaled))))
            rounded = round(scaled, decimals)
            if rounded >= 1000 and i > 0:  # 999,950 is "£1m", not "£1000k"
                threshold, suffix = _UNITS[i - 1]
                rounded, decimals = round(size / threshold, 2), 2
            text = f"{rounded:.{decimals}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            return (MINUS if value < 0 else "") + "£" + text + suffix
    raise AssertionError("unreachable")


_money_formatter = FuncFormatter(lambda v, _: money_axis_label(v))


def _number(value: float) -> str:
    text = f"{value:,.3g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return text.replace("-", MINUS)


def _value_text(value, unit: str, *, suffix: bool = True) -> str:
    """A parameter value in its unit: money, a share as a percentage, proportion points as percentage
    points, or a number and its unit (``suffix=False`` leaves off a trailing word such as "hours")."""
    if not _finite(value):
        return "?"
    if unit.startswith("£"):
        if abs(value) < 100 and value != round(value):  # pence matter only for small amounts
            text = (MINUS if value < 0 else "") + f"£{abs(value):,.2f}"
        else:
            text = money_axis_label(value)
        return text + (unit[1:] if suffix else "")
    if unit in ("share", "proportion"):
        return _number(100 * value) + "%"
    if unit == "%":
        return _number(value) + "%"
    if unit == "proportion points":
        return _number(100 * value) + (" points" if suffix else "")
    return _number(value) + (f" {unit}" if unit and suffix else "")


def _range_text(low, high, unit: str) -> str:
    """ "£40–£60", "10%–40%", "2–6 hours": a trailing word only once."""
    joint = " to " if _finite(low) and low < 0 else DASH  # "−207 to 80", not "−207–80"
    return f"{_value_text(low, unit, suffix=False)}{joint}{_value_text(high, unit)}"


def _tornado_label(label: str, low, high, unit: str) -> str:
    label = plot_text(label, 120)
    label = label[:1].upper() + label[1:]
    return textwrap.fill(label, LABEL_WIDTH) + f"\n({_range_text(low, high, unit)})"


def _float(value) -> float:
    return float(value) if _finite(value) else np.nan


def plot_tornado(data: pl.DataFrame, *, synthetic: bool = False):
    """One-way sensitivity: for each parameter (``vfm_sensitivity`` rows) a bar from the base NPV to
    the NPV at the parameter's low value and one to the NPV at its high value; biggest swing at the top.

    Columns ``parameter``, ``label``, ``low``, ``high``, ``npv_low``, ``npv_high``, ``swing`` and
    ``npv_base`` (the base-case NPV, the same on every row); an optional ``unit`` ("£", "share", "hours",
    ...) formats the low and high values in the labels. A missing NPV leaves its bar out.
    """
    if data.height == 0:
        fig, ax = new_figure(7.0, 2.2)
        ax.text(0.5, 0.5, NO_PARAMETERS, transform=ax.transAxes, ha="center", va="center", fontsize=11,
                color=TEXT_COLOUR)
        ax.set_yticks([])
        ax.set_xticks([])
        ax.grid(visible=False)
        ax.set_xlabel(NPV_AXIS)
        return _finish(fig, synthetic)
    frame = data
    if "swing" not in frame.columns:
        frame = frame.with_columns(swing=(pl.col("npv_high") - pl.col("npv_low")).abs())
    frame = frame.with_columns(pl.col("swing").fill_nan(None)).sort("swing", descending=True, nulls_last=True,
                                                                    maintain_order=True)
    units = frame["unit"].fill_null("").to_list() if "unit" in frame.columns else [""] * frame.height
    labels = [_tornado_label(str(row["label"] if row["label"] is not None else row["parameter"]), row["low"],
                             row["high"], unit) for row, unit in zip(frame.iter_rows(named=True), units, strict=True)]
    bases = [b for b in frame["npv_base"].to_list() if _finite(b)]
    base = float(bases[0]) if bases else 0.0
    n = frame.height
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = new_figure(7.0, max(2.8, 1.5 + 0.2 * lines + 0.12 * n))
    y = np.arange(n)[::-1].astype(float)  # row 0 (biggest swing) at the top
    npv_low = np.array([_float(v) for v in frame["npv_low"].to_list()])
    npv_high = np.array([_float(v) for v in frame["npv_high"].to_list()])
    height = 0.38
    for values, offset, colour, name, gid in ((npv_low, height / 2, LOW_COLOUR, "Parameter at its low value", "low"),
                                              (npv_high, -height / 2, HIGH_COLOUR, "Parameter at its high value",
                                               "high")):
        shown = np.isfinite(values)
        bars = ax.barh(y[shown] + offset, values[shown] - base, height, left=base, color=colour, label=name)
        for bar in bars:
            bar.set_gid(f"tornado_{gid}")
    ax.axvline(base, color=TEXT_COLOUR, linewidth=1.2, gid="npv_base",
               label=f"Base case NPV ({money_axis_label(base)})")
    ends = np.concatenate([npv_low, npv_high, [base]])
    ends = ends[np.isfinite(ends)]
    low_end, high_end = float(ends.min()), float(ends.max())
    pad = 0.06 * ((high_end - low_end) or abs(base) or 1.0)
    ax.set_xlim(low_end - pad, high_end + pad)
    if low_end - pad < 0 < high_end + pad and base != 0:
        ax.axvline(0, color="0.45", linewidth=0.9, linestyle=":", gid="npv_zero", label="NPV = £0 (break even)")
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_ylim(-0.6, n - 0.4)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(_money_formatter)
    ax.set_xlabel(NPV_AXIS)
    fig.legend(*ax.get_legend_handles_labels(), frameon=False, loc="outside lower center", ncol=2, fontsize=8.5)
    return _finish(fig, synthetic)


def _marks(marks: pl.DataFrame) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    if marks is not None and {"mark", "effect"} <= set(marks.columns):
        for mark, effect in marks.select("mark", "effect").iter_rows():
            found[str(mark)] = float(effect) if _finite(effect) else None
    return found


def _points(effect: float) -> str:
    """Proportion points as percentage points in words: 0.032 -> "3.2"."""
    return f"{100 * effect:.1f}".replace("-", MINUS)


def plot_break_even(data: tuple[pl.DataFrame, pl.DataFrame] | Sequence[pl.DataFrame], *, synthetic: bool = False):
    """NPV against the reduction in the reoffending rate, with the estimate, its 95% CI and the break-even point.

    ``data`` is ``(grid, marks)``: ``grid`` is ``vfm_break_even`` (``effect`` in proportion points,
    ``npv``, ``bcr``); ``marks`` has ``mark`` ("estimate", "ci_lower", "ci_upper", "break_even") and
    ``effect`` (null when unknown; no break-even point is marked when it is null). The x axis is in
    percentage points.
    """
    grid, marks = data
    found = _marks(marks)
    fig, ax = new_figure(7.0, 4.0)
    grid = grid.filter(pl.col("effect").is_not_null() & pl.col("npv").is_not_null()).sort("effect")
    x = 100 * grid["effect"].cast(pl.Float64).to_numpy()
    npv = grid["npv"].cast(pl.Float64).to_numpy()
    keep = np.isfinite(x) & np.isfinite(npv)
    x, npv = x[keep], npv[keep]
    handles: list = []
    lower, upper, estimate = found.get("ci_lower"), found.get("ci_upper"), found.get("estimate")
    if lower is not None and upper is not None:
        left, right = sorted((100 * lower, 100 * upper))
        band = ax.axvspan(left, right, color=PALETTE[5], alpha=0.22, linewidth=0, gid="ci_band")
        handles.append(Patch(color=band.get_facecolor(),
                             label=f"95% CI of the estimate ({_points(lower)} to {_points(upper)} points)"))
    if x.size:
        ax.plot(x, npv, color=PALETTE[0], linewidth=2.0, gid="npv_line")
        handles.insert(0, Line2D([], [], color=PALETTE[0], linewidth=2.0, label="NPV at each effect"))
    ax.axhline(0, color=TEXT_COLOUR, linewidth=0.9, gid="zero_line")
    if estimate is not None:
        ax.axvline(100 * estimate, color=PALETTE[2], linewidth=1.6, linestyle="--", gid="estimate")
        words = f"Estimated effect ({_points(estimate)} points)"
        if x.size and x.min() <= 100 * estimate <= x.max():
            at = float(np.interp(100 * estimate, x, npv))
            ax.plot([100 * estimate], [at], "o", color=PALETTE[2], markersize=7, markeredgecolor="white",
                    gid="estimate_marker", zorder=4)
            words = f"Estimated effect ({_points(estimate)} points, NPV {money_axis_label(at)})"
        handles.append(Line2D([], [], color=PALETTE[2], linewidth=1.6, linestyle="--", marker="o", markersize=7,
                              label=words))
    break_even = found.get("break_even")
    if break_even is not None:
        ax.plot([100 * break_even], [0.0], "D", color=PALETTE[3], markersize=8, markeredgecolor="white",
                gid="break_even_marker", zorder=5)
        rising = x.size < 2 or npv[-1] >= npv[0]  # write the label on the side of the line with space
        ax.annotate(f"Breaks even at\n{_points(break_even)} points", (100 * break_even, 0.0),
                    xytext=(10, -10 if rising else 10), textcoords="offset points", ha="left",
                    va="top" if rising else "bottom", fontsize=8.5, color=TEXT_COLOUR,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0, "alpha": 0.85})
        handles.append(Line2D([], [], color=PALETTE[3], marker="D", linestyle="none", markersize=8,
                              label=f"Break-even point ({_points(break_even)} points)"))
    else:
        handles.append(Line2D([], [], color="none", marker="none", linestyle="none", label=NO_BREAK_EVEN))
    if not x.size:
        ax.text(0.5, 0.6, "No break-even grid", transform=ax.transAxes, ha="center", fontsize=11, color=TEXT_COLOUR)
    ax.yaxis.set_major_formatter(_money_formatter)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", MINUS)))
    ax.set_xlabel(EFFECT_AXIS)
    ax.set_ylabel(NPV_AXIS)
    ax.legend(handles=handles, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8.5)
    return _finish(fig, synthetic)


def _probability(value) -> str:
    if value >= 1:
        return "100%"
    if value <= 0:
        return "0%"
    if value >= 0.995:
        return ">99%"
    if value < 0.005:
        return "<1%"
    return f"{100 * value:.0f}%"


def _bcr_probability(data: pl.DataFrame) -> float | None:
    """``probability_bcr_above_1`` (the first finite value), else the share of finite ``bcr`` draws above 1."""
    if "probability_bcr_above_1" in data.columns:
        given = [p for p in data["probability_bcr_above_1"].to_list() if _finite(p)]
        if given:
            return float(given[0])
    if "bcr" in data.columns:
        bcr = data["bcr"].cast(pl.Float64).to_numpy()
        bcr = bcr[np.isfinite(bcr)]  # a BCR of NaN or infinity (no costs) is left out
        if bcr.size:
            return float((bcr > 1).mean())
    return None


def _bin_edges(draws: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bins over the draws with 0 on an edge when the draws straddle it."""
    low, high = float(draws.min()), float(draws.max())
    width = (high - low) / bins
    if low < 0 < high:
        return np.arange(math.floor(low / width), math.ceil(high / width) + 1) * width
    return np.linspace(low, high, bins + 1)


def plot_npv_distribution(data: pl.DataFrame, *, synthetic: bool = False):
    """Histogram of the Monte Carlo NPV draws (column ``npv``), bars above £0 and below it in different
    colours, a zero line and the median, annotated "P(BCR > 1) = 83%" from ``probability_bcr_above_1``
    (the same on every row; when missing it is the share of finite ``bcr`` draws above 1, if that
    column is given). Missing, NaN and infinite draws are left out.
    """
    fig, ax = new_figure(7.0, 3.8)
    draws = data["npv"].cast(pl.Float64).to_numpy() if "npv" in data.columns else np.array([])
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        ax.text(0.5, 0.5, "No Monte Carlo draws", transform=ax.transAxes, ha="center", va="center", fontsize=11,
                color=TEXT_COLOUR)
    elif draws.min() == draws.max():
        value = float(draws[0])
        width = max(abs(value) * 0.04, 1.0)
        colour = ABOVE_COLOUR if value > 0 else BELOW_COLOUR
        ax.bar([value], [draws.size], width=width, color=colour, gid="npv_bar")
        ax.set_xlim(value - 12 * width, value + 12 * width)
    else:
        bins = int(min(50, max(10, round(math.sqrt(draws.size)))))
        edges = _bin_edges(draws, bins)
        counts, edges = np.histogram(draws, bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        colours = [ABOVE_COLOUR if c > 0 else BELOW_COLOUR for c in centres]
        bars = ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=colours, edgecolor="white",
                      linewidth=0.4)
        for bar in bars:
            bar.set_gid("npv_bar")
    handles: list = []
    if draws.size:
        above = float((draws > 0).mean())
        handles += [Patch(color=ABOVE_COLOUR, label=f"NPV above £0 ({_probability(above)} of draws)"),
                    Patch(color=BELOW_COLOUR, label=f"NPV £0 or below ({_probability(1 - above)} of draws)")]
        median = float(np.median(draws))
        ax.axvline(median, color=TEXT_COLOUR, linewidth=1.2, linestyle="--", gid="npv_median")
        handles.append(Line2D([], [], color=TEXT_COLOUR, linewidth=1.2, linestyle="--",
                              label=f"Median NPV ({money_axis_label(median)})"))
        left, right = ax.get_xlim()
        if left < 0 < right:
            ax.axvline(0, color=TEXT_COLOUR, linewidth=1.0, gid="npv_zero")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    probability = _bcr_probability(data)
    text = f"P(BCR > 1) = {_probability(probability)}" if probability is not None else "P(BCR > 1) not available"
    ax.text(0.02, 0.96, text, transform=ax.transAxes, ha="left", va="top", fontsize=11, fontweight="bold",
            color=TEXT_COLOUR, gid="probability", bbox={"facecolor": "white", "edgecolor": "none", "pad": 2.0})
    ax.xaxis.set_major_formatter(_money_formatter)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(NPV_AXIS)
    ax.set_ylabel(f"Monte Carlo draws (of {draws.size:,})")
    ax.grid(axis="x", visible=False)
    if handles:
        ax.legend(handles=handles, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  fontsize=8.5)
    return _finish(fig, synthetic)
