"""Escaping at the point of writing: text from the data or the config, made literal for the format it enters.

A value that comes from the data, the config or the results store (a scheme or site name, a funder,
a survey quote, a level label, a strand's note or caveat) is *text*, never markup. Wherever such a
value is written into a document it goes through one of these, for the format it is written in:

- :func:`md_text` — Pandoc (and Quarto) Markdown, inline: a chapter sentence, a table cell, a
  heading, a caption, a callout, a bullet, a block quote;
- :func:`md_attr` — a quoted Markdown attribute value (``fig-alt="..."``);
- :func:`html_text` — HTML text and attribute values (the landing page);
- :func:`typst_string` — a Typst string literal (the PDF's metadata);
- :func:`plot_text` — matplotlib text from the data (tick labels, legend entries, boxes), with
  mathtext off for every figure.

After escaping, the value shows as written: it cannot open a tag, a script, a link or an image, a
cross-reference (``@fig-x``), a citation, maths (``$x$``), a raw block (``{=html}``), a Quarto
shortcode, Typst code or matplotlib mathtext. Quotes, apostrophes, ``--`` and ``...`` are set
typographically, as in the rest of the report (Pandoc's ``smart`` punctuation: curly quotes, dashes,
an ellipsis); that changes how they look, never what the text says. Numbers written by
:mod:`ij_eval.report.numbers` are the report's own text and are not escaped (so ``[c]``, ``−£1``
and ``< 0.001`` read as before).

Line breaks, tabs and other control characters in a value become single spaces (:func:`plain`):
a value is one run of text, so it cannot start a new Markdown block or break a table row.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]+")  # control characters, line breaks and spaces
# Inline Markdown: every character that can open markup, a link, a raw span, maths, a
# cross-reference or citation (@), a shortcode ({{< >}}) or a table cell. An underscore inside a
# word is never emphasis (Pandoc's intraword_underscores), so prior_offences stays as it is.
_MD_INLINE = re.compile(r"""([\\`*{}\[\]<>#$@^~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))""")
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # "&lt;" would be read as "<" ("a & b" is literal)
# What a value could start a block with if it began a line: a list item (- + 1. a) (i)), a
# definition, a fenced div or a table caption (: Table:), a setext underline or a title block (= %).
_MD_BLOCK_START = re.compile(r"^([-+:=%])")
_LIST_NUMBER = r"(?:\d{1,9}|[A-Za-z]|[ivxlcdmIVXLCDM]+)"
_MD_ORDERED = re.compile(rf"^({_LIST_NUMBER})([.)])(?=\s|$)")
_MD_PAREN_ORDERED = re.compile(rf"^\(({_LIST_NUMBER}\))(?=\s|$)")
_MD_CAPTION = re.compile(r"^(Table)(:)")


def plain(value: object) -> str:
    """A value as one line of text: ``None`` is empty; runs of line breaks, tabs, other control
    characters and spaces become one space; leading and trailing space is dropped."""
    if value is None:
        return ""
    return _CONTROL.sub(" ", str(value)).strip()


def md_text(value: object) -> str:
    r"""Text as literal inline Markdown (Pandoc's and Quarto's).

    Every character Markdown could read as markup is backslash-escaped (Pandoc's
    ``all_symbols_escapable``), so the value renders as written, wherever in a line it
    stands, including at the start of a paragraph, a bullet or a table cell.

    >>> md_text('<script>alert(1)</script>')
    '\\<script\\>alert(1)\\</script\\>'
    >>> md_text("[x](javascript:alert(1)) @fig-a $x$")
    '\\[x\\](javascript:alert(1)) \\@fig-a \\$x\\$'
    """
    text = _MD_ENTITY.sub(r"\\&", _MD_INLINE.sub(r"\\\1", plain(value)))
    text = _MD_BLOCK_START.sub(r"\\\1", text)
    text = _MD_PAREN_ORDERED.sub(r"\\(\1", text)
    return _MD_CAPTION.sub(r"\1\\\2", _MD_ORDERED.sub(r"\1\\\2", text))


def md_attr(value: object) -> str:
    """Text as a quoted Markdown attribute value, quotes included: ``fig-alt={md_attr(alt)}``.

    Inside the quotes Pandoc reads backslash escapes and HTML entities, so both are escaped.
    """
    return '"' + re.sub(r'([\\"&])', r"\\\1", plain(value)) + '"'


def html_text(value: object) -> str:
    """Text for HTML, in an element or a quoted attribute value (``& < > " '`` as entities)."""
    return html.escape(plain(value), quote=True)


def typst_string(value: object) -> str:
    """Text as a Typst string literal, quotes included (for code positions, e.g. the document's author)."""
    return '"' + plain(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot_text(value: object, limit: int | None = None) -> str:
    """Text for a matplotlib figure: on one line, cut to ``limit`` characters with an ellipsis (a tick
    label from the data cannot push the plot off the figure). Figures never read text as mathtext
    (``text.parse_math`` is off in :mod:`ij_eval.plots.style`), so ``$`` is shown as it is."""
    text = plain(value)
    return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"
