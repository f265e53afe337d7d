"""Find and read the input tables of a data folder as text, keeping each row's file row number.

Every cell is read as a string so that parsing (``ij_eval.io.parse``) can say exactly which value
in which row failed which rule. Reading refuses, with a located problem, whatever would otherwise be
read silently wrong:

- CSV (``io/csv_file.py``): UTF-8 (with or without BOM) or Windows-1252, never a mix of the two;
  UTF-16, NUL bytes, bare carriage returns, over-long lines and fields, quotes that never close,
  a delimiter other than the comma and a header below row 1 are refused. Large CSV files are
  checked in streaming passes and read by polars, never held as Python strings.
- XLSX (``io/workbook.py``): the sheet named like the table (or ``[data] sheets``), the header on
  worksheet row ``[data] header_row``, worksheet row numbers; formulas without a saved result and
  error cells are refused.
- Parquet: flat columns only (no lists, structs or binary).
- Every format (``io/headers.py``): invisible characters, blank and duplicate names in the header.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ij_eval.config import DataConfig
from ij_eval.errors import InputError, Problem
from ij_eval.io import csv_file, workbook
from ij_eval.io.headers import check_headers, normalise_header
from ij_eval.schema import TableSchema

ROW = "__row"  # the row number a person sees in the file (CSV header = row 1; XLSX: the worksheet row)
SUFFIXES = (".csv", ".xlsx", ".parquet")
MAX_FIELD_CHARS = csv_file.MAX_FIELD_CHARS
_CHUNK = 1 << 20

__all__ = ["ROW", "SUFFIXES", "RawTable", "ReadOptions", "find_table_files", "normalise_header", "read_options",
           "read_raw"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read one table's file: the XLSX sheet and header row, and the columns its header must have."""

    header_row: int = 1  # worksheet row (1-based) of the header; XLSX only
    sheet: str | None = None  # XLSX sheet to read; None: the sheet named like the table, else the first
    required: tuple[str, ...] = ()  # the schema's required columns: recognise a header below row 1


@dataclass(frozen=True)
class RawTable:
    """One input file read as text: ``frame`` has the file's columns (as strings) plus ``__row``.

    ``notes`` are what reading found that the report should say without stopping (the sheet read,
    formula cells read as their saved results, empty unnamed columns dropped).
    """

    name: str
    path: Path
    frame: pl.DataFrame
    encoding: str
    renamed: tuple[tuple[str, str], ...] = ()  # (header as written, normalised name)
    notes: tuple[Problem, ...] = ()
    sheet: str = ""  # the XLSX sheet read

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.frame.columns if c != ROW)


def find_table_files(data_dir: Path, table_names: list[str]) -> tuple[dict[str, Path], list[Problem], list[Path]]:
    """Map table names to files in ``data_dir``; return (found, problems, unrecognised files)."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    candidates: dict[str, list[Path]] = {}
    others: list[Path] = []
    for path in sorted(data_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.stem.lower() in table_names:
            candidates.setdefault(path.stem.lower(), []).append(path)
        elif not path.name.startswith("."):
            others.append(path)
    for name, paths in candidates.items():
        if len(paths) > 1:
            problems.append(Problem(
                "error", name, ", ".join(p.name for p in paths), "", "more than one file for this table",
                hint="keep exactly one of them in the data folder",
            ))
        else:
            found[name] = paths[0]
    return found, problems, others


@dataclass(frozen=True)
class _Read:
    """A file read with positional columns ``c0``, ``c1``... and the header as written."""

    frame: pl.DataFrame
    headers: tuple[str, ...]
    first_row: int  # the row number of the first data row
    labels: tuple[str, ...]  # each position as a person finds it: "column 8", "column H"
    header_row: int = 1
    encoding: str = "binary"
    notes: tuple[Problem, ...] = ()
    sheet: str = ""


def _transcode_to_utf8(path: Path) -> Path:
    """Copy a Windows-1252 file to a temporary UTF-8 file, streaming (the input is read-only)."""
    out = Path(tempfile.mkstemp(prefix="ij_eval_", suffix=".csv")[1])
    with path.open("r", encoding="cp1252", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(chunk)
    return out


def _empty(path: Path, name: str, rule: str) -> InputError:
    return InputError(Problem("error", name, path.name, "", rule,
                              hint="export the table again with its header row and data"))


def _read_csv(path: Path, name: str, options: ReadOptions) -> _Read:
    if path.stat().st_size == 0:
        raise _empty(path, name, "file is empty (no header row)")
    encoding = csv_file.detect_encoding(path, name)
    shape = csv_file.check_records(path, encoding, name, required=options.required, normalise=normalise_header)
    source = path if encoding == "utf-8" else _transcode_to_utf8(path)
    try:
        frame = pl.scan_csv(source, infer_schema=False, encoding="utf8", truncate_ragged_lines=False).collect()
    except pl.exceptions.NoDataError:
        raise _empty(path, name, "file is empty (no header row)") from None
    except pl.exceptions.ComputeError as exc:
        stray = csv_file.find_stray_quote(path, encoding)
        if stray is not None:
            raise InputError(Problem("error", name, path.name, "", "a quote inside a field that is not quoted",
                                     n_rows=1, rows=(stray,),
                                     hint='quote the whole field and write the quote twice: "say ""hello"""')) from None
        first = str(exc).strip().splitlines()[0]
        raise InputError(Problem("error", name, path.name, "", f"not a readable CSV file: {first}",
                                 hint="check that every row has the same number of fields as the header")) from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    if frame.width != len(shape.header) or frame.height != shape.records:
        raise InputError(Problem(
            "error", name, path.name, "", "the file's rows could not be read consistently "
            f"({shape.records:,} records by one reading, {frame.height:,} by another)",
            hint="check the quotes in the file: every quoted field must be closed, and quotes inside it doubled"))
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    labels = tuple(f"column {i + 1}" for i in range(frame.width))
    return _Read(frame, shape.header, 2, labels, encoding=encoding)


