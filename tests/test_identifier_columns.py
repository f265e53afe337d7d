"""The column allowlist, the value scan and the key-strength rule (ij_eval.privacy.columns, keys)."""

from __future__ import annotations

import secrets

import polars as pl
import pytest

from ij_eval.privacy import detect
from ij_eval.privacy.columns import (
    LOOKS_LIKE_A_NAME,
    PSEUDONYMISED,
    IdentifierKind,
    IdKind,
    TextRole,
    Verdict,
    header_identifier,
    plan_columns,
    redact,
    redact_column,
    scan_values,
    shown_header,
    text_columns,
)
from ij_eval.privacy.keys import MIN_KEY_BITS, key_strength
from ij_eval.schema import load_schemas

SCHEMAS = load_schemas()

# ---- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "kind"), [
    ("Home Postcode", IdentifierKind.POSTCODE), ("Post Code", IdentifierKind.POSTCODE),
    ("Contact Email", IdentifierKind.EMAIL), ("E-mail", IdentifierKind.EMAIL),
    ("DOB (dd/mm/yyyy)", IdentifierKind.DATE_OF_BIRTH), ("Date of Birth", IdentifierKind.DATE_OF_BIRTH),
    ("birth_date", IdentifierKind.DATE_OF_BIRTH), ("D.O.B.", IdentifierKind.DATE_OF_BIRTH),
    ("DateOfBirth", IdentifierKind.DATE_OF_BIRTH), ("born_on", IdentifierKind.DATE_OF_BIRTH),
    ("Year of Birth", IdentifierKind.YEAR_OF_BIRTH),
    ("Suspect Name", IdentifierKind.NAME), ("Forename", IdentifierKind.NAME), ("SURNAME", IdentifierKind.NAME),
    ("Current Address", IdentifierKind.ADDRESS), ("Address Line 1", IdentifierKind.ADDRESS),
    ("Phone 2", IdentifierKind.PHONE), ("Mobile", IdentifierKind.PHONE), ("contact number", IdentifierKind.PHONE),
    ("CRO number", IdentifierKind.OFFICIAL_ID), ("PNC ID", IdentifierKind.OFFICIAL_ID),
    ("NI Number", IdentifierKind.OFFICIAL_ID), ("National Insurance No", IdentifierKind.OFFICIAL_ID),
    ("Crime Ref", IdentifierKind.POLICE_REFERENCE), ("custody_number", IdentifierKind.POLICE_REFERENCE),
    ("Facebook", IdentifierKind.ONLINE_ID), ("Vehicle Reg No", IdentifierKind.VEHICLE),
    ("nominal_id", IdentifierKind.PERSON_ID),
])
def test_headers_that_name_a_direct_identifier(header, kind):
    assert header_identifier(header) is kind


@pytest.mark.parametrize("header", ["site_name", "Area Name", "school", "employment", "notes", "chi_square",
                                    "source_url", "cell_n", "contact_rate", "crime_type", "offence_code"])
def test_headers_that_do_not(header):
    assert header_identifier(header) is None


def test_a_header_that_is_data_is_masked():
    assert shown_header("07700 900123") == "077… (a UK phone number)"
    assert shown_header("Home Postcode") == "Home Postcode"


# ---- the allowlist ------------------------------------------------------------------------------

def test_plan_keeps_schema_and_declared_columns_only():
    referrals = SCHEMAS["referrals"]
    plan = plan_columns(["referral_id", "person_id", "school", "home_postcode", "employment", "postcode"], referrals,
                        ("age", "employment", "postcode", "missing"), {"home_postcode": "Home Postcode"})
    verdicts = {d.column: d.verdict for d in plan.decisions}
    assert verdicts == {"referral_id": Verdict.SCHEMA, "person_id": Verdict.SCHEMA, "school": Verdict.UNDECLARED,
                        "home_postcode": Verdict.IDENTIFIER, "employment": Verdict.COVARIATE,
                        "postcode": Verdict.IDENTIFIER}
    assert plan.kept == ("referral_id", "person_id", "employment")
    assert plan.covariates == ("employment",)
    assert plan.absent_covariates == ("missing",)
    declared = next(d for d in plan.identifiers if d.column == "postcode")
    assert declared.declared and "declared as a covariate, but a direct identifier is never kept" in declared.reason


def test_covariates_apply_to_referrals_only():
    plan = plan_columns(["placement_id", "site", "activity", "employment"], SCHEMAS["placements"], ("employment",))
    assert [d.verdict for d in plan.decisions][-1] is Verdict.UNDECLARED
    assert plan.absent_covariates == ()


def test_a_schema_column_passes_whatever_its_name():
    plan = plan_columns(["area_id", "name", "role"], SCHEMAS["areas"])
    assert plan.kept == ("area_id", "name", "role")


def test_pseudonymised_ids_are_consistent_with_the_schemas():
    """Every reference to a hashed column is hashed too, with the same kind, so references hold."""
    for schema in SCHEMAS.values():
        for col in schema.columns:
            if col.references:
                target = col.references.split(".")[1]
                assert (col.name in PSEUDONYMISED) == (target in PSEUDONYMISED), (schema.name, col.name)
                if target in PSEUDONYMISED:
                    assert PSEUDONYMISED[col.name] is PSEUDONYMISED[target]
    for name in PSEUDONYMISED:
        assert any(name in s.column_names for s in SCHEMAS.values()), name
    prefixes = [k.value for k in IdKind]
    assert len(set(prefixes)) == len(prefixes)
    for prefix in prefixes:  # the publication gate recognises every pseudonym we write
        pseudonym = f"{prefix}_0123456789abcdef"
        assert detect.first_identifier(pseudonym, detect.PSEUDONYMS) is not None, prefix


