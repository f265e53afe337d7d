"""Bad input gives one exact, located, clear problem: level, file, column, rule, rows and values.

Each case changes one thing in the valid folder of ``builders.write_folder`` and states the single
problem ``validate_folder`` must report for it (and that nothing else is reported, apart from
problems the case lists as consequences). Row numbers are file rows: data row ``i`` of a table is
file row ``i + 2`` (the header is row 1).

The last group, "regressions", pins down bugs found and fixed while the suite was written; each
docstring says what used to go wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
from builders import MINIMAL_CONFIG, csv_text, valid_tables, write_folder, write_xlsx

from ij_eval.cli import main
from ij_eval.config import EvaluationConfig, config_from_dict
from ij_eval.errors import EnvironmentProblem, Problem
from ij_eval.validation import validate_folder

DEFAULT = EvaluationConfig()


@dataclass(frozen=True)
class Expect:
    """The problem a case must produce. ``None`` for n_rows/rows/values means "not checked"."""

    level: str
    file: str
    column: str
    rule: str  # the rule text, or a stable fragment of it
    n_rows: int | None = 0
    rows: tuple[int, ...] | None = ()
    values: tuple[str, ...] | None = None

    def matches(self, p: Problem) -> bool:
        return p.level == self.level and p.file == self.file and p.column == self.column and self.rule in p.rule


@dataclass(frozen=True)
class Also:
    """A further problem that is a legitimate consequence of the case (level, file, rule fragment)."""

    level: str
    file: str
    rule: str

    def matches(self, p: Problem) -> bool:
        return p.level == self.level and p.file == self.file and self.rule in p.rule


@dataclass(frozen=True)
class Case:
    id: str
    expect: Expect
    cells: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    omit: tuple[str, ...] = ()
    config: dict | None = None
    formats: dict = field(default_factory=dict)
    encodings: dict = field(default_factory=dict)
    after: Callable[[Path], None] | None = None  # writes over files of the built folder
    also: tuple[Also, ...] = ()


def build(tmp_path: Path, case: Case) -> tuple[Path, EvaluationConfig]:
    folder = write_folder(tmp_path, cells=case.cells, columns=case.columns, omit=case.omit,
                          formats=case.formats, encodings=case.encodings)
    if case.after:
        case.after(folder)
    config = config_from_dict(case.config) if case.config is not None else DEFAULT
    return folder, config


def check(report, expect: Expect, also: tuple[Also, ...] = ()) -> Problem:
    """The one problem matching ``expect``, checked in full; no other error or warning is allowed."""
    found = [p for p in report.problems if expect.matches(p)]
    assert len(found) == 1, f"expected one problem like {expect}, got:\n{report.render()}"
    p = found[0]
    if expect.n_rows is not None:
        assert p.n_rows == expect.n_rows, p.describe()
    if expect.rows is not None:
        assert p.rows == expect.rows, p.describe()
    if expect.values is not None:
        assert p.values == expect.values, p.describe()
    others = [q for q in report.problems
              if q is not p and q.level in ("error", "warning") and not any(a.matches(q) for a in also)]
    assert others == [], "unexpected further problems:\n" + "\n".join(q.describe() for q in others)
    # the one-line description a person reads names the file, column and rule
    text = p.describe()
    assert p.file in text and p.rule in text and (p.column == "" or f"column '{p.column}'" in text)
    return p


def one_error(report) -> Problem:
    assert len(report.errors) == 1, report.render()
    return report.errors[0]


# ---- helpers that write over one file of a valid folder -----------------------------------------

def _write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / name).write_bytes(data)
    return write


def _costs_csv() -> str:
    return csv_text(valid_tables()["costs"])


def _append_field_to_line(name: str, table: str, line: int, extra: str) -> Callable[[Path], None]:
    """Add a field to file line ``line`` (1-based, header = 1): a ragged row."""
    def write(folder: Path) -> None:
        lines = csv_text(valid_tables()[table]).splitlines()
        lines[line - 1] += extra
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write


def _second_file(table: str, suffix: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        write_xlsx(folder / f"{table}{suffix}", valid_tables()[table], table)
    return write


def _xlsx_with_serial(folder: Path) -> None:
    (folder / "referrals.csv").unlink()
    write_xlsx(folder / "referrals.xlsx", valid_tables()["referrals"], "referrals",
               raw_cells={("referral_date", 0): 45366})


def _xlsx_with_text_age(folder: Path) -> None:
    (folder / "referrals.csv").unlink()
    tables = valid_tables()
    tables["referrals"]["age"][3] = "twenty"
    write_xlsx(folder / "referrals.xlsx", tables["referrals"], "referrals", typed=False)


NO_REFERRALS = (Also("warning", "offences.csv", "no referrals table supplied"),
                Also("warning", "participant_survey.csv", "no referrals table supplied"),
                Also("warning", "victim_survey.csv", "no referrals table supplied"))

R = "referrals.csv"
S = "participant_survey.csv"

CASES = [
    # ---- columns and headers
    Case("missing_required_column", Expect("error", "costs.csv", "amount_gbp", "required column missing"),
         columns={("costs", "amount_gbp"): None}),
    Case("duplicate_column_in_header",
         Expect("error", "costs.csv", "funder", "the same column appears more than once in the header"),
         cells={("costs", "Funder", 0): "PCC"}),
    Case("direct_identifier_columns",
         Expect("error", R, "name, date_of_birth, postcode", "direct identifier columns present"),
         cells={("referrals", "Name", 0): "Jo Bloggs", ("referrals", "Date of Birth", 0): "01/02/2005",
                ("referrals", "Postcode", 0): "AB1 2CD"}),
    Case("direct_identifier_headers_with_punctuation",
         Expect("error", R, "d.o.b., phone_no.", "direct identifier columns present"),
         cells={("referrals", "D.O.B.", 0): "01/02/2003", ("referrals", "Phone No.", 0): "07700 900123"}),
    Case("undeclared_extra_column_is_refused",
         Expect("error", R, "school", "columns not in the schema and not declared as covariates"),
         cells={("referrals", "school", 0): "Hill High"}),
    Case("extra_column_in_other_table_is_refused",
         Expect("error", "placements.csv", "notes", "columns not in the schema"),
         cells={("placements", "notes", 1): "ok"}),
    Case("identifier_headers_by_their_words",
         Expect("error", R, "home_postcode, contact_email, dob_(dd/mm/yyyy), suspect_name, current_address, "
                           "phone_2, cro_number", "direct identifier columns present"),
         cells={("referrals", "Home Postcode", 0): "DE1 1AA", ("referrals", "Contact Email", 0): "a@b.org",
                ("referrals", "DOB (dd/mm/yyyy)", 0): "01/02/2005", ("referrals", "Suspect Name", 0): "Jo Bloggs",
                ("referrals", "Current Address", 0): "1 High St", ("referrals", "Phone 2", 0): "07700 900123",
                ("referrals", "CRO number", 0): "123456/89X"}),
    Case("declared_covariate_that_is_an_identifier_is_refused",
         Expect("error", R, "postcode", "direct identifier columns present"),
         cells={("referrals", "postcode", 0): "DE1 1AA"},
         config={"reoffending": {"covariates": ["age", "sex", "prior_offences", "postcode"]}}),
    # ---- identifiers in values
    Case("email_as_person_id",
         Expect("error", R, "person_id", "values look like an email address: person_id must be the keyed pseudonym",
                1, (3,), ()),
         cells={("referrals", "person_id", 1): "kyle.smith@example.org",
                ("offences", "person_id", 1): "kyle.smith@example.org"},
         also=(Also("error", "offences.csv", "values look like an email address"),)),
    Case("pnc_id_as_person_id",
         Expect("error", "offences.csv", "person_id", "values look like a PNC id", 1, (2,), ()),
         cells={("referrals", "person_id", 0): "12/345678A", ("offences", "person_id", 0): "12/345678A"},
         also=(Also("error", R, "values look like a PNC id"),)),
    Case("name_as_person_id",
         Expect("error", R, "person_id", "person ids look like a person's name", 1, (4,), ()),
         cells={("referrals", "person_id", 2): "John Smith"}),
    Case("phone_number_in_placement_site",
         Expect("error", "placements.csv", "site", "values look like a UK phone number: this text can be published",
                1, (3,), ()),
         cells={("placements", "site", 1): "Garden, ring 07700 900123"}),
    Case("spelled_out_email_in_funder",
         Expect("error", "costs.csv", "funder", "values look like an email address written out in words", 1, (4,),
                ()),
         cells={("costs", "funder", 2): "jane dot doe at gmail dot com"}),
    Case("postcode_in_area_name",
         Expect("error", "areas.csv", "name", "values look like a UK postcode", 1, (3,), ()),
         cells={("areas", "name", 1): "Around DE22 3AB"}),
    Case("ni_number_in_referral_id",
         Expect("error", R, "referral_id", "values look like a National Insurance number", 1, (2,), ()),
         cells={("referrals", "referral_id", 0): "QQ123456C", ("participant_survey", "referral_id", 0): "QQ123456C",
                ("victim_survey", "referral_id", 0): "QQ123456C"},
         also=(Also("error", S, "values look like a National Insurance number"),
               Also("error", "victim_survey.csv", "values look like a National Insurance number"))),
    Case("phone_number_in_a_comment_is_a_warning",
         Expect("warning", S, "comment", "comments hold a UK phone number", 1, (2,), ()),
         cells={("participant_survey", "comment", 0): "Call me on 07700 900123"}),
    Case("email_in_a_text_covariate",
         Expect("error", R, "employment", "values look like an email address", 1, (2,), ()),
         cells={("referrals", "employment", 0): "works for boss@example.com"},
         config={"reoffending": {"covariates": ["age", "sex", "prior_offences", "employment"]}}),
    Case("declared_covariate_missing",
         Expect("error", R, "employment", "covariate declared in the config is not a column of this table"),
         config={"reoffending": {"covariates": ["age", "sex", "prior_offences", "employment"]}}),
    # ---- types
    Case("text_in_integer_column", Expect("error", R, "age", "not a whole number", 1, (4,), ("thirty",)),
         cells={("referrals", "age", 2): "thirty"}),
    Case("decimal_in_integer_column", Expect("error", "asb_counts.csv", "count", "not a whole number", 1, (5,),
                                             ("12.5",)),
         cells={("asb_counts", "count", 3): "12.5"}),
    Case("text_in_number_column", Expect("error", "placements.csv", "hours_delivered", "not a number", 1, (3,),
                                         ("lots",)),
         cells={("placements", "hours_delivered", 1): "lots"}),
    Case("text_in_money_column", Expect("error", "costs.csv", "amount_gbp", "not an amount of money", 1, (3,),
                                        ("about 300",)),
         cells={("costs", "amount_gbp", 1): "about 300"}),
    Case("unparsable_boolean", Expect("error", "offences.csv", "proven", "not true or false", 1, (2,), ("maybe",)),
         cells={("offences", "proven", 0): "maybe"}),
    Case("unknown_category_value", Expect("error", R, "sex", "value not in the allowed list", 1, (2,), ("M",)),
         cells={("referrals", "sex", 0): "M"}),
    Case("ordinal_out_of_range", Expect("error", S, "understand_asb", "not one of the 5 answer levels", 1, (3,),
                                        ("6",)),
         cells={("participant_survey", "understand_asb", 1): "6"}),
    Case("ordinal_unknown_label", Expect("error", "victim_survey.csv", "satisfied", "not one of the 5 answer levels",
                                         1, (2,), ("happy",)),
         cells={("victim_survey", "satisfied", 0): "happy"}),
    Case("month_not_a_month", Expect("error", "asb_counts.csv", "period", "not a month", 1, (2,), ("Jan 2024",)),
         cells={("asb_counts", "period", 0): "Jan 2024"}),
    # ---- dates
    Case("impossible_date", Expect("error", R, "referral_date", "not a valid date", 1, (3,), ("31/02/2024",)),
         cells={("referrals", "referral_date", 1): "31/02/2024"}),
    Case("impossible_datetime", Expect("error", R, "first_contact_at", "not a valid date and time", 1, (2,),
                                       ("2024-03-16 25:00",)),
         cells={("referrals", "first_contact_at", 0): "2024-03-16 25:00"}),
    Case("ambiguous_day_first_dates",
         Expect("error", S, "survey_date", "ambiguous dates", 3, (2, 3, 4), ("05/04/2024", "10/04/2024", "11/04/2024")),
         columns={("participant_survey", "survey_date"): ["05/04/2024", "10/04/2024", "11/04/2024"]}),
    Case("us_month_first_dates",
         Expect("error", S, "survey_date", "month-first (US mm/dd/yyyy)", 3, (2, 3, 4),
                ("04/15/2024", "04/20/2024", "04/21/2024")),
         columns={("participant_survey", "survey_date"): ["04/15/2024", "04/20/2024", "04/21/2024"]}),
    Case("us_month_first_dates_even_with_day_first_config",
         Expect("error", S, "survey_date", "month-first (US mm/dd/yyyy)", 3, (2, 3, 4)),
         columns={("participant_survey", "survey_date"): ["04/15/2024", "04/20/2024", "04/21/2024"]},
         config={"data": {"date_order": "day-first"}}),
    Case("mixed_day_and_month_first_dates",
         Expect("error", S, "survey_date", "mixes day-first (dd/mm/yyyy) and month-first", 2, (2, 3),
                ("15/04/2024", "04/20/2024")),
         columns={("participant_survey", "survey_date"): ["15/04/2024", "04/20/2024", "2024-04-16"]}),
    Case("two_digit_year", Expect("error", S, "survey_date", "two-digit year", 1, (2,), ("27/03/24",)),
         cells={("participant_survey", "survey_date", 0): "27/03/24"}),
    Case("excel_serial_date_in_csv",
         Expect("error", R, "referral_date", "looks like Excel serial day numbers", 1, (2,), ("45366",)),
         cells={("referrals", "referral_date", 0): "45366"}),
    Case("excel_serial_date_in_xlsx_numeric_cell",
         Expect("error", "referrals.xlsx", "referral_date", "looks like Excel serial day numbers", 1, (2,),
                ("45366",)),
         after=_xlsx_with_serial),
    Case("date_after_extract_date",
         Expect("warning", "offences.csv", "offence_date", "date after the data extract date (2024-12-31)", 1, (4,),
                ("2025-02-01",)),
         cells={("offences", "offence_date", 2): "2025-02-01"}, config={"data": {"extract_date": "2024-12-31"}}),
    Case("implausibly_early_date",  # P005 (O004) made 70, so that 1985 is not before their 10th birthday too
         Expect("warning", "offences.csv", "offence_date", "implausibly early date (before 1990)", 1, (5,),
                ("1985-06-10",)),
         cells={("offences", "offence_date", 3): "1985-06-10", ("referrals", "age", 4): "70"}),
    # ---- values and rules
    Case("required_value_missing", Expect("error", R, "age", "required value missing", 1, (3,)),
         cells={("referrals", "age", 1): None}),
    Case("status_missing_for_ij_referral",
         Expect("error", R, "status", "required where cohort is 'ij'", 1, (4,)),
         cells={("referrals", "status", 2): None}),
    Case("negative_hours", Expect("error", R, "hours_completed", "below the minimum of 0", 1, (4,)),
         cells={("referrals", "hours_completed", 2): "-1"}),
    Case("negative_count", Expect("error", "asb_counts.csv", "count", "below the minimum of 0", 1, (3,), ("-4",)),
         cells={("asb_counts", "count", 1): "-4"}),
    Case("outcome_code_not_a_home_office_code",
         Expect("error", R, "outcome_code", "does not match the expected format (e.g. 8)", 1, (2,), ("23",)),
         cells={("referrals", "outcome_code", 0): "23"}),
    Case("age_95_is_a_warning",
         Expect("warning", R, "age", "implausible value: above the usual maximum of 90", 1, (5,), ("95",)),
         cells={("referrals", "age", 3): "95"}),
    Case("age_200_is_an_error_not_also_a_warning", Expect("error", R, "age", "above the maximum of 110", 1, (5,),
                                                          ("200",)),
         cells={("referrals", "age", 3): "200"}),
    Case("hours_completed_above_required_is_a_warning",
         Expect("warning", R, "hours_completed, hours_required", "more hours completed than required", 1, (3,),
                ("9.0 vs 8.0",)),
         cells={("referrals", "hours_completed", 1): "9"}),
    Case("referral_before_offence",
         Expect("error", R, "referral_date, offence_date", "referral date is before the offence date", 1, (2,),
                ("2024-03-10 vs 2024-03-14",)),
         cells={("referrals", "referral_date", 0): "2024-03-10", ("referrals", "first_contact_at", 0): "2024-03-10",
                ("referrals", "work_start_date", 0): "2024-03-20"}),
    Case("first_contact_before_referral",
         Expect("error", R, "first_contact_at, referral_date", "first contact is before the referral date", 1, (3,),
                ("2024-04-01 vs 2024-04-02",)),
         cells={("referrals", "first_contact_at", 1): "2024-04-01 08:00"}),
    Case("disposal_before_offence",
         Expect("error", "offences.csv", "disposal_date, offence_date", "disposal date is before the offence date",
                1, (3,), ("2024-06-01 vs 2024-06-10",)),
         cells={("offences", "disposal_date", 1): "2024-06-01"}),
    Case("cost_period_ends_before_it_starts",
         Expect("error", "costs.csv", "period_end, period_start", "cost period ends before it starts", 1, (4,)),
         cells={("costs", "period_end", 2): "2023-12-31"}),
    Case("duplicate_referral_id",
         Expect("error", R, "referral_id", "duplicate value (must be unique)", 2, (2, 5), ("R001", "R001")),
         cells={("referrals", "referral_id", 3): "R001"}),
    Case("duplicate_composite_key_in_asb_counts",
         Expect("error", "asb_counts.csv", "area_id + period", "duplicate key (each combination must appear once)",
                2, (2, 3), ("H1 / 2024-01-01", "H1 / 2024-01-01")),
         cells={("asb_counts", "period", 1): "2024-01"},
         also=(Also("warning", "asb_counts.csv", "(H1: 2024-02)"),)),  # H1's February is gone
    Case("bad_lsoa_code_in_list",
         Expect("error", "areas.csv", "lsoa_codes", "item does not match the expected format", 1, (3,),
                ("E0100003",)),
         cells={("areas", "lsoa_codes", 1): "E0100003"}),
    Case("bad_lsoa_code_in_text_column",
         Expect("error", "placements.csv", "area_code", "does not match the expected format (e.g.", 1, (2,),
                ("SW1A 1AA",)),
         cells={("placements", "area_code", 0): "SW1A 1AA"}),
    Case("lsoa_code_in_two_areas",
         Expect("error", "areas.csv", "lsoa_codes", "LSOA code listed in more than one area", 2, (2, 4),
                ("H1: E01000001", "C1: E01000001")),
         cells={("areas", "lsoa_codes", 2): "E01000001"},
         also=(Also("warning", "placements.csv", "placement in a comparison area"),)),  # PL1 is in E01000001
    Case("buffer_without_parent_hotspot",
         Expect("error", "areas.csv", "parent_hotspot", "required where role is 'buffer'", 1, (3,)),
         cells={("areas", "parent_hotspot", 1): None}),
    # ---- cross-table references
    Case("orphan_person_id_in_offences",
         Expect("error", "offences.csv", "person_id", "not found in referrals.person_id", 1, (4,), ("P999",)),
         cells={("offences", "person_id", 2): "P999"}),
    Case("orphan_referral_id_in_victim_survey",
         Expect("error", "victim_survey.csv", "referral_id", "not found in referrals.referral_id", 1, (3,),
                ("R999",)),
         cells={("victim_survey", "referral_id", 1): "R999"}),
    Case("orphan_referral_id_in_participant_survey",
         Expect("error", S, "referral_id", "not found in referrals.referral_id", 1, (4,), ("R404",)),
         cells={("participant_survey", "referral_id", 2): "R404"}),
    Case("asb_counts_area_not_in_areas",
         Expect("error", "asb_counts.csv", "area_id", "not found in areas.area_id", 1, (10,), ("Z9",)),
         cells={("asb_counts", "area_id", 8): "Z9"},
         also=(Also("warning", "asb_counts.csv", "(C1: 2024-03)"),)),  # C1's March became Z9's
    Case("orphan_placement_id_in_referrals",
         Expect("error", R, "placement_id", "not found in placements.placement_id", 1, (3,), ("PL7",)),
         cells={("referrals", "placement_id", 1): "PL7"}),
    # ---- files
    Case("empty_file_0_bytes", Expect("error", "costs.csv", "", "file is empty (no header row)"),
         after=_write_bytes("costs.csv", b"")),
    Case("header_only", Expect("error", "costs.csv", "", "file has a header but no data rows"),
         after=_write_bytes("costs.csv", _costs_csv().splitlines()[0].encode() + b"\n")),
    Case("neither_utf8_nor_cp1252",
         Expect("error", "costs.csv", "", "file is neither UTF-8 nor Windows-1252 text", 1, (3,)),
         after=_write_bytes("costs.csv", _costs_csv().encode("cp1252").replace(b"PCC", b"P\x81C"))),
    Case("ragged_csv_row_with_extra_field",
         Expect("error", "costs.csv", "", "row does not have the 7 fields of the header", 1, (3,), ("8 fields",)),
         after=_append_field_to_line("costs.csv", "costs", 3, ",surplus")),
    Case("two_files_for_one_table",
         Expect("error", "costs.csv, costs.xlsx", "", "more than one file for this table"),
         after=_second_file("costs", ".xlsx")),
    Case("two_files_for_the_referrals_table",
         Expect("error", "referrals.csv, referrals.xlsx", "", "more than one file for this table"),
         after=_second_file("referrals", ".xlsx"), also=NO_REFERRALS),
    Case("required_table_missing", Expect("error", R, "", "required table not found"),
         omit=("referrals",), also=NO_REFERRALS),
    Case("asb_counts_without_areas", Expect("error", "areas.csv", "", "asb_counts needs an areas table"),
         omit=("areas",),
         also=(Also("warning", "asb_counts.csv", "no areas table supplied"),
               Also("warning", R, "no areas table supplied"))),
    Case("xlsx_text_in_integer_column_gives_worksheet_row",
         Expect("error", "referrals.xlsx", "age", "not a whole number", 1, (5,), ("twenty",)),
         after=_xlsx_with_text_age),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_exact_problem(tmp_path, case):
    folder, config = build(tmp_path, case)
    report = validate_folder(folder, config)
    check(report, case.expect, case.also)
    assert report.ok == (case.expect.level != "error")


def test_at_least_thirty_bad_input_cases():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


# ---- input that must be accepted --------------------------------------------------------------------

def test_untouched_folder_has_no_errors_or_warnings(tmp_path):
    report = validate_folder(write_folder(tmp_path), DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert set(report.tables) == set(valid_tables())
    assert report.ok


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_untouched_folder_in_other_formats_has_no_problems(tmp_path, fmt):
    report = validate_folder(write_folder(tmp_path, formats=dict.fromkeys(valid_tables(), fmt)), DEFAULT)
    assert [p.describe() for p in report.problems] == []


def test_ambiguous_dates_accepted_with_day_first_config(tmp_path):
    folder = write_folder(tmp_path, columns={
        ("participant_survey", "survey_date"): ["05/04/2024", "10/04/2024", "11/04/2024"]})
    report = validate_folder(folder, config_from_dict({"data": {"date_order": "day-first"}}))
    assert [p.describe() for p in report.problems] == []
    assert report.tables["participant_survey"].frame["survey_date"].to_list() == [
        dt.date(2024, 4, 5), dt.date(2024, 4, 10), dt.date(2024, 4, 11)]


def test_unambiguous_day_first_dates_accepted_without_config(tmp_path):
    folder = write_folder(tmp_path, columns={
        ("participant_survey", "survey_date"): ["27/03/2024", "05/04/2024", "16/04/2024"]})
    report = validate_folder(folder, DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert report.tables["participant_survey"].frame["survey_date"].to_list() == [
        dt.date(2024, 3, 27), dt.date(2024, 4, 5), dt.date(2024, 4, 16)]


def test_utf8_bom_file_is_fine(tmp_path):
    report = validate_folder(write_folder(tmp_path, encodings={"referrals": "utf-8-sig"}), DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert report.tables["referrals"].frame.columns[0] == "referral_id"
    assert report.tables["referrals"].encoding == "utf-8"


def test_windows_1252_costs_with_pound_signs_read_fine(tmp_path):
    folder = write_folder(tmp_path, encodings={"costs": "cp1252"},
                          cells={("costs", "item", 1): "Paint £ supplies", ("costs", "amount_gbp", 1): "£1,250.50"})
    assert b"\xa3" in (folder / "costs.csv").read_bytes()  # really Windows-1252, not UTF-8
    report = validate_folder(folder, DEFAULT)
    assert [p.describe() for p in report.problems] == []
    costs = report.tables["costs"]
    assert costs.encoding == "cp1252"
    assert costs.frame["item"][1] == "Paint £ supplies"
    assert costs.frame["amount_gbp"].to_list() == [12500.0, 1250.5, 4000.0]


def test_undeclared_extra_column_is_refused_and_declared_one_kept(tmp_path, capsys):
    folder = write_folder(tmp_path, cells={("referrals", "school", 0): "Hill High",
                                           ("referrals", "employment", 0): "student"})
    config = config_from_dict({"reoffending": {"covariates": ["age", "sex", "prior_offences", "employment"]}})
    p = check(validate_folder(folder, config),
              Expect("error", R, "school", "columns not in the schema and not declared as covariates"))
    # the hint says how to declare it (the current covariates plus this column) or drop it
    assert 'covariates = ["age", "sex", "prior_offences", "employment", "school"]' in p.hint
    assert "ij-eval pseudonymise" in p.hint
    config = config_from_dict({"reoffending": {"covariates": ["age", "sex", "prior_offences", "employment",
                                                              "school"]}})
    report = validate_folder(folder, config)
    assert report.ok and not report.warnings, report.render()
    table = report.tables["referrals"]
    assert table.covariates == ("school", "employment") and table.frame["employment"][0] == "student"
    assert table.ignored_columns == ()


def test_undeclared_column_of_another_table_says_to_remove_it(tmp_path):
    folder = write_folder(tmp_path, cells={("costs", "Notes", 0): "paid late"})
    p = check(validate_folder(folder, DEFAULT), Expect("error", "costs.csv", "notes", "columns not in the schema"))
    assert "data_schemas/costs.yaml" in p.hint and "covariates" not in p.hint


def test_a_data_row_used_as_header_is_not_echoed(tmp_path):
    """A file exported without its header row: the first record becomes the header, and each
    column name is a person's data. Messages show only the first characters of such names."""
    folder = write_folder(tmp_path, cells={("placements", "07700 900123", 0): "x"})
    report = validate_folder(folder, DEFAULT)
    text = report.render()
    assert "07700 900123" not in text and "077…" in text, text


