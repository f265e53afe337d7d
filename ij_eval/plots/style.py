"""Shared figure setup: the Agg backend, a readable default style, colour contrast, the synthetic-data and
not-for-publication labels, and the placeholder for a figure with nothing to show."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100, "savefig.dpi": 150, "font.size": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "svg.hashsalt": "ij-eval",
    # Text from the data (an area, a level label, a logic-model entry) is shown as written: a "$" never
    # starts mathtext, which could draw something else or fail on a bad expression.
    "text.parse_math": False,
})

# Colour-blind-safe palette (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

# Every figure drawn from synthetic data carries this label (the report's banner says the same).
SYNTHETIC_LABEL = "SYNTHETIC DATA — NOT REAL RESULTS"
# A darker Okabe-Ito vermilion: #D55E00 is only 3.9:1 on white, this is 6.4:1 (WCAG AA needs 4.5:1).
SYNTHETIC_LABEL_COLOUR = "#A63D00"
TEXT_COLOUR = "#111111"  # dark text for labels on light or mid-tone fills
AA_CONTRAST = 4.5  # WCAG 2 level AA minimum for normal-size text
LABEL_BAND = 0.3  # inches added at the top of a hand-laid-out figure for the not-for-publication label


def _rgb(colour: str | Sequence[float]) -> tuple[float, float, float]:
    """``#RRGGBB`` / ``#RGB`` (optionally with alpha, ignored) or an RGB(A) tuple of 0-1 floats."""
    if isinstance(colour, str):
        text = colour.strip().lstrip("#")
        if len(text) in (3, 4):
            text = "".join(c * 2 for c in text)
        if len(text) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ValueError(f"not a hex colour: {colour!r}")
        return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    if len(colour) not in (3, 4) or not all(0 <= float(c) <= 1 for c in colour):
        raise ValueError(f"not an RGB colour with parts from 0 to 1: {colour!r}")
    return float(colour[0]), float(colour[1]), float(colour[2])


def relative_luminance(colour: str | Sequence[float]) -> float:
    """WCAG 2 relative luminance (0 for black, 1 for white) of an sRGB colour."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(fg: str | Sequence[float], bg: str | Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (none) to 21 (black on white); order does not matter.

    Text needs at least 4.5 (level AA), large text 3. Colours are hex strings or RGB tuples in 0-1.
    """
    light, dark = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tint(colour: str, share: float) -> str:
    """``colour`` mixed with white: ``share`` of the colour (0 gives white, 1 the colour itself), as hex."""
    mixed = (round(255 * (1 - share * (1 - c))) for c in _rgb(colour))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def new_figure(width: float = 7.0, height: float = 3.6):
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def label_synthetic(fig, *, y: float | None = None) -> None:
    """Stamp a figure built from synthetic data so it cannot be mistaken for real results.

    The label is the figure's suptitle, top right. Without ``y`` (its top in figure coordinates)
    the constrained layout places it and keeps the axes clear of it; a fixed ``y`` opts out of that.
    """
    position = {} if y is None else {"y": y}
    fig.suptitle(SYNTHETIC_LABEL, x=0.99, ha="right", va="top", fontsize=8, color=SYNTHETIC_LABEL_COLOUR,
                 fontweight="bold", **position)


def label_not_for_publication(fig, notice: str) -> None:
    """Stamp a figure from a store that is not for publication (a disclosure threshold below 10).

    The notice joins the synthetic-data label when there is one, else takes its place, top right.
    """
    if not notice:
        return
    title = fig.get_suptitle()
    if title:  # the synthetic-data label: add the short form, which fits beside it on any figure
        fig._suptitle.set_text(f"{title} · {notice.split(' — ')[0]}")
        return
    if fig.get_layout_engine() is not None:  # the layout makes room for the label
        fig.suptitle(notice, x=0.99, ha="right", va="top", fontsize=8, color=SYNTHETIC_LABEL_COLOUR,
                     fontweight="bold")
        return
    # A figure laid out by hand: add a band at the top for the label, every axes keeping its size in inches.
    width, height = fig.get_size_inches()
    scale = height / (height + LABEL_BAND)
    fig.set_size_inches(width, height + LABEL_BAND)
    for ax in fig.axes:
        box = ax.get_position()
        ax.set_position([box.x0, box.y0 * scale, box.width, box.height * scale])
    fig.suptitle(notice, x=0.99, y=1 - 0.06 / (height + LABEL_BAND), ha="right", va="top", fontsize=8,
                 color=SYNTHETIC_LABEL_COLOUR, fontweight="bold")


def nothing_to_show(ax, message: str) -> None:
    """Write ``message`` in the middle of an empty axis (a figure whose data hold nothing to draw)."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=11, color=TEXT_COLOUR)
