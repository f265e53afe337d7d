"""Read data.police.uk street-level crime archives and count anti-social behaviour (ASB).

data.police.uk publishes one CSV per force per month, ``YYYY-MM-<force>-street.csv``, with
twelve columns (Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
LSOA code, LSOA name, Crime type, Last outcome category, Context). A download unzips to one
folder per month (``2024-01/2024-01-derbyshire-street.csv``); this module accepts that folder,
any folder above it, the CSV files themselves, or a mix.

Only three columns are read (``Month``, ``LSOA code``, ``Crime type``), every one as text, by
lazy polars scans (one ``pl.scan_csv`` over all the files of a run of months, about 256 MB of
CSV; a small download is one scan) run on the streaming engine, so that memory does not grow
with the number of files. Each scan is grouped by (is ASB, LSOA code of ASB rows, Month),
which yields the ASB counts and the total number of rows in one pass over the files.

Bad input (a zip that was not unzipped, no street-level files, a missing column, an unreadable
file, a Month that is not ``YYYY-MM``, an LSOA listed in two analysis areas) raises
:class:`ij_eval.errors.InputError` naming the file, the column and what to do about it.

Note that data.police.uk moved from 2011 to 2021 LSOA codes; an area defined with codes of one
vintage will not place rows published with the other, and :func:`asb_by_area` reports such rows
as "LSOA not in any analysis area" rather than dropping them silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ij_eval.errors import InputError, Problem

__all__ = [
    "ASB",
    "REASON_NOT_IN_AREA",
    "REASON_NO_LSOA",
    "AreaPlacement",
    "PoliceUkAsb",
    "asb_by_area",
    "asb_by_lsoa_month",
    "find_street_files",
    "months_without_file",
]

TABLE = "police_uk"
ASB = "Anti-social behaviour"
REASON_NO_LSOA = "no LSOA code"
REASON_NOT_IN_AREA = "LSOA not in any analysis area"

_MONTH, _LSOA, _CRIME_TYPE = "Month", "LSOA code", "Crime type"
_REQUIRED = (_MONTH, _LSOA, _CRIME_TYPE)
_SUFFIX = "-street.csv"
_MONTH_RE = r"^\d{4}-(?:0[1-9]|1[0-2])$"
_SHOW = 5  # rows and values shown in a problem
_SKIP_DIRS = {"__MACOSX"}  # resource-fork folders left by unzipping on a Mac

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class PoliceUkAsb:
    """ASB counts by LSOA and month from a set of data.police.uk street-level files.

    Attributes
    ----------
    counts : polars.DataFrame
        One row per (LSOA, month) with at least one ASB row: ``lsoa_code`` (String, null for
        rows published without an LSOA), ``period`` (Date, first of the month) and ``count``
        (Int64). Sorted by ``period``, then ``lsoa_code`` (nulls last).
    rows_read : int
        Rows in all the files, any crime type.
    rows_asb : int
        Rows whose ``Crime type`` is ``"Anti-social behaviour"``; equals ``counts["count"].sum()``.
    files : tuple of pathlib.Path
        The files read, in the order of :func:`find_street_files`.
    """

    counts: pl.DataFrame
    rows_read: int
    rows_asb: int
    files: tuple[Path, ...]

    @property
    def rows_not_asb(self) -> int:
        """Rows of any other crime type (``rows_read - rows_asb``)."""
        return self.rows_read - self.rows_asb

    @property
    def months_without_file(self) -> dict[str, tuple[dt.date, ...]]:
        """Per force, the months with no file of that force, from the first to the last month of any file.

        data.police.uk publishes one file per force and month, listing every record, so inside a
        month whose file is present an LSOA without ASB rows had none; a month with no file (not
        downloaded, or not published by the force) is absent data. Forces and months are read from
        the file names (``YYYY-MM-<force>-street.csv``); a file named otherwise is not counted.
        """
        return months_without_file(self.files)


@dataclass(frozen=True)
class AreaPlacement:
    """ASB counts placed into analysis areas, with the rows that could not be placed.

    Attributes
    ----------
    counts : polars.DataFrame
        ``area_id`` (String), ``period`` (Date), ``count`` (Int64): every area times every month
        from the first to the last month of the ASB data, zero where there was no ASB, sorted by
        ``area_id`` then ``period``; in a month without a file for some force
        (:attr:`PoliceUkAsb.months_without_file`) only the areas with ASB rows have a row (the
        others are absent data, not zero).
    unplaced : polars.DataFrame
        ``lsoa_code``, ``period``, ``count``, ``reason`` for ASB rows outside every area; reason
        is ``"no LSOA code"`` or ``"LSOA not in any analysis area"``.
    rows_asb : int
        All ASB rows of the input (``PoliceUkAsb.rows_asb``).
    rows_placed : int
        ASB rows counted in some area (``counts["count"].sum()``).
    rows_no_lsoa : int
        ASB rows published without an LSOA code.
    rows_not_in_area : int
        ASB rows whose LSOA is in no analysis area.
    """

    counts: pl.DataFrame
    unplaced: pl.DataFrame
    rows_asb: int
    rows_placed: int
    rows_no_lsoa: int
    rows_not_in_area: int

    @property
    def rows_unplaced(self) -> int:
        """ASB rows not placed in any area; ``rows_placed + rows_unplaced == rows_asb``."""
        return self.rows_no_lsoa + self.rows_not_in_area


# --------------------------------------------------------------------------------------------
# finding files


def _error(file: str, rule: str, *, column: str = "", hint: str = "", n_rows: int = 0,
           rows: tuple[int, ...] = (), values: tuple[str, ...] = (), table: str = TABLE) -> InputError:
    return InputError(Problem(level="error", table=table, file=file, column=column, rule=rule,
                              n_rows=n_rows, rows=rows, values=values, hint=hint))


def _as_list(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _is_street(name: str) -> bool:
    return name.lower().endswith(_SUFFIX) and not name.startswith(".")


def _walk(folder: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """(street CSVs, zip files, other CSVs) anywhere under ``folder``."""
    street: list[Path] = []
    zips: list[Path] = []
    other: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in names:
            lower = name.lower()
            if _is_street(name):
                street.append(Path(root) / name)
            elif lower.endswith(".zip"):
                zips.append(Path(root) / name)
            elif lower.endswith(".csv") and not name.startswith("."):
                other.append(Path(root) / name)
    return street, zips, other


def _zip_error(path: Path) -> InputError:
    return _error(str(path), "is a zip archive; this loader reads the CSV files inside it",
                  hint=f"unzip it first (e.g. `unzip {path.name}`) and give the unzipped folder")


def find_street_files(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Find the street-level CSV files among downloaded data.police.uk paths.

    Parameters
    ----------
    paths : str, os.PathLike or iterable of them
        Folders (searched recursively for ``*-street.csv``, skipping hidden folders and the
        ``__MACOSX`` folders a Mac leaves when unzipping), CSV files, or a mix of both.

    Returns
    -------
    list of pathlib.Path
        The files, without duplicates, sorted by path so the result is stable.

    Raises
    ------
    InputError
        If a path does not exist, is a ``.zip`` (unzip it first) or is not a CSV; if no
        street-level file is found; or if two files have the same name (the same force and
        month, e.g. from two overlapping archives), which would count the month twice.
    """
    given = _as_list(paths)
    if not given:
        raise _error("(no paths)", "no data.police.uk files or folders were given",
                     hint="give the unzipped download folder or its *-street.csv files")
    found: dict[Path, Path] = {}
    for path in given:
        if path.suffix.lower() == ".zip":
            raise _zip_error(path)
        if not path.exists():
            raise _error(str(path), "does not exist",
                         hint="check the path; give the unzipped download folder or CSV files")
        if path.is_dir():
            street, zips, other = _walk(path)
            if not street:
                if zips:
                    raise _error(str(path), f"holds no '*{_SUFFIX}' files, only zip archives "
                                 f"({', '.join(z.name for z in sorted(zips)[:3])})",
                                 hint="unzip the archives first and give the unzipped folder")
                hint = "download street-level crime data ('Include crime data') from data.police.uk"
                if other:
                    hint = (f"found other CSVs ({', '.join(o.name for o in sorted(other)[:3])}); "
                            "outcomes and stop-and-search files are not read: " + hint)
                raise _error(str(path), f"holds no street-level crime files ('*{_SUFFIX}')",
                             hint=hint)
            candidates = street
        elif path.suffix.lower() == ".csv":
            candidates = [path]
        else:
            raise _error(str(path), f"is not a CSV file (suffix {path.suffix or 'none'!r})",
                         hint=f"give data.police.uk '*{_SUFFIX}' files or the folder holding them")
        for file in candidates:
            found.setdefault(file.resolve(), file)
    files = sorted(found.values(), key=lambda p: (str(p), p.name))
    by_name: dict[str, Path] = {}
    for file in files:
        if file.name in by_name:
            raise _error(file.name, "the same force and month appears in two files, "
                         f"{by_name[file.name]} and {file}; reading both would count it twice",
                         hint="data.police.uk archives overlap (each holds several years): "
                         "give one copy of each month only")
        by_name[file.name] = file
    return files