def test_values_are_not_shown_for_identifier_findings(tmp_path):
    folder = write_folder(tmp_path, cells={("costs", "funder", 0): "Mrs Doe, jane.doe@example.org"})
    report = validate_folder(folder, DEFAULT)
    assert "jane.doe" not in report.render() and "example.org" not in report.render()
    assert not report.ok


def test_not_a_folder(tmp_path, capsys):
    with pytest.raises(EnvironmentProblem, match="data folder not found"):
        validate_folder(tmp_path / "nowhere", DEFAULT)
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    _no_traceback(capsys)


# ---- the command line -------------------------------------------------------------------------------

def _no_traceback(capsys) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    return out, err


def test_cli_validate_returns_1_for_an_error_folder(tmp_path, capsys):
    folder = write_folder(tmp_path, cells={("referrals", "age", 2): "thirty"})
    assert main(["validate", str(folder)]) == 1
    out, _ = _no_traceback(capsys)
    assert "ERROR: referrals.csv, column 'age': not a whole number (1 row; first at row 4; values 'thirty')" in out
    assert "1 error, 0 warnings - fix the errors and validate again" in out


def test_cli_validate_returns_0_for_a_warnings_only_folder(tmp_path, capsys):
    folder = write_folder(tmp_path, cells={("referrals", "hours_completed", 1): "9"})
    assert main(["validate", str(folder)]) == 0
    out, _ = _no_traceback(capsys)
    assert "WARNING: referrals.csv, column 'hours_completed, hours_required': more hours completed than required" in out
    assert "0 errors, 1 warning - the data can be used" in out


