"""Helpers the chapters share: store tables as Markdown tables, strand-not-run sentences.

``TEXT`` and ``LABEL`` show a text value from the store as literal Markdown (escaped); the number
formatters write the report's own number formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.escape import md_text
from ij_eval.report.markdown import banner, heading, join, table
from ij_eval.report.store import ResultsStore

Formatter = Callable[[object], str]

COUNT: Formatter = lambda v: fmt.count(v)  # noqa: E731
PERCENT: Formatter = lambda v: fmt.percent(v)  # noqa: E731
PERCENT1: Formatter = lambda v: fmt.percent(v, 1)  # noqa: E731
RATIO: Formatter = lambda v: fmt.ratio(v)  # noqa: E731
NUMBER1: Formatter = lambda v: fmt.number(v, 1)  # noqa: E731
NUMBER3: Formatter = lambda v: fmt.number(v, 3)  # noqa: E731
P_VALUE: Formatter = lambda v: "" if v is None else fmt.p_value(v).removeprefix("p = ").removeprefix("p ")  # noqa: E731
TEXT: Formatter = lambda v: md_text(v)  # noqa: E731
LABEL: Formatter = lambda v: md_text("" if v is None else str(v).replace("_", " "))  # a code as words: voluntary_abc  # noqa: E731


def upper_first(text: str) -> str:
    """Text with its first letter in capitals (unlike ``str.capitalize``, the rest is kept as written)."""
    return text[:1].upper() + text[1:]


def opening(store: ResultsStore, title: str, slug: str) -> str:
    """The chapter heading and, for a demo store, the synthetic-data banner."""
    return join(heading(title, f"sec-{slug}"), banner(store))


def not_run(store: ResultsStore, strand: str, what: str) -> str:
    """The one sentence a chapter shows when its strand did not run."""
    return f"The {what} analysis did not run for this report: {md_text(store.not_run_reason(strand))}.\n"


def frame_table(frame: pl.DataFrame, columns: Mapping[str, tuple[str, Formatter]], *, label: str, caption: str,
                counts: Sequence[str] = ()) -> str:
    """A store table as a Markdown table: ``columns`` maps column -> (header, formatter).

    A null in a count column, and a null elsewhere in a row whose count is null, is a figure hidden
    by disclosure control and shows as ``[c]``; any other null (not estimable) shows as an en dash.
    """
    rows = []
    for rec in frame.iter_rows(named=True):
        hidden_row = any(rec.get(c) is None for c in counts if c in rec)
        cells = []
        for col, (_, show) in columns.items():
            value = rec.get(col)
            if value is None:
                cells.append(fmt.SUPPRESSED if (col in counts or hidden_row) else "–")
            else:
                cells.append(show(value))
        rows.append(cells)
    align = "".join("l" if show in (TEXT, LABEL) else "r" for _, show in columns.values())
    return table(rows, [h for h, _ in columns.values()], label=label, caption=caption, align=align)


def notes_list(store: ResultsStore, strand: str, skip: Sequence[str] = ("Synthetic data",)) -> str:
    """A strand's notes (text) as a Markdown bullet list."""
    notes = [n for n in store.notes(strand) if not n.startswith(tuple(skip))]
    return "\n".join(f"- {md_text(n)}" for n in notes) + "\n" if notes else ""
