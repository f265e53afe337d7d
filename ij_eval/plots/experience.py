"""Figures for the experience strand: diverging stacked bars of survey answers."""

from __future__ import annotations

import textwrap

import polars as pl

from ij_eval.plots.style import PALETTE, TEXT_COLOUR, contrast_ratio, label_synthetic, new_figure, tint
from ij_eval.report.escape import plot_text

NEGATIVE, POSITIVE, NEUTRAL = PALETTE[3], PALETTE[0], "#BBBBBB"  # Okabe-Ito vermilion and blue; grey centre
# Colours by position on a five-point scale (most negative first): a colour-blind-safe diverging scheme.
FIVE = (NEGATIVE, tint(NEGATIVE, 0.45), NEUTRAL, tint(POSITIVE, 0.45), POSITIVE)
HIDDEN = "#E4E4E4"  # levels hidden by disclosure control, merged (hatched)
SUMMARY = ("answered", "top_two", "missing", "responses")


def _label(level: str) -> str:
    return level.replace("_", " ")


def _scale_point(levels: list[str]) -> list[int]:
    """0-based colour index of each level: yes/no items take the two ends of the five-point scale."""
    k = len(levels)
    if k == 5:
        return list(range(5))
    if k == 2:
        return [0, 4]
    return [round(i * 4 / (k - 1)) for i in range(k)] if k > 1 else [2]


def likert_bars(data: pl.DataFrame) -> list[dict]:
    """One dict per plottable item: ``question``, ``base``, ``neutral`` (its share, or None) and ``segments``
    [(level, share, colour index or None for hidden, position)] in scale order.

    Levels hidden by disclosure control are merged into one 'not shown' segment (their total is the base
    less the levels shown, which the published table gives anyway). Items whose base is hidden, or whose
    every answer given falls in hidden levels, are left out.
    """
    out = []
    for (item,), part in data.group_by("item", maintain_order=True):
        levels = part.filter(~pl.col("level").is_in(SUMMARY)).sort("position")
        base = part.filter(pl.col("level") == "answered")["n"]
        if base.len() == 0 or base[0] is None or not base[0]:
            continue
        names, counts = levels["level"].to_list(), levels["n"].to_list()
        points = _scale_point(names)
        hidden = [i for i, c in enumerate(counts) if c is None]
        if not any(counts[i] for i in range(len(counts)) if i not in hidden):
            continue  # nothing but hidden levels: the bar would say nothing
        segments = []
        for i, (name, c, point) in enumerate(zip(names, counts, points, strict=True)):
            if c is not None:
                segments.append((name, c / base[0], point, i))
            elif i == hidden[0]:
                rest = base[0] - sum(c for c in counts if c is not None)
                segments.append(("not shown (small numbers)", rest / base[0], None, i))
        k = len(names)
        neutral = k // 2 if k % 2 and k >= 3 else None
        neutral_share = None if neutral is None or counts[neutral] is None else counts[neutral] / base[0]
        first_positive = (k + 1) // 2 if k % 2 else k // 2
        if neutral_share is not None:
            start = -sum(sh for _, sh, _, pos in segments if pos < neutral) - neutral_share / 2
        else:
            start = -sum(sh for _, sh, _, pos in segments if pos < first_positive)
        out.append({"item": item, "question": part["question"][0], "base": int(base[0]), "start": start,
                    "segments": segments})
    return out


def _text_colour(fill: str) -> str:
    return TEXT_COLOUR if contrast_ratio(TEXT_COLOUR, fill) >= contrast_ratio("#FFFFFF", fill) else "#FFFFFF"


def plot_likert(data: pl.DataFrame, *, synthetic: bool = False, ax=None):
    """Diverging stacked bars centred on the neutral level (``survey_items`` rows of one survey).

    Negative answers run left of zero and positive right; an odd scale's neutral answer is split
    across zero. Each bar's label carries its base (``n = ...``); segments of 8% or more are labelled.
    """
    bars = likert_bars(data)
    height = 2.2 + 0.75 * max(len(bars), 1)
    fig, ax = new_figure(8.0, height) if ax is None else (ax.figure, ax)
    if not bars:
        ax.text(0.5, 0.5, "No question can be shown: every one has counts hidden to protect small numbers.",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    legend: dict[int, set[str]] = {}
    for y, bar in enumerate(reversed(bars)):
        left = bar["start"]
        for level, share, point, _ in bar["segments"]:
            colour = HIDDEN if point is None else FIVE[point]
            ax.barh(y, 100 * share, left=100 * left, color=colour, edgecolor="white", linewidth=0.6, height=0.7,
                    hatch="//" if point is None else None)
            if share >= 0.08 and point is not None:
                ax.text(100 * (left + share / 2), y, f"{100 * share:.0f}%", ha="center", va="center", fontsize=8,
                        color=_text_colour(colour))
            legend.setdefault(-1 if point is None else point, set()).add(level)
            left += share
    labels = [textwrap.fill(plot_text(b["question"], 200), 38) + f"\n(n = {b['base']:,})" for b in reversed(bars)]
    if bars:
        ax.set_yticks(range(len(bars)), labels, fontsize=8)
        ax.axvline(0, color=TEXT_COLOUR, linewidth=0.8)
        ax.set_xlim(-100, 100)
        ax.set_xticks(range(-100, 101, 25), [f"{abs(v)}%" for v in range(-100, 101, 25)])
        ax.set_xlabel("Share of those who answered (disagreeing to the left, agreeing to the right)")
        ax.grid(axis="y", visible=False)
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=HIDDEN if p < 0 else FIVE[p], edgecolor="white", hatch="//" if p < 0 else None)
                   for p in sorted(legend)]
        names = [" / ".join(_label(x) for x in sorted(legend[p], key=lambda s: (len(s), s))) for p in sorted(legend)]
        fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    if synthetic:
        label_synthetic(fig)
    return fig