def _cells_problem(level: str, name: str, file: str, cells: workbook.Cells, headers: tuple[str, ...],
                   first_column: int, rule: str, hint: str = "") -> Problem:
    columns = []
    for column in sorted(cells.n):
        position = column - first_column
        header = normalise_header(headers[position]) if 0 <= position < len(headers) else ""
        columns.append(header or f"column {workbook.column_letter(column)}")
    first = sorted(cell for shown in cells.first.values() for cell in shown)[:workbook.SHOW]
    return Problem(level, name, file, ", ".join(columns), rule, n_rows=cells.total(),
                   rows=tuple(r for r, _ in first), values=tuple(t for _, t in first), hint=hint)


def _header_row_hint(frame: pl.DataFrame, header_row: int, required: tuple[str, ...]) -> int | None:
    """The worksheet row among the first ones that holds every required column, if not ``header_row``."""
    want = set(required)
    for row, values in enumerate(frame.head(workbook.TITLE_ROWS).iter_rows(), start=1):
        if row != header_row and want <= {normalise_header(v or "") for v in values}:
            return row
    return None


def _read_xlsx(path: Path, name: str, options: ReadOptions) -> _Read:
    sheet = workbook.read_sheet(path, name, options.sheet, normalise_header)
    frame, k = sheet.frame, options.header_row
    where = f"sheet {sheet.name!r}"

    def header_at(row: int) -> tuple[str, ...]:
        return tuple("" if v is None else str(v) for v in frame.row(row - 1)) if frame.height >= row else ()

    if frame.height == 0:
        raise InputError(Problem("error", name, path.name, "", f"{where} is empty",
                                 hint="put the table on this sheet, or name its sheet with [data] sheets"))
    headers = header_at(k)
    if k == 1 and not any(h.strip() for h in headers):  # blank rows above the table: the first row used
        used = frame.with_row_index("i").filter(pl.any_horizontal(pl.exclude("i").str.strip_chars() != ""))
        if used.height:
            k = int(used["i"][0]) + 1
            headers = header_at(k)
    if options.required and not set(options.required) <= {normalise_header(h) for h in headers}:
        found = _header_row_hint(frame, k, options.required)
        if found is not None:
            raise InputError(Problem(
                "error", name, path.name, "", f"the header is not on worksheet row {k} ({where}): row {found} "
                "holds the table's columns", n_rows=1, rows=(found,),
                values=(", ".join(v or "" for v in frame.row(found - 1) if v)[:60],),
                hint=f"set [data] header_row = {{ {name} = {found} }} in the config, or delete the rows above the "
                     "header"))
    if not any(h.strip() for h in headers):
        raise InputError(Problem("error", name, path.name, "", f"worksheet row {k} ({where}) is blank: no header",
                                 hint="put the column names in that row, or set [data] header_row to the header's row"))
    notes: list[Problem] = []
    if len(sheet.names) > 1:
        chosen_by = ("named in [data] sheets" if options.sheet is not None
                     else "named like the table" if normalise_header(sheet.name) == name else "")
        listed = ", ".join(map(repr, sheet.names))
        notes.append(Problem(
            "info" if chosen_by else "warning", name, path.name, "",
            f"read sheet {sheet.name!r} ({chosen_by or 'the first'}) of the workbook's {len(sheet.names)} sheets: "
            + listed,
            hint="" if chosen_by else f"no sheet is named {name!r}: name the sheet to read with "
                                      f"[data] sheets = {{ {name} = \"...\" }}"))
    try:
        scan = workbook.scan_formulas(path, sheet.name, k)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(Problem("error", name, path.name, "", f"not a readable XLSX workbook: {exc}",
                                 hint="save it again as an .xlsx workbook")) from None
    errors = []
    if scan.uncached.total():
        errors.append(_cells_problem(
            "error", name, path.name, scan.uncached, headers, sheet.first_column,
            f"formula results never calculated ({where}: the workbook was saved by a program that does not "
            "calculate formulas)" if scan.recalc_on_load else f"formula with no saved result ({where})",
            hint="open the workbook in Excel and save it (Excel saves each formula's result), or copy the cells "
                 "and paste them as values"))
    if scan.errors.total():
        errors.append(_cells_problem("error", name, path.name, scan.errors, headers, sheet.first_column,
                                     f"spreadsheet error value ({where})",
                                     hint="correct the formulas or type the values in"))
    if errors:
        raise InputError(*errors)
    if scan.cached.total():
        notes.append(_cells_problem("info", name, path.name, scan.cached, headers, sheet.first_column,
                                    f"formula cells read as the results saved in the workbook ({where})"))
    labels = tuple(f"column {workbook.column_letter(sheet.first_column + i)}" for i in range(frame.width))
    return _Read(frame.slice(k), headers, k + 1, labels, header_row=k, notes=tuple(notes), sheet=sheet.name)


