"""Files that would be read silently wrong: each refused (or read and said) with its location, nothing written.

Numbers a float cannot hold, workbook formulas and error cells, title rows, header rows and sheets,
mixed and wide encodings, NUL bytes, bare carriage returns, quoting, delimiters, field and line
sizes, invisible characters in headers and identifiers, Parquet types, and the reading settings
of the config. Row numbers are what a person sees: CSV rows with the header as row 1, worksheet rows.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from builders import csv_text, edit, valid_tables
from reading_files import Formula, costs_bytes, table_workbook, write_workbook

from hostile_cases.harness import RUN, VALIDATE, Hostile, Workspace

NOTHING_WRITTEN = "nothing was written"
Arrange = Callable[[Workspace], None]


def _cells(table: str, column: str, index: int, value: str) -> Arrange:
    def arrange(ws: Workspace) -> None:
        tables = edit(valid_tables(), cells={(table, column, index): value})
        (ws.data / f"{table}.csv").write_text(csv_text(tables[table]), encoding="utf-8")
    return arrange


def _bytes(name: str, data: bytes) -> Arrange:
    def arrange(ws: Workspace) -> None:
        (ws.data / name).write_bytes(data)
    return arrange


def _header(table: str, old: str, new: str) -> Arrange:
    def arrange(ws: Workspace) -> None:
        text = csv_text(valid_tables()[table])
        header, rest = text.split("\n", 1)
        (ws.data / f"{table}.csv").write_text(header.replace(old, new, 1) + "\n" + rest, encoding="utf-8")
    return arrange


def _workbook(table: str, config: str = "", **options) -> Arrange:
    def arrange(ws: Workspace) -> None:
        (ws.data / f"{table}.csv").unlink()
        table_workbook(ws.data / f"{table}.xlsx", table, **options)
        if config:
            _data_setting(ws, config)
    return arrange


def _data_setting(ws: Workspace, keys: str) -> None:
    """Add settings to the config's ``[data]`` section (the last section of the workspace config)."""
    assert ws.config_text.rstrip().rsplit("\n[", 1)[-1].startswith("data]"), ws.config_text
    ws.add_config(keys)


def _config(keys: str) -> Arrange:
    def arrange(ws: Workspace) -> None:
        _data_setting(ws, keys)
    return arrange


def _covariate_overflow(ws: Workspace) -> None:
    tables = edit(valid_tables(), columns={("referrals", "score"): ["1", "1e400", "2", "3", "4"]})
    (ws.data / "referrals.csv").write_text(csv_text(tables["referrals"]), encoding="utf-8")
    ws.add_config('[reoffending]\ncovariates = ["age", "sex", "prior_offences", "score"]')


def _second_sheet_holds_the_table(ws: Workspace) -> None:
    (ws.data / "costs.csv").unlink()
    rows = [list(valid_tables()["costs"])] + [list(r) for r in zip(*valid_tables()["costs"].values(), strict=True)]
    write_workbook(ws.data / "costs.xlsx", {"Notes": [["Prepared by the finance team"]], "Data": rows})


def _blank_rows_above(ws: Workspace) -> None:
    (ws.data / "placements.csv").unlink()
    columns = edit(valid_tables(), cells={("placements", "hours_delivered", 1): "lots"})["placements"]
    rows = [list(columns)] + [list(r) for r in zip(*columns.values(), strict=True)]
    write_workbook(ws.data / "placements.xlsx", {"placements": rows}, top=2, left=1)


