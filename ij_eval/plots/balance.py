"""Covariate balance figures for the reoffending comparison group."""

from __future__ import annotations

import textwrap

import polars as pl

from ij_eval.plots.style import PALETTE, label_synthetic, new_figure
from ij_eval.report.escape import plot_text

LABEL_WIDTH = 30  # a covariate or level label wraps at 30 characters, on two lines at most

SAMPLE_STYLES = {  # sample -> (legend label, colour, marker, hollow)
    "before": ("Before adjustment", PALETTE[3], "o", True),
    "matched": ("After matching", PALETTE[0], "s", False),
    "weighted": ("After weighting", PALETTE[2], "D", False),
}


def _covariate_order(balance: pl.DataFrame, value: pl.Expr) -> list[str]:
    """Covariates from the least to the most imbalanced before adjustment (plotted bottom to top)."""
    reference = balance.filter(pl.col("sample") == "before")
    if reference.is_empty():
        reference = balance
    ranked = (reference.group_by("covariate", maintain_order=True).agg(value.max().alias("key"))
              .sort("key", nulls_last=False))
    return ranked["covariate"].to_list()


def plot_love(balance: pl.DataFrame, *, synthetic: bool = False, ax=None, absolute: bool = True,
              threshold: float = 0.1):
    """Love plot: the standardised mean difference of each covariate before and after adjustment.

    Parameters
    ----------
    balance : polars.DataFrame
        The tidy balance table (``covariate``, ``sample`` in before/matched/weighted, ``smd``),
        as from ``balance_before_after``.
    synthetic : bool
        Stamp the figure as synthetic data.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.
    absolute : bool
        Plot |SMD| (default) or the signed SMD.
    threshold : float
        Where the dashed "imbalanced" line goes (and its mirror for signed SMDs).

    Returns
    -------
    matplotlib.figure.Figure
    """
    value = pl.col("smd").abs() if absolute else pl.col("smd")
    covariates = _covariate_order(balance, pl.col("smd").abs())
    position = {name: i for i, name in enumerate(covariates)}
    if ax is None:
        fig, ax = new_figure(width=7.0, height=max(2.6, 0.32 * len(covariates) + 1.4))
    else:
        fig = ax.figure
    data = balance.with_columns(x=value, y=pl.col("covariate").replace_strict(position, return_dtype=pl.Int64))
    for name in covariates:  # a faint line from before to after shows each covariate's change
        row = data.filter(pl.col("covariate") == name).drop_nulls("x")
        if row.height > 1:
            ax.plot(row["x"].to_list(), row["y"].to_list(), color="#BBBBBB", linewidth=1, zorder=1)
    for sample, (label, colour, marker, hollow) in SAMPLE_STYLES.items():
        part = data.filter(pl.col("sample") == sample)
        if part.height:  # hollow "before" markers stay visible under an unchanged "after" marker
            ax.scatter(part["x"].to_list(), part["y"].to_list(), marker=marker, s=60 if hollow else 34,
                       facecolors="none" if hollow else colour, edgecolors=colour,
                       linewidths=1.5 if hollow else 0, label=label, zorder=3, clip_on=False)
    lines = (threshold,) if absolute else (-threshold, threshold)
    for x in lines:
        ax.axvline(x, color="#555555", linestyle="--", linewidth=1, zorder=0)
    if not absolute:
        ax.axvline(0, color="#555555", linewidth=0.8, zorder=0)
    ax.set_yticks(range(len(covariates)), [textwrap.fill(plot_text(c), LABEL_WIDTH, max_lines=2, placeholder=" …")
                                           for c in covariates])
    ax.set_ylim(-0.6, len(covariates) - 0.4)
    ax.grid(axis="y", alpha=0)
    if absolute:
        ax.set_xlabel(f"Absolute standardised mean difference, IJ vs comparison\n"
                      f"(dashed line at {threshold:g}: above it a covariate is imbalanced)")
        ax.set_xlim(left=0)
    else:
        ax.set_xlabel(f"Standardised mean difference, IJ minus comparison\n"
                      f"(dashed lines at \u00b1{threshold:g}: beyond them a covariate is imbalanced)")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, fontsize=9,
              borderaxespad=0.2, handletextpad=0.3, columnspacing=1.2)
    if synthetic:
        label_synthetic(fig)
    return fig