def _read_parquet(path: Path, name: str) -> _Read:
    try:
        lazy = pl.scan_parquet(path)
        schema = lazy.collect_schema()
    except Exception as exc:  # noqa: BLE001 - arrow and polars raise many types for a bad file
        raise InputError(Problem("error", name, path.name, "", f"not a readable Parquet file: {exc}")) from None
    nested = [(c, t) for c, t in schema.items() if t.is_nested() or t in (pl.Binary, pl.Object)]
    if nested:
        raise InputError(Problem(
            "error", name, path.name, ", ".join(c for c, _ in nested),
            "column of a type a table cell cannot hold: " + ", ".join(f"{c} is {t}" for c, t in nested),
            hint="write one value per cell: text, numbers, dates or true/false (no lists, structs or binary)"))
    try:
        frame = lazy.select(pl.all().cast(pl.String)).collect()
    except Exception as exc:  # noqa: BLE001
        raise InputError(Problem("error", name, path.name, "", f"not a readable Parquet file: {exc}")) from None
    headers = tuple(frame.columns)
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return _Read(frame, headers, 2, tuple(f"column {i + 1}" for i in range(frame.width)))


def _check_field_lengths(read: _Read, name: str, file: str) -> None:
    """No cell longer than :data:`MAX_FIELD_CHARS` (the CSV check does this while parsing)."""
    too_long = read.frame.select(pl.all().str.len_chars().max() > MAX_FIELD_CHARS).row(0) if read.frame.width else ()
    for i, long in enumerate(too_long):
        if long:
            rows = read.frame.with_row_index("i").filter(pl.col(f"c{i}").str.len_chars() > MAX_FIELD_CHARS)["i"]
            raise InputError(Problem(
                "error", name, file, normalise_header(read.headers[i]) or read.labels[i],
                f"a cell longer than {MAX_FIELD_CHARS:,} characters", n_rows=len(rows),
                rows=tuple(int(r) + read.first_row for r in rows.head(5)),
                hint="no cell of an input table holds this much text"))


def read_raw(path: Path, name: str, options: ReadOptions | None = None) -> RawTable:
    """Read one input file as text with a ``__row`` column of file row numbers."""
    options = options or ReadOptions()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        read = _read_csv(path, name, options)
    elif suffix == ".xlsx":
        read = _read_xlsx(path, name, options)
    elif suffix == ".parquet":
        read = _read_parquet(path, name)
    else:
        raise InputError(Problem("error", name, path.name, "", f"unsupported file type {suffix!r}",
                                 hint="supply CSV, XLSX or Parquet"))
    if suffix != ".csv":
        _check_field_lengths(read, name, path.name)
    names, positions, notes = check_headers(read.headers, read.frame, name, path.name, labels=read.labels,
                                            header_row=read.header_row)
    frame = read.frame.select([pl.col(f"c{i}").alias(n) for i, n in zip(positions, names, strict=True)])
    renamed = tuple((read.headers[i], n) for i, n in zip(positions, names, strict=True) if read.headers[i] != n)
    # Row numbers as a person sees them: for a CSV the header is row 1 and data start on row 2; for
    # a worksheet, the worksheet row; Parquet has no header row but keeps the same convention, so
    # that a row number is always "record number + 1".
    frame = frame.with_row_index(ROW, offset=read.first_row).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(name=name, path=path, frame=frame, encoding=read.encoding, renamed=renamed,
                    notes=read.notes + tuple(notes), sheet=read.sheet)


def read_options(data: DataConfig, schema: TableSchema) -> ReadOptions:
    """The reading options the config gives for one table."""
    return ReadOptions(header_row=data.header_row_of(schema.name), sheet=data.sheet_of(schema.name),
                       required=tuple(c.name for c in schema.columns if c.required))
