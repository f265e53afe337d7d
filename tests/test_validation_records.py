"""Checks across records about one person or one area (``ij_eval.validation_records``), on tiny typed
tables: each test states the exact rows (file rows: the first data row is row 2) and values found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from builders import valid_tables, write_folder

from ij_eval.config import EvaluationConfig, config_from_dict
from ij_eval.errors import Problem
from ij_eval.io.police_uk import months_without_file
from ij_eval.validation import Table, validate_folder
from ij_eval.validation_records import (
    check_ages,
    check_areas,
    check_asb_months,
    check_birth_year,
    check_both_cohorts,
    check_duplicate_offences,
    check_duplicate_referrals,
    check_offences_before_ten,
    check_records,
    check_scheme_outside_hotspots,
    check_sex,
    check_survey_ages,
    check_survey_links,
)

D = dt.date
DATES = {"offence_date", "referral_date", "disposal_date", "survey_date", "intervention_start", "period"}


def table(name: str, columns: dict[str, list], covariates: tuple[str, ...] = ()) -> Table:
    """A typed table as validation makes it (``__row`` = file row, from 2)."""
    n = len(next(iter(columns.values())))
    schema = {c: pl.Date for c in columns if c in DATES}
    if "lsoa_codes" in columns:
        schema["lsoa_codes"] = pl.List(pl.String)
    frame = pl.DataFrame(columns, schema_overrides=schema).with_columns(pl.int_range(2, n + 2).alias("__row"))
    return Table(name, Path(f"{name}.csv"), frame, "utf-8", covariates)


def referrals(**columns: list) -> Table:
    """Referrals: give person_id (and what the test needs); the rest is filled in consistently."""
    n = len(columns["person_id"])
    base = {
        "referral_id": [f"R{i + 1}" for i in range(n)],
        "cohort": ["ij"] * n,
        "referral_date": [D(2024, 3, 15)] * n,
        "offence_date": [D(2024, 3, 14)] * n,
        "offence_type": ["asb"] * n,
        "age": [30] * n,
        "sex": ["male"] * n,
        "hotspot_id": [None] * n,
    }
    return table("referrals", base | columns)


def one(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------------------------
# one person


def test_person_in_both_cohorts() -> None:
    r = referrals(person_id=["P1", "P2", "P1", "P3"], cohort=["ij", "ij", "comparison", "comparison"])
    p = one(check_both_cohorts(r))
    assert (p.level, p.file, p.column) == ("error", "referrals.csv", "person_id, cohort")
    assert p.rows == (2, 4) and p.n_rows == 2 and p.values == ("P1",)
    assert "both the ij and the comparison cohort (1 person)" in p.rule


def test_one_cohort_per_person_is_fine() -> None:
    assert check_both_cohorts(referrals(person_id=["P1", "P1", "P2"], cohort=["ij", "ij", "comparison"])) == []


def test_two_sexes_but_unknown_conflicts_with_nothing() -> None:
    r = referrals(person_id=["P1", "P2", "P1", "P2", "P3"], sex=["male", "female", "female", "unknown", "other"])
    p = one(check_sex(r))
    assert p.rows == (2, 4) and p.values == ("P1",) and p.column == "person_id, sex"
    assert "two different sexes (1 person)" in p.rule


def test_ages_that_fit_no_date_of_birth() -> None:
    r = referrals(
        person_id=["P1", "P2", "P1", "P2", "P3", "P3"],
        age=[19, 20, 15, 21, 21, 20],
        offence_date=[D(2024, 3, 14), D(2024, 6, 1), D(2024, 4, 1), D(2024, 6, 2), D(2024, 6, 1), D(2024, 6, 2)],
        referral_date=[D(2024, 3, 14), D(2024, 6, 1), D(2024, 4, 1), D(2024, 6, 2), D(2024, 6, 1), D(2024, 6, 2)],
    )
    # P1: 19 then 15 two weeks later. P2: 20 on 1 June, 21 on 2 June: born 2 June 2003, consistent.
    # P3: 21 on 1 June, 20 on 2 June: ages cannot go down.
    p = one(check_ages(r))
    assert p.rows == (2, 4, 6, 7) and p.values == ("P1 (ages 19, 15)", "P3 (ages 21, 20)")
    assert "fit no single date of birth (2 persons)" in p.rule and p.level == "error"


def test_same_day_different_ages_conflict() -> None:
    r = referrals(person_id=["P1", "P1"], age=[20, 21], referral_date=[D(2024, 3, 14)] * 2)
    assert one(check_ages(r)).rows == (2, 3)


def test_age_at_referral_date_or_offence_date_both_fit() -> None:
    # Born 2004-03-20: 19 at the offence (14 March 2024), 20 at the referral (25 March 2024); a later
    # referral records 20 at its offence date. Whichever date the first age was taken at, it fits.
    r = referrals(person_id=["P1", "P1"], age=[20, 20], offence_date=[D(2024, 3, 14), D(2024, 5, 1)],
                  referral_date=[D(2024, 3, 25), D(2024, 5, 2)])
    assert check_ages(r) == []


def test_leap_day_birthday_counted_on_28_february() -> None:
    # Born 29 February 2012: 11 on 28 February 2023 if the system moves the birthday to 28 February
    # in other years, and still 11 on 28 February 2024 (the birthday is the next day). Only that
    # birth date fits both, and only under that convention: not an error.
    dates = [D(2023, 2, 28), D(2024, 2, 28)]
    assert check_ages(referrals(person_id=["P1", "P1"], age=[11, 11], offence_date=dates, referral_date=dates)) == []
    dates = [D(2023, 2, 27), D(2024, 2, 28)]  # 11 on 27 February 2023 and on 28 February 2024: no one
    r = referrals(person_id=["P1", "P1"], age=[11, 11], offence_date=dates, referral_date=dates)
    assert one(check_ages(r)).rows == (2, 3)


def test_birth_year_covariate() -> None:
    r = table("referrals", {
        "referral_id": ["R1", "R2", "R3", "R4"], "person_id": ["P1", "P1", "P2", "P3"],
        "referral_date": [D(2024, 3, 15)] * 4, "offence_date": [D(2024, 3, 14)] * 4,
        "age": [30, 30, 30, 30], "birth_year": [1993, 1994, 1990, 1994],
    }, covariates=("birth_year",))
    problems = check_birth_year(r)
    assert [(p.column, p.rows, p.values) for p in problems] == [
        ("person_id, birth_year", (2, 3), ("P1",)),
        ("birth_year, age", (4,), ("P2",)),  # 30 in March 2024: born March 1993 to March 1994
    ]


def test_offences_before_ten() -> None:
    r = referrals(person_id=["P1", "P2", "P3", "P3"], age=[12, 12, 20, 11],  # P3's ages conflict
                  offence_date=[D(2024, 3, 14)] * 4, referral_date=[D(2024, 3, 14)] * 4)
    # P1 is 12 on 14 March 2024: born 15 March 2011 at the earliest, so 10 from 15 March 2021 at the earliest.
    o = table("offences", {
        "offence_id": ["O1", "O2", "O3", "O4", "O5"], "person_id": ["P1", "P1", "P2", "P3", "P9"],
        "offence_date": [D(2021, 3, 14), D(2021, 3, 15), D(2019, 1, 1), D(2010, 1, 1), D(2000, 1, 1)],
    })
    p = one(check_offences_before_ten(r, o))
    assert (p.file, p.column, p.rows, p.values) == ("offences.csv", "offence_date", (2, 4), ("P1", "P2"))
    assert "before the person was 10 (the age of criminal responsibility)" in p.rule
    assert "(2 offences, 2 persons)" in p.rule and p.level == "error"


def test_survey_age_group_against_the_referral_age() -> None:
    r = referrals(person_id=["P1", "P2", "P3", "P4"], age=[25, 15, 17, 17],
                  referral_id=["R1", "R2", "R3", "R4"])
    s = table("participant_survey", {
        "response_id": ["S1", "S2", "S3", "S4", "S5"], "referral_id": ["R1", "R2", "R3", "R4", None],
        "survey_date": [D(2024, 3, 20), D(2024, 3, 20), D(2024, 3, 20), D(2024, 12, 1), D(2024, 3, 20)],
        "age_group": ["child", "adult", "adult", "child", "child"],
    })
    # R1: 25 is no child. R2: 15 a week before is no adult. R3: 17 a week before may just have
    # turned 18 - not certain. R4: 17 in March 2024 may still be 17 in December - not certain.
    p = one(check_survey_ages(r, s))
    assert (p.file, p.column, p.rows) == ("participant_survey.csv", "age_group", (2, 3))
    assert p.values == ("child (age 25 at referral R1)", "adult (age 15 at referral R2)")
    s = table("participant_survey", {"response_id": ["S1"], "referral_id": ["R4"], "survey_date": [D(2025, 6, 1)],
                                     "age_group": ["child"]})
    assert one(check_survey_ages(r, s)).rows == (2,)  # 17 in March 2024 is 18 by June 2025


def test_exact_duplicate_offences_are_counted() -> None:
    o = table("offences", {
        "offence_id": ["O1", "O2", "O3", "O4", "O5", "O6"], "person_id": ["P1", "P1", "P2", "P1", "P2", "P2"],
        "offence_date": [D(2024, 5, 1)] * 6, "offence_type": ["asb", "asb", "asb", "asb", "asb", "violence"],
        "disposal": ["asb_warning"] * 6, "proven": [False] * 6,
        "disposal_date": [None, None, D(2024, 5, 2), None, D(2024, 5, 2), D(2024, 5, 2)],
    })
    p = one(check_duplicate_offences(o))
    assert p.level == "warning" and p.rows == (3, 5, 6) and p.n_rows == 3
    assert p.values == ("O2 repeats O1", "O4 repeats O1", "O5 repeats O3")
    assert "3 offences repeat another row exactly under a different offence_id (2 persons)" in p.rule


def test_duplicate_referrals() -> None:
    r = referrals(person_id=["P1", "P2", "P1"], referral_id=["R1", "R2", "R7"])
    p = one(check_duplicate_referrals(r))
    assert (p.level, p.rows, p.values) == ("warning", (4,), ("R7 repeats R1",))
    assert "1 referral repeats another referral of the same person" in p.rule


def test_surveys_of_comparison_referrals_and_before_the_referral() -> None:
    r = referrals(person_id=["P1", "P2"], cohort=["ij", "comparison"], referral_date=[D(2024, 3, 15)] * 2)
    s = table("victim_survey", {
        "response_id": ["V1", "V2", "V3"], "referral_id": ["R1", "R2", "R1"],
        "survey_date": [D(2024, 3, 20), D(2024, 3, 20), D(2024, 3, 14)],
    })
    comparison, early = check_survey_links(r, s)
    assert (comparison.file, comparison.column, comparison.rows, comparison.values) == (
        "victim_survey.csv", "referral_id", (3,), ("R2",))
    assert "comparison-cohort referral" in comparison.rule and comparison.level == "error"
    assert (early.column, early.rows, early.values) == ("survey_date, referral_id", (4,), ("R1",))


# --------------------------------------------------------------------------------------------
# one area


def areas(**columns: list) -> Table:
    base = {
        "area_id": ["H1", "B1", "C1"], "name": ["Town", "Around town", "River"],
        "role": ["hotspot", "buffer", "comparison"], "parent_hotspot": [None, "H1", None],
        "lsoa_codes": [["E01000001"], ["E01000003"], ["E01000004"]],
        "intervention_start": [D(2024, 3, 1), None, None],
    }
    return table("areas", base | columns)


def test_buffers_and_parents() -> None:
    a = areas(area_id=["H1", "B1", "B2", "B3", "C1"], name=["Town", "A", "B", "C", "town "],
              role=["hotspot", "buffer", "buffer", "buffer", "comparison"],
              parent_hotspot=[None, "B1", "C1", "H1", "H1"], lsoa_codes=[[]] * 5,
              intervention_start=[D(2024, 3, 1), None, None, None, None])
    own, not_hot, stray, same_name = check_areas(a)
    assert (own.level, own.rows, own.values) == ("error", (3,), ("B1",))
    assert (not_hot.level, not_hot.rows, not_hot.values) == ("error", (4,), ("B2 -> C1 (comparison)",))
    assert (stray.level, stray.rows, stray.values) == ("warning", (6,), ("C1",))
    assert (same_name.level, same_name.rows, same_name.values) == ("warning", (2, 6), ("H1 (hotspot)",
                                                                                         "C1 (comparison)"))


def test_scheme_activity_outside_the_hotspots() -> None:
    r = referrals(person_id=["P1", "P2", "P3", "P4"], hotspot_id=["H1", "C1", "H1", None],
                  referral_date=[D(2024, 3, 15), D(2024, 3, 15), D(2024, 2, 20), D(2024, 3, 15)])
    placements = table("placements", {"placement_id": ["PL1", "PL2"], "area_code": ["E01000004", "E01000009"]})
    wrong, early, placed = check_scheme_outside_hotspots(
        {"areas": areas(), "referrals": r, "placements": placements})
    assert (wrong.column, wrong.rows, wrong.values) == ("hotspot_id", (3,), ("C1 (comparison)",))
    assert (early.column, early.rows, early.values) == ("hotspot_id, referral_date", (4,), ("H1",))
    assert (placed.file, placed.rows, placed.values) == ("placements.csv", (2,), ("PL1 in C1",))
    assert {wrong.level, early.level, placed.level} == {"warning"}


def counts(rows: list[tuple[str, D]]) -> Table:
    return table("asb_counts", {"area_id": [a for a, _ in rows], "period": [p for _, p in rows],
                                "count": [1] * len(rows)})


M = [D(2024, m, 1) for m in range(1, 7)]
GAPPY = ([("H1", m) for m in M if m.month not in (2, 4, 5)]  # H1: February, April and May missing
         + [("B1", m) for m in M[2:]]  # B1 starts in March
         + [("C1", m) for m in M])


def test_asb_months_missing_named_by_area_and_month() -> None:
    gap, absent = check_asb_months(areas(area_id=["H1", "B1", "C1", "C2"], name=["a", "b", "c", "d"],
                                         role=["hotspot", "buffer", "comparison", "comparison"],
                                         parent_hotspot=[None, "H1", None, None], lsoa_codes=[[]] * 4,
                                         intervention_start=[D(2024, 3, 1), None, None, None]),
                                   counts(GAPPY), EvaluationConfig())
    assert (gap.level, gap.file, gap.column) == ("warning", "asb_counts.csv", "area_id, period")
    assert gap.rule == ("5 area-months in 2 areas have no row between 2024-01 and 2024-06 "
                        "(B1: 2024-01 to 2024-02; H1: 2024-02, 2024-04 to 2024-05); they are left out of the "
                        "hotspot panel and models, not counted as zero ([hotspots] missing_months = \"missing\")")
    assert 'missing_months = "zero"' in gap.hint
    assert absent.rule.startswith("1 area of areas.csv has no rows at all (C2); it is left out of the hotspot panel")


def test_asb_months_missing_as_zero_says_so() -> None:
    config = config_from_dict({"hotspots": {"missing_months": "zero"}})
    gap = one(check_asb_months(areas(), counts(GAPPY), config))
    assert gap.rule.endswith('they are counted as zero ASB ([hotspots] missing_months = "zero")')
    assert 'missing_months = "missing"' in gap.hint


def test_complete_asb_counts_are_quiet() -> None:
    assert check_asb_months(areas(), counts([(a, m) for a in ("H1", "B1", "C1") for m in M]),
                            EvaluationConfig()) == []


def test_police_uk_months_without_a_file() -> None:
    files = [Path(f"{m}/{m}-{force}-street.csv") for m, force in (
        ("2024-01", "derbyshire"), ("2024-04", "derbyshire"), ("2024-01", "leicestershire"),
        ("2024-02", "leicestershire"), ("2024-03", "leicestershire"), ("2024-04", "leicestershire"))]
    assert months_without_file(files) == {"derbyshire": (D(2024, 2, 1), D(2024, 3, 1))}
    assert months_without_file(files[2:]) == {}


def test_missing_months_config_is_checked() -> None:
    from ij_eval.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[hotspots\] missing_months: must be one of 'missing', 'zero'"):
        config_from_dict({"hotspots": {"missing_months": "blank"}})
    assert EvaluationConfig().hotspots.missing_months == "missing"


# --------------------------------------------------------------------------------------------
# the whole set, through validate_folder


def test_the_valid_folder_has_no_cross_record_problem(tmp_path: Path) -> None:
    report = validate_folder(write_folder(tmp_path), EvaluationConfig())
    assert report.problems == () and check_records(report.tables, EvaluationConfig()) == []


def test_validate_folder_reports_them_once(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["referrals"]["person_id"][3] = "P001"  # R004 (comparison) is P001 (ij)
    report = validate_folder(write_folder(tmp_path, tables=tables), EvaluationConfig())
    found = [p for p in report.problems if "both the ij and the comparison cohort" in p.rule]
    assert len(found) == 1 and found[0].rows == (2, 5) and not report.ok