def test_cli_validate_returns_1_for_an_unreadable_file(tmp_path, capsys):
    folder = write_folder(tmp_path)
    (folder / "costs.csv").write_bytes(b"")
    assert main(["validate", str(folder)]) == 1
    out, _ = _no_traceback(capsys)
    assert "ERROR: costs.csv: file is empty (no header row)" in out


def test_cli_validate_uses_the_config_in_the_folder(tmp_path, capsys):
    folder = write_folder(tmp_path, config=MINIMAL_CONFIG + '\ndate_order = "day-first"\n', columns={
        ("participant_survey", "survey_date"): ["05/04/2024", "10/04/2024", "11/04/2024"]})
    assert main(["validate", str(folder)]) == 0
    _no_traceback(capsys)


def test_cli_validate_returns_2_for_a_bad_config(tmp_path, capsys):
    folder = write_folder(tmp_path, config="[data]\ndate_order = \"month-first\"\n")
    assert main(["validate", str(folder)]) == 2
    _, err = _no_traceback(capsys)
    assert "[data] date_order" in err and "month-first" in err


def test_cli_run_on_bad_data_returns_1_and_writes_nothing(tmp_path, capsys):
    folder = write_folder(tmp_path, config=MINIMAL_CONFIG, cells={("referrals", "referral_id", 3): "R001"})
    out = tmp_path / "results"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 1
    _, err = _no_traceback(capsys)
    assert "ERROR: referrals.csv, column 'referral_id': duplicate value (must be unique)" in err
    assert "nothing was written" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no partial store beside it either


