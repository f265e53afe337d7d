"""What reading refuses rather than reads silently wrong: encodings, line endings, quoting, sizes,
header names, workbook sheets, header rows and formulas, Parquet types, and numbers a float cannot hold.

Each test builds one hostile file and states the exact located problem (rule, rows, values) or the
exact values read. Row numbers are what a person sees: CSV records with the header as row 1, and
worksheet rows for a workbook.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from builders import csv_text, valid_tables, write_csv, write_folder
from reading_files import Formula, costs_bytes, table_workbook, write_workbook

from ij_eval.config import EvaluationConfig, config_from_dict
from ij_eval.errors import ConfigError, InputError
from ij_eval.io import csv_file
from ij_eval.io.parse import Where, parse_column, parse_covariate
from ij_eval.io.tables import ROW, ReadOptions, normalise_header, read_raw
from ij_eval.schema import Column, load_schemas
from ij_eval.validation import validate_folder

REQUIRED = {name: tuple(c.name for c in s.columns if c.required) for name, s in load_schemas().items()}
WHERE = Where("t", "t.csv")


def _refused(path: Path, table: str = "costs", options: ReadOptions | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        read_raw(path, table, options or ReadOptions(required=REQUIRED[table]))
    assert info.value.problem.file == path.name
    return info.value


def _write(tmp_path: Path, data: bytes, name: str = "costs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- encodings ---------------------------------------------------------------------------------------

def test_utf8_file_with_one_byte_that_is_not_utf8_is_refused_as_mixed_naming_the_row(tmp_path):
    data = costs_bytes().replace(b"Police", b"Pol\xe9ice")  # "£" is UTF-8 elsewhere in the file
    p = _refused(_write(tmp_path, data)).problem
    assert p.rule == "mixed encodings: the file is UTF-8 text but has bytes that are not UTF-8"
    assert (p.n_rows, p.rows, p.values) == (1, (4,), ("024-01-01,2024-06-30,Pol\\xe9ice",))
    assert f"byte {data.index(b'Pol') + 3} of the file" in p.hint


def test_mixed_is_found_when_the_utf8_text_comes_after_the_bad_byte(tmp_path):
    data = b"item,category\nCaf\xe9,staff\n" + "Caf\u00e9,staff\n".encode()
    p = _refused(_write(tmp_path, data), options=ReadOptions()).problem
    assert p.rule.startswith("mixed encodings") and p.rows == (2,)


@pytest.mark.parametrize(("data", "multibyte"), [
    (b"a\xe9b\n\xf0\x9f\x98\x80\n", True),  # an emoji (4 bytes) beside a Windows-1252 byte
    (b"caf\xc3\xa9 \xff\n", True),
    (b"\xe9\xe8\xa3\n", False),  # only single bytes that are not UTF-8
    (b"a\xe9b\n\xc3", False),  # a sequence cut off by the end of the file is not valid
])
def test_valid_multibyte_utf8_is_recognised_among_bad_bytes(tmp_path, data, multibyte):
    assert csv_file._has_multibyte(_write(tmp_path, data)) is multibyte


def test_genuine_windows_1252_is_still_read(tmp_path):
    data = costs_bytes("cp1252").replace(b"PCC", "Café fund".encode("cp1252"))
    raw = read_raw(_write(tmp_path, data), "costs")
    assert raw.encoding == "cp1252" and raw.frame["funder"].to_list()[1] == "Café fund"
    assert raw.frame["amount_gbp"][0] == "£12,500.00"


def test_a_utf8_character_split_across_read_chunks_is_valid(tmp_path):
    head = b"item,category\n"
    data = head + b"a" * (csv_file._CHUNK - len(head) - 1) + "é,staff\n".encode()
    assert data[csv_file._CHUNK - 1:csv_file._CHUNK + 1] == "é".encode()  # é straddles the first boundary
    assert csv_file.detect_encoding(_write(tmp_path, data), "costs") == "utf-8"


@pytest.mark.parametrize(("encoding", "name"), [
    ("utf-16", "UTF-16 LE"), ("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE"), ("utf-32", "UTF-32 LE"),
])
def test_utf16_and_utf32_are_named_as_such(tmp_path, encoding, name):
    p = _refused(_write(tmp_path, csv_text(valid_tables()["costs"]).encode(encoding))).problem
    assert p.rule == f"file is {name} text (Unicode text), not UTF-8"
    assert "CSV UTF-8" in p.hint and "UTF-16" in p.hint


def test_nul_byte_is_refused_with_its_row(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"Paint", b"Pa\x00int"))).problem
    assert p.rule.startswith("file holds a NUL byte") and p.rows == (3,)
    assert p.values == ("Pa\\x00int supplies,equipment,",)


def test_utf8_bom_is_read_but_a_second_bom_in_the_header_is_refused(tmp_path):
    assert read_raw(_write(tmp_path, b"\xef\xbb\xbf" + costs_bytes()), "costs").columns[0] == "item"
    p = _refused(_write(tmp_path, b"\xef\xbb\xbf\xef\xbb\xbf" + costs_bytes())).problem
    assert p.rule == "invisible character in the header: U+FEFF ZERO WIDTH NO-BREAK SPACE"
    assert p.column == "\\ufeffitem"


# ---- line endings, quoting, sizes --------------------------------------------------------------------

def test_old_mac_line_endings_are_refused(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"\n", b"\r"))).problem
    assert p.rule == "lines end in a bare carriage return (old Mac line endings)" and p.rows == (1,)


def test_a_bare_carriage_return_among_line_feeds_is_refused_with_its_row(tmp_path):
    data = costs_bytes().replace(b"Paint supplies", b'"Paint\rsupplies"')
    p = _refused(_write(tmp_path, data)).problem
    assert p.rule.startswith("a carriage return without a line feed") and p.rows == (3,)


def test_crlf_is_read_also_when_a_chunk_ends_between_cr_and_lf(tmp_path):
    head = b"placement_id,site\r\n"
    pad = b"PL0," + b"x" * (csv_file._CHUNK - len(head) - 5) + b"\r"  # the chunk ends on the CR
    path = _write(tmp_path, head + pad + b"\nPL1,Park\r\n", "placements.csv")
    raw = read_raw(path, "placements")
    assert raw.frame["placement_id"].to_list() == ["PL0", "PL1"] and raw.frame[ROW].to_list() == [2, 3]


def test_rows_after_a_quoted_line_break_are_counted_as_records(tmp_path):
    data = costs_bytes().replace(b"Paint supplies", b'"Paint\nsupplies"').replace(b"Police", b"Pol\xe9ice")
    assert _refused(_write(tmp_path, data)).problem.rows == (4,)  # line 5 of the file, row 4 of the table


def test_a_text_field_over_128_kib_is_read_whole(tmp_path):
    placements = valid_tables()["placements"]
    placements["site"][1] = "long " * 60_000  # 300,000 characters, over Python csv's default limit
    raw = read_raw(write_csv(tmp_path / "placements.csv", placements), "placements")
    assert raw.frame["site"][1] == "long " * 60_000
    assert csv.field_size_limit() == 131072  # restored


def test_a_field_over_the_limit_is_refused_with_its_row(tmp_path):
    placements = valid_tables()["placements"]
    placements["site"][1] = "line\n" * (csv_file.MAX_FIELD_CHARS // 5 + 1)
    p = _refused(write_csv(tmp_path / "placements.csv", placements), "placements").problem
    assert p.rule == "a field longer than 1,048,576 characters" and p.rows == (3,)


def test_a_line_over_the_limit_is_refused_without_reading_it(tmp_path):
    data = b"placement_id,site\nPL1," + b"a," * (csv_file.MAX_LINE_BYTES // 2) + b"\n"
    p = _refused(_write(tmp_path, data, "placements.csv"), "placements").problem
    assert p.rule == "a line longer than 8,388,608 bytes (not a record of a table)" and p.rows == (2,)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")])
def test_another_delimiter_is_refused_with_a_hint(tmp_path, delimiter, name):
    text = csv_text(valid_tables()["costs"]).replace(",", delimiter)
    p = _refused(_write(tmp_path, text.encode())).problem
    assert p.rule == f"fields are separated by {name}, not commas" and p.rows == (1,)
    assert "European locale" in p.hint


def test_a_quote_that_never_closes_is_refused_at_its_row(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"Paint supplies", b'"Paint supplies'))).problem
    assert p.rule.startswith("a quoted field that starts on this row is never closed") and p.rows == (3,)


def test_text_after_a_closing_quote_is_refused(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"Paint supplies", b'"Paint" supplies'))).problem
    assert p.rule.startswith("a quote inside a field is not doubled") and p.rows == (3,)


def test_a_quote_inside_an_unquoted_field_is_located(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"Paint supplies", b'Paint 2" brushes'))).problem
    assert p.rule == "a quote inside a field that is not quoted" and p.rows == (3,)


def test_doubled_quotes_inside_a_quoted_field_are_fine(tmp_path):
    raw = read_raw(_write(tmp_path, costs_bytes().replace(b"Paint supplies", b'"Paint ""gloss"" 2"""')), "costs")
    assert raw.frame["item"][1] == 'Paint "gloss" 2"'


