"""Unit tests of reading input files: encodings, formats, header names, row numbers and typed parsing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from builders import valid_tables, write_csv, write_parquet, write_xlsx

from ij_eval.errors import InputError
from ij_eval.io.parse import Where, parse_column
from ij_eval.io.tables import ROW, find_table_files, normalise_header, read_raw
from ij_eval.schema import Column, load_schemas

SCHEMAS = load_schemas()
WHERE = Where("t", "t.csv")


def _parse(cells: list[str | None], kind: str, date_order: str = "auto", **column) -> tuple[list, list]:
    """Parse one column of cell texts (file rows 2, 3, ...); return (typed values, problems)."""
    raw = pl.DataFrame({"c": pl.Series(cells, dtype=pl.String)}).with_row_index(ROW, offset=2)
    typed, problems = parse_column(raw, Column("c", kind, **column), WHERE, date_order=date_order)
    return typed.to_list(), problems


def _typed(path: Path, name: str) -> pl.DataFrame:
    """Every schema column of a file, parsed to its type (the reading half of validation)."""
    raw = read_raw(path, name)
    series = []
    for col in SCHEMAS[name].columns:
        if col.name in raw.frame.columns:
            typed, problems = parse_column(raw.frame, col, Where(name, path.name))
            assert problems == [], [p.describe() for p in problems]
            series.append(typed)
    return pl.DataFrame(series).with_columns(raw.frame[ROW])


# ---- encodings -------------------------------------------------------------------------------------

def _costs_with_pounds() -> dict:
    costs = valid_tables()["costs"]
    costs["item"][1] = "Paint £ supplies"
    costs["amount_gbp"][1] = "£1,250.50"
    costs["funder"][2] = "Café fund"
    return costs


def test_utf8_bom_and_cp1252_csv_give_identical_frames(tmp_path):
    costs = _costs_with_pounds()
    frames, encodings = [], []
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        folder = tmp_path / encoding
        folder.mkdir()
        raw = read_raw(write_csv(folder / "costs.csv", costs, encoding), "costs")
        frames.append(raw.frame)
        encodings.append(raw.encoding)
        assert raw.columns[0] == "item"  # no BOM left in the first header
    assert encodings == ["utf-8", "utf-8", "cp1252"]
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])
    assert frames[2]["item"][1] == "Paint £ supplies" and frames[2]["funder"][2] == "Café fund"


def test_cp1252_reading_leaves_no_temporary_file(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = write_csv(tmp_path / "costs.csv", _costs_with_pounds(), "cp1252")
    assert read_raw(path, "costs").encoding == "cp1252"
    assert list(scratch.iterdir()) == []


def test_money_with_pound_sign_and_commas_parses():
    values, problems = _parse(["£1,250.50", "1250.5", "£ 12,500", "-£5", "0", None], "money")
    assert problems == []
    assert values == [1250.5, 1250.5, 12500.0, -5.0, 0.0, None]


def test_file_that_is_neither_utf8_nor_cp1252_is_refused(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(b"item,category\nPaint \x81,equipment\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "costs")
    assert info.value.problem.rule == "file is neither UTF-8 nor Windows-1252 text"
    assert info.value.problem.file == "costs.csv"


# ---- formats ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(valid_tables()))
@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_give_the_same_typed_table_as_csv(tmp_path, name, fmt):
    columns = valid_tables()[name]
    csv = _typed(write_csv(tmp_path / f"{name}.csv", columns), name)
    if fmt == "xlsx":  # real Excel date, number and boolean cells
        other = _typed(write_xlsx(tmp_path / f"{name}.xlsx", columns, name), name)
    else:  # typed Parquet columns (Date, Datetime, Int64, Float64, Boolean)
        other = _typed(write_parquet(tmp_path / f"{name}.parquet", columns, name), name)
    assert other.schema == csv.schema
    assert other.equals(csv), f"{fmt}:\n{other}\ncsv:\n{csv}"


def test_excel_date_cells_read_as_dates(tmp_path):
    path = write_xlsx(tmp_path / "referrals.xlsx", valid_tables()["referrals"], "referrals")
    typed = _typed(path, "referrals")
    assert typed["referral_date"][0] == dt.date(2024, 3, 15)
    assert typed["first_contact_at"][1] == dt.datetime(2024, 4, 3, 14, 30)
    assert typed["age"][0] == 19 and typed["hours_required"][0] == 6.0


def test_all_text_xlsx_reads_like_csv(tmp_path):
    columns = valid_tables()["referrals"]
    csv = _typed(write_csv(tmp_path / "referrals.csv", columns), "referrals")
    xlsx = _typed(write_xlsx(tmp_path / "referrals.xlsx", columns, "referrals", typed=False), "referrals")
    assert xlsx.equals(csv)


@pytest.mark.parametrize(("suffix", "rule"), [
    (".xlsx", "not a readable XLSX workbook"),
    (".parquet", "not a readable Parquet file"),
])
def test_corrupt_binary_file_is_refused_with_a_located_error(tmp_path, suffix, rule):
    path = tmp_path / f"costs{suffix}"
    path.write_bytes(b"item,category\nPaint,equipment\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "costs")
    assert info.value.problem.file == path.name and info.value.problem.rule.startswith(rule)


def test_unsupported_suffix_is_refused(tmp_path):
    path = tmp_path / "costs.txt"
    path.write_text("item\nPaint\n")
    with pytest.raises(InputError, match="unsupported file type '.txt'"):
        read_raw(path, "costs")


def test_table_files_are_found_by_name_whatever_the_case(tmp_path):
    (tmp_path / "Referrals.CSV").write_text("referral_id\nR1\n")
    (tmp_path / "costs.parquet").write_bytes(b"")
    (tmp_path / "notes.docx").write_bytes(b"")
    (tmp_path / ".hidden.csv").write_text("x\n")
    found, problems, others = find_table_files(tmp_path, ["referrals", "costs", "areas"])
    assert found == {"referrals": tmp_path / "Referrals.CSV", "costs": tmp_path / "costs.parquet"}
    assert problems == [] and others == [tmp_path / "notes.docx"]


# ---- header names and row numbers ------------------------------------------------------------------

@pytest.mark.parametrize(("header", "name"), [
    (" Referral ID ", "referral_id"),
    ("Referral ID", "referral_id"),
    ("referral_id", "referral_id"),
    ("Offence-Date", "offence_date"),
    ("Hours  Completed", "hours_completed"),
    ("\ufeffReferral ID", "referral_id"),
    ("AGE", "age"),
])
def test_normalise_header(header, name):
    assert normalise_header(header) == name


def test_headers_are_normalised_on_reading_and_renames_recorded(tmp_path):
    path = tmp_path / "placements.csv"
    path.write_text(" Placement ID ,Site,Area-Code\nPL1,Park,E01000001\n", encoding="utf-8")
    raw = read_raw(path, "placements")
    assert raw.columns == ("placement_id", "site", "area_code")
    assert raw.renamed == ((" Placement ID ", "placement_id"), ("Site", "site"), ("Area-Code", "area_code"))
    assert raw.frame["placement_id"].to_list() == ["PL1"]


def test_headers_that_normalise_to_the_same_name_are_refused(tmp_path):
    path = tmp_path / "placements.csv"
    path.write_text("Placement ID,placement_id\nPL1,PL1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_raw(path, "placements")
    assert info.value.problem.column == "placement_id"
    assert info.value.problem.rule == "the same column appears more than once in the header"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_row_numbers_start_at_2_after_the_header(tmp_path, fmt):
    columns = valid_tables()["asb_counts"]
    writer = {"csv": lambda p: write_csv(p, columns), "xlsx": lambda p: write_xlsx(p, columns, "asb_counts"),
              "parquet": lambda p: write_parquet(p, columns, "asb_counts")}[fmt]
    raw = read_raw(writer(tmp_path / f"asb_counts.{fmt}"), "asb_counts")
    assert raw.frame[ROW].to_list() == list(range(2, 11))
    assert raw.frame[ROW].dtype == pl.Int64


def test_csv_row_numbers_count_blank_lines(tmp_path):
    path = tmp_path / "placements.csv"
    path.write_text("placement_id,site\nPL1,Park\n\nPL2,Underpass\n", encoding="utf-8")
    frame = read_raw(path, "placements").frame
    assert frame.filter(pl.col("placement_id") == "PL2")[ROW].to_list() == [4]


def test_cells_are_read_as_text_without_inference(tmp_path):
    path = tmp_path / "referrals.csv"
    path.write_text("referral_id,age,outcome_code\n007,19,08\n", encoding="utf-8")
    frame = read_raw(path, "referrals").frame
    assert frame.row(0, named=True) == {"referral_id": "007", "age": "19", "outcome_code": "08", ROW: 2}


# ---- typed parsing ----------------------------------------------------------------------------------

def test_day_first_datetimes_with_times():
    values, problems = _parse(["16/03/2024 10:00", "01/04/2024 14:30:15", "2024-04-02T09:05", "17/04/2024"],
                              "datetime")
    assert problems == []
    assert values == [dt.datetime(2024, 3, 16, 10, 0), dt.datetime(2024, 4, 1, 14, 30, 15),
                      dt.datetime(2024, 4, 2, 9, 5), dt.datetime(2024, 4, 17)]


def test_iso_datetimes():
    values, problems = _parse(["2024-03-16 10:00", "2024-03-16T10:00:05", "2024-03-16 09:30:05.250",
                               "2024-03-16", " 2024-03-17 08:00 ", "", None], "datetime")
    assert problems == []
    assert values == [dt.datetime(2024, 3, 16, 10, 0), dt.datetime(2024, 3, 16, 10, 0, 5),
                      dt.datetime(2024, 3, 16, 9, 30, 5), dt.datetime(2024, 3, 16),
                      dt.datetime(2024, 3, 17, 8, 0), None, None]


def test_date_column_accepts_a_time_part_and_keeps_the_day():
    values, problems = _parse(["2024-03-15 00:00:00", "15/03/2024 23:59", "2024-03-15"], "date")
    assert problems == []
    assert values == [dt.date(2024, 3, 15)] * 3


def test_ambiguous_dates_parse_day_first_when_configured():
    raw = pl.DataFrame({"c": ["05/04/2024", "10/04/2024"]}).with_row_index(ROW, offset=2)
    typed, problems = parse_column(raw, Column("c", "date"), WHERE, date_order="day-first")
    assert problems == []
    assert typed.to_list() == [dt.date(2024, 4, 5), dt.date(2024, 4, 10)]
    typed, problems = parse_column(raw, Column("c", "date"), WHERE)
    assert [p.rule for p in problems] == [
        "ambiguous dates: every dd/mm/yyyy value could also be read as mm/dd/yyyy (no day above 12)"]
    assert typed.to_list() == [None, None]


def test_month_type_accepts_year_month_and_full_dates():
    values, problems = _parse(["2024-03", "2024-03-15", "15/03/2024", "2024-12", None], "month")
    assert problems == []
    assert values == [dt.date(2024, 3, 1)] * 3 + [dt.date(2024, 12, 1), None]


def test_month_type_refuses_an_impossible_month():
    values, problems = _parse(["2024-13", "2024-03"], "month")
    assert values == [None, dt.date(2024, 3, 1)]
    (p,) = problems
    assert (p.rule, p.n_rows, p.rows, p.values) == ("not a month", 1, (2,), ("2024-13",))


def test_list_type_splits_on_semicolons():
    values, problems = _parse(["E01000001; E01000002", "E01000003", "E01000004;", " ; E01000005 ", None], "list")
    assert problems == []
    assert values == [["E01000001", "E01000002"], ["E01000003"], ["E01000004"], ["E01000005"], None]


def test_boolean_spellings():
    values, problems = _parse(["true", "FALSE", "Yes", "no", "Y", "n", "1", "0", "1.0", "T", "f", None], "boolean")
    assert problems == []
    assert values == [True, False, True, False, True, False, True, False, True, True, False, None]


def test_ordinal_accepts_labels_and_numbers():
    levels = ("strongly_disagree", "disagree", "neither", "agree", "strongly_agree")
    values, problems = _parse(["Strongly Agree", "strongly-disagree", "3", "neither", None], "ordinal", levels=levels)
    assert problems == []
    assert values == [5, 1, 3, 3, None]


def test_category_labels_are_normalised():
    values, problems = _parse(["Community Resolution", "outcome-22", " caution "], "category",
                              values=("community_resolution", "outcome_22", "caution"))
    assert problems == []
    assert values == ["community_resolution", "outcome_22", "caution"]


def test_integers_accept_thousands_commas_and_whole_decimals():
    values, problems = _parse(["1,200", "19.0", "7", None], "integer")
    assert problems == []
    assert values == [1200, 19, 7, None]


def test_parse_problem_lists_every_bad_row_and_the_first_five_values():
    values, problems = _parse(["x1", "2", "x3", "x4", "x5", "x6", "x7"], "integer")
    (p,) = problems
    assert p.n_rows == 6 and p.rows == (2, 4, 5, 6, 7) and p.values == ("x1", "x3", "x4", "x5", "x6")
    assert values == [None, 2, None, None, None, None, None]
