"""The scheme's logic model: columns of boxes (inputs → activities → outputs → outcomes) joined by arrows.

Drawn from the ``[logic_model]`` config section (via the data overview), sized for the text width of
an A4 page. Every box's text is wrapped, using the renderer's own text measurements, to fit inside
its box; the figure grows taller rather than letting text overflow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch

from ij_eval.plots.style import PALETTE, TEXT_COLOUR, label_synthetic, plt, tint
from ij_eval.report.escape import plot_text

A4_TEXT_WIDTH = 6.3  # inches: 210 mm less 25 mm margins either side
STAGE_TITLES = {"inputs": "Inputs", "activities": "Activities", "outputs": "Outputs", "outcomes": "Outcomes",
                "impacts": "Impacts"}
# Okabe-Ito colours light enough for dark text at WCAG AA (sky blue, orange, bluish green, reddish purple).
STAGE_COLOURS = (PALETTE[5], PALETTE[1], PALETTE[2], PALETTE[4])
BOX_TINT = 0.22  # entry boxes are this share of their column's colour mixed with white
ARROW_COLOUR = "#4D4D4D"

MARGIN = 0.06  # inches around the drawing
COLUMN_GAP = 0.30  # between columns, holding the arrow
ROW_GAP = 0.08  # between boxes in a column
HEADING_GAP = 0.14  # between a column's heading and its first box
PAD_X, PAD_Y = 0.06, 0.07  # inside each box, around its text
MIN_BOX = 0.34  # smallest box height
LABEL_BAND = 0.26  # room at the top for the synthetic-data label
ENTRY_SIZE, HEADING_SIZE = 8.5, 10.0  # font sizes in points
LINE_SPACING = "normal"  # the font's own line height: even spacing whatever the letters


def _columns(data) -> list[tuple[str, list[str]]]:
    """``(stage, entries)`` in reading order, from a frame (``stage``, ``entry``, optional ``position``)
    or a mapping of stage to entries."""
    if isinstance(data, pl.DataFrame):
        if "position" in data.columns:
            data = data.sort("position", maintain_order=True)
        grouped: dict[str, list[str]] = {}
        for stage, entry in zip(data["stage"].to_list(), data["entry"].to_list(), strict=True):
            grouped.setdefault(stage, []).append(entry)
        data = grouped
    if not isinstance(data, Mapping):
        raise TypeError("logic model data must be a frame with columns stage and entry, or a mapping")
    order = list(STAGE_TITLES)
    stages = sorted(data, key=lambda s: (order.index(s) if s in order else len(order), list(data).index(s)))
    columns = [(s, [plot_text(e) for e in data[s]]) for s in stages]
    if not columns or any(not entries for _, entries in columns):
        raise ValueError("a logic model needs at least one column and at least one entry in each column")
    return columns


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap to ``width`` inches, breaking a word longer than a whole line where it must."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while measure(word) > width:  # a single word too long for the box: split it
            cut = max(1, max((k for k in range(1, len(word)) if measure(word[:k] + "-") <= width), default=1))
            lines.append(word[:cut] + "-")
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _balanced_wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """As few lines as :func:`_wrap` gives, but as even in length as possible (no one-word last line)."""
    lines = _wrap(text, width, measure)
    longest_word = max((measure(w) for w in text.split()), default=0.0)
    if len(lines) < 2 or longest_word > width:
        return lines
    low, high = longest_word, width  # the narrowest width that still needs no more lines
    for _ in range(12):
        mid = (low + high) / 2
        if len(_wrap(text, mid, measure)) <= len(lines):
            high = mid
        else:
            low = mid
    return _wrap(text, high, measure)


def plot_logic_model(data, *, synthetic: bool = False, width: float = A4_TEXT_WIDTH):
    """Draw the logic model: one column of boxes per stage, left to right, with arrows between columns.

    ``data`` is a frame with columns ``stage`` (inputs, activities, outputs, outcomes), ``entry`` and
    optionally ``position``, or a mapping of stage to its entries. Box patches and their texts carry
    ``gid`` ``logic_model_box/<stage>/<i>`` and ``logic_model_text/<stage>/<i>`` (headings use ``<i>`` =
    ``heading``), so a test or a restyle can pair each text with its box.
    """
    columns = _columns(data)
    fig = plt.figure(figsize=(width, 4.0))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer()
    entry_font = FontProperties(size=ENTRY_SIZE)
    heading_font = FontProperties(size=HEADING_SIZE, weight="bold")

    n = len(columns)
    column_width = (width - 2 * MARGIN - (n - 1) * COLUMN_GAP) / n
    text_width = (column_width - 2 * PAD_X) * 0.97  # a little slack for hinting at other resolutions

    def measurer(font: FontProperties) -> Callable[[str], float]:
        return lambda s: renderer.get_text_width_height_descent(s, font, ismath=False)[0] / fig.dpi

    def add_text(lines: list[str], font: FontProperties, gid: str):
        # A one-line text is centred on its baseline so headings with and without descenders line up.
        va = "center_baseline" if len(lines) == 1 else "center"
        text = ax.text(0, 0, "\n".join(lines), fontproperties=font, color=TEXT_COLOUR, ha="center", va=va,
                       multialignment="center", linespacing=LINE_SPACING, parse_math=False, gid=gid)
        return text, text.get_window_extent(renderer).height / fig.dpi

    headings, bodies = [], []
    for stage, entries in columns:
        title = STAGE_TITLES.get(stage, stage.replace("_", " ").capitalize())
        headings.append(add_text(_balanced_wrap(title, text_width, measurer(heading_font)), heading_font,
                                 f"logic_model_text/{stage}/heading"))
        bodies.append([add_text(_balanced_wrap(e, text_width, measurer(entry_font)), entry_font,
                                f"logic_model_text/{stage}/{i}") for i, e in enumerate(entries)])

    heading_height = max(MIN_BOX, max(h for _, h in headings) + 2 * PAD_Y)
    # Each box fits its text; the tallest column sets the body height and the boxes of shorter columns
    # share the spare height equally, so every column runs from the headings to the same bottom line.
    natural = [[max(MIN_BOX, h + 2 * PAD_Y) for _, h in body] for body in bodies]
    body_height = max(sum(hs) + (len(hs) - 1) * ROW_GAP for hs in natural)
    top_band = LABEL_BAND if synthetic else MARGIN
    height = top_band + heading_height + HEADING_GAP + body_height + MARGIN
    fig.set_size_inches(width, height)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)  # one data unit is one inch on both axes, so rounded corners stay round

    def box(x: float, y: float, h: float, fill: str, edge: str, gid: str, lw: float) -> None:
        ax.add_patch(FancyBboxPatch((x, y), column_width, h, boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor=fill, edgecolor=edge, linewidth=lw, gid=gid))

    heading_top = height - top_band
    body_top = heading_top - heading_height - HEADING_GAP
    for j, ((stage, _), (heading, _), body) in enumerate(zip(columns, headings, bodies, strict=True)):
        colour = STAGE_COLOURS[j % len(STAGE_COLOURS)]
        x = MARGIN + j * (column_width + COLUMN_GAP)
        centre = x + column_width / 2
        box(x, heading_top - heading_height, heading_height, colour, colour, f"logic_model_box/{stage}/heading", 1.0)
        heading.set_position((centre, heading_top - heading_height / 2))
        spare = (body_height - sum(natural[j]) - (len(body) - 1) * ROW_GAP) / len(body)
        y = body_top
        for i, ((text, _), fit) in enumerate(zip(body, natural[j], strict=True)):
            box_height = fit + spare
            y -= box_height
            box(x, y, box_height, tint(colour, BOX_TINT), colour, f"logic_model_box/{stage}/{i}", 1.2)
            text.set_position((centre, y + box_height / 2))
            y -= ROW_GAP
        if j < n - 1:
            mid = body_top - body_height / 2
            for y in (heading_top - heading_height / 2, mid):
                ax.annotate("", xy=(x + column_width + COLUMN_GAP - 0.05, y), xytext=(x + column_width + 0.05, y),
                            arrowprops={"arrowstyle": "-|>,head_length=0.5,head_width=0.28", "color": ARROW_COLOUR,
                                        "linewidth": 1.8, "shrinkA": 0, "shrinkB": 0, "mutation_scale": 14})
    if synthetic:
        label_synthetic(fig, y=1 - 0.06 / height)
    return fig