def test_text_columns_of_the_schemas():
    assert text_columns(SCHEMAS["placements"]) == {"placement_id": TextRole.ID, "site": TextRole.STRUCTURED}
    assert text_columns(SCHEMAS["costs"]) == {"item": TextRole.STRUCTURED, "funder": TextRole.STRUCTURED}
    survey = text_columns(SCHEMAS["participant_survey"])
    assert survey["comment"] is TextRole.FREE_TEXT and survey["referral_id"] is TextRole.ID
    referrals = text_columns(SCHEMAS["referrals"], ("employment",))
    assert referrals["person_id"] is TextRole.PERSON_ID and referrals["employment"] is TextRole.STRUCTURED
    assert "area_code" not in referrals  # a patterned code accepts only its own format


# ---- values -------------------------------------------------------------------------------------

EXAMPLES = {  # one value of every kind the scan looks for
    detect.Kind.EMAIL: "write to kyle.smith@example.org please",
    detect.Kind.SPELLED_EMAIL: "kyle dot smith at gmail dot com",
    detect.Kind.PHONE: "ring 07700 900123",
    detect.Kind.SPELLED_PHONE: "oh seven seven double oh nine double oh one two three",
    detect.Kind.POSTCODE: "near DE22 3AB",
    detect.Kind.NI_NUMBER: "QQ 12 34 56 C",
    detect.Kind.PNC_ID: "12/345678A",
    detect.Kind.CRO_NUMBER: "123456/89X",
    detect.Kind.DATE_OF_BIRTH: "DOB 01/02/2005",
}


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_the_prefilter_passes_every_kind(kind):
    """could_hold_identifier is a necessary condition: it never hides a finding from the detectors."""
    text = EXAMPLES[kind]
    assert detect.first_identifier(text, [kind]) is not None
    assert detect.could_hold_identifier(pl.Series([text])).to_list() == [True]


def test_the_prefilter_passes_over_plain_codes_and_words():
    values = ["R000123", "p_3f9a1c2b7d4e5f60", "PL-12", "Park litter pick", "Home Office", "123456789"]
    assert detect.could_hold_identifier(pl.Series(values)).to_list() == [False] * len(values)
    assert detect.could_hold_identifier(pl.Series(["0770090012"])).to_list() == [True]  # ten digits


def _frame(**columns) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(columns).with_columns(pl.Series("__row", range(2, n + 2)))


def test_scan_finds_each_kind_per_column_without_values():
    frame = _frame(site=["Park", EXAMPLES[detect.Kind.PHONE], "Yard", EXAMPLES[detect.Kind.PHONE]],
                   funder=["PCC", "PCC", EXAMPLES[detect.Kind.SPELLED_EMAIL], None])
    found = scan_values(frame, {"site": TextRole.STRUCTURED, "funder": TextRole.STRUCTURED})
    assert {(f.column, f.kind, f.n_rows) for f in found} == {
        ("site", "a UK phone number", 2), ("funder", "an email address written out in words", 1)}
    assert all(isinstance(f.kind, str) and "@" not in f.kind for f in found)


def test_person_ids_that_are_names():
    frame = _frame(person_id=["John Smith", "SMITH, John", "Mary-Jane O'Neil", "NOM-1", "p_3f9a1c2b7d4e5f60",
                              "Smith"])
    [finding] = scan_values(frame, {"person_id": TextRole.PERSON_ID})
    assert finding.kind == LOOKS_LIKE_A_NAME
    assert finding.mask.to_list() == [True, True, True, False, False, False]


def test_redact_replaces_each_identifier_by_its_kind():
    text, kinds = redact("Ring 07700 900123 or kyle dot smith at gmail dot com. It was fair.")
    assert text == "Ring [phone number removed] or [email address removed]. It was fair."
    assert kinds == (detect.Kind.PHONE, detect.Kind.SPELLED_EMAIL)
    assert redact("It was fair.") == ("It was fair.", ())
    s, mask, kinds = redact_column(pl.Series(["fine", "me@x.org", None]))
    assert s.to_list() == ["fine", "[email address removed]", None]
    assert mask.to_list() == [False, True, False] and kinds == (detect.Kind.EMAIL,)


# ---- keys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "reason"), [
    ("aaaaaaaaaaaaaaaa", "repeats a short pattern"),
    ("1234567890123456", "runs in sequence"),
    ("passwordpassword", "repeats a short pattern"),
    ("qwertyuiopasdfgh", "common words"),
    ("abcabcabcabcabca", "repeats a short pattern"),
    ("1qaz2wsx3edc4rfv", "common words"),
    ("correcthorsebatterystaple", "common words"),
    ("Derbyshire2024!!", "common words"),
])
def test_weak_keys_are_refused_with_a_reason(key, reason):
    strength = key_strength(key)
    assert not strength.ok and strength.bits < MIN_KEY_BITS
    assert reason in strength.explain()
    assert key not in strength.explain()


def test_a_random_number_too_short_for_its_digits():
    strength = key_strength("3904718265109374")  # 16 random digits: 53 bits
    assert not strength.ok and "too short for the characters it uses" in strength.explain()


def test_short_key_refused_as_short():
    assert "too short (fewer than 16 characters)" in key_strength("Xk9#mQ2!").explain()


def test_generated_keys_pass():
    for _ in range(20):
        assert key_strength(secrets.token_hex(32)).ok
        assert key_strength(secrets.token_hex(16)).ok
        assert key_strength(secrets.token_urlsafe(16)).ok
    assert not key_strength(secrets.token_hex(8)).ok  # 64 bits
    assert not key_strength(secrets.token_hex(8) * 4).ok  # a repeated random block is still 64 bits