def test_a_title_line_above_a_csv_header_is_named(tmp_path):
    p = _refused(_write(tmp_path, b"Costs extract March 2024\n\n" + costs_bytes())).problem
    assert p.rule == "the header is not on row 1: row 3 holds the table's columns" and p.rows == (3,)
    assert "delete the rows above the header" in p.hint


# ---- header names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "label"), [
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\u00a0", "U+00A0 NO-BREAK SPACE"),
    ("\u00ad", "U+00AD SOFT HYPHEN"),
    ("\u200f", "U+200F RIGHT-TO-LEFT MARK"),
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2060", "U+2060 WORD JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u3164", "U+3164 HANGUL FILLER"),
])
def test_an_invisible_character_in_a_header_is_named(tmp_path, char, label):
    data = costs_bytes().replace(b"funder", f"fun{char}der".encode(), 1)
    p = _refused(_write(tmp_path, data)).problem
    assert p.rule == f"invisible character in the header: {label}"
    assert p.column == f"fun\\u{ord(char):04x}der" and "column 7" in p.hint


def test_a_header_with_a_cyrillic_letter_is_refused(tmp_path):
    p = _refused(_write(tmp_path, costs_bytes().replace(b"funder", "fundеr".encode(), 1))).problem
    assert p.rule == "the header mixes Latin with Cyrillic letters: U+0435 CYRILLIC SMALL LETTER IE"


