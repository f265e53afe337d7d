"""Records that contradict each other across rows and tables (``ij_eval.validation_records``).

Errors (one person in both cohorts, two sexes, ages no date of birth fits, offences before age 10,
surveys of the wrong people, impossible buffers) stop ``validate`` and ``run`` with exit 1, the
file, column, rows and values named, and nothing written. Warnings (duplicate offences or
referrals, months missing from the ASB counts or the data.police.uk files, scheme activity
outside the hotspots) are named and the run goes on.
"""

from __future__ import annotations

import csv
import io
import json

from builders import csv_text, edit, valid_tables

from hostile_cases.harness import RUN, VALIDATE, Hostile, Outcome, Workspace

RUN_LOUD = ("run", "{data}", "--out", "{out}")  # prints the validation warnings as it goes
CATEGORY = "cross-record"


def _cells(**cells: str | None):
    """Arrange: set cells ``table__column__index=value`` of the valid folder."""
    def arrange(ws: Workspace) -> None:
        tables = edit(valid_tables(), cells={tuple(k.split("__")[:2]) + (int(k.split("__")[2]),): v
                                             for k, v in cells.items()})
        for name, columns in tables.items():
            (ws.data / f"{name}.csv").write_text(csv_text(columns), encoding="utf-8")
    return arrange


def _append_copy(table: str, index: int, key: str, new_id: str):
    """Arrange: add a copy of row ``index`` of ``table`` under a new id."""
    def arrange(ws: Workspace) -> None:
        columns = valid_tables()[table]
        for name, values in columns.items():
            values.append(new_id if name == key else values[index])
        (ws.data / f"{table}.csv").write_text(csv_text(columns), encoding="utf-8")
    return arrange


def _drop_counts(*pairs: tuple[str, str]):
    """Arrange: remove asb_counts rows (area_id, period)."""
    def arrange(ws: Workspace) -> None:
        columns = valid_tables()["asb_counts"]
        keep = [i for i in range(len(columns["area_id"]))
                if (columns["area_id"][i], columns["period"][i]) not in pairs]
        kept = {name: [values[i] for i in keep] for name, values in columns.items()}
        (ws.data / "asb_counts.csv").write_text(csv_text(kept), encoding="utf-8")
    return arrange


def _then_config(arrange, text: str):
    def both(ws: Workspace) -> None:
        arrange(ws)
        ws.add_config(text)
    return both


HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context")


def _police_uk(months: tuple[str, ...], *, keep_counts: bool):
    """Arrange: a police_uk/ download with a file for each month given (ASB in the areas' LSOAs)."""
    def arrange(ws: Workspace) -> None:
        for month in months:
            rows = [f",{month},Test,Test,-1.3,53.0,On or near X,{lsoa},Test 00{i}A,Anti-social behaviour,,"
                    for i, lsoa in enumerate(["E01000001", "E01000001", "E01000003", "E01000004"])]
            path = ws.data / "police_uk" / month / f"{month}-test-street.csv"
            path.parent.mkdir(parents=True)
            path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        if not keep_counts:
            (ws.data / "asb_counts.csv").unlink()
    return arrange


def _panel_has(area: str, expected: list[tuple[str, str]], *, gaps: bool):
    """Check: the store's hotspots_panel lists exactly these (period, count) rows for ``area``, and the
    hotspot strand's notes say whether area-months were left out."""
    def check(ws: Workspace, outcome: Outcome) -> None:
        text = (ws.out / "tables" / "hotspots_panel.csv").read_text(encoding="utf-8")
        rows = [(r["period"], r["count"]) for r in csv.DictReader(io.StringIO(text)) if r["area_id"] == area]
        assert rows == expected, rows
        notes = " ".join(json.loads((ws.out / "results.json").read_text(encoding="utf-8"))
                         ["strands"]["hotspots"]["notes"])
        assert ("left out (missing, not zero)" in notes) == gaps, notes
    return check


def _manifest_says(fragment: str):
    def check(ws: Workspace, outcome: Outcome) -> None:
        assert fragment in (ws.out / "manifest.json").read_text(encoding="utf-8")
    return check


# R004 (comparison) becomes P001 (ij, R001) at a consistent age, with P004's offence.
BOTH = {"referrals__person_id__3": "P001", "referrals__age__3": "19", "offences__person_id__2": "P001"}
BOTH_COHORTS = ("referrals.csv, column 'person_id, cohort': the same person is in both the ij and the comparison "
                "cohort (1 person) (2 rows; first at row 2, 5; values 'P001')")
BEFORE_TEN = ("offences.csv, column 'offence_date': offence dated before the person was 10 (the age of criminal "
              "responsibility), given the age on their referral (1 offence, 1 person) (1 row; first at row 3; "
              "values 'P002')")
DUPLICATE = ("WARNING: offences.csv, column 'person_id, offence_date, offence_type, disposal, proven, "
             "disposal_date': 1 offence repeats another row exactly under a different offence_id (1 person); "
             "each copy is counted as a further offence (1 row; first at row 6; values 'O005 repeats O004')")
