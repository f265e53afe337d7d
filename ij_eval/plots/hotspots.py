"""Hotspot figures: monthly ASB by area role, the interrupted time series counterfactual, the event
study and displacement/diffusion around each hotspot.

Each function draws result data it is given (it computes no estimates) and returns a Figure.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter, PercentFormatter

from ij_eval.plots.style import PALETTE, label_synthetic, new_figure
from ij_eval.report.escape import plot_text

ROLE_NAMES = {"hotspot": "Hotspots", "buffer": "Buffer areas", "comparison": "Comparison areas"}
ROLE_STYLE = {  # colour, line style, marker: distinguishable without colour too
    "hotspot": (PALETTE[0], "-", "o"),
    "buffer": (PALETTE[1], "--", "s"),
    "comparison": (PALETTE[2], ":", "^"),
}
PER_MONTH = "ASB incidents per month"


def _finish(fig, synthetic: bool):
    if synthetic:
        label_synthetic(fig)
    return fig


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _monthly_axes(ax, *, ylabel: str, title: str, legend_columns: int) -> None:
    """Counts from zero by month, an optional title, the legend below the plot."""
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Month")
    _date_axis(ax)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=legend_columns, fontsize=9)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def plot_series(series: pl.DataFrame, *, synthetic: bool = False,
                intervention: dt.date | tuple[dt.date, dt.date] | None = None,
                ylabel: str = PER_MONTH + "\n(all areas of each type)", title: str = ""):
    """Monthly ASB counts by area role (columns period, role, count), with the intervention marked.

    ``intervention`` is a date (a vertical line) or, for staggered starts, a ``(first, last)``
    tuple (a shaded band from the first to the last start).
    """
    fig, ax = new_figure(8.0, 4.0)
    known = [r for r in ROLE_STYLE if r in set(series["role"].to_list())]
    others = sorted(set(series["role"].to_list()) - set(known))
    for i, role in enumerate(known + others):
        colour, style, marker = ROLE_STYLE.get(role, (PALETTE[(3 + i) % len(PALETTE)], "-", "D"))
        part = series.filter(pl.col("role") == role).sort("period")
        ax.plot(part["period"].to_list(), part["count"].to_numpy(), color=colour, linestyle=style, marker=marker,
                markersize=3, linewidth=1.6, label=ROLE_NAMES.get(role, role))
    if isinstance(intervention, tuple):
        first, last = (_as_date(d) for d in intervention)
        if first == last:
            ax.axvline(first, color="black", linewidth=1.0, linestyle="--", label=f"Intervention start ({first:%b %Y})")
        else:
            ax.axvspan(first, last, color="0.5", alpha=0.18, linewidth=0,
                       label=f"Intervention starts ({first:%b %Y} to {last:%b %Y})")
    elif intervention is not None:
        start = _as_date(intervention)
        ax.axvline(start, color="black", linewidth=1.0, linestyle="--", label=f"Intervention start ({start:%b %Y})")
    _monthly_axes(ax, ylabel=ylabel, title=title, legend_columns=4)
    return _finish(fig, synthetic)


def plot_counterfactual(fit: pl.DataFrame, *, synthetic: bool = False, title: str = "", ylabel: str = PER_MONTH):
    """Observed counts, the fitted model and its counterfactual (no intervention) with a 95% band.

    Columns period, observed, fitted, counterfactual, cf_lower, cf_upper; the counterfactual is
    null before the intervention, and the first period with one is marked as the start.
    """
    fit = fit.sort("period")
    periods = fit["period"].to_list()
    fig, ax = new_figure(8.0, 4.0)
    ax.plot(periods, fit["observed"].to_numpy(), "o", color="0.35", markersize=3.5, label="Observed")
    ax.plot(periods, fit["fitted"].to_numpy(), "-", color=PALETTE[0], linewidth=1.8, label="Model fit")
    after = fit.filter(pl.col("counterfactual").is_not_null())
    if after.height:
        cf_periods = after["period"].to_list()
        ax.fill_between(cf_periods, after["cf_lower"].to_numpy(), after["cf_upper"].to_numpy(), color=PALETTE[3],
                        alpha=0.18, linewidth=0, label="Counterfactual 95% interval")
        ax.plot(cf_periods, after["counterfactual"].to_numpy(), "--", color=PALETTE[3], linewidth=1.8,
                label="Counterfactual (no intervention)")
        start = _as_date(cf_periods[0])
        ax.axvline(start, color="black", linewidth=0.9, linestyle=":", label=f"Intervention ({start:%b %Y})")
    _monthly_axes(ax, ylabel=ylabel, title=title, legend_columns=3)
    return _finish(fig, synthetic)


def _log_ticks(low: float, high: float) -> list[float]:
    candidates = (0.1, 0.2, 0.25, 0.33, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0)
    inside = [t for t in candidates if low <= t <= high]
    while len(inside) > 8:
        inside = inside[::2] if 1.0 in inside[::2] else inside[1::2]
    return inside or [1.0]


def plot_event_study(table: pl.DataFrame, *, synthetic: bool = False, reference: int = -1,
                     ylabel: str = "Rate ratio (log scale)\nvs the reference month",
                     xlabel: str = "Months since the intervention start"):
    """Rate ratios with 95% intervals by event time on a log scale.

    Columns event_time, rate_ratio, rr_ci_lower, rr_ci_upper and optionally ``reference`` (true on
    the reference row). The reference period (that row, else event time ``reference``) is drawn
    as a hollow marker at 1 even when absent from the table; a vertical line marks 0 (the start)
    and a horizontal one 1 (no change).
    """
    table = table.sort("event_time")
    if "reference" in table.columns and table["reference"].fill_null(False).any():
        reference = int(table.filter(pl.col("reference").fill_null(False))["event_time"][0])
    ref = table.filter(pl.col("event_time") == reference)
    rest = table.filter((pl.col("event_time") != reference) & pl.col("rate_ratio").is_not_null()
                        & pl.col("rate_ratio").is_finite())
    fig, ax = new_figure(8.0, 4.0)
    x = rest["event_time"].to_numpy()
    rr = rest["rate_ratio"].to_numpy().astype(float)
    lo = rest["rr_ci_lower"].fill_null(np.nan).to_numpy().astype(float)
    hi = rest["rr_ci_upper"].fill_null(np.nan).to_numpy().astype(float)
    pre = x < 0
    for mask, colour, label in ((pre, "0.45", "Before the start (check: should be near 1)"),
                                (~pre, PALETTE[0], "From the start")):
        if mask.any():
            errors = [np.nan_to_num(rr[mask] - lo[mask]), np.nan_to_num(hi[mask] - rr[mask])]
            ax.errorbar(x[mask], rr[mask], yerr=errors, fmt="o", color=colour, ecolor=colour, elinewidth=1.2,
                        capsize=2.5, markersize=4.5,
                        label=label)
    ref_value = ref["rate_ratio"][0] if ref.height else None
    ref_value = float(ref_value) if ref_value is not None and np.isfinite(ref_value) else 1.0
    ax.plot([reference], [ref_value], "o", markerfacecolor="white", markeredgecolor="black", markersize=6,
            label=f"Reference period ({reference}), fixed at 1")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axvline(0, color="black", linewidth=0.9, linestyle="--")
    ax.set_yscale("log")
    values = np.concatenate([lo, hi, rr, [1.0]])
    values = values[np.isfinite(values) & (values > 0)]
    low, high = float(values.min()), float(values.max())
    ax.set_ylim(low / 1.08, high * 1.08)
    ticks = _log_ticks(low / 1.08, high * 1.08)
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.annotate("Intervention starts", (0, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                textcoords="offset points", ha="left", va="top", fontsize=8)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=9)
    return _finish(fig, synthetic)


def _incidents(x: float) -> str:
    return f"{abs(x):,.0f} {'fewer' if x >= 0 else 'more'}"


def _span(low: float, high: float) -> str:
    """A 95% interval of incidents prevented, in words (low <= high)."""
    if low >= 0:
        return f"{low:,.0f} to {high:,.0f} fewer"
    if high <= 0:
        return f"{-high:,.0f} to {-low:,.0f} more"
    return f"{-low:,.0f} more to {high:,.0f} fewer"


def _wdq_text(value, note: str | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "WDQ n/a"
    if note and "unstable" in note:
        return f"WDQ {value:+.2f} (unstable)"
    word = ("diffusion > effect" if value > 1 else "diffusion" if value > 0 else "neither" if value == 0
            else "displacement" if value >= -1 else "displacement > effect")
    return f"WDQ {value:+.2f} ({word})"


WDQ_GUIDE = ("WDQ (weighted displacement quotient) = buffer change / hotspot change, both relative to the "
             "comparison areas. Above 1: the buffer improved more than the hotspot. 0 to 1: the benefit spread "
             "to the buffer (diffusion). 0 to -1: some ASB moved to the buffer, less than was removed "
             "(displacement). Below -1: more ASB moved than was removed. n/a: the hotspot did not improve; "
             "unstable: it improved by under 5%, so the quotient divides by almost nothing.")


def plot_displacement(table: pl.DataFrame, *, synthetic: bool = False):
    """Per hotspot: how the hotspot and its buffer changed relative to the comparison areas, and the
    ASB incidents prevented in both together with a 95% interval; the overall reading in words below.

    Uses the columns of ``displacement_table``: ``hotspot_relative_change`` and
    ``buffer_relative_change`` when present (else ``success_measure`` and ``buffer_measure``),
    ``total_net_effect`` (positive = prevented), ``wdd_ci_lower``/``wdd_ci_upper`` when present
    (drawn as incidents prevented, so with the sign reversed), ``wdq`` (marked unstable when the
    row's ``note`` says so), and the ``reading`` of the "total" row. The total is drawn in the left
    panel and written in words in the right one (its count of incidents is on another scale from
    single hotspots).
    """
    rows = table.filter((pl.col("area_id") != "total") & pl.col("success_measure").is_not_null())
    total = table.filter(pl.col("area_id") == "total")
    relative = {"hotspot_relative_change", "buffer_relative_change"} <= set(table.columns)
    first_col, second_col = (("hotspot_relative_change", "buffer_relative_change") if relative
                             else ("success_measure", "buffer_measure"))
    shown = pl.concat([rows, total.select(rows.columns)]) if total.height else rows
    n = shown.height
    lines = [WDQ_GUIDE]
    if total.height and total["reading"][0]:
        lines.insert(0, "All hotspots: " + plot_text(total["reading"][0]))
    caption_text = "\n".join(textwrap.fill(line, 145) for line in lines)
    caption_lines = caption_text.count("\n") + 1
    fig = plt.figure(figsize=(10.0, 2.0 + 0.38 * n + 0.17 * caption_lines), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.1, 1], height_ratios=[1.6 + 0.38 * n, 0.17 * caption_lines])
    left, right, caption = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
    y = np.arange(n)[::-1].astype(float)
    ids = shown["area_id"].to_list()
    is_total = np.array([a == "total" for a in ids], dtype=bool)
    height = 0.38
    first = shown[first_col].fill_null(np.nan).to_numpy().astype(float)
    second = shown[second_col].fill_null(np.nan).to_numpy().astype(float)
    left.barh(y + height / 2, first, height, color=PALETTE[0], label="Hotspot")
    left.barh(y - height / 2, second, height, color=PALETTE[1], label="Buffer around it", hatch="//",
              edgecolor="white", linewidth=0)
    left.axvline(0, color="black", linewidth=0.8)
    left.set_yticks(y, ["All hotspots" if a == "total" else plot_text(a, 40) for a in ids])
    left.set_ylim(-0.7, n - 0.3)
    left.grid(axis="y", visible=False)
    if relative:
        left.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        left.set_xlabel("Change in ASB relative to the comparison areas\n(after vs before; below 0 = improved)")
    else:
        left.set_xlabel("Change in ratio to comparison-area ASB\n(after - before; below 0 = improved)")
    left.set_title("How each area changed", loc="left", fontsize=10, pad=20)
    left.legend(frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=8.5,
                borderaxespad=0.1, handlelength=1.6)

    prevented = shown["total_net_effect"].fill_null(np.nan).to_numpy().astype(float)
    if {"wdd_ci_lower", "wdd_ci_upper"} <= set(shown.columns):
        low = -shown["wdd_ci_upper"].fill_null(np.nan).to_numpy().astype(float)
        high = -shown["wdd_ci_lower"].fill_null(np.nan).to_numpy().astype(float)
    else:
        low = high = prevented
    each = ~is_total & np.isfinite(prevented)
    if each.any():
        errors = [np.nan_to_num(prevented[each] - low[each]), np.nan_to_num(high[each] - prevented[each])]
        right.errorbar(prevented[each], y[each], xerr=errors, fmt="o", color=PALETTE[2], ecolor=PALETTE[2],
                       capsize=3, markersize=5)
    right.axvline(0, color="black", linewidth=0.8)
    right.set_yticks(y, [""] * n)
    right.set_ylim(left.get_ylim())
    right.grid(axis="y", visible=False)
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    months = shown["months_after"].drop_nulls().unique().to_list() if "months_after" in shown.columns else []
    over = f"over {months[0]} months; " if len(months) == 1 else ""
    right.set_xlabel(f"ASB incidents prevented, hotspot + buffer\n({over}95% interval; below 0 = more)")
    right.set_title("Net effect in incidents", loc="left", fontsize=10, pad=20)
    wdq_values = shown["wdq"].to_list() if "wdq" in shown.columns else [None] * n
    notes = shown["note"].to_list() if "note" in shown.columns else [None] * n
    for yi, value, note, flag in zip(y, wdq_values, notes, is_total, strict=True):
        right.annotate(_wdq_text(value, note), (1.01, yi), xycoords=("axes fraction", "data"), va="center", fontsize=8,
                       fontweight="bold" if flag else "normal")
    if is_total.any():
        k = int(np.flatnonzero(is_total)[0])
        for ax in (left, right):
            ax.axhline(y[k] + 0.5, color="0.6", linewidth=0.8)
        if np.isfinite(prevented[k]):
            span = f" (95% CI {_span(low[k], high[k])})" if np.isfinite(low[k]) and np.isfinite(high[k]) else ""
            right.annotate(f"{_incidents(prevented[k])}{span}", (0.02, y[k]),
                           xycoords=("axes fraction", "data"), va="center", fontsize=8.5, fontweight="bold",
                           bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    caption.axis("off")
    caption.text(0.0, 1.0, caption_text, ha="left", va="top", fontsize=8.5, transform=caption.transAxes)
    return _finish(fig, synthetic)
