"""Hostile input files for the reading tests: workbooks with formulas, title rows and several sheets,
and CSV bytes in the wrong encoding or shape. Used by ``test_reading.py`` and ``hostile_cases/cases_reading.py``."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from builders import Columns, csv_text, n_rows, valid_tables


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is the result saved with it (``None``: no result saved)."""

    text: str
    cached: float | str | None = None


Cell = str | float | int | Formula | None


def rows_of(columns: Columns) -> list[list[Cell]]:
    """A table as worksheet rows: the header, then every record (text cells)."""
    names = list(columns)
    return [names] + [[columns[c][i] for c in names] for i in range(n_rows(columns))]


def write_workbook(path: Path, sheets: dict[str, list[list[Cell]]], *, top: int = 0, left: int = 0,
                   recalc_on_load: bool = False) -> Path:
    """Write each sheet's rows from worksheet row ``top + 1`` and column ``left`` (0 = A).

    xlsxwriter always stores a result for a formula (0 unless given) and flags the workbook to be
    recalculated on opening; formulas whose ``cached`` is ``None`` lose their stored result here,
    and the flag is kept only with ``recalc_on_load``.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                r, c = top + i, left + j
                if isinstance(cell, Formula):
                    sheet.write_formula(r, c, cell.text, None, 0 if cell.cached is None else cell.cached)
                elif isinstance(cell, int | float):
                    sheet.write_number(r, c, cell)
                elif cell is not None:
                    sheet.write_string(r, c, cell)
    workbook.close()
    uncached = {(name, top + i, left + j) for name, rows in sheets.items() for i, row in enumerate(rows)
                for j, cell in enumerate(row) if isinstance(cell, Formula) and cell.cached is None}
    _patch(path, uncached, recalc_on_load)
    return path


def _ref(row: int, column: int) -> str:
    letters, column = "", column + 1
    while column:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _patch(path: Path, uncached: set[tuple[str, int, int]], recalc_on_load: bool) -> None:
    with zipfile.ZipFile(path) as zin:
        items = [(item, zin.read(item.filename)) for item in zin.infolist()]
        names = re.findall(rb'<sheet name="([^"]+)"', zin.read("xl/workbook.xml"))
    parts = {f"xl/worksheets/sheet{i + 1}.xml": n.decode() for i, n in enumerate(names)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item, data in items:
            if item.filename == "xl/workbook.xml" and not recalc_on_load:
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            elif item.filename in parts:
                for sheet, r, c in uncached:
                    if sheet == parts[item.filename]:
                        ref = _ref(r, c).encode()
                        data = re.sub(rb'(<c r="' + ref + rb'"[^>]*>)(<f>[^<]*</f>)<v>[^<]*</v>', rb"\1\2", data)
            zout.writestr(item, data)


def table_workbook(path: Path, table: str, *, cells: dict[tuple[str, int], Cell] | None = None,
                   above: list[list[Cell]] = (), sheet: str | None = None, other_sheets: tuple[str, ...] = (),
                   recalc_on_load: bool = False, left: int = 0) -> Path:
    """``table``'s valid rows on one sheet (named ``sheet``, default the table's name), with
    ``cells[(column, index)]`` replaced, ``above`` rows written above the header, and empty
    ``other_sheets`` before it."""
    columns = valid_tables()[table]
    rows = rows_of(columns)
    names = list(columns)
    for (column, index), value in (cells or {}).items():
        rows[index + 1][names.index(column)] = value
    sheets: dict[str, list[list[Cell]]] = {name: [["notes"]] for name in other_sheets}
    sheets[sheet or table] = [list(r) for r in above] + rows
    return write_workbook(path, sheets, recalc_on_load=recalc_on_load, left=left)


def costs_bytes(encoding: str = "utf-8") -> bytes:
    """The valid costs table (with "£12,500.00" in it) as CSV bytes."""
    return csv_text(valid_tables()["costs"]).encode(encoding)