def _long_site(chars: int, line_break: bool = False) -> Arrange:
    def arrange(ws: Workspace) -> None:
        tables = valid_tables()
        unit = "Park\n" if line_break else "Park "
        tables["placements"]["site"][1] = unit * (chars // len(unit))
        (ws.data / "placements.csv").write_text(csv_text(tables["placements"]), encoding="utf-8")
    return arrange


def _parquet(values: list) -> Arrange:
    def arrange(ws: Workspace) -> None:
        (ws.data / "placements.csv").unlink()
        frame = pl.DataFrame({k: v for k, v in valid_tables()["placements"].items()}).with_columns(
            pl.Series("site", values))
        frame.write_parquet(ws.data / "placements.parquet")
    return arrange


def _costs_lines(transform: Callable[[list[str]], list[str]]) -> Arrange:
    def arrange(ws: Workspace) -> None:
        lines = csv_text(valid_tables()["costs"]).splitlines()
        (ws.data / "costs.csv").write_text("\n".join(transform(lines)) + "\n", encoding="utf-8")
    return arrange


_MIXED = costs_bytes().replace(b"Police", b"Pol\xe9ice")
_PLACEMENTS_MIXED = csv_text(valid_tables()["placements"]).replace("Park litter pick", "Caf\u00e9 garden").encode(
).replace(b"Underpass", b"Underp\xe2ss")
_UTF16_BE = csv_text(valid_tables()["placements"]).encode("utf-16-be")
_BARE_CR = csv_text(valid_tables()["placements"]).replace("Underpass graffiti", '"Underpass\rgraffiti"').encode()
TOO_LARGE = "number too large: beyond 9,007,199,254,740,992 (2^53), the largest held exactly"

CASES = [
    # ---- numbers a float cannot hold
    Hostile("read_float_overflow_1e400_run", "reading", _cells("placements", "hours_delivered", 1, "1e400"), (RUN,), 1,
            says=(f"placements.csv, column 'hours_delivered': {TOO_LARGE}", "first at row 3", "'1e400'",
                  NOTHING_WRITTEN), prior_store=True),
    Hostile("read_float_overflow_1e400_validate", "reading", _cells("referrals", "hours_required", 0, "1e400"),
            (VALIDATE,), 1, says=(f"referrals.csv, column 'hours_required': {TOO_LARGE}", "first at row 2")),
    Hostile("read_money_1e308", "reading", _cells("costs", "amount_gbp", 2, "1e308"), (RUN,), 1,
            says=("costs.csv, column 'amount_gbp': amount too large: beyond £90,071,992,547,409.92, the largest "
                  "held exactly to the penny", "first at row 4", "'1e308'", NOTHING_WRITTEN)),
    Hostile("read_integer_overflows_int64", "reading", _cells("asb_counts", "count", 4, "99999999999999999999999"),
            (VALIDATE,), 1, says=("asb_counts.csv, column 'count': whole number too large: beyond "
                                  "9,007,199,254,740,992 (2^53)", "first at row 6", "'99999999999999999999999'")),
    Hostile("read_integer_above_2_53", "reading", _cells("areas", "population", 0, "9007199254740993"), (RUN,), 1,
            says=("areas.csv, column 'population': whole number too large", "first at row 2", NOTHING_WRITTEN)),
    Hostile("read_number_underflow", "reading", _cells("placements", "hours_delivered", 0, "1e-400"), (VALIDATE,), 1,
            says=("placements.csv, column 'hours_delivered': number too small to hold: it would be read as 0",
                  "first at row 2")),
    Hostile("read_covariate_overflow", "reading", _covariate_overflow, (VALIDATE,), 1,
            says=(f"referrals.csv, column 'score': {TOO_LARGE}", "first at row 3")),
    # ---- workbooks: formulas, error cells, header row, sheet
    Hostile("read_xlsx_formula_no_cached_value", "reading",
            _workbook("costs", cells={("amount_gbp", 1): Formula("100*3.5")}), (VALIDATE,), 1,
            says=("costs.xlsx, column 'amount_gbp': formula with no saved result (sheet 'costs')", "first at row 3",
                  "'C3: =100*3.5'", "paste them as values")),
    Hostile("read_xlsx_formula_never_calculated", "reading",
            _workbook("costs", cells={("amount_gbp", 2): Formula("40*100", 0)}, recalc_on_load=True), (RUN,), 1,
            says=("costs.xlsx, column 'amount_gbp': formula results never calculated (sheet 'costs'",
                  "first at row 4", "'C4: =40*100'", NOTHING_WRITTEN), prior_store=True),
    Hostile("read_xlsx_error_value", "reading",
            _workbook("costs", cells={("amount_gbp", 0): Formula("1/0", "#DIV/0!")}), (VALIDATE,), 1,
            says=("costs.xlsx, column 'amount_gbp': spreadsheet error value (sheet 'costs')", "first at row 2",
                  "'C2: #DIV/0!'")),
    Hostile("read_xlsx_formula_with_saved_result_is_read_and_said", "reading",
            _workbook("costs", cells={("amount_gbp", 1): Formula("100*3.5", 350)}), (VALIDATE,), 0,
            says=("INFO: costs.xlsx, column 'amount_gbp': formula cells read as the results saved in the workbook "
                  "(sheet 'costs')", "first at row 3", "0 errors")),
    Hostile("read_xlsx_title_row_above_header", "reading", _workbook("costs", above=[["Costs, March 2024"], []]),
            (VALIDATE,), 1,
            says=("costs.xlsx: the header is not on worksheet row 1 (sheet 'costs'): row 3 holds the table's columns",
                  "set [data] header_row = { costs = 3 }")),
    Hostile("read_xlsx_header_row_setting_gives_worksheet_rows", "reading",
            _workbook("costs", "header_row = { costs = 3 }", above=[["Costs, March 2024"], []],
                      cells={("amount_gbp", 1): "lots"}), (RUN,), 1,
            says=("costs.xlsx, column 'amount_gbp': not an amount of money", "first at row 5", "'lots'",
                  NOTHING_WRITTEN)),
    Hostile("read_xlsx_blank_rows_above_keep_worksheet_rows", "reading", _blank_rows_above, (VALIDATE,), 1,
            says=("placements.xlsx, column 'hours_delivered': not a number", "first at row 5", "'lots'")),
    Hostile("read_xlsx_sheet_named_in_config_is_missing", "reading",
            _workbook("costs", 'sheets = { costs = "Extract" }', sheet="Data"), (VALIDATE,), 1,
            says=("costs.xlsx: the workbook has no sheet named 'Extract'", "its sheets are 'Data'")),
    Hostile("read_xlsx_first_of_several_sheets_is_said", "reading", _second_sheet_holds_the_table, (VALIDATE,), 1,
            says=("WARNING: costs.xlsx: read sheet 'Notes' (the first) of the workbook's 2 sheets: 'Notes', 'Data'",
                  "[data] sheets = { costs = \"...\" }")),
    Hostile("read_xlsx_sheet_from_config", "reading",
            _workbook("costs", 'sheets = { costs = "Data" }', sheet="Data", other_sheets=("Notes",)),
            (VALIDATE,), 0, says=("INFO: costs.xlsx: read sheet 'Data' (named in [data] sheets)", "0 errors")),
    # ---- encodings
    Hostile("read_mixed_encoding_validate", "reading", _bytes("costs.csv", _MIXED), (VALIDATE,), 1,
            says=("costs.csv: mixed encodings: the file is UTF-8 text but has bytes that are not UTF-8",
                  "first at row 4", "Pol\\\\xe9ice")),
    Hostile("read_mixed_encoding_run", "reading", _bytes("placements.csv", _PLACEMENTS_MIXED), (RUN,), 1,
            says=("placements.csv: mixed encodings", "first at row 3", NOTHING_WRITTEN), prior_store=True,
            ),
    Hostile("read_utf16_with_bom", "reading", _bytes("costs.csv", costs_bytes("utf-16")), (VALIDATE,), 1,
            says=("costs.csv: file is UTF-16 LE text (Unicode text), not UTF-8", "CSV UTF-8 (Comma delimited)")),
    Hostile("read_utf16_big_endian_without_bom", "reading", _bytes("placements.csv", _UTF16_BE), (RUN,), 1,
            says=("placements.csv: file is UTF-16 BE text", NOTHING_WRITTEN)),
    Hostile("read_nul_byte", "reading", _bytes("costs.csv", costs_bytes().replace(b"Paint", b"Pa\x00int")),
            (VALIDATE,), 1, says=("costs.csv: file holds a NUL byte", "first at row 3")),
    # ---- line endings, quoting, delimiters, sizes
    Hostile("read_old_mac_line_endings", "reading", _bytes("costs.csv", costs_bytes().replace(b"\n", b"\r")),
            (VALIDATE,), 1, says=("costs.csv: lines end in a bare carriage return (old Mac line endings)",
                                  "first at row 1")),
    Hostile("read_bare_carriage_return_in_a_cell", "reading", _bytes("placements.csv", _BARE_CR), (RUN,), 1,
            says=("placements.csv: a carriage return without a line feed", "first at row 3", NOTHING_WRITTEN)),
    Hostile("read_semicolon_separated", "reading",
            _bytes("costs.csv", csv_text(valid_tables()["costs"]).replace(",", ";").encode()), (VALIDATE,), 1,
            says=("costs.csv: fields are separated by semicolons, not commas", "first at row 1", "European locale")),
    Hostile("read_tab_separated", "reading",
            _bytes("placements.csv", csv_text(valid_tables()["placements"]).replace(",", "\t").encode()), (RUN,), 1,
            says=("placements.csv: fields are separated by tabs, not commas", NOTHING_WRITTEN)),
    Hostile("read_quote_never_closed", "reading",
            _bytes("costs.csv", costs_bytes().replace(b"Paint supplies", b'"Paint supplies')), (VALIDATE,), 1,
            says=("costs.csv: a quoted field that starts on this row is never closed", "first at row 3")),
    Hostile("read_quote_in_unquoted_field", "reading",
            _bytes("costs.csv", costs_bytes().replace(b"Paint supplies", b'Paint 2" brushes')), (RUN,), 1,
            says=("costs.csv: a quote inside a field that is not quoted", "first at row 3", NOTHING_WRITTEN)),
    Hostile("read_text_after_closing_quote", "reading",
            _bytes("costs.csv", costs_bytes().replace(b"Paint supplies", b'"Paint" supplies')), (VALIDATE,), 1,
            says=("costs.csv: a quote inside a field is not doubled", "first at row 3")),
    Hostile("read_text_field_over_128_kib_is_read", "reading", _long_site(200_000), (VALIDATE,), 0,
            says=("placements.csv: 2 rows", "0 errors")),
    Hostile("read_field_over_the_limit", "reading", _long_site(1_100_000, line_break=True), (RUN,), 1,
            says=("placements.csv: a field longer than 1,048,576 characters", "first at row 3", NOTHING_WRITTEN)),
    Hostile("read_line_over_the_limit", "reading", _long_site(9_000_000), (VALIDATE,), 1,
            says=("placements.csv: a line longer than 8,388,608 bytes", "first at row 3")),
    Hostile("read_title_line_above_csv_header", "reading",
            _bytes("costs.csv", b"Costs extract, March 2024\n" + costs_bytes()), (VALIDATE,), 1,
            says=("costs.csv: the header is not on row 1: row 2 holds the table's columns",
                  "delete the rows above the header")),
    # ---- header names
    Hostile("read_zero_width_space_in_header", "reading", _header("referrals", "referral_id", "referral_id\u200b"),
            (VALIDATE,), 1, says=("referrals.csv, column 'referral_id\\u200b': invisible character in the header: "
                                  "U+200B ZERO WIDTH SPACE", "column 1")),
    Hostile("read_non_breaking_space_in_header", "reading", _header("referrals", "person_id", "Person\u00a0ID"),
            (RUN,), 1, says=("referrals.csv, column 'Person\\u00a0ID': invisible character in the header: "
                             "U+00A0 NO-BREAK SPACE", NOTHING_WRITTEN)),
    Hostile("read_soft_hyphen_in_header", "reading", _header("costs", "amount_gbp", "amount\u00ad_gbp"), (VALIDATE,),
            1, says=("costs.csv, column 'amount\\u00ad_gbp': invisible character in the header: U+00AD SOFT HYPHEN",)),
    Hostile("read_directional_mark_in_header", "reading", _header("costs", "funder", "\u200ffunder"), (VALIDATE,), 1,
            says=("column '\\u200ffunder': invisible character in the header: U+200F RIGHT-TO-LEFT MARK", "column 7")),
    Hostile("read_bom_inside_header", "reading", _header("offences", "person_id", "person\ufeff_id"), (VALIDATE,), 1,
            says=("offences.csv, column 'person\\ufeff_id': invisible character in the header: "
                  "U+FEFF ZERO WIDTH NO-BREAK SPACE",)),
    Hostile("read_cyrillic_letter_in_header", "reading", _header("costs", "category", "c\u0430tegory"), (VALIDATE,),
            1, says=("costs.csv, column 'cаtegory': the header mixes Latin with Cyrillic letters: "
                     "U+0430 CYRILLIC SMALL LETTER A",)),
    Hostile("read_exact_duplicate_header", "reading", _header("costs", "in_kind", "funder"), (VALIDATE,), 1,
            says=("costs.csv, column 'funder': the same column appears more than once in the header",)),
    Hostile("read_blank_header_over_data", "reading",
            _costs_lines(lambda lines: [lines[0] + ","] + [line + ",kept" for line in lines[1:]]), (VALIDATE,), 1,
            says=("costs.csv: column 8 holds data but has no name in the header",)),
    Hostile("read_blank_header_row", "reading", _costs_lines(lambda lines: [",,,,,,"] + lines[1:]), (VALIDATE,), 1,
            says=("costs.csv: the header row (row 1) is blank",)),
    # ---- values
    Hostile("read_invisible_character_in_an_identifier", "reading",
            _cells("placements", "placement_id", 1, "PL2\u200b"), (VALIDATE,), 1,
            says=("placements.csv, column 'placement_id': identifier holds an invisible character", "first at row 3",
                  "'PL2\\u200b'")),
    Hostile("read_text_decoded_twice_warns", "reading", _cells("placements", "site", 0, "CafÃ© garden"), (VALIDATE,), 0,
            says=("WARNING: placements.csv, column 'site': text looks decoded twice", "first at row 2")),
    # ---- parquet
    Hostile("read_parquet_list_column", "reading", _parquet([["Park", "litter"], ["Underpass"]]), (VALIDATE,), 1,
            says=("placements.parquet, column 'site': column of a type a table cell cannot hold: site is List",)),
    Hostile("read_parquet_binary_column", "reading", _parquet([b"\x00\x01", b"\xff"]), (RUN,), 1,
            says=("placements.parquet, column 'site': column of a type a table cell cannot hold: site is Binary",
                  NOTHING_WRITTEN)),
    # ---- reading settings
    Hostile("read_config_header_row_zero", "reading", _config("header_row = 0"), (VALIDATE,), 2,
            says=("[data] header_row: expected a worksheet row number from 1 to 1,048,576, got 0",
                  "evaluation.toml")),
    Hostile("read_config_sheets_unknown_table", "reading", _config('sheets = { referals = "Data" }'),
            (RUN,), 2, says=("[data] sheets: unknown table referals", "evaluation.toml")),
]
