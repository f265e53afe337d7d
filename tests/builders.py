"""Build small, valid input folders in a temporary directory, with one thing changed per test.

``valid_tables()`` is the baseline: every table, a handful of rows each, consistent with every
schema rule and cross-table reference (``validate_folder`` finds no error and no warning in it).
A table is a dict ``column -> list of cell texts`` (``None`` = empty cell); data row ``i`` is
file row ``i + 2`` (the header is row 1).

``write_folder(root, ...)`` writes it, after applying ``cells`` / ``columns`` overrides, as CSV in
any encoding, as XLSX or as Parquet. Tests that need a malformed file write bytes over one file
of a valid folder.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path

import polars as pl

Columns = dict[str, list[str | None]]

_N = None  # an empty cell, for readability in the tables below


def _table(header: str, rows: list[tuple]) -> Columns:
    names = [h.strip() for h in header.split(",")]
    for row in rows:
        assert len(row) == len(names), (header, row)
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


_REFERRALS = _table(
    "referral_id, person_id, cohort, referral_date, offence_date, offence_type, route, outcome_code, age, sex,"
    " ethnicity, disability, prior_offences, area_code, hotspot_id, first_contact_at, work_booked_at,"
    " work_start_date, status, hours_required, hours_completed, workshop_attended, restorative_justice,"
    " placement_id",
    [
        ("R001", "P001", "ij", "2024-03-15", "2024-03-14", "asb", "community_resolution", "8", "19", "male",
         "white", "no", "2", "E01000001", "H1", "2024-03-16 10:00", "2024-03-18 09:30", "2024-03-20",
         "completed", "6", "6", "true", "false", "PL1"),
        ("R002", "P002", "ij", "2024-04-02", "2024-04-01", "criminal_damage", "outcome_22", "22", "15", "female",
         "asian", "no", "0", "E01000002", "H1", "2024-04-03 14:30", "2024-04-05 11:00", "2024-04-08",
         "in_progress", "8", "4", "yes", "no", "PL2"),
        ("R003", "P003", "ij", "2024-05-20", "2024-05-18", "public_order", "conditional_caution", "17", "34",
         "male", "black", "unknown", "5", "E01000004", _N, "2024-05-21 09:00", _N, _N,
         "refused", "10", "0", "false", "false", _N),
        ("R004", "P004", "comparison", "2024-03-22", "2024-03-21", "asb", "caution", _N, "22", "male",
         "mixed", "no", "1", "E01000005", _N, _N, _N, _N, _N, _N, _N, _N, _N, _N),
        ("R005", "P005", "comparison", "2024-04-25", "2024-04-19", "shop_theft", "charge", "1", "41", "female",
         "white", "yes", "3", "E01000003", _N, _N, _N, _N, _N, _N, _N, _N, _N, _N),
    ],
)

_OFFENCES = _table(
    "offence_id, person_id, offence_date, offence_type, disposal, proven, disposal_date",
    [
        ("O001", "P001", "2023-11-05", "asb", "community_resolution", "false", "2023-11-06"),
        ("O002", "P002", "2024-06-10", "shop_theft", "caution", "true", "2024-06-20"),
        ("O003", "P004", "2024-07-02", "public_order", "charge", "true", _N),
        ("O004", "P005", "2023-12-24", "criminal_damage", "conviction", "true", "2024-02-01"),
    ],
)

_AREAS = _table(
    "area_id, name, role, parent_hotspot, lsoa_codes, population, intervention_start",
    [
        ("H1", "Town centre", "hotspot", _N, "E01000001", "3200", "2024-03-01"),
        ("B1", "Town centre buffer", "buffer", "H1", "E01000003", "1600", _N),
        ("C1", "Riverside", "comparison", _N, "E01000004", "2900", _N),
    ],
)

_ASB_COUNTS = _table(
    "area_id, period, count, population",
    [(area, period, str(count), _N)
     for area, counts in (("H1", (31, 28, 19)), ("B1", (9, 11, 8)), ("C1", (14, 12, 15)))
     for period, count in zip(("2024-01", "2024-02", "2024-03"), counts, strict=True)],
)

_PLACEMENTS = _table(
    "placement_id, site, area_code, activity, suggested_by, hours_delivered",
    [
        ("PL1", "Park litter pick", "E01000001", "litter_picking", "council", "40"),
        ("PL2", "Underpass graffiti", "E01000002", "graffiti_removal", "community_group", "25.5"),
    ],
)

_PARTICIPANT_SURVEY = _table(
    "response_id, referral_id, survey_date, age_group, survey_stage, understand_asb, would_handle_differently,"
    " accept_responsibility, workshop_beneficial, overall_positive, consent_to_quote, comment",
    [
        ("S001", "R001", "2024-03-27", "adult", "exit", "agree", "4", "strongly_agree", "5", "agree", "true",
         "It was fair."),
        ("S002", "R002", "2024-04-15", "child", "post", "neither", "3", "agree", "4", "4", "no", _N),
        ("S003", _N, "2024-04-16", "adult", "exit", "5", "strongly agree", "4", "5", "5", "yes", "Useful."),
    ],
)

_VICTIM_SURVEY = _table(
    "response_id, referral_id, survey_date, satisfied, asked_how_to_repair, kept_informed, felt_heard,"
    " would_recommend, consent_to_quote, comment",
    [
        ("V001", "R001", "2024-03-29", "satisfied", "yes", "agree", "4", "true", "true", "Quick response."),
        ("V002", "R002", "2024-04-20", "2", "no", "disagree", "neither", "false", "no", _N),
    ],
)

_COSTS = _table(
    "item, category, amount_gbp, in_kind, period_start, period_end, funder",
    [
        ("Coordinator salary", "staff", "£12,500.00", "false", "2024-01-01", "2024-03-31", "Home Office"),
        ("Paint supplies", "equipment", "350.75", "false", "2024-01-01", "2024-03-31", "PCC"),
        ("Seconded officer time", "staff", "4000", "true", "2024-01-01", "2024-06-30", "Police"),
    ],
)

_TABLES: dict[str, Columns] = {
    "referrals": _REFERRALS,
    "offences": _OFFENCES,
    "areas": _AREAS,
    "asb_counts": _ASB_COUNTS,
    "placements": _PLACEMENTS,
    "participant_survey": _PARTICIPANT_SURVEY,
    "victim_survey": _VICTIM_SURVEY,
    "costs": _COSTS,
}

# Column types used when writing typed XLSX cells or Parquet columns (everything else is text).
DATE_COLUMNS = {
    "referrals": ("referral_date", "offence_date", "work_start_date"),
    "offences": ("offence_date", "disposal_date"),
    "areas": ("intervention_start",),
    "participant_survey": ("survey_date",),
    "victim_survey": ("survey_date",),
    "costs": ("period_start", "period_end"),
}
DATETIME_COLUMNS = {"referrals": ("first_contact_at", "work_booked_at")}
INTEGER_COLUMNS = {
    "referrals": ("outcome_code", "age", "prior_offences"),
    "areas": ("population",),
    "asb_counts": ("count", "population"),
}
NUMBER_COLUMNS = {"referrals": ("hours_required", "hours_completed"), "placements": ("hours_delivered",)}
BOOLEAN_COLUMNS = {"offences": ("proven",)}


def valid_tables() -> dict[str, Columns]:
    """A fresh, mutable copy of the baseline tables."""
    return copy.deepcopy(_TABLES)


def file_row(index: int) -> int:
    """The file row number of data row ``index`` (0-based): the header is row 1."""
    return index + 2


def n_rows(columns: Columns) -> int:
    return len(next(iter(columns.values())))


def edit(tables: dict[str, Columns], *,
         cells: Mapping[tuple[str, str, int], str | None] | None = None,
         columns: Mapping[tuple[str, str], list[str | None] | None] | None = None) -> dict[str, Columns]:
    """Apply overrides in place and return ``tables``.

    ``cells[(table, column, index)] = text`` sets one cell (a new column is added, blank elsewhere);
    ``columns[(table, column)] = [...]`` replaces or adds a whole column, ``None`` drops it.
    """
    for (table, column, index), value in (cells or {}).items():
        t = tables[table]
        if column not in t:
            t[column] = [None] * n_rows(t)
        t[column][index] = value
    for (table, column), values in (columns or {}).items():
        t = tables[table]
        if values is None:
            del t[column]
        else:
            assert len(values) == n_rows(t), (table, column)
            t[column] = list(values)
    return tables


def csv_text(columns: Columns) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(columns))
    for i in range(n_rows(columns)):
        writer.writerow(["" if columns[c][i] is None else columns[c][i] for c in columns])
    return buf.getvalue()


def write_csv(path: Path, columns: Columns, encoding: str = "utf-8") -> Path:
    """Write a CSV; ``encoding`` may be ``utf-8``, ``utf-8-sig`` (BOM) or ``cp1252``."""
    path.write_bytes(csv_text(columns).encode(encoding))
    return path


def _typed_value(kind: str, text: str) -> object:
    if kind == "date":
        return dt.datetime.fromisoformat(text)
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return text.lower() in ("true", "yes", "y", "1")
    raise ValueError(kind)


def _kinds(table: str) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for kind, spec in (("date", DATE_COLUMNS), ("datetime", DATETIME_COLUMNS), ("integer", INTEGER_COLUMNS),
                       ("number", NUMBER_COLUMNS), ("boolean", BOOLEAN_COLUMNS)):
        kinds.update(dict.fromkeys(spec.get(table, ()), kind))
    return kinds


def write_xlsx(path: Path, columns: Columns, table: str | None = None, *, typed: bool = True,
               raw_cells: Mapping[tuple[str, int], object] | None = None) -> Path:
    """Write the table on the first worksheet from A1.

    With ``typed`` (and ``table`` given), date columns become real Excel date cells (date format),
    numbers numeric cells and booleans boolean cells; otherwise every cell is text.
    ``raw_cells[(column, index)]`` writes a Python value as is (e.g. a number ``45366`` into a date
    column, as Excel does when a date cell loses its format).
    """
    import xlsxwriter

    kinds = _kinds(table) if (typed and table) else {}
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
    datetime_fmt = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    names = list(columns)
    for j, name in enumerate(names):
        sheet.write_string(0, j, name)
    raw_cells = raw_cells or {}
    for i in range(n_rows(columns)):
        for j, name in enumerate(names):
            if (name, i) in raw_cells:
                value = raw_cells[(name, i)]
                if isinstance(value, int | float):
                    sheet.write_number(i + 1, j, value)
                else:
                    sheet.write(i + 1, j, value)
                continue
            text = columns[name][i]
            if text is None:
                continue
            kind = kinds.get(name)
            if kind in ("date", "datetime"):
                sheet.write_datetime(i + 1, j, _typed_value(kind, text), date_fmt if kind == "date" else datetime_fmt)
            elif kind in ("integer", "number"):
                sheet.write_number(i + 1, j, _typed_value(kind, text))
            elif kind == "boolean":
                sheet.write_boolean(i + 1, j, _typed_value(kind, text))
            else:
                sheet.write_string(i + 1, j, text)
    workbook.close()
    return path


def typed_frame(columns: Columns, table: str | None = None) -> pl.DataFrame:
    """The table as a polars frame, with typed date/number/boolean columns when ``table`` is given."""
    kinds = _kinds(table) if table else {}
    frame = pl.DataFrame({name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()})
    casts = []
    for name, kind in kinds.items():
        if name not in frame.columns:
            continue
        col = pl.col(name)
        casts.append({
            "date": col.str.to_date("%Y-%m-%d"),
            "datetime": col.str.to_datetime("%Y-%m-%d %H:%M", time_unit="us"),
            "integer": col.cast(pl.Int64),
            "number": col.cast(pl.Float64),
            "boolean": pl.when(col.is_null()).then(None).otherwise(col.str.to_lowercase().is_in(["true", "yes"])),
        }[kind].alias(name))
    return frame.with_columns(casts) if casts else frame


def write_parquet(path: Path, columns: Columns, table: str | None = None) -> Path:
    """Write a Parquet file; typed columns (dates, numbers, booleans) when ``table`` is given."""
    typed_frame(columns, table).write_parquet(path)
    return path


def write_table(folder: Path, name: str, columns: Columns, fmt: str = "csv", encoding: str = "utf-8") -> Path:
    if fmt == "csv":
        return write_csv(folder / f"{name}.csv", columns, encoding)
    if fmt == "xlsx":
        return write_xlsx(folder / f"{name}.xlsx", columns, name)
    if fmt == "parquet":
        return write_parquet(folder / f"{name}.parquet", columns, name)
    raise ValueError(fmt)


def write_folder(root: Path, *,
                 tables: dict[str, Columns] | None = None,
                 cells: Mapping[tuple[str, str, int], str | None] | None = None,
                 columns: Mapping[tuple[str, str], list[str | None] | None] | None = None,
                 omit: tuple[str, ...] = (),
                 formats: Mapping[str, str] | None = None,
                 encodings: Mapping[str, str] | None = None,
                 config: str | None = None,
                 name: str = "data") -> Path:
    """Write a data folder ``root/name`` and return its path.

    ``tables`` defaults to :func:`valid_tables`; ``cells`` / ``columns`` are applied with
    :func:`edit`; ``omit`` leaves tables out; ``formats[table]`` is ``csv`` (default), ``xlsx`` or
    ``parquet``; ``encodings[table]`` is a CSV encoding; ``config`` is written as
    ``evaluation.toml`` in the folder.
    """
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    tables = edit(tables if tables is not None else valid_tables(), cells=cells, columns=columns)
    formats = formats or {}
    encodings = encodings or {}
    for table, cols in tables.items():
        if table in omit:
            continue
        write_table(folder, table, cols, formats.get(table, "csv"), encodings.get(table, "utf-8"))
    if config is not None:
        (folder / "evaluation.toml").write_text(config, encoding="utf-8")
    return folder


MINIMAL_CONFIG = """\
[scheme]
name = "Immediate Justice"
force = "Test Constabulary"
start = 2024-03-01

[data]
extract_date = 2024-12-31
"""


def synthetic_panel(folder: Path) -> pl.DataFrame:
    """The hotspot panel of a synthetic data folder, read the way a user's data are."""
    from ij_eval.config import load_config
    from ij_eval.strands.hotspots.panel import build_panel
    from ij_eval.validation import load_tables

    tables = load_tables(folder, load_config(folder / "evaluation.toml")).tables
    return build_panel(tables["areas"].frame, counts=tables["asb_counts"].frame).frame