def test_line_breaks_and_unicode_dashes_in_headers_normalise():
    assert normalise_header("Referral\nID") == "referral_id"
    assert normalise_header("Offence\u2013Date") == "offence_date"
    assert normalise_header("\ufeffReferral ID") == "referral_id"


def test_exact_duplicate_headers_are_refused_not_renamed(tmp_path):
    data = costs_bytes().replace(b"in_kind", b"funder", 1)
    p = _refused(_write(tmp_path, data)).problem
    assert (p.column, p.rule) == ("funder", "the same column appears more than once in the header")


def test_a_blank_header_over_data_is_refused_and_over_nothing_dropped(tmp_path):
    lines = csv_text(valid_tables()["costs"]).splitlines()
    with_data = "\n".join([lines[0] + ","] + [lines[1] + ",extra"] + [line + "," for line in lines[2:]]) + "\n"
    p = _refused(_write(tmp_path, with_data.encode())).problem
    assert p.rule == "column 8 holds data but has no name in the header" and p.values == ("extra",)
    trailing = "\n".join(line + ",," for line in lines) + "\n"  # Excel's empty columns after the last
    raw = read_raw(_write(tmp_path, trailing.encode()), "costs")
    assert raw.columns == tuple(valid_tables()["costs"])
    assert [n.rule for n in raw.notes] == ["empty columns without a name ignored: column 8, column 9"]


def test_a_blank_header_row_is_refused(tmp_path):
    p = _refused(_write(tmp_path, b",,\n1,2,3\n"), options=ReadOptions()).problem
    assert p.rule == "the header row (row 1) is blank"


# ---- workbooks ---------------------------------------------------------------------------------------

