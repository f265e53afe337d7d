"""Figures for the data overview."""

from __future__ import annotations

import polars as pl

from ij_eval.plots.style import PALETTE, label_synthetic, new_figure

COHORT_LABELS = {"ij": "Immediate Justice", "comparison": "Comparison cohort"}


def plot_referrals_by_month(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Monthly referrals by cohort (columns ``month``, ``cohort``, ``n``)."""
    fig, ax = new_figure() if ax is None else (ax.figure, ax)
    for colour, cohort in zip(PALETTE, ("ij", "comparison"), strict=False):
        part = data.filter(pl.col("cohort") == cohort).sort("month")
        if part.height:
            ax.plot(part["month"].to_list(), part["n"].to_list(), marker="o", markersize=3,
                    color=colour, label=COHORT_LABELS[cohort])
    ax.set_ylabel("Referrals per month")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    if synthetic:
        label_synthetic(fig)
    return fig
