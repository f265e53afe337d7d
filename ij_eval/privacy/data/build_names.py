"""Rebuild ``names.csv`` (common forenames and surnames) and ``words.txt.gz`` (English words), which the
screen (:mod:`ij_eval.privacy.names`) reads.

Run from the repository root (the inputs are needed only here, never at run time)::

    python ij_eval/privacy/data/build_names.py \\
        --ons DIR_WITH_ONS_BABY_NAME_WORKBOOKS \\
        --surnames PATH/TO/dist.all.last \\
        --nicknames PATH/TO/nicknames/names.csv \\
        --words /usr/share/dict/british-english \\
        --out ij_eval/privacy/data

- ``--ons``: the ONS "Baby names in England and Wales" workbooks (``*.xls`` / ``*.xlsx``, boys and girls,
  1996 onwards, and the historic top-100 workbooks). A forename is kept when at least
  ``--min-births`` babies (default 20) were given it in some year, or when it is in a historic top 100.
- ``--nicknames``: the ``names.csv`` of the PyPI package ``nicknames`` (1.0.1, Apache-2.0): name,
  relationship, nickname. The nicknames of forenames already kept are added ("Dave", "Sue", "Kev"): few
  babies are registered under them, but people are called by them. Nicknames of one or two letters
  ("Al", "Ed", "Jr") are left out (as tokens they are mostly not names), and so are "nicknames" longer
  than the name ("Brad" -> "Bradford").
- ``--surnames``: the US Census Bureau 1990 surname file (``dist.all.last``: name, frequency, cumulative
  frequency, rank); the ``--top-surnames`` most common (default 5,000) are kept.
- ``--words``: a word list, one word a line (Debian ``wbritish``). A name whose lower-case form is a
  lower-case entry of the list is marked ``word = true`` ("Will", "Rose", "Brown"): the screen treats those
  differently from names that are not words ("Kyle").

``names.csv`` has one row per (name, kind): ``name`` (lower case), ``kind`` (forename / surname), ``word``
(true / false) and ``source``: ``ons`` (>= ``--min-births`` in a year), ``ons-top100`` (historic top
100), ``nicknames`` or ``us-census-1990``. ``words.txt.gz`` holds the word list's lower-case entries (no
possessives), one a line, for the screen's "is this capitalised word an English word?". Both are
deterministic: sorted, no dates (the gzip header carries no time or file name).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
from pathlib import Path

import fastexcel

NAME = re.compile(r"^[^\W\d_]+(?:['’][^\W\d_]+)?$")  # one word of letters (an apostrophe allowed: O'Neil)


def _sheets(path: Path):
    reader = fastexcel.read_excel(str(path))
    for sheet in reader.sheet_names:
        frame = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
        yield sheet, [[("" if v is None else str(v).strip()) for v in row] for row in frame.iter_rows()]


def _annual(rows: list[list[str]]) -> dict[str, int]:
    """Name -> births from a full-list sheet: every ``Name`` column with the ``Count`` column after it."""
    out: dict[str, int] = {}
    for i, row in enumerate(rows):
        lower = [c.lower() for c in row]
        pairs = [(j, k) for j, c in enumerate(lower) if c == "name"
                 for k in range(j + 1, min(j + 3, len(lower))) if lower[k].startswith("count")]
        if not pairs:
            continue
        for data in rows[i + 1:]:
            for j, k in pairs:
                name, count = data[j], data[k].replace(",", "")
                try:
                    n = int(float(count))
                except ValueError:
                    continue
                key = name.lower()
                out[key] = max(out.get(key, 0), n)
        break
    return out


def _historic(rows: list[list[str]]) -> set[str]:
    """Every name in a historic top-100 grid (a Rank column, then one column per decade)."""
    names = set()
    for row in rows:
        if row and row[0].isdigit():
            names |= {c.lower() for c in row[1:] if c and not c.replace(".", "").isdigit()}
    return names


def forenames(ons: Path, min_births: int) -> dict[str, str]:
    """Forename -> source note, from every workbook in ``ons``."""
    births: dict[str, int] = {}
    historic: set[str] = set()
    files = sorted(p for p in ons.iterdir() if p.suffix.lower() in (".xls", ".xlsx"))
    if not files:
        sys.exit(f"no .xls or .xlsx files in {ons}")
    for path in files:
        sheets = list(_sheets(path))
        if "historic" in path.name.lower():
            for _, rows in sheets:
                historic |= _historic(rows)
            continue
        _, rows = max(sheets, key=lambda s: len(s[1]))  # the full list is the longest sheet
        found = _annual(rows)
        if not found:
            sys.exit(f"{path}: no Name / Count columns found in its longest sheet")
        for name, n in found.items():
            births[name] = max(births.get(name, 0), n)
        print(f"{path.name}: {len(found)} names", file=sys.stderr)
    out = {n: "ons"
           for n, b in births.items() if b >= min_births}
    for n in historic - set(out):
        out[n] = "ons-top100"
    return {n: s for n, s in out.items() if NAME.match(n) and len(n) >= 2}


def nicknames(path: Path, forenames: dict[str, str]) -> dict[str, str]:
    """Nicknames (``has_nickname`` rows) of forenames already in the list, shorter than the name they come
    from (the file also lists longer forms, "brad" -> "bradford", which are mostly other words or places)."""
    out = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name, nick = row["name1"].strip().lower(), row["name2"].strip().lower()
            if row["relationship"] == "has_nickname" and name in forenames and nick not in forenames \
                    and NAME.match(nick) and 3 <= len(nick) < len(name):
                out[nick] = "nicknames"
    return out


def surnames(path: Path, top: int) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if len(parts) == 4 and int(parts[3]) <= top:
            out[parts[0].lower()] = "us-census-1990"
    return out


def words(path: Path) -> set[str]:
    """Lower-case entries of the word list (capitalised entries are proper nouns, not words)."""
    return {w for w in path.read_text(encoding="utf-8").splitlines() if w and w == w.lower() and "'" not in w}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ons", type=Path, required=True)
    p.add_argument("--surnames", type=Path, required=True)
    p.add_argument("--nicknames", type=Path, required=True)
    p.add_argument("--words", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for names.csv and words.txt.gz")
    p.add_argument("--min-births", type=int, default=20)
    p.add_argument("--top-surnames", type=int, default=5000)
    a = p.parse_args(argv)
    dictionary = words(a.words)
    given = forenames(a.ons, a.min_births)
    given |= nicknames(a.nicknames, given)
    rows = [(n, "forename", s) for n, s in given.items()]
    rows += [(n, "surname", s) for n, s in surnames(a.surnames, a.top_surnames).items()]
    with (a.out / "names.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name", "kind", "word", "source"])
        for name, kind, source in sorted(rows):
            w.writerow([name, kind, "true" if name.replace("’", "'") in dictionary else "false", source])
    text = "".join(f"{w}\n" for w in sorted(dictionary)).encode("utf-8")
    with (a.out / "words.txt.gz").open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                                   mtime=0, compresslevel=9) as gz:
        gz.write(text)
    n_forenames = sum(r[1] == "forename" for r in rows)
    print(f"{a.out}: {len(dictionary)} words, {len(rows)} names ({n_forenames} forenames)", file=sys.stderr)


if __name__ == "__main__":
    main()