def test_cli_run_on_bad_data_leaves_an_existing_store_untouched(tmp_path, capsys):
    # a store ij-eval wrote (only such a folder may be replaced: see test_output_folder.py)
    folder = write_folder(tmp_path, config=MINIMAL_CONFIG)
    out = tmp_path / "results"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_folder(tmp_path, cells={("offences", "person_id", 0): "P999"})  # the same folder, now broken
    capsys.readouterr()
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 1
    _, err = _no_traceback(capsys)
    assert "not found in referrals.person_id" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "results"]


def test_cli_run_without_a_config_returns_2(tmp_path, capsys):
    folder = write_folder(tmp_path)
    out = tmp_path / "results"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 2
    _, err = _no_traceback(capsys)
    assert "no config" in err
    assert not out.exists()


def test_cli_run_on_warnings_only_data_returns_0(tmp_path, capsys):
    folder = write_folder(tmp_path, config=MINIMAL_CONFIG, cells={("referrals", "hours_completed", 1): "9"})
    out = tmp_path / "results"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 0
    _no_traceback(capsys)
    assert (out / "manifest.json").is_file()


# =====================================================================================================
# Regressions: each test pins the correct behaviour for a bug that was found and fixed; the docstring
# describes what used to go wrong.
# =====================================================================================================

