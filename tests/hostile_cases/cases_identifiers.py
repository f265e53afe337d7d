"""Identifiers by allowlist (issue 13, item 1): columns, values, other files and keys.

``pseudonymise`` keeps only the schemas' columns and the declared covariates (the identifier
values must appear in no file of the clean folder), leaves every other file behind and refuses
weak keys (exit 2, nothing written); ``validate`` and ``run`` refuse any other column and any
contact detail or official id in a text value (exit 1, file and column named, nothing written).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from builders import csv_text, edit, valid_tables

from hostile_cases.harness import PSEUDONYMISE, RUN, VALIDATE, Hostile, Outcome, Workspace

CATEGORY = "identifiers"

#: The headers the issue found kept verbatim, each with a value that must never get through.
HEADERS = {
    "Home Postcode": ("home_postcode", "DE22 3AB", "a postcode"),
    "Contact Email": ("contact_email", "kyle.smith@example.org", "an email address"),
    "DOB (dd/mm/yyyy)": ("dob_(dd/mm/yyyy)", "14/03/2005", "a date of birth"),
    "Suspect Name": ("suspect_name", "Kyle Smith", "a name"),
    "Current Address": ("current_address", "14 Elm Road, Derby", "an address"),
    "Phone 2": ("phone_2", "07700 900461", "a phone number"),
    "CRO number": ("cro_number", "123456/89X", "an official id"),
}


def _write(folder, cells: dict, omit: tuple[str, ...] = ()) -> None:
    tables = edit(valid_tables(), cells=cells)
    for name, columns in tables.items():
        if name not in omit:
            (folder / f"{name}.csv").write_text(csv_text(columns), encoding="utf-8")


def _in_data(cells: dict) -> Callable[[Workspace], None]:
    def arrange(ws: Workspace) -> None:
        _write(ws.data, cells)
    return arrange


def _in_raw(cells: dict, extra: Callable[[Workspace], None] | None = None) -> Callable[[Workspace], None]:
    def arrange(ws: Workspace) -> None:
        shutil.copytree(ws.data, ws.raw)
        _write(ws.raw, cells)
        if extra is not None:
            extra(ws)
    return arrange


def _not_in_output(*values: str) -> Callable[[Workspace, Outcome], None]:
    def check(ws: Workspace, outcome: Outcome) -> None:
        for v in values:
            assert v not in outcome.text, f"{v!r} printed:\n{outcome.text}"
    return check


def _header_cells(header: str, value: str) -> dict:
    return {("referrals", header, i): value for i in range(5)}


def _pseudonymise_header(header: str) -> Hostile:
    column, value, kind = HEADERS[header]
    return Hostile(
        f"id_pseudonymise_drops_{column.strip('()').replace('(', '').replace('/', '_').replace(')', '')}",
        CATEGORY, _in_raw(_header_cells(header, value)), (PSEUDONYMISE,), 0,
        says=(f"dropped {header!r}: a direct identifier: {kind}",), writes="output", never_published=(value,))


def _validate_header(header: str, step: tuple[str, ...], verb: str) -> Hostile:
    column, value, kind = HEADERS[header]
    slug = column.replace("(", "").replace(")", "").replace("/", "_")
    return Hostile(
        f"id_{verb}_refuses_{slug}", CATEGORY, _in_data(_header_cells(header, value)), (step,), 1,
        says=(f"referrals.csv, column '{column}': direct identifier columns present", kind,
              "ij-eval pseudonymise"),
        prior_store=verb == "run", check=_not_in_output(value))


def _notes_file(ws: Workspace) -> None:
    (ws.raw / "notes.txt").write_text("Kyle Smith rang from 07700 900461 about his order\n", encoding="utf-8")


def _force_extract_in_police_uk(ws: Workspace) -> None:
    folder = ws.raw / "police_uk" / "2024-01"
    folder.mkdir(parents=True)
    (folder / "2024-01-derbyshire-street.csv").write_text(
        "Suspect,Month,LSOA code,Crime type\nKyle Smith,2024-01,E01000001,Anti-social behaviour\n", encoding="utf-8")


def _covariate_config(name: str) -> Callable[[Workspace], None]:
    def extra(ws: Workspace) -> None:
        text = (ws.raw / "evaluation.toml").read_text(encoding="utf-8")
        (ws.raw / "evaluation.toml").write_text(
            text + f'\n[reoffending]\ncovariates = ["age", "sex", "prior_offences", "{name}"]\n', encoding="utf-8")
    return extra


def _header_is_a_record(folder_attr: str) -> Callable[[Workspace], None]:
    """A placements file exported without its header: the first record is read as the header."""
    def arrange(ws: Workspace) -> None:
        if folder_attr == "raw":
            shutil.copytree(ws.data, ws.raw)
        folder = getattr(ws, folder_attr)
        lines = csv_text(valid_tables()["placements"]).splitlines()
        lines[0] = "PL9,Kyle Smith kyle.smith@example.org,E01000001,allotment,council,3"
        (folder / "placements.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return arrange


def _weak_key(key: str, slug: str) -> Hostile:
    return Hostile(f"id_weak_key_{slug}", CATEGORY, _in_raw({}), (PSEUDONYMISE,), 2,
                   says=("pseudonymisation key from the environment variable IJ_EVAL_PSEUDONYMISATION_KEY is refused",
                         "too easy to guess", "secrets.token_hex(32)"),
                   env=(("IJ_EVAL_PSEUDONYMISATION_KEY", key),), check=_not_in_output(key))


CASES = [
    # ---- every header the issue found kept: dropped by pseudonymise, refused by validate and run
    *(_pseudonymise_header(h) for h in HEADERS),
    *(_validate_header(h, VALIDATE, "validate") for h in HEADERS),
    *(_validate_header(h, RUN, "run") for h in HEADERS),
    # ---- any other column
    Hostile("id_validate_refuses_undeclared_covariate", CATEGORY, _in_data({("referrals", "school", 0): "Hill High"}),
            (VALIDATE,), 1,
            says=("referrals.csv, column 'school': columns not in the schema and not declared as covariates",
                  '[reoffending] covariates = ["age", "sex", "prior_offences", "school"]', "ij-eval pseudonymise")),
    Hostile("id_run_refuses_extra_column_in_placements", CATEGORY,
            _in_data({("placements", "Notes", 1): "key safe code 4417"}), (RUN,), 1,
            says=("placements.csv, column 'notes': columns not in the schema", "data_schemas/placements.yaml"),
            prior_store=True),
    Hostile("id_pseudonymise_drops_undeclared_column", CATEGORY,
            _in_raw({("placements", "Notes", 1): "key safe code 4417, ask for Kyle"}), (PSEUDONYMISE,), 0,
            says=("dropped 'Notes': not in the schema and not declared",), writes="output",
            never_published=("ask for Kyle", "4417")),
    Hostile("id_pseudonymise_drops_declared_covariate_that_is_an_identifier", CATEGORY,
            _in_raw({("referrals", "postcode", i): "DE22 3AB" for i in range(5)}, _covariate_config("postcode")),
            (PSEUDONYMISE,), 0,
            says=("dropped 'postcode': a direct identifier: a postcode; declared as a covariate",), writes="output",
            never_published=("DE22 3AB",)),
    Hostile("id_validate_refuses_declared_covariate_that_is_an_identifier", CATEGORY,
            lambda ws: (_in_data({("referrals", "postcode", 0): "DE22 3AB"})(ws),
                        ws.add_config('[reoffending]\ncovariates = ["age", "sex", "prior_offences", "postcode"]')),
            (VALIDATE,), 1,
            says=("referrals.csv, column 'postcode': direct identifier columns present",
                  "remove postcode from [reoffending] covariates")),
    Hostile("id_pseudonymise_masks_a_record_read_as_header", CATEGORY, _header_is_a_record("raw"), (PSEUDONYMISE,), 0,
            says=("Kyl… (an email address)",), writes="output", never_published=("kyle.smith@example.org",),
            check=_not_in_output("kyle.smith@example.org")),
    Hostile("id_validate_masks_a_record_read_as_header", CATEGORY, _header_is_a_record("data"), (VALIDATE,), 1,
            says=("placements.csv", "Kyl… (an email address)"), check=_not_in_output("kyle.smith@example.org")),
    # ---- files that are not tables
    Hostile("id_pseudonymise_leaves_notes_txt_behind", CATEGORY, _in_raw({}, _notes_file), (PSEUDONYMISE,), 0,
            says=("NOT copied: notes.txt (not an input table, the config or data.police.uk data",),
            writes="output", never_published=("Kyle Smith", "07700 900461")),
    Hostile("id_pseudonymise_leaves_a_force_extract_in_police_uk_behind", CATEGORY,
            _in_raw({}, _force_extract_in_police_uk), (PSEUDONYMISE,), 0,
            says=("NOT copied: police_uk/2024-01/2024-01-derbyshire-street.csv (its header is not that of a "
                  "data.police.uk street-level file",),
            writes="output", never_published=("Kyle Smith",)),
    # ---- values
    Hostile("id_validate_refuses_email_as_person_id", CATEGORY,
            _in_data({("referrals", "person_id", 1): "kyle.smith@example.org",
                      ("offences", "person_id", 1): "kyle.smith@example.org"}), (VALIDATE,), 1,
            says=("referrals.csv, column 'person_id': values look like an email address", "first at row 3",
                  "ij-eval pseudonymise"),
            check=_not_in_output("kyle.smith@example.org")),
    Hostile("id_run_refuses_pnc_id_as_person_id", CATEGORY,
            _in_data({("referrals", "person_id", 0): "12/345678A", ("offences", "person_id", 0): "12/345678A"}),
            (RUN,), 1, says=("referrals.csv, column 'person_id': values look like a PNC id", "first at row 2"),
            prior_store=True, check=_not_in_output("12/345678A")),
    Hostile("id_validate_refuses_name_as_person_id", CATEGORY,
            _in_data({("referrals", "person_id", 3): "Kyle Smith"}), (VALIDATE,), 1,
            says=("referrals.csv, column 'person_id': person ids look like a person's name", "first at row 5",
                  "nominal or PNC id"), check=_not_in_output("Kyle Smith")),
    Hostile("id_pseudonymise_refuses_name_as_person_id", CATEGORY,
            _in_raw({("referrals", "person_id", 3): "Kyle Smith"}), (PSEUDONYMISE,), 1,
            says=("referrals.csv, column 'person_id': person ids look like a person's name", "nothing was written"),
            check=_not_in_output("Kyle Smith")),
    Hostile("id_pseudonymise_hashes_email_person_id_with_a_note", CATEGORY,
            _in_raw({("referrals", "person_id", 1): "kyle.smith@example.org",
                     ("offences", "person_id", 1): "kyle.smith@example.org"}), (PSEUDONYMISE,), 0,
            says=("person_id values look like an email address in 1 row (first at row 3); they were replaced by "
                  "pseudonyms",), writes="output", never_published=("kyle.smith@example.org", "kyle")),
    Hostile("id_run_refuses_phone_number_in_placement_site", CATEGORY,
            _in_data({("placements", "site", 1): "Back garden of no. 14, ring 07700 900461"}), (RUN,), 1,
            says=("placements.csv, column 'site': values look like a UK phone number", "first at row 3"),
            prior_store=True, check=_not_in_output("07700 900461")),
    Hostile("id_pseudonymise_refuses_phone_number_in_placement_site", CATEGORY,
            _in_raw({("placements", "site", 1): "Back garden, ring 07700 900461"}), (PSEUDONYMISE,), 1,
            says=("placements.csv, column 'site': values look like a UK phone number",),
            check=_not_in_output("07700 900461")),
    Hostile("id_validate_refuses_spelled_out_email_in_funder", CATEGORY,
            _in_data({("costs", "funder", 2): "Mrs Jane Doe (jane dot doe at gmail dot com)"}), (VALIDATE,), 1,
            says=("costs.csv, column 'funder': values look like an email address written out in words",
                  "first at row 4"), check=_not_in_output("jane dot doe")),
    Hostile("id_pseudonymise_refuses_spelled_out_email_in_funder", CATEGORY,
            _in_raw({("costs", "funder", 2): "jane dot doe at gmail dot com"}), (PSEUDONYMISE,), 1,
            says=("costs.csv, column 'funder': values look like an email address written out in words",),
            check=_not_in_output("jane dot doe")),
    Hostile("id_validate_refuses_postcode_in_area_name", CATEGORY,
            _in_data({("areas", "name", 2): "Riverside DE22 3AB"}), (VALIDATE,), 1,
            says=("areas.csv, column 'name': values look like a UK postcode", "first at row 4")),
    Hostile("id_validate_refuses_ni_number_in_text_covariate", CATEGORY,
            lambda ws: (_in_data({("referrals", "employment", 0): "QQ 12 34 56 C"})(ws),
                        ws.add_config('[reoffending]\ncovariates = ["age", "sex", "prior_offences", "employment"]')),
            (VALIDATE,), 1,
            says=("referrals.csv, column 'employment': values look like a National Insurance number",)),
    Hostile("id_validate_warns_of_phone_number_in_a_comment", CATEGORY,
            _in_data({("participant_survey", "comment", 0): "Ring me on oh seven seven double oh nine double oh "
                                                             "four six one"}),
            (VALIDATE,), 0,
            says=("WARNING: participant_survey.csv, column 'comment': comments hold a phone number written out in "
                  "words", "never quoted"), check=_not_in_output("double oh nine")),
    Hostile("id_pseudonymise_removes_email_from_a_comment", CATEGORY,
            _in_raw({("victim_survey", "comment", 0): "Thanks - kyle.smith@example.org if you need me"}),
            (PSEUDONYMISE,), 0,
            says=("comment: removed an email address from 1 row (first at row 2)",), writes="output",
            never_published=("kyle.smith@example.org",)),
    Hostile("id_validate_refuses_cro_number_as_offence_id", CATEGORY,
            _in_data({("offences", "offence_id", 0): "SF 93/123456A"}), (VALIDATE,), 1,
            says=("offences.csv, column 'offence_id': values look like a CRO number",)),
    # ---- keys
    _weak_key("aaaaaaaaaaaaaaaa", "sixteen_identical_characters"),
    _weak_key("1234567890123456", "digits_in_sequence"),
    _weak_key("passwordpassword", "repeated_word"),
    _weak_key("qwertyuiopasdfgh", "keyboard_walk"),
    _weak_key("abcabcabcabcabca", "repeated_short_pattern"),
    _weak_key("Derbyshire2024!!", "place_and_year"),
]
