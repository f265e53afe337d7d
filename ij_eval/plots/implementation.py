"""Figures for the implementation strand, drawn from published (disclosure-controlled) plot data."""

from __future__ import annotations

import numpy as np
import polars as pl

from ij_eval.plots.style import PALETTE, TEXT_COLOUR, label_synthetic, new_figure
from ij_eval.report.escape import plot_text

STAGE_LABELS = {"referred": "Referred", "contacted": "Contacted", "work_booked": "Work booked",
                "started": "Work started", "completed": "Completed", "did_not_complete": "Did not complete",
                "refused": "Refused", "not_suitable": "Not suitable", "in_progress": "In progress"}
STEPS = ("referred", "contacted", "work_booked", "started", "completed")
EXITS = ("did_not_complete", "refused", "not_suitable", "in_progress")
STATUS_COLOURS = {"completed": PALETTE[2], "did_not_complete": PALETTE[1], "refused": PALETTE[3],
                  "not_suitable": PALETTE[4], "in_progress": PALETTE[5]}
HIDDEN = "[c]"


def _value(frame: pl.DataFrame, stage: str) -> float | None:
    part = frame.filter(pl.col("stage") == stage)["n"]
    return None if part.len() == 0 or part[0] is None else float(part[0])


def plot_funnel(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Stepped funnel: the five steps as bars, then the exits (columns ``stage``, ``n``)."""
    fig, ax = new_figure(7.0, 4.2) if ax is None else (ax.figure, ax)
    stages = [*STEPS, *EXITS]
    values = [_value(data, s) for s in stages]
    y = np.arange(len(stages))[::-1] - np.array([0] * len(STEPS) + [0.6] * len(EXITS))
    top = max((v for v in values if v is not None), default=0.0) or 1.0  # all hidden or zero: an empty axis
    for yi, stage, v in zip(y, stages, values, strict=True):
        colour = PALETTE[0] if stage in STEPS else STATUS_COLOURS[stage]
        width = v if v is not None else 0.0
        ax.barh(yi, width, color=colour, height=0.7)
        ax.text(width + top * 0.01, yi, f"{v:,.0f}" if v is not None else HIDDEN, va="center", fontsize=9,
                color=TEXT_COLOUR)
    ax.set_yticks(y, [STAGE_LABELS[s] for s in stages])
    ax.set_xlabel("People")
    ax.set_xlim(0, top * 1.12)
    ax.grid(axis="y", visible=False)
    if synthetic:
        label_synthetic(fig)
    return fig


def plot_monthly(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Referrals each month stacked by status (columns ``group`` = month, ``stage``, ``n``); a status
    hidden by disclosure control is drawn as part of a grey 'not shown' segment."""
    fig, ax = new_figure(7.5, 3.8) if ax is None else (ax.figure, ax)
    months = sorted(data["group"].unique().to_list())
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    for status in ("completed", "did_not_complete", "refused", "not_suitable", "in_progress"):
        heights = np.array([_value(data.filter(pl.col("group") == m), status) or 0.0 for m in months])
        ax.bar(x, heights, bottom=bottom, color=STATUS_COLOURS[status], label=STAGE_LABELS[status], width=0.8)
        bottom += heights
    referred = np.array([_value(data.filter(pl.col("group") == m), "referred") or np.nan for m in months])
    rest = np.where(np.isfinite(referred), np.maximum(referred - bottom, 0), 0)
    if rest.sum() > 0:
        ax.bar(x, rest, bottom=bottom, color="#BBBBBB", label="Not shown (small numbers)", width=0.8)
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    ax.set_ylabel("Referrals")
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper left")
    ax.grid(axis="x", visible=False)
    if synthetic:
        label_synthetic(fig)
    return fig


def plot_km_start(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Share started by each day (columns ``group``, ``time``, ``share_started``, ``ci_lower``, ``ci_upper``)."""
    fig, ax = new_figure() if ax is None else (ax.figure, ax)
    labels = {"all": "Everyone", "adult": "Adults", "child": "Children (10-17)"}
    shown = data.filter(pl.col("share_started").is_not_null())
    for colour, group in zip(PALETTE, ("all", "adult", "child"), strict=False):
        part = shown.filter(pl.col("group") == group).sort("time")
        if part.height == 0:
            continue
        t = part["time"].to_numpy()
        ax.step(t, 100 * part["share_started"].to_numpy(), where="post", color=colour, label=labels[group])
        ax.fill_between(t, 100 * part["ci_lower"].to_numpy(), 100 * part["ci_upper"].to_numpy(), step="post",
                        color=colour, alpha=0.15, linewidth=0)
    ax.axvline(2, color=TEXT_COLOUR, linestyle="--", linewidth=1)
    ax.text(2.2, 3, "48 hours", fontsize=8, color=TEXT_COLOUR)
    ax.set_xlabel("Days after the police decision")
    ax.set_ylabel("Work started (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0, right=min(float(shown["time"].max() or 28), 56.0) if shown.height else 28)
    if ax.get_legend_handles_labels()[1]:
        ax.legend(frameon=False, loc="lower right")
    if synthetic:
        label_synthetic(fig)
    return fig


def plot_hours(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Hours completed by activity (columns ``activity``, ``hours_completed``); hidden hours show as [c]."""
    fig, ax = new_figure(7.0, 3.6) if ax is None else (ax.figure, ax)
    frame = data.sort("hours_completed", nulls_last=False, descending=False)
    names = [plot_text(str(a).replace("_", " ").capitalize(), 60) for a in frame["activity"].to_list()]
    values = frame["hours_completed"].to_list()
    top = max((v for v in values if v is not None), default=0.0) or 1.0  # all hidden or zero: an empty axis
    y = np.arange(len(names))
    ax.barh(y, [v or 0.0 for v in values], color=PALETTE[0], height=0.7)
    for yi, v in zip(y, values, strict=True):
        ax.text((v or 0.0) + top * 0.01, yi, f"{v:,.0f}" if v is not None else HIDDEN, va="center", fontsize=9,
                color=TEXT_COLOUR)
    ax.set_yticks(y, names)
    ax.set_xlabel("Hours of reparative work completed")
    ax.set_xlim(0, top * 1.15)
    ax.grid(axis="y", visible=False)
    if synthetic:
        label_synthetic(fig)
    return fig
