"""Shared figure setup: the Agg backend, a readable default style and the synthetic-data label."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100, "savefig.dpi": 150, "font.size": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "svg.hashsalt": "ij-eval",
})

# Colour-blind-safe palette (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def new_figure(width: float = 7.0, height: float = 3.6):
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def label_synthetic(fig) -> None:
    """Stamp a figure built from synthetic data so it cannot be mistaken for real results."""
    fig.suptitle("SYNTHETIC DATA - demonstration only", x=0.99, ha="right", fontsize=8,
                 color="#D55E00", fontweight="bold")