# --------------------------------------------------------------------------------------------
# reading


def _header(path: Path) -> list[str]:
    """The header row of a CSV as polars will read it (BOM removed, quotes honoured)."""
    try:
        with path.open("rb") as fh:
            line = fh.readline()
    except OSError as exc:
        raise _error(path.name, f"cannot be opened: {exc.strerror or exc}",
                     hint="check the file exists and is readable") from None
    if not line.strip():
        raise _error(path.name, "file is empty (no header row)",
                     hint="download the file again from data.police.uk")
    text = line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text]))


def _column_map(path: Path, header: list[str]) -> tuple[str, ...]:
    """The header names holding Month, LSOA code and Crime type (exact, else ignoring case)."""
    loose = {h.strip().lower(): h for h in reversed(header)}
    chosen = []
    missing = []
    for column in _REQUIRED:
        if column in header:
            chosen.append(column)
        elif column.lower() in loose:
            chosen.append(loose[column.lower()])
        else:
            missing.append(column)
    if missing:
        shown = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
        raise _error(path.name, f"required column{'s are' if len(missing) > 1 else ' is'} missing",
                     column=", ".join(missing),
                     hint=f"the header has {shown}; give data.police.uk street-level "
                          f"'*{_SUFFIX}' files as downloaded")
    return tuple(chosen)


