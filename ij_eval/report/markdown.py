"""Building blocks of chapter content: Quarto-flavoured Pandoc Markdown, written once.

Both renderers read what these write: ``quarto render reports/`` (which understands the
cross-reference syntax natively) and the built-in renderer (:mod:`ij_eval.report.render`,
which numbers the labels itself). The conventions:

- figure: ``![Caption](figures/x.png){#fig-x fig-alt="..."}`` (path relative to the store)
- table: a pipe table, a blank line, then ``: Caption {#tbl-x}``
- cross-reference: ``@fig-x``, ``@tbl-x``, ``@sec-x``
- the synthetic-data banner: a ``.synthetic-banner`` div at the top of every chapter (and the
  not-for-publication banner, ``.synthetic-banner .not-for-publication``)

What is Markdown and what is text: headings, callouts, bullets and table cells take Markdown the
chapter code writes, in which every value from the store or the config has been escaped with
:func:`ij_eval.report.escape.md_text` where it is interpolated; captions, table headers and figure
titles and alt text are plain text, escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ij_eval.report.escape import md_attr, md_text
from ij_eval.report.store import BANNER, ResultsStore


def heading(title: str, label: str, level: int = 1) -> str:
    """A heading with its label; ``title`` is Markdown (escape any value in it)."""
    return f"{'#' * level} {title} {{#{label}}}\n"


def banner(store: ResultsStore) -> str:
    """The synthetic-data banner, and the not-for-publication banner (both empty for a publishable
    store of real data). Both use the ``.synthetic-banner`` style in HTML and PDF."""
    out = ""
    if store.synthetic:
        out += f"::: {{.synthetic-banner}}\n**{BANNER}.** Built from synthetic demonstration data.\n:::\n"
    if store.not_for_publication:
        notice = md_text(store.not_for_publication)
        out += (f"::: {{.synthetic-banner .not-for-publication}}\n**{notice}.** Built with a disclosure threshold "
                "below the one for publication, so it may show small counts: it must not be published.\n:::\n")
    return out


def figure(store: ResultsStore, name: str) -> str:
    """A labelled figure from the store (``fig-<name>``), its caption the figure's title and its alt
    text the figure's (both text, escaped here), or a sentence saying it is missing."""
    meta = store.figure(name)
    if meta is None:
        return f"*(Figure {md_text(repr(name))} is not in this results store.)*\n"
    path = str(meta["file"])
    if not re.fullmatch(r"figures/[\w.-]+", path):
        return f"*(Figure {md_text(repr(name))} has an unexpected file name in this results store.)*\n"
    return f"![{md_text(meta['title'])}]({path}){{#fig-{_label(name)} fig-alt={md_attr(meta['alt_text'])}}}\n"


def fig_ref(name: str) -> str:
    return f"@fig-{_label(name)}"


def tbl_ref(name: str) -> str:
    return f"@tbl-{_label(name)}"


def table(rows: Sequence[Sequence[object]], header: Sequence[str], *, label: str, caption: str,
          align: str | None = None) -> str:
    """A pipe table with a caption and ``tbl-<label>``. ``align``: one of l/r/c per column.

    ``rows`` are Markdown (escape values from the store with ``md_text``, as ``frame_table`` does);
    ``header`` and ``caption`` are plain text.
    """
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + f"\n\n: {md_text(caption)} {{#tbl-{_label(label)}}}\n"


def callout(kind: str, text: str) -> str:
    """A Quarto callout (``note``, ``warning``, ``important``); a styled div for the built-in renderer.
    ``text`` is Markdown."""
    return f"::: {{.callout-{kind}}}\n{text}\n:::\n"


def bullets(items: Sequence[str]) -> str:
    """A bullet list; each item is Markdown."""
    return "\n".join(f"- {i}" for i in items) + "\n"


def join(*blocks: str) -> str:
    """Blocks separated by one blank line (empty blocks dropped)."""
    return "\n".join(b.rstrip("\n") + "\n" for b in blocks if b and b.strip())


def _label(name: str) -> str:
    return name.replace("_", "-")


_UNESCAPED_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def _cell(value: object) -> str:
    """A Markdown cell on one line, a ``|`` the chapter wrote not ending the cell."""
    text = "" if value is None else str(value)
    return _UNESCAPED_PIPE.sub(r"\1\\|", text.replace("\r", " ").replace("\n", " "))
