"""Read one worksheet of an XLSX workbook as text, with worksheet row numbers, refusing what calamine reads wrongly.

**Which sheet**: the one the config names (``[data] sheets = { referrals = "Extract" }``), else the
sheet named like the table (``referrals``, ignoring case, spaces and dashes), else the first. When
the workbook has more than one sheet the validation report says which was read.

**Which row is the header**: worksheet row ``[data] header_row`` (1-based, default 1). Every row
number reported is a worksheet row, whatever rows or columns are empty above and left of the table.
If the header row does not hold the table's required columns but one of the next nine rows does
(a title above the table), the read is refused with a hint naming that row.

**Formulas**: calamine (fastexcel) returns a formula cell's *cached* result, the value Excel saved
with the workbook, and an empty cell when there is none. A formula with a cached result is read as
that result, as every spreadsheet reader does (it is what the person saw when they saved), and the
report lists those cells as information. A formula with no cached result, or every formula of a
workbook that asks to be recalculated when opened (``fullCalcOnLoad``, which programs that write
formulas without computing them set, storing 0 or nothing as the result), is refused, naming the
cells; so is a cell holding a spreadsheet error (``#DIV/0!``, ``#N/A``...), which calamine reads as
empty. The worksheet's XML is parsed only when a quick byte search finds a formula or error in it.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl

from ij_eval.errors import InputError, Problem

SHOW = 5
TITLE_ROWS = 10  # a header below row 1 is looked for in the first rows
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_FORMULA_OR_ERROR = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]|\st=[\"']e[\"']")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_CHUNK = 1 << 20


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass(frozen=True)
class Sheet:
    """A worksheet read as text: ``frame`` has one String column per sheet column (``c0``, ``c1``...),
    from ``first_column`` (0-based, ``A`` = 0) rightwards, and one row per worksheet row from row 1."""

    name: str
    names: tuple[str, ...]  # every sheet of the workbook, in order
    frame: pl.DataFrame
    first_column: int


@dataclass
class Cells:
    """Formula and error cells of the table part of a sheet, by sheet column: counts and the first few."""

    n: dict[int, int] = field(default_factory=dict)
    first: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # column -> [(row, text)]

    def add(self, column: int, row: int, text: str) -> None:
        self.n[column] = self.n.get(column, 0) + 1
        shown = self.first.setdefault(column, [])
        if len(shown) < SHOW:
            shown.append((row, text))

    def total(self) -> int:
        return sum(self.n.values())


def _choose(names: list[str], table: str, wanted: str | None, normalise) -> str:
    if wanted is not None:
        if wanted not in names:
            raise KeyError(wanted)
        return wanted
    for name in names:
        if normalise(name) == table:
            return name
    return names[0]


def read_sheet(path: Path, table: str, sheet: str | None, normalise) -> Sheet:
    """The chosen sheet, every row from worksheet row 1 (raise :class:`InputError` if unreadable)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - the Excel engine raises several unrelated types
        raise InputError(Problem("error", table, path.name, "", f"not a readable XLSX workbook: {exc}",
                                 hint="save it as an .xlsx workbook")) from None
    if not names:
        raise InputError(Problem("error", table, path.name, "", "the workbook has no sheets"))
    try:
        chosen = _choose(names, table, sheet, normalise)
    except KeyError:
        raise InputError(Problem(
            "error", table, path.name, "", f"the workbook has no sheet named {sheet!r}",
            values=tuple(names[:SHOW]),
            hint=f"its sheets are {', '.join(map(repr, names))}: correct [data] sheets in the config")) from None
    try:
        loaded = reader.load_sheet(chosen, header_row=None, skip_rows=0, dtypes="string")
        columns = loaded.available_columns()
        frame = loaded.to_polars()
    except Exception as exc:  # noqa: BLE001
        raise InputError(Problem("error", table, path.name, "", f"sheet {chosen!r} cannot be read: {exc}",
                                 hint="save it again as an .xlsx workbook")) from None
    first = columns[0].absolute_index if columns else 0
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    frame = frame.select(pl.all().cast(pl.String))
    return Sheet(chosen, tuple(names), frame, first)


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> tuple[str, bool]:
    """The zip path of ``sheet``'s XML and whether the workbook asks to be recalculated on opening."""
    workbook = _parse(zf, "xl/workbook.xml")
    rels = _parse(zf, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    calc = workbook.find(f"{_MAIN}calcPr")
    recalc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    for s in workbook.iter(f"{_MAIN}sheet"):
        if s.get("name") == sheet:
            target = targets.get(s.get(f"{_REL}id"), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            return part, recalc
    raise KeyError(sheet)


def _parse(zf: zipfile.ZipFile, name: str) -> ET.Element:
    data = zf.read(name)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # a workbook part never declares these
        raise ValueError(f"{name} declares a DTD")
    return ET.fromstring(data)


def _stream(zf: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _has_formula_or_error(zf: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    for chunk in _stream(zf, part):
        if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
            raise ValueError(f"{part} declares a DTD")
        if _FORMULA_OR_ERROR.search(tail + chunk):
            return True
        tail = chunk[-32:]
    return False


@dataclass
class FormulaScan:
    """Formula and error cells at or below the header row."""

    uncached: Cells = field(default_factory=Cells)
    errors: Cells = field(default_factory=Cells)
    cached: Cells = field(default_factory=Cells)
    recalc_on_load: bool = False


def scan_formulas(path: Path, sheet: str, from_row: int) -> FormulaScan:
    """Formula cells (with or without a cached result) and error cells of ``sheet`` from ``from_row`` down."""
    scan = FormulaScan()
    with zipfile.ZipFile(path) as zf:
        part, scan.recalc_on_load = _sheet_part(zf, sheet)
        if not _has_formula_or_error(zf, part):
            return scan
        with zf.open(part) as fh:
            row, column = 0, -1
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                tag = elem.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "row":
                        row = int(elem.get("r") or row + 1)
                        column = -1
                    continue
                if tag == "c":
                    ref = _CELL_REF.match(elem.get("r") or "")
                    if ref:
                        column, row = _column_index(ref.group(1)), int(ref.group(2))
                    else:
                        column += 1
                    if row >= from_row:
                        _classify(elem, row, column, scan)
                    elem.clear()
                elif tag == "row":
                    elem.clear()
    return scan


def _classify(cell: ET.Element, row: int, column: int, scan: FormulaScan) -> None:
    formula = value = None
    for child in cell:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "f":
            formula = child
        elif name == "v":
            value = child
    ref = f"{column_letter(column)}{row}"
    if cell.get("t") == "e":
        scan.errors.add(column, row, f"{ref}: {(value.text if value is not None else '') or '#error'}")
    elif formula is not None:
        text = f"{ref}: ={formula.text}" if formula.text else ref
        no_result = value is None or (value.text is None and cell.get("t") not in ("str", "inlineStr"))
        if no_result or scan.recalc_on_load:
            scan.uncached.add(column, row, text[:60])
        else:
            scan.cached.add(column, row, text[:60])