@dataclass(frozen=True)
class _Layout:
    """A file's header, and the names in it of Month, LSOA code and Crime type.

    Files are scanned together only if their headers are identical.
    """

    header: tuple[str, ...]
    columns: tuple[str, ...]


def _layout(path: Path) -> _Layout:
    header = _header(path)
    return _Layout(tuple(header), _column_map(path, header))


_SCAN_PARAMS = set(inspect.signature(pl.scan_csv).parameters)


_POLARS = tuple(int(n) for n in re.findall(r"\d+", pl.__version__)[:2])


def _collect(frame: pl.LazyFrame) -> pl.DataFrame:
    """Collect on the streaming engine (``engine="streaming"`` from polars 1.23 on)."""
    if _POLARS >= (1, 23):
        return frame.collect(engine="streaming")
    return frame.collect(streaming=True)  # pragma: no cover - polars < 1.23


def _scan(files: list[Path], columns: tuple[str, ...], keep: tuple[str, ...] = (),
          **extra: object) -> pl.LazyFrame:
    """A lazy scan of files sharing one header, as strings, projected to the needed columns.

    ``columns`` are the header names of Month, LSOA code and Crime type in these files; they are
    renamed to the standard names. ``keep`` names extra columns (e.g. a row index) to keep.
    """
    options: dict[str, object] = {"infer_schema": False,
                                  "schema_overrides": dict.fromkeys(columns, pl.String)}
    if "glob" in _SCAN_PARAMS:
        options["glob"] = False  # paths are literal: a '[' in a folder name is not a pattern
    options.update(extra)
    lazy = pl.scan_csv([str(f) for f in files], **options)  # type: ignore[arg-type]
    return lazy.select(*keep, *(pl.col(c).alias(want)
                                for c, want in zip(columns, _REQUIRED, strict=True)))


