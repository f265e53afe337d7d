"""Tests of ``ij-eval pseudonymise`` (ij_eval.pseudonymise)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from pathlib import Path

import polars as pl
import pytest

from ij_eval.cli import main
from ij_eval.config import EvaluationConfig
from ij_eval.errors import IJEvalError, InputError, ValidationFailed
from ij_eval.privacy.columns import PERSON_ID_ALIASES, IdentifierKind, header_identifier
from ij_eval.pseudonymise import (
    KEY_ENV,
    LOG_FILE,
    age_in_years,
    pseudonymise_folder,
)
from ij_eval.validation import validate_folder

KEY = "test-key-5f1c9e2a7b3d4c8e"
OTHER_KEY = "another-test-key-0a9b8c7d6e"
PSEUDONYM = re.compile(r"^p_[0-9a-f]{16}$")
REFERRAL_PSEUDONYM = re.compile(r"^r_[0-9a-f]{16}$")

# Raw headers as a force system might export them; all but the last few are direct identifiers.
REFERRAL_HEADER = ["Referral ID", "Person ID", "Full Name", "Surname", "Date of Birth", "Post Code",
                   "Address Line 1", "Phone Number", "E-mail", "Mobile", "cohort", "referral_date",
                   "offence_date", "offence_type", "route", "sex", "prior_offences", "status"]
IDENTIFIERS = ("full_name", "surname", "date_of_birth", "post_code", "address_line_1", "phone_number",
               "e_mail", "mobile")
PEOPLE = {  # original id -> (name, surname, dob, postcode, address, phone, email, mobile)
    "NOM-778812": ("Alice Example", "Example", "14/03/2006", "DE1 1AA", "1 Low Street", "01332 111111",
                   "alice@example.org", "07700 900001"),
    "NOM-990321": ("Bob Sample", "Sample", "29/02/2004", "NN1 2BB", "2 High Road", "01604 222222",
                   "bob@example.org", "07700 900002"),
    "NOM-443210": ("Carol Test", "Test", "31/12/1990", "DE22 3CC", "3 Mill Lane", "01332 333333",
                   "carol@example.org", "07700 900003"),
}


POLICE_UK_FILE = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                  "Crime type,Last outcome category,Context\n"
                  ",2024-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.47,52.92,On or near Park Road,"
                  "E01013456,Derby 001A,Anti-social behaviour,,\n")


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def referral(ref: str, person: str, *, offence_date: str = "2024-03-14", referral_date: str = "2024-03-15",
             dob: str | None = None) -> list[str]:
    name, surname, person_dob, postcode, address, phone, email, mobile = PEOPLE[person]
    return [ref, person, name, surname, dob if dob is not None else person_dob, postcode, address, phone, email,
            mobile, "ij", referral_date, offence_date, "asb", "community_resolution", "female", "0", "completed"]


def make_input(folder: Path, rows: list[list[str]] | None = None, *, offences: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if rows is None:
        rows = [referral("R1", "NOM-778812"), referral("R2", "NOM-990321", offence_date="2023-03-01",
                                                       referral_date="2023-03-02"),
                referral("R3", "NOM-443210"), referral("R4", "NOM-778812", offence_date="2024-06-01",
                                                       referral_date="2024-06-02")]
    write_csv(folder / "referrals.csv", REFERRAL_HEADER, rows)
    if offences:
        write_csv(folder / "offences.csv",
                  ["offence_id", "person_id", "offence_date", "offence_type", "disposal", "proven"],
                  [["O1", "NOM-778812", "2024-05-01", "asb", "asb_warning", "no"],
                   ["O2", " nom-990321 ", "2023-06-01", "shop_theft", "caution", "yes"],
                   ["O3", "NOM-778812", "2024-07-01", "public_order", "charge", "yes"]])
    return folder


def read_out(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def output_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def expected_pseudonym(key: str, identifier: str) -> str:
    return "p_" + hmac.new(key.encode(), identifier.encode(), hashlib.sha256).hexdigest()[:16]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def test_ids_replaced_consistently_across_tables(tmp_path: Path, key: str) -> None:
    out = tmp_path / "out"
    pseudonymise_folder(make_input(tmp_path / "in"), out)
    referrals, offences = read_out(out / "referrals.csv"), read_out(out / "offences.csv")
    by_ref = dict(zip(["R1", "R2", "R3", "R4"], referrals["person_id"], strict=True))  # rows keep their order
    assert all(PSEUDONYM.match(p) for p in by_ref.values())
    assert by_ref["R1"] == by_ref["R4"]  # one person, two referrals
    assert len({by_ref["R1"], by_ref["R2"], by_ref["R3"]}) == 3
    assert by_ref["R1"] == expected_pseudonym(key, "NOM-778812")  # HMAC-SHA256, 64 bits, p_ prefix
    by_offence = dict(zip(["O1", "O2", "O3"], offences["person_id"], strict=True))
    assert by_offence["O1"] == by_offence["O3"] == by_ref["R1"]
    assert by_offence["O2"] == by_ref["R2"]  # " nom-990321 " is the same person after trimming and case


def test_same_key_same_output_different_key_different(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_input(tmp_path / "in")
    monkeypatch.setenv(KEY_ENV, KEY)
    first = pseudonymise_folder(data, tmp_path / "a")
    pseudonymise_folder(data, tmp_path / "b")
    assert output_bytes(tmp_path / "a") == output_bytes(tmp_path / "b")
    monkeypatch.setenv(KEY_ENV, OTHER_KEY)
    other = pseudonymise_folder(data, tmp_path / "c")
    a, c = read_out(tmp_path / "a" / "referrals.csv"), read_out(tmp_path / "c" / "referrals.csv")
    assert all(REFERRAL_PSEUDONYM.match(r) for r in a["referral_id"].to_list() + c["referral_id"].to_list())
    assert not set(a["person_id"]) & set(c["person_id"])
    assert not set(a["referral_id"]) & set(c["referral_id"])
    assert first.key_fingerprint != other.key_fingerprint


def test_key_appears_nowhere(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    (data / "evaluation.toml").write_text('[scheme]\nname = "Test scheme"\n', encoding="utf-8")
    result = pseudonymise_folder(data, tmp_path / "out")
    files = output_bytes(tmp_path / "out")
    assert {"referrals.csv", "offences.csv", "evaluation.toml", LOG_FILE} <= set(files)
    for name, content in files.items():
        assert key.encode() not in content, name
    assert key not in result.describe()
    assert key not in repr(result)


def test_key_file_inside_input_is_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    data = make_input(tmp_path / "in")
    (data / "key.txt").write_text(KEY + "\n", encoding="utf-8")
    (data / "evaluation.toml").write_text(f'[scheme]\nname = "the key is {KEY}"\n', encoding="utf-8")
    result = pseudonymise_folder(data, tmp_path / "out", key_file=data / "key.txt")
    assert not (tmp_path / "out" / "key.txt").exists()
    assert not (tmp_path / "out" / "evaluation.toml").exists()
    assert dict(result.not_copied) == {"key.txt": "the key file",
                                       "evaluation.toml": "it contains the pseudonymisation key"}
    assert result.key_source == "key file"
    for name, content in output_bytes(tmp_path / "out").items():
        assert KEY.encode() not in content, name
    # the same key from a file or from the environment gives the same pseudonyms
    monkeypatch.setenv(KEY_ENV, KEY)
    pseudonymise_folder(data, tmp_path / "env")
    assert (tmp_path / "out" / "referrals.csv").read_bytes() == (tmp_path / "env" / "referrals.csv").read_bytes()


def test_no_original_identifier_or_value_in_outputs(tmp_path: Path, key: str) -> None:
    pseudonymise_folder(make_input(tmp_path / "in"), tmp_path / "out")
    secrets = [v.encode() for person, fields in PEOPLE.items() for v in (person, *fields)]
    secrets += [b"nom-990321", b"NOM-"]
    for name, content in output_bytes(tmp_path / "out").items():
        for value in secrets:
            assert value not in content, (name, value)


def test_direct_identifiers_dropped_in_varied_spellings(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    write_csv(data / "areas.csv", ["area_id", "name", "role", "intervention_start"],
              [["A1", "Town Centre", "hotspot", "2023-10-01"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    columns = read_out(tmp_path / "out" / "referrals.csv").columns
    assert not set(IDENTIFIERS) & set(columns)
    assert columns == ["referral_id", "person_id", "age", "cohort", "referral_date", "offence_date",
                       "offence_type", "route", "sex", "prior_offences", "status"]
    referrals = next(t for t in result.tables if t.name == "referrals")
    assert set(referrals.dropped_columns) == set(IDENTIFIERS)
    assert all(d.reason.startswith("a direct identifier: ") for d in referrals.dropped)
    assert referrals.pseudonymised == ("referral_id", "person_id")
    assert referrals.derived == ("age",)
    # areas.name is the schema's own column (a place), not a person's name
    assert read_out(tmp_path / "out" / "areas.csv")["name"].to_list() == ["Town Centre"]
    log = json.loads((tmp_path / "out" / LOG_FILE).read_text(encoding="utf-8"))
    assert set(log["tables"]["referrals"]["dropped_columns"]) == set(IDENTIFIERS)
    assert log["tables"]["referrals"]["pseudonymised_columns"] == ["referral_id", "person_id"]
    assert log["tables"]["offences"]["pseudonymised_columns"] == ["offence_id", "person_id"]
    assert {d["header"]: d["reason"] for d in log["tables"]["referrals"]["dropped"]}["Post Code"] == (
        "a direct identifier: a postcode")
    assert log["tables"]["areas"]["dropped_columns"] == []
    assert "HMAC-SHA256" in log["method"] and "64 bits" in log["method"] and KEY_ENV in log["method"]


def test_punctuated_identifier_headers_dropped(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "person_id", "D.O.B.", "Post.Code", "offence_date"],
              [["R1", "NOM-778812", "14/03/2006", "DE1 1AA", "2024-03-14"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    assert read_out(tmp_path / "out" / "referrals.csv").columns == ["referral_id", "person_id", "age", "offence_date"]
    assert result.tables[0].dropped_columns == ("d.o.b.", "post.code")


@pytest.mark.parametrize("header", ["DOB (dd/mm/yyyy)", "Date of Birth", "birth_date", "D.O.B.", "DateOfBirth",
                                    "dob", "Birthdate", "date_of_birth"])
def test_any_date_of_birth_header_gives_age_and_is_named(tmp_path: Path, key: str, header: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "person_id", header, "offence_date"],
              [["R1", "NOM-778812", "14/03/2006", "2024-03-14"], ["R2", "NOM-990321", "15/03/2006", "2024-03-14"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    out = read_out(tmp_path / "out" / "referrals.csv")
    assert out.columns == ["referral_id", "person_id", "age", "offence_date"]
    assert out["age"].to_list() == ["18", "17"]
    assert header_identifier(header) is IdentifierKind.DATE_OF_BIRTH
    assert f"age derived from {header!r} at the offence_date" in result.tables[0].notes
    assert "14/03/2006" not in (tmp_path / "out" / "referrals.csv").read_text(encoding="utf-8")


def test_person_id_spellings_are_renamed_and_hashed(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "Nominal ID"], [["R1", "NOM-778812"]])
    write_csv(data / "offences.csv", ["offence_id", "offender_id"], [["O1", "NOM-778812"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    referrals, offences = read_out(tmp_path / "out" / "referrals.csv"), read_out(tmp_path / "out" / "offences.csv")
    assert referrals.columns == ["referral_id", "person_id"] and offences.columns == ["offence_id", "person_id"]
    assert referrals["person_id"][0] == offences["person_id"][0] == expected_pseudonym(key, "NOM-778812")
    assert "nominal_id used as person_id" in result.tables[0].notes
    assert all(header_identifier(a) is IdentifierKind.PERSON_ID for a in PERSON_ID_ALIASES)


def test_age_derived_with_birthday_arithmetic(tmp_path: Path, key: str) -> None:
    rows = [
        referral("R1", "NOM-778812", offence_date="2024-03-14"),  # 14/03/2006: birthday on the offence date
        referral("R2", "NOM-778812", offence_date="2024-03-13"),  # the day before it
        referral("R3", "NOM-990321", offence_date="2023-02-28"),  # 29/02/2004: not yet 19 on 28 Feb 2023
        referral("R4", "NOM-990321", offence_date="2023-03-01"),  # 19 on 1 March in a non-leap year
        referral("R5", "NOM-990321", offence_date="2024-02-29", referral_date="2024-03-01"),  # 20 on 29 Feb 2024
        referral("R6", "NOM-443210", offence_date="", referral_date="2024-12-31"),  # 31/12/1990: falls back
    ]
    result = pseudonymise_folder(make_input(tmp_path / "in", rows, offences=False), tmp_path / "out")
    out = read_out(tmp_path / "out" / "referrals.csv")
    assert dict(zip(["R1", "R2", "R3", "R4", "R5", "R6"], out["age"], strict=True)) == {
        "R1": "18", "R2": "17", "R3": "18", "R4": "19", "R5": "20", "R6": "34"}
    assert result.tables[0].derived == ("age",)


def test_age_in_years_function() -> None:
    dob = pl.Series([None, "2000-01-01", "2004-02-29", "2004-02-29", "2010-06-15"]).str.to_date()
    at = pl.Series(["2024-01-01", None, "2021-02-28", "2021-03-01", "2024-06-15"]).str.to_date()
    assert age_in_years(dob, at).to_list() == [None, None, 16, 17, 14]


def test_existing_age_kept_and_disagreement_noted(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    rows = [row[:5] + [age] + row[10:] for row, age in ((referral("R1", "NOM-778812"), "18"),
                                                        (referral("R2", "NOM-443210"), "40"))]
    write_csv(data / "referrals.csv", REFERRAL_HEADER[:5] + ["age"] + REFERRAL_HEADER[10:], rows)
    result = pseudonymise_folder(data, tmp_path / "out")
    out = read_out(tmp_path / "out" / "referrals.csv")
    assert out["age"].to_list() == ["18", "40"]
    table = result.tables[0]
    assert table.derived == ()
    assert "date_of_birth" in table.dropped_columns
    assert any("more than a year in 1 row (first at row 3)" in n for n in table.notes)


def test_unparsable_dob_gives_located_error(tmp_path: Path, key: str) -> None:
    rows = [referral("R1", "NOM-778812"), referral("R2", "NOM-990321", dob="31/02/2004"),
            referral("R3", "NOM-443210")]
    data = make_input(tmp_path / "in", rows)
    with pytest.raises(InputError) as info:
        pseudonymise_folder(data, tmp_path / "out")
    message = str(info.value)
    assert "referrals.csv" in message and "'Date of Birth'" in message and "row 3" in message
    assert "31/02/2004" not in message  # a date of birth is not echoed to the terminal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # nothing written, no partial folder


def test_ambiguous_dob_refused_unless_config_says_day_first(tmp_path: Path, key: str) -> None:
    rows = [referral("R1", "NOM-778812", dob="01/02/2006"), referral("R2", "NOM-990321", dob="03/04/2005")]
    data = make_input(tmp_path / "in", rows, offences=False)
    with pytest.raises(InputError, match="ambiguous"):
        pseudonymise_folder(data, tmp_path / "out")
    (data / "evaluation.toml").write_text('[data]\ndate_order = "day-first"\n', encoding="utf-8")
    pseudonymise_folder(data, tmp_path / "out")
    out = read_out(tmp_path / "out" / "referrals.csv")
    assert out["age"].to_list() == ["18", "18"]  # 1 Feb 2006 and 3 Apr 2005, at 14 Mar 2024


def test_dob_after_offence_date_refused(tmp_path: Path, key: str) -> None:
    rows = [referral("R1", "NOM-778812"), referral("R2", "NOM-990321", dob="15/03/2024")]
    with pytest.raises(InputError, match="row 3"):
        pseudonymise_folder(make_input(tmp_path / "in", rows), tmp_path / "out")


@pytest.mark.parametrize("value", [None, "", "too-short-key"])
def test_missing_or_short_key_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(IJEvalError) as info:
        pseudonymise_folder(make_input(tmp_path / "in"), tmp_path / "out")
    message = str(info.value)
    assert KEY_ENV in message and "--key-file" in message and "secrets.token_hex(32)" in message
    if value:
        assert value not in message
    assert not (tmp_path / "out").exists()


def test_short_or_missing_key_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)  # a key file, when given, is the only source
    data = make_input(tmp_path / "in")
    short = tmp_path / "short.key"
    short.write_text("abc123\n", encoding="utf-8")
    with pytest.raises(IJEvalError, match="too short") as info:
        pseudonymise_folder(data, tmp_path / "out", key_file=short)
    assert "abc123" not in str(info.value)
    with pytest.raises(IJEvalError, match="key file not found"):
        pseudonymise_folder(data, tmp_path / "out", key_file=tmp_path / "nope.key")


def test_output_inside_input_or_not_empty_refused(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    before = output_bytes(data)
    for out in (data, data / "out", data / "a" / "b"):
        with pytest.raises(IJEvalError, match="outside the input folder"):
            pseudonymise_folder(data, out)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "referrals.csv").write_text("keep me", encoding="utf-8")
    with pytest.raises(IJEvalError, match="is not empty; choose a new or empty folder"):
        pseudonymise_folder(data, busy)
    assert (busy / "referrals.csv").read_text(encoding="utf-8") == "keep me"
    assert output_bytes(data) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    pseudonymise_folder(data, empty)  # an existing empty folder is fine
    assert (empty / "referrals.csv").is_file()


def test_failure_leaves_nothing_half_written(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in", offences=False)
    (data / "offences.csv").write_text("", encoding="utf-8")  # referrals is written first, then this fails
    with pytest.raises(InputError, match="offences.csv"):
        pseudonymise_folder(data, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_windows_1252_text_survives(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", REFERRAL_HEADER, [referral("R1", "NOM-778812")])
    path = write_csv(data / "costs.csv", ["item", "category", "amount_gbp", "period_start", "period_end", "funder"],
                     [["Paint for the café window", "equipment", "£250", "2024-01-01", "2024-03-31", "PCC"]],
                     encoding="cp1252")
    assert b"\xa3250" in path.read_bytes()  # really Windows-1252
    pseudonymise_folder(data, tmp_path / "out")
    text = (tmp_path / "out" / "costs.csv").read_text(encoding="utf-8")
    assert "Paint for the café window" in text and "£250" in text


def test_blank_ids_stay_blank_and_spreadsheet_ids_match_csv(tmp_path: Path, key: str) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    data = tmp_path / "in"
    data.mkdir()
    book = xlsxwriter.Workbook(str(data / "referrals.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["referral_id", "person_id"])
    sheet.write_row(1, 0, ["R1", 123])  # a numeric cell
    sheet.write_row(2, 0, ["R2", None])
    book.close()
    write_csv(data / "offences.csv", ["offence_id", "person_id"], [["O1", "123"], ["O2", "  "], ["O3", "123.0"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    referrals, offences = read_out(tmp_path / "out" / "referrals.csv"), read_out(tmp_path / "out" / "offences.csv")
    assert referrals["person_id"].to_list() == [expected_pseudonym(key, "123"), None]
    assert offences["person_id"].to_list() == [referrals["person_id"][0], None, referrals["person_id"][0]]
    assert [t.output for t in result.tables] == ["referrals.csv", "offences.csv"]


def test_other_files_copied_or_left_behind(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    (data / "evaluation.toml").write_text('[scheme]\nname = "Test"\n', encoding="utf-8")
    (data / "police_uk" / "2024-01").mkdir(parents=True)
    (data / "police_uk" / "2024-01" / "2024-01-derbyshire-street.csv").write_text(POLICE_UK_FILE)
    (data / "nominals.csv").write_text("name,dob\nAlice,01/01/2000\n", encoding="utf-8")
    (data / "extracts").mkdir()
    result = pseudonymise_folder(data, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "evaluation.toml").read_bytes() == (data / "evaluation.toml").read_bytes()
    assert (out / "police_uk" / "2024-01" / "2024-01-derbyshire-street.csv").is_file()
    assert not (out / "nominals.csv").exists() and not (out / "extracts").exists()
    assert set(result.copied) == {"evaluation.toml", "police_uk/2024-01/2024-01-derbyshire-street.csv"}
    assert {n for n, _ in result.not_copied} == {"nominals.csv", "extracts/"}
    assert "NOT copied: nominals.csv" in result.describe()


def test_output_passes_validation_that_input_fails(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    before = validate_folder(data, EvaluationConfig())
    assert any("direct identifier" in p.rule for p in before.errors)
    assert not before.ok
    pseudonymise_folder(data, tmp_path / "out")
    after = validate_folder(tmp_path / "out", EvaluationConfig())
    assert after.ok, after.render()
    assert not any("direct identifier" in p.rule for p in after.problems)
    assert set(after.tables) == {"referrals", "offences"}


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_input(tmp_path / "in")
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert KEY_ENV in captured.err and "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(KEY_ENV, KEY)
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "referrals.csv -> referrals.csv" in captured.out and "pseudonymised referral_id, person_id" in captured.out
    assert KEY not in captured.out + captured.err and "NOM-" not in captured.out + captured.err
    assert (tmp_path / "out" / "referrals.csv").is_file()
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 2  # never overwrites
    assert "is not empty; choose a new" in capsys.readouterr().err


def test_reference_ids_hashed_consistently_across_tables(tmp_path: Path, key: str) -> None:
    """referral_id in the surveys still finds its referral; each kind of id has its own prefix."""
    data = make_input(tmp_path / "in")
    write_csv(data / "participant_survey.csv", ["response_id", "referral_id", "survey_date", "consent_to_quote"],
              [["RESP-1", "R1", "2024-04-01", "no"], ["RESP-2", " r2 ", "2024-04-02", "no"]])
    write_csv(data / "victim_survey.csv", ["response_id", "referral_id", "survey_date", "consent_to_quote"],
              [["RESP-1", "R3", "2024-04-03", "no"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    out = tmp_path / "out"
    referrals = read_out(out / "referrals.csv")
    participants, victims = read_out(out / "participant_survey.csv"), read_out(out / "victim_survey.csv")
    offences = read_out(out / "offences.csv")
    assert participants["referral_id"].to_list() == referrals["referral_id"].to_list()[:2]
    assert victims["referral_id"].to_list() == [referrals["referral_id"][2]]
    assert all(r.startswith("s_") for r in participants["response_id"].to_list() + victims["response_id"].to_list())
    assert all(o.startswith("o_") for o in offences["offence_id"])
    # a referral id equal to a person id does not give the same hash under another prefix
    assert referrals["referral_id"][0][2:] != expected_pseudonym(key, "R1")[2:]
    tables = {t.name: t for t in result.tables}
    assert tables["participant_survey"].pseudonymised == ("response_id", "referral_id")
    after = validate_folder(out, EvaluationConfig())
    assert after.ok, after.render()


def test_ids_that_merge_when_normalised_are_refused(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "person_id"], [["R1", "A"], ["r1", "B"], ["R2", "C"]])
    with pytest.raises(ValidationFailed) as info:
        pseudonymise_folder(data, tmp_path / "out")
    [p] = info.value.problems
    assert (p.file, p.column, p.rows) == ("referrals.csv", "referral_id", (2, 3))
    assert sorted(q.name for q in tmp_path.iterdir()) == ["in"]


# ---- the allowlist, values and other files ----------------------------------------------------------

EXAMPLE_HEADERS = {  # header -> a value that must not survive
    "Home Postcode": "DE22 3AB", "Contact Email": "kyle.smith@example.org", "DOB (dd/mm/yyyy)": "14/03/2006",
    "Suspect Name": "Kyle Smith", "Current Address": "14 Elm Road", "Phone 2": "07700 900461",
    "CRO number": "123456/89X", "Notes": "brother of Dave", "school": "Hill High",
}


def test_only_schema_columns_and_declared_covariates_are_written(tmp_path: Path, key: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "in"
    data.mkdir()
    header = ["referral_id", "person_id", "offence_date", "employment", *EXAMPLE_HEADERS]
    write_csv(data / "referrals.csv", header, [["R1", "NOM-1", "2024-03-14", "student", *EXAMPLE_HEADERS.values()]])
    config = tmp_path / "elsewhere.toml"
    config.write_text('[reoffending]\ncovariates = ["age", "sex", "employment"]\n', encoding="utf-8")
    assert main(["pseudonymise", str(data), str(tmp_path / "out"), "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    out = read_out(tmp_path / "out" / "referrals.csv")
    assert out.columns == ["referral_id", "person_id", "offence_date", "employment", "age"]
    assert out["employment"].to_list() == ["student"] and out["age"].to_list() == ["18"]
    content = b"".join(output_bytes(tmp_path / "out").values())
    for value in EXAMPLE_HEADERS.values():
        assert value.encode() not in content, value
    for header_ in EXAMPLE_HEADERS:  # each dropped column is named, with its reason, in the summary
        assert f"dropped {header_!r}: " in printed, header_
    assert "dropped 'Notes': not in the schema and not declared" in printed
    assert "dropped 'Home Postcode': a direct identifier: a postcode" in printed
    assert "age derived from 'DOB (dd/mm/yyyy)'" in printed
    assert f"covariates declared in {config}" in printed
    log = json.loads((tmp_path / "out" / LOG_FILE).read_text(encoding="utf-8"))
    assert {d["header"] for d in log["tables"]["referrals"]["dropped"]} == set(EXAMPLE_HEADERS)
    assert log["tables"]["referrals"]["covariates"] == ["employment"]
    after = validate_folder(tmp_path / "out", config_from_toml(config))  # (required columns are missing here)
    assert not [p for p in after.problems if "not in the schema" in p.rule or "direct identifier" in p.rule
                or "look like" in p.rule], after.render()


def config_from_toml(path: Path):
    from ij_eval.config import load_config

    return load_config(path)


def test_without_a_config_no_covariate_is_kept(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "person_id", "employment"], [["R1", "NOM-1", "student"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    assert read_out(tmp_path / "out" / "referrals.csv").columns == ["referral_id", "person_id"]
    assert "no covariates are declared" in result.describe()


def test_files_that_are_not_tables_are_left_behind_and_listed(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    (data / "notes.txt").write_text("Kyle Smith 07700 900461\n", encoding="utf-8")
    (data / "old_evaluation.toml").write_text('[scheme]\nname = "x"\n', encoding="utf-8")
    (data / ".hidden.csv").write_text("name\nKyle Smith\n", encoding="utf-8")
    street = data / "police_uk" / "2024-01"
    street.mkdir(parents=True)
    (street / "2024-01-derbyshire-street.csv").write_text(POLICE_UK_FILE, encoding="utf-8")
    (street / "2024-01-derbyshire-outcomes.csv").write_text("Crime ID,Month\n,2024-01\n", encoding="utf-8")
    (street / "2024-02-derbyshire-street.csv").write_text("Name,Month,LSOA code,Crime type\nKyle Smith,2024-02,"
                                                          "E01013456,Anti-social behaviour\n", encoding="utf-8")
    (data / "police_uk" / "readme.txt").write_text("called 07700 900461", encoding="utf-8")
    result = pseudonymise_folder(data, tmp_path / "out")
    out = tmp_path / "out"
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {"referrals.csv", "offences.csv", LOG_FILE, "police_uk/2024-01/2024-01-derbyshire-street.csv"}
    left = dict(result.not_copied)
    assert set(left) == {"notes.txt", "old_evaluation.toml", ".hidden.csv", "police_uk/readme.txt",
                         "police_uk/2024-01/2024-01-derbyshire-outcomes.csv",
                         "police_uk/2024-01/2024-02-derbyshire-street.csv"}
    assert "may hold personal data" in left["notes.txt"]
    assert "header is not that of a data.police.uk street-level file" in left[
        "police_uk/2024-01/2024-02-derbyshire-street.csv"]
    assert "NOT copied: notes.txt" in result.describe()
    log = json.loads((out / LOG_FILE).read_text(encoding="utf-8"))
    assert {e["file"] for e in log["not_copied"]} == set(left)


def test_contact_details_in_structured_text_are_refused(tmp_path: Path, key: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = make_input(tmp_path / "in")
    write_csv(data / "placements.csv", ["placement_id", "site", "activity"],
              [["PL1", "Park", "litter_picking"], ["PL2", "Back garden, ring 07700 900461", "allotment"]])
    write_csv(data / "costs.csv", ["item", "category", "amount_gbp", "period_start", "period_end", "funder"],
              [["Paint", "equipment", "10", "2024-01-01", "2024-01-31", "jane dot doe at gmail dot com"]])
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "placements.csv, column 'site': values look like a UK phone number" in err and "row 3" in err
    assert "costs.csv, column 'funder': values look like an email address written out in words" in err
    assert "07700" not in err and "jane" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_names_as_person_ids_are_refused_emails_hashed_with_a_note(tmp_path: Path, key: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_csv(data / "referrals.csv", ["referral_id", "person_id"], [["R1", "John Smith"], ["R2", "NOM-2"]])
    with pytest.raises(ValidationFailed) as info:
        pseudonymise_folder(data, tmp_path / "out")
    [p] = info.value.problems
    assert (p.column, p.rows, p.values) == ("person_id", (2,), ())
    assert "look like a person's name" in p.rule and "nominal or PNC id" in p.hint
    write_csv(data / "referrals.csv", ["referral_id", "person_id"], [["R1", "kyle@example.org"], ["R2", "NOM-2"]])
    result = pseudonymise_folder(data, tmp_path / "out")
    assert any("person_id values look like an email address in 1 row (first at row 2)" in n
               for n in result.tables[0].notes)
    assert b"kyle" not in (tmp_path / "out" / "referrals.csv").read_bytes()


def test_contact_details_are_removed_from_comments(tmp_path: Path, key: str) -> None:
    data = make_input(tmp_path / "in")
    write_csv(data / "participant_survey.csv", ["response_id", "survey_date", "consent_to_quote", "comment"],
              [["S1", "2024-04-01", "yes", "Great. Text me on 07700 900461"], ["S2", "2024-04-01", "no", "Fine."]])
    result = pseudonymise_folder(data, tmp_path / "out")
    comments = read_out(tmp_path / "out" / "participant_survey.csv")["comment"].to_list()
    assert comments == ["Great. Text me on [phone number removed]", "Fine."]
    survey = next(t for t in result.tables if t.name == "participant_survey")
    assert "comment: removed a UK phone number from 1 row (first at row 2)" in survey.notes[0]


def test_a_data_row_as_header_is_not_printed(tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_input(tmp_path / "in", offences=False)
    write_csv(data / "offences.csv", ["O1", "NOM-778812", "kyle.smith@example.org"], [["O2", "NOM-990321", "x"]])
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "kyle.smith" not in printed and "kyl… (an email address)" in printed
    assert b"kyle.smith" not in b"".join(output_bytes(tmp_path / "out").values())


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaaaaaa", "1234567890123456", "passwordpassword", "qwertyuiopasdfgh"])
def test_weak_keys_refused_before_anything_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], weak: str) -> None:
    monkeypatch.setenv(KEY_ENV, weak)
    data = make_input(tmp_path / "in")
    assert main(["pseudonymise", str(data), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "too easy to guess" in err and "secrets.token_hex(32)" in err and weak not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_other_worksheets_are_named_as_left_behind(tmp_path: Path, key: str) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    data = tmp_path / "in"
    data.mkdir()
    book = xlsxwriter.Workbook(str(data / "referrals.xlsx"))
    book.add_worksheet().write_row(0, 0, ["referral_id", "person_id"])
    book.worksheets()[0].write_row(1, 0, ["R1", "NOM-1"])
    book.add_worksheet("Kyle Smith").write_row(0, 0, ["name", "phone"])
    book.close()
    result = pseudonymise_folder(data, tmp_path / "out")
    assert "the workbook has 1 other worksheet: only the first was read and written" in result.tables[0].notes[0]
    assert b"Kyle" not in b"".join(output_bytes(tmp_path / "out").values())
