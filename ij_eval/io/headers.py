"""Header names: how they are matched to schema columns, and the ones refused because they would match wrongly.

A header is normalised (:func:`normalise_header`) before it is matched: trimmed, lower case, runs of
spaces, dashes (``-`` and Unicode dashes such as ``–``) and line breaks become one ``_``. Before
that, :func:`check_headers` refuses what would make a column silently unknown or silently wrong:

- an **invisible character** in a name (zero-width space, non-breaking and other Unicode spaces,
  soft hyphen, a byte-order mark other than the one a CSV file may begin with, directional marks, other
  format and control characters, private-use and unassigned code points), named by its code point
  (``U+200B ZERO WIDTH SPACE``), so ``referral_id\\u200b`` is not an unknown column;
- a name that **mixes Latin with Cyrillic or Greek letters** (``referrаl_id`` with a Cyrillic ``а``
  looks like ``referral_id`` but is not);
- a **blank name over a column that holds data** (a blank name over an empty column, as Excel
  leaves after the last column, is dropped and noted); a header row that is blank throughout;
- **the same name twice**, as written or once normalised (``Funder`` and ``funder``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import polars as pl

from ij_eval.errors import InputError, Problem

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}  # line breaks typed in a header cell (Alt+Enter) read as spaces
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Zl", "Zp", "Co", "Cs", "Cn"}
# Letters that render as nothing although their category is not a format character.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"}
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+")


def normalise_header(name: str) -> str:
    """``" Referral ID "`` → ``referral_id``: trimmed, lower case, spaces and dashes to ``_``.

    A leading byte-order mark is dropped (a file's first header can carry one).
    """
    return _SEPARATORS.sub("_", name.lstrip("\ufeff").strip()).lower()


def invisible_characters(name: str) -> list[str]:
    """The invisible characters in ``name``, as ``U+200B ZERO WIDTH SPACE``.

    A CSV file's byte-order mark is consumed when the file is decoded, so any U+FEFF left in a
    header is a second one (or one in the middle of the text).
    """
    found = []
    for ch in name:
        category = unicodedata.category(ch)
        invisible = (category in _INVISIBLE_CATEGORIES and ch not in _ALLOWED_CONTROLS) \
            or (category == "Zs" and ch != " ") or ch in _BLANK_LETTERS
        if invisible:
            label = f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"
            if label not in found:
                found.append(label)
    return found


def _scripts(name: str) -> set[str]:
    scripts = set()
    for ch in name:
        if ch.isalpha():
            script = unicodedata.name(ch, "").split(" ")[0]
            if script in ("LATIN", "CYRILLIC", "GREEK"):
                scripts.add(script)
    return scripts


def shown(name: str) -> str:
    """A header as text a person can read: invisible characters written as ``\\u200b``."""
    return "".join(f"\\u{ord(ch):04x}" if invisible_characters(ch) else ch for ch in name)


def check_headers(headers: Sequence[str], frame: pl.DataFrame, table: str, file: str, *,
                  labels: Sequence[str], header_row: int = 1) -> tuple[list[str], list[int], list[Problem]]:
    """Normalised names of the columns kept, their positions, and notes; raise for a header read wrongly.

    ``frame`` holds the data under positional columns (``c0``, ``c1``...); ``labels`` names each
    position for a person (``column 8``, ``column H``).
    """

    def refuse(column: str, rule: str, hint: str, values: tuple[str, ...] = ()) -> InputError:
        return InputError(Problem("error", table, file, column, rule, values=values, hint=hint))

    if not any(h.strip() for h in headers):
        raise refuse("", f"the header row (row {header_row}) is blank",
                     "put the column names in the first row of the table")
    for i, header in enumerate(headers):
        invisible = invisible_characters(header)
        if invisible:
            raise refuse(shown(header), "invisible character in the header: " + ", ".join(invisible),
                         f"retype the name of {labels[i]} (the character cannot be seen, so the column would not "
                         "be recognised)")
        scripts = _scripts(header)
        if "LATIN" in scripts and len(scripts) > 1:
            odd = [f"U+{ord(c):04X} {unicodedata.name(c)}" for c in header
                   if c.isalpha() and unicodedata.name(c, "").split(" ")[0] in scripts - {"LATIN"}]
            raise refuse(header, "the header mixes Latin with " + " and ".join(
                s.title() for s in sorted(scripts - {"LATIN"})) + " letters: " + ", ".join(dict.fromkeys(odd)),
                f"retype the name of {labels[i]} in plain letters (it looks like a column it is not)")
    names: list[str] = []
    positions: list[int] = []
    notes: list[Problem] = []
    dropped: list[str] = []
    for i, header in enumerate(headers):
        name = normalise_header(header)
        if not name:
            values = frame[f"c{i}"].str.strip_chars().replace("", None)
            if values.null_count() < frame.height:
                raise refuse("", f"{labels[i]} holds data but has no name in the header",
                             "give the column its name in the header row, or delete the column",
                             values=tuple(str(v)[:60] for v in values.drop_nulls().head(3)))
            dropped.append(labels[i])
            continue
        names.append(name)
        positions.append(i)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise refuse(", ".join(duplicates), "the same column appears more than once in the header",
                     "keep one column of each name")
    if dropped:
        notes.append(Problem("info", table, file, "", "empty columns without a name ignored: " + ", ".join(dropped)))
    return names, positions, notes
