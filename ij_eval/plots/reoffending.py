"""Reoffending figures: Kaplan-Meier curves with a numbers-at-risk table, and a forest plot of effects."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from ij_eval.plots.style import PALETTE, label_synthetic, nothing_to_show
from ij_eval.report.escape import plot_text

GROUP_NAMES = {
    "completed": "Completed IJ", "did_not_complete": "Did not complete", "refused": "Refused",
    "ij_all": "All referred to IJ", "comparison": "Comparison cohort", "in_progress": "In progress",
    "not_suitable": "Not suitable",
}


def _name(group: str) -> str:
    return GROUP_NAMES.get(group, group)


def plot_km(km: pl.DataFrame, at_risk: pl.DataFrame, *, synthetic: bool = False, ylabel: str = "",
            horizon: int | None = None):
    """Survival (not yet reoffended) by group with 95% bands, censor marks and numbers at risk below."""
    groups = km["group"].unique(maintain_order=True).to_list()
    if not groups:
        fig, ax = plt.subplots(figsize=(7.5, 3.0), layout="constrained")
        nothing_to_show(ax, "No one to follow up in these data")
        if synthetic:
            label_synthetic(fig)
        return fig
    fig = plt.figure(figsize=(7.5, 4.6 + 0.22 * len(groups)), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.35 + 0.25 * len(groups)])
    ax, table = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    for colour, group in zip(PALETTE, groups, strict=False):
        part = km.filter(pl.col("group") == group).sort("time")
        t = part["time"].to_numpy()
        ax.step(t, part["survival"].to_numpy(), where="post", color=colour, label=_name(group), linewidth=1.6)
        ax.fill_between(t, part["ci_lower"].to_numpy(), part["ci_upper"].to_numpy(), step="post",
                        color=colour, alpha=0.15, linewidth=0)
        censored = part.filter(pl.col("n_censored") > 0)
        ax.plot(censored["time"].to_numpy(), censored["survival"].to_numpy(), "|", color=colour,
                markersize=5, alpha=0.6)
    ax.set_ylabel(ylabel or "Share not yet reoffended")
    ax.set_xlabel("Days since referral (index date)")
    low = km["ci_lower"].drop_nulls().min()
    ax.set_ylim(max(0.0, (low if low is not None else 0.0) - 0.05), 1.01)
    if horizon:
        ax.set_xlim(0, horizon)
    ax.legend(frameon=False, loc="lower left")
    times = sorted(at_risk["time"].unique().to_list())
    table.set_xlim(ax.get_xlim())
    ys = list(range(len(groups)))[::-1]
    table.set_ylim(-0.5, len(groups) - 0.5)
    table.set_yticks(ys, [_name(g) for g in groups], fontsize=8)
    for label, colour in zip(table.get_yticklabels(), PALETTE, strict=False):
        label.set_color(colour)
    table.tick_params(left=False, bottom=False, labelbottom=False, pad=22)
    table.grid(False)
    for spine in table.spines.values():
        spine.set_visible(False)
    table.set_title("Numbers at risk", loc="left", fontsize=9)
    for y, group in zip(ys, groups, strict=True):
        row = dict(at_risk.filter(pl.col("group") == group).select("time", "n_at_risk").iter_rows())
        for t in times:
            table.text(t, y, f"{row.get(t, 0):,}", ha="center", va="center", fontsize=8)
    if synthetic:
        label_synthetic(fig)
    return fig


def plot_forest(effects: pl.DataFrame, *, synthetic: bool = False, xlabel: str = "Hazard ratio (log scale)"):
    """Estimates with 95% intervals on a log scale (columns label, estimate, ci_lower, ci_upper); rows
    without an estimate or interval (not estimable, or hidden) are left out."""
    effects = effects.drop_nulls(["estimate", "ci_lower", "ci_upper"]).filter(
        (pl.col("ci_lower") > 0) & pl.col("ci_upper").is_finite())
    n = effects.height
    fig, ax = plt.subplots(figsize=(8.5, 0.9 + 0.45 * max(n, 2)), layout="constrained")
    if n == 0:
        nothing_to_show(ax, "No hazard ratio could be estimated from these data")
        if synthetic:
            label_synthetic(fig)
        return fig
    y = np.arange(n)[::-1]
    ax.errorbar(effects["estimate"].to_numpy(), y,
                xerr=[effects["estimate"].to_numpy() - effects["ci_lower"].to_numpy(),
                      effects["ci_upper"].to_numpy() - effects["estimate"].to_numpy()],
                fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3)
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
             if effects["ci_lower"].min() / 1.3 <= t <= max(1.0, effects["ci_upper"].max()) * 1.3]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(y, [plot_text(label, 90) for label in effects["label"].to_list()])
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    for yi, est, lo, hi in zip(y, effects["estimate"], effects["ci_lower"], effects["ci_upper"], strict=True):
        ax.annotate(f"{est:.2f} ({lo:.2f} to {hi:.2f})", (1.02, yi), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8)
    if synthetic:
        label_synthetic(fig)
    return fig