def test_tables_with_a_composite_primary_key_validate(tmp_path):
    """validation._check_values, composite-key check: ``Series & pl.all_horizontal([Series, ...])``
    is a polars Expr, so ``located`` fails with "TypeError: int() argument must be ... not 'Expr'".
    Every folder with an asb_counts or costs table (primary keys area_id + period, item +
    period_start) crashes validate and run with a traceback. Nearly every test in this file
    fails while this bug is present, because the valid folder contains both tables."""
    folder = write_folder(tmp_path, omit=("offences", "participant_survey", "victim_survey", "placements"),
                          cells={("referrals", "placement_id", 0): None, ("referrals", "placement_id", 1): None})
    report = validate_folder(folder, DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert report.tables["costs"].n_rows == 3


def test_areas_with_several_lsoa_codes_per_area_validate(tmp_path):
    """validation._check_values, list pattern check: ``frame.select(ROW, pl.col(c).explode())``
    raises polars ShapeError whenever any area lists two or more LSOAs (the schema's own example
    ``E01019400;E01019401``) - a crash instead of a report."""
    folder = write_folder(tmp_path, cells={("areas", "lsoa_codes", 0): "E01000001;E01000002",
                                           ("areas", "lsoa_codes", 2): "E01000004; E01000005"})
    report = validate_folder(folder, DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert report.tables["areas"].frame["lsoa_codes"][0].to_list() == ["E01000001", "E01000002"]


def test_bad_lsoa_code_in_a_multi_code_list_is_located(tmp_path):
    """Same bug as above: a bad item among several must be reported with its row, not crash."""
    folder = write_folder(tmp_path, cells={("areas", "lsoa_codes", 0): "E01000001;E0100002X"})
    report = validate_folder(folder, DEFAULT)
    check(report, Expect("error", "areas.csv", "lsoa_codes", "item does not match the expected format", 1, (2,),
                         ("E0100002X",)))


def test_ragged_csv_row_error_names_the_row(tmp_path):
    """tables._read_csv: a row with more fields than the header gives "not a readable CSV file:
    found more fields than defined in 'Schema'" with no row number; the user cannot find the row."""
    folder = write_folder(tmp_path)
    _append_field_to_line("costs.csv", "costs", 3, ",surplus")(folder)
    report = validate_folder(folder, DEFAULT)
    p = one_error(report)
    assert p.file == "costs.csv" and p.rows == (3,), p.describe()
    assert "Schema" not in p.rule  # polars internals are not a message for a person


def test_ragged_csv_row_with_missing_field_is_reported(tmp_path):
    """tables._read_csv: a row with FEWER fields than the header is silently padded with empty
    cells (polars fills missing trailing fields), so a shifted or truncated row is accepted
    without any problem when the last column is optional."""
    folder = write_folder(tmp_path)
    lines = csv_text(valid_tables()["costs"]).splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # file row 3 loses its last field (funder)
    (folder / "costs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_folder(folder, DEFAULT)
    assert any(p.file == "costs.csv" and 3 in p.rows for p in report.errors), report.render()


def _referrals_without_age(folder: Path) -> None:
    columns = {k: v for k, v in valid_tables()["referrals"].items() if k != "age"}
    (folder / "referrals.csv").write_text(csv_text(columns), encoding="utf-8")


def _referrals_header_only(folder: Path) -> None:
    (folder / "referrals.csv").write_text(csv_text(valid_tables()["referrals"]).splitlines()[0] + "\n",
                                          encoding="utf-8")


def _referrals_twice(folder: Path) -> None:
    write_xlsx(folder / "referrals.xlsx", valid_tables()["referrals"], "referrals")


@pytest.mark.parametrize("damage", [
    pytest.param(_referrals_without_age, id="missing_required_column"),
    pytest.param(_referrals_header_only, id="header_only"),
    pytest.param(_referrals_twice, id="two_files"),
])
def test_rejected_table_is_not_reported_as_not_supplied(tmp_path, damage):
    """validation._check_references: when a table was supplied but rejected (missing column,
    no rows, two files) every table that references it gets a warning "cannot check against
    referrals.person_id: no referrals table supplied", which is false and sends the user looking
    for a missing file. Only the real error should be reported."""
    folder = write_folder(tmp_path)
    damage(folder)
    report = validate_folder(folder, DEFAULT)
    assert len(report.errors) == 1, report.render()
    assert not [p.describe() for p in report.warnings if "no referrals table supplied" in p.rule]


def test_bad_encoding_hint_gives_the_byte_offset_in_the_file(tmp_path):
    """tables._detect_encoding: the hint says "byte N of a chunk could not be read", where N is
    counted from the start of a 1 MiB read chunk, not the file; beyond the first MiB it points at
    the wrong place and "a chunk" means nothing to a user."""
    folder = write_folder(tmp_path)
    head = _costs_csv().encode("cp1252")  # "£" as one Windows-1252 byte: no valid UTF-8 sequence, so not mixed
    filler = b"".join(f"Filler item {i},other,1,false,2024-01-01,2024-01-31,PCC\n".encode() for i in range(25_000))
    assert len(head) + len(filler) > 1 << 20
    bad_at = len(head) + len(filler) + len(b"Bad item,other,1,false,2024-01-01,2024-01-31,P")
    (folder / "costs.csv").write_bytes(head + filler + b"Bad item,other,1,false,2024-01-01,2024-01-31,P\x81C\n")
    report = validate_folder(folder, DEFAULT)
    p = one_error(report)
    assert p.rule == "file is neither UTF-8 nor Windows-1252 text"
    assert "chunk" not in p.hint and str(bad_at) in p.hint, p.hint
    assert p.rows == (4 + 25_000 + 1,)  # header, 3 rows, the filler, then the bad row


def test_problem_values_show_numbers_as_written(tmp_path):
    """validation._check_values range checks show the parsed float ('-1.0') rather than the
    text in the file ('-1'); every parse problem shows the text as written."""
    folder = write_folder(tmp_path, cells={("referrals", "hours_completed", 2): "-1"})
    report = validate_folder(folder, DEFAULT)
    p = one_error(report)
    assert p.values == ("-1",), p.describe()


@pytest.mark.parametrize(("column", "text", "rule"), [
    pytest.param(("referrals", "hours_required", 0), "7,5", "not a number", id="decimal_comma_hours"),
    pytest.param(("costs", "amount_gbp", 1), "350,75", "not an amount of money", id="decimal_comma_money"),
    pytest.param(("asb_counts", "count", 0), "3,1", "not a whole number", id="misplaced_comma_integer"),
])
def test_commas_that_are_not_thousands_separators_are_refused(tmp_path, column, text, rule):
    """io.parse.parse_column (integer/number/money): every comma is deleted before casting, so a
    decimal comma "7,5" is silently read as 75 and "350,75" as 35075 - no problem reported.
    Only 1,234-style thousands groups should be accepted."""
    table, name, index = column
    folder = write_folder(tmp_path, cells={column: text})
    report = validate_folder(folder, DEFAULT)
    check(report, Expect("error", f"{table}.csv", name, rule, 1, (index + 2,), (text,)))


@pytest.mark.parametrize(("column", "text"), [
    pytest.param(("costs", "amount_gbp", 1), "NaN", id="nan_money"),
    pytest.param(("costs", "amount_gbp", 2), "inf", id="inf_money"),
    pytest.param(("placements", "hours_delivered", 0), "nan", id="nan_number"),
    pytest.param(("referrals", "hours_required", 0), "Infinity", id="infinity_number"),
])
def test_nan_and_infinity_are_not_numbers(tmp_path, column, text):
    """io.parse.parse_column (number/money): ``cast(pl.Float64)`` accepts "NaN", "nan", "inf" and
    "Infinity", so a cost of NaN or infinity passes validation with no problem at all (required,
    min 0 and row rules all let NaN/inf through)."""
    table, name, index = column
    folder = write_folder(tmp_path, cells={column: text})
    report = validate_folder(folder, DEFAULT)
    p = one_error(report)
    assert (p.file, p.column, p.rows, p.values) == (f"{table}.csv", name, (index + 2,), (text,)), p.describe()


@pytest.mark.parametrize(("dates", "rule"), [
    pytest.param(["01/01/2024", "01/02/2024", "01/03/2024"], "ambiguous dates", id="ambiguous"),
    pytest.param(["01/15/2024", "02/15/2024", "03/15/2024"], "month-first", id="us"),
])
def test_month_column_date_order_problem_is_located_once(tmp_path, dates, rule):
    """io.parse.parse_column (month): an ambiguous or US slash-date ``period`` column gives a
    Problem with no row count, rows, values or hint (``Problem(..., column_rule)``); US dates are
    also reported a second time as "not a month" for the same cells."""
    folder = write_folder(tmp_path, columns={("asb_counts", "period"): dates * 3})
    report = validate_folder(folder, DEFAULT)
    check(report, Expect("error", "asb_counts.csv", "period", rule, 9, (2, 3, 4, 5, 6), tuple((dates * 2)[:5])))
    p = one_error(report)
    assert p.hint, p.describe()


def test_ordinal_written_as_a_whole_float_is_accepted(tmp_path):
    """io.parse.parse_column (ordinal): "4.0" is refused as "not one of the 5 answer levels" while
    integer columns accept "19.0"; a Parquet file whose answer column is float (as pandas writes
    a numeric column with missing answers) is therefore refused."""
    folder = write_folder(tmp_path, omit=("participant_survey",))
    frame = pl.DataFrame({k: pl.Series(v, dtype=pl.String) for k, v in valid_tables()["participant_survey"].items()})
    frame = frame.with_columns(pl.Series("would_handle_differently", [4.0, 3.0, None], dtype=pl.Float64))
    frame.write_parquet(folder / "participant_survey.parquet")
    report = validate_folder(folder, DEFAULT)
    assert [p.describe() for p in report.problems] == []
    assert report.tables["participant_survey"].frame["would_handle_differently"].to_list() == [4, 3, None]