GAP = ("WARNING: asb_counts.csv, column 'area_id, period': 1 area-month in 1 area has no row between 2024-01 and "
       "2024-03 (H1: 2024-02); it is left out of the hotspot panel and models, not counted as zero "
       "([hotspots] missing_months = \"missing\")")
NO_FILE = ("WARNING: police_uk/: 1 force-month between the first and last month of the files has no street-level "
           "file (test: 2024-02)")

CASES = [
    # --- one person --------------------------------------------------------------------------
    Hostile("rec_validate_person_in_both_cohorts", CATEGORY, _cells(**BOTH), (VALIDATE,), 1,
            says=("ERROR: " + BOTH_COHORTS, "1 error")),
    Hostile("rec_run_person_in_both_cohorts_keeps_the_store", CATEGORY, _cells(**BOTH),
            (RUN,), 1, says=(BOTH_COHORTS, "nothing was written"), prior_store=True),
    Hostile("rec_validate_two_sexes", CATEGORY,
            _cells(referrals__person_id__2="P001", referrals__sex__2="female", referrals__age__2="19"), (VALIDATE,),
            1, says=("ERROR: referrals.csv, column 'person_id, sex': one person is recorded with two different sexes "
                     "(1 person) (2 rows; first at row 2, 4; values 'P001')", "1 error")),
    Hostile("rec_validate_ages_fit_no_date_of_birth", CATEGORY, _cells(referrals__person_id__2="P001"), (VALIDATE,),
            1, says=("ERROR: referrals.csv, column 'person_id, age, offence_date': one person's ages at different "
                     "referrals fit no single date of birth (1 person) (2 rows; first at row 2, 4; values "
                     "'P001 (ages 19, 34)')", "1 error")),
    Hostile("rec_validate_referral_age_under_10", CATEGORY, _cells(referrals__age__1="9"), (VALIDATE,), 1,
            says=("ERROR: referrals.csv, column 'age': below the minimum of 10 (1 row; first at row 3; values '9')",)),
    Hostile("rec_validate_offence_before_age_10", CATEGORY,
            _cells(offences__offence_date__1="2017-06-10", offences__disposal_date__1="2017-06-20"), (VALIDATE,), 1,
            says=("ERROR: " + BEFORE_TEN, "1 error")),
    Hostile("rec_run_offence_before_age_10_writes_nothing", CATEGORY,
            _cells(offences__offence_date__1="2017-06-10", offences__disposal_date__1="2017-06-20"), (RUN,), 1,
            says=(BEFORE_TEN, "nothing was written")),
    Hostile("rec_validate_offence_on_the_earliest_10th_birthday_is_fine", CATEGORY,
            # P002 is 15 on 2024-04-01: born 2008-04-02 at the earliest, so 10 on 2018-04-02 at the earliest.
            _cells(offences__offence_date__1="2018-04-02", offences__disposal_date__1="2018-04-20"), (VALIDATE,), 0,
            says=("0 errors, 0 warnings",)),
    Hostile("rec_validate_survey_age_group_contradicts_age", CATEGORY, _cells(participant_survey__age_group__1="adult"),
            (VALIDATE,), 1, says=("ERROR: participant_survey.csv, column 'age_group': age group contradicts the age "
                                  "recorded on the referral, at the survey date (1 response) (1 row; first at row 3; "
                                  "values 'adult (age 15 at referral R002)')",)),
    Hostile("rec_validate_participant_survey_of_comparison_referral", CATEGORY,
            _cells(participant_survey__referral_id__0="R004"), (VALIDATE,), 1,
            says=("ERROR: participant_survey.csv, column 'referral_id': survey response for a comparison-cohort "
                  "referral (1 response); the survey is about the IJ scheme (1 row; first at row 2; values 'R004')",)),
    Hostile("rec_validate_victim_survey_before_referral", CATEGORY, _cells(victim_survey__survey_date__1="2024-03-01"),
            (VALIDATE,), 1, says=("ERROR: victim_survey.csv, column 'survey_date, referral_id': survey dated before "
                                  "its referral's referral date (1 response) (1 row; first at row 3; values 'R002')",)),
    Hostile("rec_validate_duplicate_offence_warns", CATEGORY, _append_copy("offences", 3, "offence_id", "O005"),
            (VALIDATE,), 0, says=(DUPLICATE, "0 errors, 1 warning - the data can be used")),
    Hostile("rec_run_duplicate_offence_still_runs", CATEGORY, _append_copy("offences", 3, "offence_id", "O005"),
            (RUN_LOUD,), 0, says=(DUPLICATE,), writes="output", never_published=("O005 repeats",),
            check=_manifest_says("1 offence repeats another row exactly")),
    Hostile("rec_validate_duplicate_referral_warns", CATEGORY, _append_copy("referrals", 0, "referral_id", "R006"),
            (VALIDATE,), 0, says=("WARNING: referrals.csv, column 'person_id, cohort, referral_date, offence_date, "
                                  "offence_type': 1 referral repeats another referral of the same person", "(1 row; "
                                  "first at row 7; values 'R006 repeats R001')")),
    Hostile("rec_validate_referral_id_reused_across_cohorts", CATEGORY, _cells(referrals__referral_id__3="R001"),
            (VALIDATE,), 1, says=("ERROR: referrals.csv, column 'referral_id': duplicate value (must be unique) "
                                  "(2 rows; first at row 2, 5; values 'R001', 'R001')",)),
    Hostile("rec_validate_offence_after_the_extract_date_warns", CATEGORY,
            _cells(offences__offence_date__2="2025-02-01"), (VALIDATE,), 0,
            says=("WARNING: offences.csv, column 'offence_date': date after the data extract date (2024-12-31) "
                  "(1 row; first at row 4; values '2025-02-01')",)),
    # --- one area -------------------------------------------------------------------------------
    Hostile("rec_validate_buffer_is_its_own_parent", CATEGORY, _cells(areas__parent_hotspot__1="B1"), (VALIDATE,), 1,
            says=("ERROR: areas.csv, column 'parent_hotspot': buffer is its own parent hotspot (1 row; first at row 3; "
                  "values 'B1')",)),
    Hostile("rec_run_buffer_around_a_comparison_area", CATEGORY, _cells(areas__parent_hotspot__1="C1"), (RUN,), 1,
            says=("ERROR: areas.csv, column 'parent_hotspot': buffer's parent_hotspot is not a hotspot (1 row; "
                  "first at row 3; values 'B1 -> C1 (comparison)')", "nothing was written"), prior_store=True),
    Hostile("rec_validate_hotspot_referral_in_a_comparison_area", CATEGORY, _cells(referrals__hotspot_id__1="C1"),
            (VALIDATE,), 0, says=("WARNING: referrals.csv, column 'hotspot_id': referred through hotspot policing in "
                                  "an area that is not a hotspot (1 referral)", "values 'C1 (comparison)'")),
    Hostile("rec_validate_placement_in_a_comparison_area", CATEGORY, _cells(placements__area_code__1="E01000004"),
            (VALIDATE,), 0, says=("WARNING: placements.csv, column 'area_code': reparation placement in a comparison "
                                  "area (1 placement)", "values 'PL2 in C1'")),
    Hostile("rec_validate_asb_month_missing", CATEGORY, _drop_counts(("H1", "2024-02")), (VALIDATE,), 0,
            says=(GAP, 'fix: add a row with count 0 for each month without ASB; if the extract leaves such months '
                       'out, set [hotspots] missing_months = "zero"')),
    Hostile("rec_run_asb_month_missing_is_left_out", CATEGORY, _drop_counts(("H1", "2024-02")), (RUN_LOUD,), 0,
            says=(GAP,), writes="output",
            check=_panel_has("H1", [("2024-01-01", "31"), ("2024-03-01", "19")], gaps=True)),
    Hostile("rec_run_asb_month_missing_as_zero", CATEGORY,
            _then_config(_drop_counts(("H1", "2024-02")), '[hotspots]\nmissing_months = "zero"'), (RUN_LOUD,), 0,
            says=("it is counted as zero ASB ([hotspots] missing_months = \"zero\")",), writes="output",
            check=_panel_has("H1", [("2024-01-01", "31"), ("2024-02-01", "0"), ("2024-03-01", "19")], gaps=False)),
    Hostile("rec_validate_asb_area_without_counts", CATEGORY,
            _drop_counts(("C1", "2024-01"), ("C1", "2024-02"), ("C1", "2024-03")), (VALIDATE,), 0,
            says=("WARNING: asb_counts.csv, column 'area_id': 1 area of areas.csv has no rows at all (C1); it is left "
                  "out of the hotspot panel ([hotspots] missing_months = \"missing\")",)),
    Hostile("rec_config_missing_months_unknown", CATEGORY,
            lambda ws: ws.add_config('[hotspots]\nmissing_months = "blank"'), (RUN,), 2,
            says=("[hotspots] missing_months: must be one of 'missing', 'zero', got 'blank'",), prior_store=True),
    Hostile("rec_validate_police_uk_month_without_file", CATEGORY,
            _police_uk(("2024-01", "2024-03"), keep_counts=True), (VALIDATE,), 0,
            says=(NO_FILE, "a month without a file is not a month without ASB")),
    Hostile("rec_run_police_uk_month_without_file_is_left_out", CATEGORY,
            _police_uk(("2024-01", "2024-03"), keep_counts=False), (RUN_LOUD,), 0, says=(NO_FILE,), writes="output",
            check=_panel_has("H1", [("2024-01-01", "2"), ("2024-03-01", "2")], gaps=True)),
]