def test_formula_with_no_saved_result_is_refused_naming_the_cells(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs",
                          cells={("amount_gbp", 1): Formula("100*3.5"), ("amount_gbp", 2): Formula("B2*2")})
    p = _refused(path).problem
    assert p.rule == "formula with no saved result (sheet 'costs')" and p.column == "amount_gbp"
    assert (p.n_rows, p.rows, p.values) == (2, (3, 4), ("C3: =100*3.5", "C4: =B2*2"))


def test_formulas_of_a_workbook_never_calculated_are_refused(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", cells={("amount_gbp", 1): Formula("100*3", 0)},
                          recalc_on_load=True)
    p = _refused(path).problem
    assert p.rule.startswith("formula results never calculated (sheet 'costs'") and p.rows == (3,)


def test_formula_with_a_saved_result_reads_the_result_and_says_so(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", cells={("amount_gbp", 1): Formula("100*3.5", 350)})
    raw = read_raw(path, "costs", ReadOptions(required=REQUIRED["costs"]))
    assert raw.frame["amount_gbp"][1] == "350"
    (note,) = raw.notes
    assert (note.level, note.column, note.rows, note.values) == ("info", "amount_gbp", (3,), ("C3: =100*3.5",))
    assert note.rule == "formula cells read as the results saved in the workbook (sheet 'costs')"


def test_error_cells_are_refused_not_read_as_blank(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs",
                          cells={("amount_gbp", 0): Formula("1/0", "#DIV/0!"), ("funder", 2): Formula("NA()", "#N/A")})
    p = _refused(path).problem
    assert p.rule == "spreadsheet error value (sheet 'costs')" and p.column == "amount_gbp, funder"
    assert p.values == ("C2: #DIV/0!", "G4: #N/A")


def test_both_formula_problems_are_reported_together(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs",
                          cells={("amount_gbp", 0): Formula("1/0", "#DIV/0!"), ("amount_gbp", 1): Formula("2*2")})
    error = _refused(path)
    assert [p.rule.split(" (")[0] for p in error.problems] == ["formula with no saved result",
                                                                "spreadsheet error value"]


def test_a_title_row_above_the_header_is_found_and_named(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", above=[["Costs, March 2024"], []])
    p = _refused(path).problem
    assert p.rule == "the header is not on worksheet row 1 (sheet 'costs'): row 3 holds the table's columns"
    assert p.hint.startswith("set [data] header_row = { costs = 3 }")


def test_header_row_setting_gives_worksheet_row_numbers(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", above=[["Costs, March 2024"], []],
                          cells={("amount_gbp", 1): "lots"})
    raw = read_raw(path, "costs", ReadOptions(header_row=3, required=REQUIRED["costs"]))
    assert raw.frame[ROW].to_list() == [4, 5, 6]
    typed, problems = parse_column(raw.frame, load_schemas()["costs"].column("amount_gbp"), Where("costs", "c"))
    assert [p.rows for p in problems] == [(5,)]


def test_blank_rows_and_columns_before_the_table_keep_worksheet_numbers(tmp_path):
    rows = [list(valid_tables()["placements"])] + [["PL1", "Park", "E01000001", "litter_picking", "council", "4"]]
    path = write_workbook(tmp_path / "placements.xlsx", {"placements": rows}, top=3, left=2)
    raw = read_raw(path, "placements", ReadOptions(required=REQUIRED["placements"]))
    assert raw.frame[ROW].to_list() == [5] and raw.frame["site"].to_list() == ["Park"]


def test_a_header_row_beyond_the_table_is_refused(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs")
    p = _refused(path, options=ReadOptions(header_row=40)).problem
    assert p.rule == "worksheet row 40 (sheet 'costs') is blank: no header"


def test_the_sheet_named_like_the_table_is_read_and_said(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", sheet="Costs", other_sheets=("Notes",))
    raw = read_raw(path, "costs")
    assert raw.sheet == "Costs" and raw.frame.height == 3
    assert [(n.level, n.rule) for n in raw.notes] == [
        ("info", "read sheet 'Costs' (named like the table) of the workbook's 2 sheets: 'Notes', 'Costs'")]


def test_the_first_of_several_sheets_is_read_with_a_warning(tmp_path):
    path = write_workbook(tmp_path / "costs.xlsx", {"Data": [list(valid_tables()["costs"])], "Other": [["x"]]})
    raw = read_raw(path, "costs")
    (note,) = raw.notes
    assert note.level == "warning" and "[data] sheets = { costs = \"...\" }" in note.hint


def test_the_sheet_the_config_names_is_read(tmp_path):
    path = table_workbook(tmp_path / "costs.xlsx", "costs", sheet="Extract", other_sheets=("Notes",))
    raw = read_raw(path, "costs", ReadOptions(sheet="Extract"))
    assert raw.sheet == "Extract" and raw.frame.height == 3
    p = _refused(path, options=ReadOptions(sheet="Extrct")).problem
    assert p.rule == "the workbook has no sheet named 'Extrct'" and "'Notes', 'Extract'" in p.hint


def test_config_reading_settings_reach_validation(tmp_path):
    folder = write_folder(tmp_path, omit=("costs",))
    table_workbook(folder / "costs.xlsx", "costs", sheet="Extract", other_sheets=("Notes",),
                   above=[["Costs"], []])
    config = config_from_dict({"data": {"header_row": {"costs": 3}, "sheets": {"costs": "Extract"}}})
    report = validate_folder(folder, config)
    assert report.ok, report.render()
    assert report.tables["costs"].frame[ROW].to_list() == [4, 5, 6]
    assert "read sheet 'Extract' (named in [data] sheets)" in report.render()


# ---- parquet -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "kind"), [
    ([["a", "b"], ["c"]], "list(String)"), ([b"\x00\x01", b"x"], "Binary"), ([{"a": 1}, {"a": 2}], "Struct"),
])
def test_parquet_columns_a_cell_cannot_hold_are_refused(tmp_path, values, kind):
    path = tmp_path / "placements.parquet"
    pl.DataFrame({"placement_id": ["PL1", "PL2"], "site": values}).write_parquet(path)
    p = _refused(path, "placements").problem
    assert p.column == "site" and p.rule.startswith("column of a type a table cell cannot hold: site is ")
    assert kind.split("(")[0].lower() in p.rule.lower()


def test_a_parquet_cell_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "placements.parquet"
    pl.DataFrame({"placement_id": ["PL1", "PL2"], "site": ["ok", "x" * (csv_file.MAX_FIELD_CHARS + 1)]}).write_parquet(
        path)
    p = _refused(path, "placements").problem
    assert (p.column, p.rows) == ("site", (3,))


# ---- numbers -----------------------------------------------------------------------------------------

def _parse(cells: list[str | None], kind: str, **column) -> tuple[list, list]:
    raw = pl.DataFrame({"c": pl.Series(cells, dtype=pl.String)}).with_row_index(ROW, offset=2)
    typed, problems = parse_column(raw, Column("c", kind, **column), WHERE)
    return typed.to_list(), problems


@pytest.mark.parametrize(("kind", "text", "rule"), [
    ("number", "1e400", "number too large: beyond 9,007,199,254,740,992 (2^53), the largest held exactly"),
    ("number", "-1e400", "number too large: beyond 9,007,199,254,740,992 (2^53), the largest held exactly"),
    ("money", "1e308", "amount too large: beyond £90,071,992,547,409.92, the largest held exactly to the penny"),
    ("money", "£100,000,000,000,000", "amount too large: beyond £90,071,992,547,409.92"),
    ("integer", "99999999999999999999999", "whole number too large: beyond 9,007,199,254,740,992 (2^53)"),
    ("integer", "9007199254740993", "whole number too large: beyond 9,007,199,254,740,992 (2^53)"),
    ("number", "1e-400", "number too small to hold: it would be read as 0"),
])
def test_numbers_a_float_cannot_hold_are_refused_once(kind, text, rule):
    values, problems = _parse(["1", text], kind)
    assert values == [1, None] if kind == "integer" else values == [1.0, None]
    assert len(problems) == 1, [p.describe() for p in problems]
    assert problems[0].rule.startswith(rule) and problems[0].rows == (3,) and problems[0].values == (text,)


def test_the_largest_exact_numbers_and_zeros_are_accepted():
    assert _parse(["9007199254740992", "-9,007,199,254,740,992"], "integer") == ([2**53, -2**53], [])
    assert _parse(["0e5", "0.000", "-0", "1e-300"], "number") == ([0.0, 0.0, 0.0, 1e-300], [])
    assert _parse(["£90,071,992,547,409.92"], "money") == ([90071992547409.92], [])


def test_numeric_covariate_values_are_held_to_the_same_limits():
    raw = pl.DataFrame({"score": ["1.5", "1e400", None]}).with_row_index(ROW, offset=2)
    typed, problems = parse_covariate(raw, "score", WHERE)
    assert typed.to_list() == [1.5, None, None] and [p.rows for p in problems] == [(3,)]
    raw = pl.DataFrame({"band": ["low", "nan"]}).with_row_index(ROW, offset=2)
    assert parse_covariate(raw, "band", WHERE)[0].to_list() == ["low", "nan"]  # text, not NaN


def test_an_invisible_character_in_an_identifier_is_refused():
    values, problems = _parse(["R001", "R001\u200b", "R\u00a0002"], "string", unique=True)
    (p,) = problems
    assert p.rows == (3, 4) and p.values == ("R001\u200b", "R\u00a0002") and values == ["R001", None, None]
    assert _parse(["It was\u00a0fair"], "string") == (["It was\u00a0fair"], [])  # free text may


def test_text_decoded_twice_is_a_warning():
    _, problems = _parse(["Café", "CafÃ©", "Â£5 voucher"], "string")
    (p,) = problems
    assert p.level == "warning" and p.rows == (3, 4) and p.rule.startswith("text looks decoded twice")


def test_long_values_are_cut_in_problems():
    _, problems = _parse(["9" * 300], "integer")
    assert problems[0].values == ("9" * 59 + "…",)


# ---- config ------------------------------------------------------------------------------------------

def test_header_row_and_sheets_settings():
    data = config_from_dict({"data": {"header_row": 3}}).data
    assert data.header_row_of("costs") == 3 and data.sheet_of("costs") is None
    data = config_from_dict({"data": {"header_row": {"costs": 4}, "sheets": {"costs": "Extract"}}}).data
    assert (data.header_row_of("costs"), data.header_row_of("referrals"), data.sheet_of("costs")) == (4, 1, "Extract")
    assert EvaluationConfig(data=data).to_dict()["data"] | {} == {
        "extract_date": None, "period_start": None, "period_end": None, "date_order": "auto",
        "header_row": {"costs": 4}, "sheets": {"costs": "Extract"}}


@pytest.mark.parametrize(("data", "message"), [
    ({"header_row": 0}, "[data] header_row: expected a worksheet row number from 1 to 1,048,576, got 0"),
    ({"header_row": 2_000_000}, "[data] header_row: expected a worksheet row number"),
    ({"header_row": {"costz": 2}}, "[data] header_row: unknown table costz"),
    ({"header_row": {"costs": "2"}}, "[data] header_row.costs: expected a worksheet row number"),
    ({"sheets": {"costs": ""}}, "[data] sheets.costs: expected the name of a sheet"),
    ({"sheets": ["costs"]}, "[data] sheets: expected a table by table name"),
])
def test_bad_reading_settings_are_refused(data, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("^", r"\^")):
        config_from_dict({"data": data})



def test_pseudonymise_reads_workbooks_with_the_config_settings(tmp_path, monkeypatch):
    from ij_eval.pseudonymise import KEY_ENV, pseudonymise_folder

    monkeypatch.setenv(KEY_ENV, "k3y-for-tests-7a1f9c2e4b8d6053e1a2b3c4")
    raw = tmp_path / "raw"
    raw.mkdir()
    table_workbook(raw / "placements.xlsx", "placements", sheet="Extract", other_sheets=("Notes",),
                   above=[["Placements, March 2024"]])
    (raw / "evaluation.toml").write_text(
        '[data]\nheader_row = { placements = 2 }\nsheets = { placements = "Extract" }\n')
    pseudonymise_folder(raw, tmp_path / "clean")
    clean = pl.read_csv(tmp_path / "clean" / "placements.csv", infer_schema=False)
    assert clean["placement_id"].to_list() == ["PL1", "PL2"]