def _grouped(lazy: pl.LazyFrame) -> pl.LazyFrame:
    is_asb = pl.col(_CRIME_TYPE) == ASB  # null where Crime type is missing: reported as bad
    return (
        lazy.group_by(
            is_asb.alias("is_asb"),
            pl.when(is_asb).then(pl.col(_LSOA)).alias("lsoa_code"),
            pl.col(_MONTH).alias("month"),
        )
        .agg(pl.len().alias("count"))
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _unreadable(groups: dict[_Layout, list[Path]], exc: BaseException) -> InputError:
    """Find the file a failed scan choked on by scanning each file on its own."""
    for layout, files in groups.items():
        for file in files:
            try:
                _collect(_grouped(_scan([file], layout.columns)))
            except pl.exceptions.PolarsError as one:
                return _error(file.name, f"not a readable CSV file: {_first_line(one)}",
                              hint="download it again from data.police.uk; check it is UTF-8 "
                                   "text and every row has the same fields as the header")
    n = sum(len(f) for f in groups.values())
    return _error(f"{n} files", f"the files could not be read together: {_first_line(exc)}",
                  hint="check that the files are data.police.uk street-level CSVs as downloaded")


def _locate(groups: dict[_Layout, list[Path]], test: pl.Expr, column: str, rule: str,
            hint: str) -> InputError:
    """An error naming the first file, rows and values where ``test`` holds (error path only)."""
    hits: list[tuple[Path, pl.DataFrame]] = []
    for layout, files in groups.items():
        for file in files:
            found = _collect(
                _scan([file], layout.columns, keep=("__row",), row_index_name="__row",
                      row_index_offset=2).filter(test)
            )
            if found.height:
                hits.append((file, found))
    if not hits:  # pragma: no cover - the grouped scan saw these rows, so some file has them
        return _error(f"{sum(len(f) for f in groups.values())} files", rule, column=column,
                      hint=hint)
    file, found = hits[0]
    others = f"; {len(hits) - 1} other file(s) too" if len(hits) > 1 else ""
    return _error(
        file.name, rule + others, column=column, n_rows=found.height,
        rows=tuple(int(r) for r in found["__row"].head(_SHOW)),
        values=tuple("" if v is None else v for v in found[column].head(_SHOW)), hint=hint,
    )


def _bad_month_error(groups: dict[_Layout, list[Path]], bad: list[str | None]) -> InputError:
    wanted = [b for b in bad if b is not None]
    test = pl.col(_MONTH).is_null() if None in bad else pl.lit(False)
    if wanted:
        test = test | pl.col(_MONTH).is_in(wanted)
    return _locate(groups, test, _MONTH, "Month is not a year and month (YYYY-MM)",
                   hint="data.police.uk writes months as e.g. 2024-01; download the file again "
                        "rather than editing it (a spreadsheet may have turned months into dates)")


def _no_crime_type_error(groups: dict[_Layout, list[Path]]) -> InputError:
    return _locate(groups, pl.col(_CRIME_TYPE).is_null(), _CRIME_TYPE,
                   "Crime type is empty (a short or malformed row?)",
                   hint="data.police.uk fills Crime type on every row; download the file again "
                        "(it may be truncated)")


def asb_by_lsoa_month(paths: PathLike | Iterable[PathLike]) -> PoliceUkAsb:
    """Count anti-social behaviour by LSOA and month in data.police.uk street-level files.

    Parameters
    ----------
    paths : str, os.PathLike or iterable of them
        Downloaded folders and/or ``*-street.csv`` files; see :func:`find_street_files`.

    Returns
    -------
    PoliceUkAsb
        Counts by (``lsoa_code``, ``period``), sorted by period then LSOA, and the row
        totals of the files read.

    Raises
    ------
    InputError
        For the path problems of :func:`find_street_files`; a file that is empty, lacks the
        ``Month``, ``LSOA code`` or ``Crime type`` column, or cannot be read as CSV; or a
        ``Month`` that is not ``YYYY-MM`` (naming the file, rows and values).

    Notes
    -----
    Only the header line of each file is read beforehand, to check its columns. The rows are
    then read in one lazy ``pl.scan_csv`` over the files of a run of consecutive months
    (about 256 MB of CSV; a small download is a single scan over all its files), on polars'
    streaming engine. Polars' streaming group-by holds a hash table of every (LSOA, month)
    group it has seen, so a single query over five national years would need several hundred
    MB more than one over a few months; scanning month runs in turn keeps memory flat however
    many files there are, and only the compact counts accumulate.
    """
    files = find_street_files(paths)
    layouts = {file: _layout(file) for file in files}
    parts: list[pl.DataFrame] = []
    rows_read = 0
    for batch in _batches(files, layouts):
        counts, rows = _read_batch(batch)
        parts.append(counts)
        rows_read += rows
    counts = pl.concat(parts, how="vertical", rechunk=False)  # no copy of the whole result
    if not _in_order(parts):  # a Month differing from its file's name: runs overlap
        counts = (
            counts.group_by("lsoa_code", "period")
            .agg(pl.col("count").sum())
            .sort("period", "lsoa_code", nulls_last=True)
        )
    return PoliceUkAsb(counts=counts, rows_read=rows_read,
                       rows_asb=int(counts["count"].sum()), files=tuple(files))


_BATCH_BYTES = 256 * 2**20
_NAME_MONTH = re.compile(r"^(\d{4}-\d{2})")
_NAME_FORCE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-(.+)-street\.csv$", re.IGNORECASE)


def months_without_file(files: Iterable[PathLike]) -> dict[str, tuple[dt.date, ...]]:
    """Per force (from ``YYYY-MM-<force>-street.csv`` names), the months of the whole span with no file.

    The span runs from the first to the last month of any file; forces with a file for every
    month are left out of the result. See :attr:`PoliceUkAsb.months_without_file`.
    """
    have: dict[str, set[dt.date]] = {}
    for file in files:
        found = _NAME_FORCE.match(Path(file).name)
        if found:
            month = dt.date(int(found.group(1)), int(found.group(2)), 1)
            have.setdefault(found.group(3).lower(), set()).add(month)
    if not have:
        return {}
    every = set().union(*have.values())
    span = pl.date_range(min(every), max(every), interval="1mo", eager=True).to_list()
    gaps = {force: tuple(m for m in span if m not in months) for force, months in sorted(have.items())}
    return {force: months for force, months in gaps.items() if months}


def _batches(files: list[Path], layouts: dict[Path, _Layout]
             ) -> list[dict[_Layout, list[Path]]]:
    """Files in runs of whole months (by file name) of about ``_BATCH_BYTES`` each.

    Each run maps a header layout to the files sharing it (one entry for real downloads).
    """
    def month(file: Path) -> str:
        found = _NAME_MONTH.match(file.name)
        return found.group(1) if found else ""

    batches: list[dict[_Layout, list[Path]]] = []
    current: dict[_Layout, list[Path]] = {}
    size = 0
    previous = None
    for file in sorted(files, key=lambda f: (month(f), str(f))):
        if current and month(file) != previous and size >= _BATCH_BYTES:
            batches.append(current)
            current, size = {}, 0
        current.setdefault(layouts[file], []).append(file)
        size += file.stat().st_size
        previous = month(file)
    batches.append(current)
    return batches


def _read_batch(groups: dict[_Layout, list[Path]]) -> tuple[pl.DataFrame, int]:
    """ASB counts (lsoa_code, period, count) sorted by period then LSOA, and all rows read."""
    plans = [_scan(files, layout.columns) for layout, files in groups.items()]
    lazy = plans[0] if len(plans) == 1 else pl.concat(plans, how="vertical")
    try:
        grouped = _collect(_grouped(lazy))
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(groups, exc) from None

    # Months and LSOA codes are checked and tidied once per distinct value, not per row.
    stripped = pl.col("month").str.strip_chars()
    months = grouped.select(pl.col("month").unique()).with_columns(
        pl.when(stripped.str.contains(_MONTH_RE))
        .then((stripped + "-01").str.to_date("%Y-%m-%d", strict=False))
        .alias("period")
    )
    bad = months.filter(pl.col("period").is_null())["month"].sort(nulls_last=True)
    if bad.len():
        raise _bad_month_error(groups, bad.to_list())
    if grouped["is_asb"].null_count():
        raise _no_crime_type_error(groups)

    rows_read = int(grouped["count"].sum())
    asb = grouped.filter(pl.col("is_asb")).join(months, on="month", how="left")
    raw = pl.col("lsoa_code")
    tidy = raw.str.strip_chars().str.to_uppercase()
    untidy = asb.select(raw.unique()).filter((tidy != raw) | (raw == "")).height
    if untidy or months["period"].is_duplicated().any():
        asb = (
            asb.with_columns(pl.when(tidy != "").then(tidy).alias("lsoa_code"))
            .group_by("lsoa_code", "period")
            .agg(pl.col("count").sum())
        )
    counts = (
        asb.select("lsoa_code", "period", pl.col("count").cast(pl.Int64))
        .sort("period", "lsoa_code", nulls_last=True)
    )
    return counts, rows_read


def _in_order(parts: list[pl.DataFrame]) -> bool:
    """True if each part (itself sorted and unique) ends before the next one starts.

    The order is by period, then LSOA code with nulls last; Python compares strings by code
    point, which is the byte order of UTF-8 that polars sorts by.
    """
    def key(row: tuple[str | None, object, int]) -> tuple[object, bool, str]:
        return (row[1], row[0] is None, row[0] or "")

    ends = [(key(p.row(0)), key(p.row(-1))) for p in parts if p.height]
    return all(last < first for (_, last), (first, _) in zip(ends, ends[1:], strict=False))


# --------------------------------------------------------------------------------------------
# analysis areas


def _area_lsoas(areas: pl.DataFrame, source: str) -> pl.DataFrame:
    """(area_id, lsoa_code) pairs, one per LSOA, from an areas table; checked."""
    for column in ("area_id", "lsoa_codes"):
        if column not in areas.columns:
            raise _error(source, "required column is missing", column=column, table="areas",
                         hint="the areas table needs 'area_id' and 'lsoa_codes' (a list, or "
                              "codes separated by ';')")
    codes = areas["lsoa_codes"]
    if codes.dtype == pl.String or codes.dtype == pl.Null:
        codes = codes.cast(pl.String).str.split(";")
    elif isinstance(codes.dtype, pl.List):
        codes = codes.cast(pl.List(pl.String))
    else:
        raise _error(source, f"lsoa_codes must be a list of codes or text like 'E01019400;"
                     f"E01019401', not {codes.dtype}", column="lsoa_codes", table="areas")
    table = pl.DataFrame({
        "area_id": areas["area_id"].cast(pl.String).str.strip_chars(),
        "lsoa_code": codes,
    }).with_row_index("__row", offset=2)
    missing_id = table.filter(pl.col("area_id").is_null() | (pl.col("area_id") == ""))
    if missing_id.height:
        raise _error(source, "area_id is empty", column="area_id", table="areas",
                     n_rows=missing_id.height,
                     rows=tuple(int(r) for r in missing_id["__row"].head(_SHOW)),
                     hint="give every analysis area an id")
    pairs = (
        table.explode("lsoa_code")
        .with_columns(pl.col("lsoa_code").str.strip_chars().str.to_uppercase())
        .filter(pl.col("lsoa_code").is_not_null() & (pl.col("lsoa_code") != ""))
        .unique(["area_id", "lsoa_code"], keep="first")
    )
    clash = (
        pairs.group_by("lsoa_code")
        .agg(pl.col("area_id").unique().sort(), pl.col("__row").min())
        .filter(pl.col("area_id").list.len() > 1)
        .sort("__row", "lsoa_code")
    )
    if clash.height:
        first = clash.row(0, named=True)
        ids = [repr(a) for a in first["area_id"]]
        names = ", ".join(ids[:-1]) + " and " + ids[-1]
        how_many = "two" if len(ids) == 2 else str(len(ids))
        more = f"; {clash.height - 1} other LSOA(s) too" if clash.height > 1 else ""
        raise _error(source, f"LSOA {first['lsoa_code']} is listed in {how_many} areas, "
                     f"{names}{more}", column="lsoa_codes", table="areas",
                     hint="each LSOA may belong to one analysis area only; remove it from all "
                          "but one")
    return pairs.select("area_id", "lsoa_code")


def asb_by_area(asb: PoliceUkAsb, areas: pl.DataFrame, *, source: str = "areas") -> AreaPlacement:
    """Add up ASB counts by analysis area and month, reporting what could not be placed.

    Parameters
    ----------
    asb : PoliceUkAsb
        Counts from :func:`asb_by_lsoa_month`.
    areas : polars.DataFrame
        ``area_id`` (text) and ``lsoa_codes``: either a List[String] column or text with codes
        separated by semicolons (``"E01019400;E01019401"``). Codes are matched ignoring case
        and surrounding spaces. An area may have no LSOAs (its counts are all zero).
    source : str, optional
        Name of the areas table used in error messages (e.g. its file name).

    Returns
    -------
    AreaPlacement
        Counts for every area times every month from the first to the last month of the ASB
        data (zero-filled in the months whose files are all present; see
        :attr:`AreaPlacement.counts`), the unplaced rows with a reason, and row totals such that
        ``rows_placed + rows_unplaced == rows_asb``.

    Raises
    ------
    InputError
        If ``areas`` lacks a column, has an empty ``area_id``, or lists an LSOA in two areas.
    """
    pairs = _area_lsoas(areas, source)
    area_ids = pl.DataFrame(
        {"area_id": areas["area_id"].cast(pl.String).str.strip_chars().unique().sort()}
    )
    joined = asb.counts.join(pairs, on="lsoa_code", how="left")
    placed = joined.filter(pl.col("area_id").is_not_null())
    unplaced = (
        joined.filter(pl.col("area_id").is_null())
        .with_columns(
            pl.when(pl.col("lsoa_code").is_null())
            .then(pl.lit(REASON_NO_LSOA))
            .otherwise(pl.lit(REASON_NOT_IN_AREA))
            .alias("reason")
        )
        .select("lsoa_code", "period", "count", "reason")
        .sort("reason", "lsoa_code", "period", nulls_last=True)
    )
    if asb.counts.height:
        periods = pl.date_range(asb.counts["period"].min(), asb.counts["period"].max(),
                                interval="1mo", eager=True).alias("period")
    else:
        periods = pl.Series("period", [], dtype=pl.Date)
    # A month with no file for some force is not zero-filled: an area without rows then is absent.
    incomplete = sorted({m for months in asb.months_without_file.values() for m in months})
    counts = (
        area_ids.join(periods.to_frame(), how="cross")
        .join(placed.group_by("area_id", "period").agg(pl.col("count").sum()),
              on=["area_id", "period"], how="left")
        .filter(pl.col("count").is_not_null() | ~pl.col("period").is_in(pl.Series(incomplete, dtype=pl.Date)
                                                                          .implode()))
        .with_columns(pl.col("count").fill_null(0).cast(pl.Int64))
        .sort("area_id", "period")
    )
    no_lsoa = int(unplaced.filter(pl.col("reason") == REASON_NO_LSOA)["count"].sum())
    result = AreaPlacement(
        counts=counts, unplaced=unplaced, rows_asb=asb.rows_asb,
        rows_placed=int(counts["count"].sum()), rows_no_lsoa=no_lsoa,
        rows_not_in_area=int(unplaced["count"].sum()) - no_lsoa,
    )
    if result.rows_placed + result.rows_unplaced != result.rows_asb:  # pragma: no cover - a bug
        raise RuntimeError(f"ASB accounting does not add up: {result.rows_placed} placed + "
                           f"{result.rows_unplaced} unplaced != {result.rows_asb}")
    return result
