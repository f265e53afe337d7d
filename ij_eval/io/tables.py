"""Find and read the input tables of a data folder as text, keeping each row's file row number.

Every cell is read as a string so that parsing (``ij_eval.io.parse``) can say exactly which value
in which row failed which rule. CSV may be UTF-8 (with or without BOM) or Windows-1252; large CSV
and Parquet files are scanned lazily.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ij_eval.errors import InputError, Problem

ROW = "__row"  # the row number a person sees in the file (CSV header = row 1)
SUFFIXES = (".csv", ".xlsx", ".parquet")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RawTable:
    """One input file read as text: ``frame`` has the file's columns (as strings) plus ``__row``."""

    name: str
    path: Path
    frame: pl.DataFrame
    encoding: str
    renamed: tuple[tuple[str, str], ...] = ()  # (header as written, normalised name)

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.frame.columns if c != ROW)


def normalise_header(name: str) -> str:
    """``" Referral ID "`` → ``referral_id``: trimmed, lower case, spaces and dashes to ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff")).lower()


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


def _detect_encoding(path: Path) -> str:
    """``utf-8`` (BOM allowed) or ``cp1252``, checked over the whole file in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
        except UnicodeDecodeError as exc:
            raise InputError(Problem(
                "error", "", path.name, "", "file is neither UTF-8 nor Windows-1252 text",
                hint=f"save it as CSV UTF-8 (the byte at position {offset + exc.start} of the file "
                     "is not a character in either encoding)",
            )) from None
    return "cp1252"


def _check_field_counts(path: Path, name: str) -> None:
    """Every record must have as many fields as the header (polars would pad or fail unlocated)."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        records = csv.reader(fh)
        header = next(records, [])
        bad = [(i, len(rec)) for i, rec in enumerate(records, start=2) if rec and len(rec) != len(header)]
    if bad:
        raise InputError(Problem(
            "error", name, path.name, "", f"row does not have the {len(header)} fields of the header",
            n_rows=len(bad), rows=tuple(i for i, _ in bad[:5]),
            values=tuple(f"{n} fields" for _, n in bad[:5]),
            hint="check for unquoted commas in text, or missing trailing fields",
        ))


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


def _read_csv(path: Path, name: str) -> tuple[pl.DataFrame, str]:
    if path.stat().st_size == 0:
        raise _empty(path, name, "file is empty (no header row)")
    encoding = _detect_encoding(path)
    source = path if encoding == "utf-8" else _transcode_to_utf8(path)
    try:
        _check_field_counts(source, name)
        frame = (
            pl.scan_csv(source, infer_schema=False, encoding="utf8",
                        truncate_ragged_lines=False)
            .collect()
        )
    except pl.exceptions.NoDataError:
        raise _empty(path, name, "file is empty (no header row)") from None
    except InputError as exc:  # a located problem found on the transcoded copy names the original
        raise InputError(replace(exc.problem, file=path.name)) from None
    except pl.exceptions.ComputeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(Problem("error", name, path.name, "", f"not a readable CSV file: {first}",
                                 hint="check that every row has the same number of fields as the header")) from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    return frame, encoding


def _read_xlsx(path: Path, name: str) -> pl.DataFrame:
    try:
        return pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except Exception as exc:  # the Excel engine raises several unrelated types
        raise InputError(Problem("error", name, path.name, "", f"not a readable XLSX workbook: {exc}",
                                 hint="save it as an .xlsx workbook with the table on the first sheet")) from None


def _read_parquet(path: Path, name: str) -> pl.DataFrame:
    try:
        lazy = pl.scan_parquet(path)
        return lazy.select(pl.all().cast(pl.String)).collect()
    except Exception as exc:  # noqa: BLE001 - arrow and polars raise many types for a bad file
        raise InputError(Problem("error", name, path.name, "", f"not a readable Parquet file: {exc}")) from None


def read_raw(path: Path, name: str) -> RawTable:
    """Read one input file as text with a ``__row`` column of file row numbers."""
    suffix = path.suffix.lower()
    encoding = "binary"
    if suffix == ".csv":
        frame, encoding = _read_csv(path, name)
    elif suffix == ".xlsx":
        frame = _read_xlsx(path, name)
    elif suffix == ".parquet":
        frame = _read_parquet(path, name)
    else:
        raise InputError(Problem("error", name, path.name, "", f"unsupported file type {suffix!r}",
                                 hint="supply CSV, XLSX or Parquet"))
    headers = frame.columns
    names = [normalise_header(h) for h in headers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(Problem("error", name, path.name, ", ".join(duplicates),
                                 "the same column appears more than once in the header"))
    renamed = tuple((h, n) for h, n in zip(headers, names, strict=True) if h != n)
    frame = frame.rename(dict(zip(headers, names, strict=True)))
    # Row numbers as a person sees them: header on row 1, so data start on row 2
    # (the same for the first worksheet of an XLSX; Parquet has no header row but we keep the
    # same convention so that a row number is always "record number + 1").
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(name=name, path=path, frame=frame, encoding=encoding, renamed=renamed)
