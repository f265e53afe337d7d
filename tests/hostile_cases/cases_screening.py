"""Free text that could identify a person, through the whole run: withheld from every published file,
listed in the review file (a working file), published only when the evaluator approves it by id.

Each run case writes output (exit 0): ``never_published`` holds the identifying text, and its check
asserts the review file ``screening_review.csv`` lists it with an id (or, for approvals and codes,
what the published table shows instead).
"""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
from builders import MINIMAL_CONFIG, csv_text, edit, valid_tables

from hostile_cases.harness import RUN, Hostile, Outcome, Workspace
from ij_eval.privacy.screen import REVIEW_FILE, WITHHELD, Source, item_id

CATEGORY = "free text"
LOUD_RUN = ("run", "{data}", "--out", "{out}")  # not --quiet: the run's warnings are judged


def _write(ws: Workspace, cells: dict) -> None:
    tables = edit(valid_tables(), cells=cells)
    for name in {t for t, _, _ in cells}:
        (ws.data / f"{name}.csv").write_text(csv_text(tables[name]), encoding="utf-8")


def _comment(text: str, table: str = "participant_survey"):
    """Arrange: ``text`` as the first (consented) comment of a survey."""
    return lambda ws: _write(ws, {(table, "comment", 0): text})


def _review(ws: Workspace) -> list[dict[str, str]]:
    with (ws.out / REVIEW_FILE).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _listed(fragment: str, status: str = "withheld"):
    """Check: the review file has a row whose text holds ``fragment``, with an id and the status."""
    def check(ws: Workspace, outcome: Outcome) -> None:
        rows = [r for r in _review(ws) if fragment in r["text"]]
        assert rows, f"{fragment!r} not in the review file: {_review(ws)}"
        assert rows[0]["id"].startswith("t-") and len(rows[0]["id"]) == 10, rows[0]
        assert rows[0]["status"].startswith(status), rows[0]
        assert rows[0]["reasons"] and rows[0]["source"], rows[0]
    return check


def _table(ws: Workspace, name: str) -> list[dict[str, str]]:
    with (ws.out / "tables" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _both(*checks):
    def check(ws: Workspace, outcome: Outcome) -> None:
        for c in checks:
            c(ws, outcome)
    return check


# --- sites and funders -----------------------------------------------------------------------------

GARDEN = "Back garden of John Smith, 14 Elm Road"


def _site_screened(ws: Workspace) -> None:
    ws.add_config('[publication]\nsite_names = "screened"')
    _write(ws, {("placements", "site", 0): GARDEN})


def _sites_coded(ws: Workspace, outcome: Outcome) -> None:
    assert [r["site"] for r in _table(ws, "implementation_sites")] == ["Site 1", "Site 2"]
    assert not [r for r in _review(ws) if "Smith" in r["text"]]  # not published, so nothing to review


def _site_marker(ws: Workspace, outcome: Outcome) -> None:
    sites = [r["site"] for r in _table(ws, "implementation_sites")]
    assert sites == [WITHHELD, "Underpass graffiti"], sites


DONOR = "Mrs Jane Doe (private donor)"


def _funder_codes(ws: Workspace) -> None:
    ws.add_config('[publication]\nfunder_names = "codes"')
    _write(ws, {("costs", "funder", 0): DONOR})


def _funders_coded(ws: Workspace, outcome: Outcome) -> None:
    funders = sorted(r["item"] for r in _table(ws, "vfm_costs") if r["breakdown"] == "funder")
    assert funders == ["Funder A", "Funder B", "Funder C"], funders


def _funder_marker(ws: Workspace, outcome: Outcome) -> None:
    funders = {r["item"] for r in _table(ws, "vfm_costs") if r["breakdown"] == "funder"}
    assert funders == {f"{WITHHELD} #1", "PCC", "Police"}, funders


def _placement_id(ws: Workspace) -> None:
    _write(ws, {("placements", "placement_id", 0): "Kyle Smith garden", ("referrals", "placement_id", 0):
                "Kyle Smith garden"})


def _placement_marker(ws: Workspace, outcome: Outcome) -> None:
    ids = [r["placement_id"] for r in _table(ws, "implementation_sites")]
    assert ids == ["PL2", f"{WITHHELD} #1"], ids


ACACIA = "Outside 22 Acacia Avenue"


def _area_id(ws: Workspace) -> None:
    _write(ws, {("areas", "area_id", 2): ACACIA, **{("asb_counts", "area_id", i): ACACIA for i in (6, 7, 8)}})


def _area_marker(ws: Workspace, outcome: Outcome) -> None:
    ids = {r["area_id"] for r in _table(ws, "hotspots_panel")}
    assert ids == {"B1", "H1", f"{WITHHELD} #1"}, ids


# --- a declared covariate's level label (the balance table) ----------------------------------------------

BROTHER = "brother of Kyle Smith"


def _covariate_level(ws: Workspace) -> None:
    """240 referrals (so the matched comparison runs) with a declared covariate, one level naming a person."""
    rng = np.random.default_rng(7)
    t = valid_tables()
    ref = t["referrals"]
    cols = list(ref)
    templates = {"completed": {c: ref[c][0] for c in cols}, "refused": {c: ref[c][2] for c in cols},
                 "comparison": {c: ref[c][3] for c in cols}}
    rows, offences = [], []
    for i in range(240):
        kind = ("completed", "refused", "comparison", "comparison")[int(rng.integers(4))]
        row = dict(templates[kind])
        d = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(150)))
        row.update(referral_id=f"R{i:03d}", person_id=f"P{i:03d}", referral_date=d.isoformat(),
                   offence_date=(d - dt.timedelta(days=1)).isoformat(), age=str(int(rng.integers(18, 50))),
                   sex=("male", "female")[int(rng.integers(2))], prior_offences=str(int(rng.integers(5))),
                   relationship=("none", BROTHER, "friend")[int(rng.integers(3))])
        if kind == "completed":
            row.update(first_contact_at=f"{d + dt.timedelta(days=1)} 10:00",
                       work_booked_at=f"{d + dt.timedelta(days=2)} 09:00",
                       work_start_date=(d + dt.timedelta(days=3)).isoformat())
        elif kind == "refused":
            row.update(first_contact_at=f"{d + dt.timedelta(days=1)} 10:00")
        rows.append(row)
        if rng.random() < 0.35:
            o = d + dt.timedelta(days=int(rng.integers(5, 55)))
            offences.append((f"O{i:03d}", f"P{i:03d}", o.isoformat(), "asb", "caution", "true",
                             (o + dt.timedelta(days=3)).isoformat()))
    t["referrals"] = {c: [r.get(c) for r in rows] for c in [*cols, "relationship"]}
    t["offences"] = {c: [o[j] for o in offences] for j, c in enumerate(
        ("offence_id", "person_id", "offence_date", "offence_type", "disposal", "proven", "disposal_date"))}
    for name in ("referrals", "offences"):
        (ws.data / f"{name}.csv").write_text(csv_text(t[name]), encoding="utf-8")
    for name in ("participant_survey", "victim_survey"):  # they describe the five original referrals
        (ws.data / f"{name}.csv").unlink()
    ws.add_config('[reoffending]\nfollow_up_days = 60\nwaiting_days = 0\nmin_group_size = 5\n'
                  'covariates = ["age", "sex", "prior_offences", "relationship"]')


def _balance_marker(ws: Workspace, outcome: Outcome) -> None:
    labels = {r["covariate"] for r in _table(ws, "reoffending_balance") if r["covariate"].startswith("relationship")}
    assert labels == {f"relationship: {WITHHELD} #1", "relationship: friend", "relationship: none"}, labels


# --- the config ---------------------------------------------------------------------------------------


def _config(text: str):
    return lambda ws: ws.set_config(text)


def _scheme_marker(key: str):
    def check(ws: Workspace, outcome: Outcome) -> None:
        import json

        assert json.loads((ws.out / "results.json").read_text())["scheme"][key] == WITHHELD
    return check


SCHEME_WITH_NAME = MINIMAL_CONFIG.replace('name = "Immediate Justice"', 'name = "Kyle Smith\'s diversion scheme"')
FORCE_WITH_EMAIL = MINIMAL_CONFIG.replace('force = "Test Constabulary"', 'force = "ask kyle.smith@example.org"')
TEAM_WITH_TITLE = MINIMAL_CONFIG.replace("start = 2024-03-01", 'start = 2024-03-01\nevaluation_team = "Dr Jane Doe"')
LOGIC_MODEL = MINIMAL_CONFIG + '\n[logic_model]\ninputs = ["Mentoring by PC Dave Jones", "Home Office funding"]\n'
SOURCE = (MINIMAL_CONFIG + '\n[value_for_money.parameters]\n'
          'case_file_hours = { value = 2, source = "told by Sgt Dave Jones on 07700 900123" }\n')


def _logic_marker(ws: Workspace, outcome: Outcome) -> None:
    entries = [r["entry"] for r in _table(ws, "overview_logic_model") if r["stage"] == "inputs"]
    assert entries == [WITHHELD, "Home Office funding"], entries


# --- approvals -------------------------------------------------------------------------------------------

DAVE = "Dave was brilliant."


def _approved_quote(ws: Workspace) -> None:
    _write(ws, {("participant_survey", "comment", 0): DAVE})
    ws.add_config(f'[publication]\napproved = ["{item_id(Source("participant_survey", "comment"), DAVE)}"]')


def _quote_published(ws: Workspace, outcome: Outcome) -> None:
    assert DAVE in [r["quote"] for r in _table(ws, "survey_quotes")]
    _listed(DAVE, "approved: published")(ws, outcome)


HAMLYN = "Paul Hamlyn Foundation garden"


def _approved_site(ws: Workspace) -> None:
    _write(ws, {("placements", "site", 0): HAMLYN})
    approved = item_id(Source("placements", "site"), HAMLYN)
    ws.add_config(f'[publication]\nsite_names = "screened"\napproved = ["{approved}"]')


def _site_published(ws: Workspace, outcome: Outcome) -> None:
    assert HAMLYN in [r["site"] for r in _table(ws, "implementation_sites")]
    _listed(HAMLYN, "approved: published")(ws, outcome)


EMAIL_QUOTE = "email me at jordan.k@example.org"


def _approved_email(ws: Workspace) -> None:
    _write(ws, {("participant_survey", "comment", 0): EMAIL_QUOTE})
    ws.add_config(f'[publication]\napproved = ["{item_id(Source("participant_survey", "comment"), EMAIL_QUOTE)}"]')


CASES = [
    # the examples
    Hostile("scr_site_person_and_address", CATEGORY, _site_screened, (RUN,), 0, writes="output",
            never_published=(GARDEN, "John Smith", "14 Elm Road"), check=_both(_listed(GARDEN), _site_marker)),
    Hostile("scr_funder_private_donor", CATEGORY, lambda ws: _write(ws, {("costs", "funder", 0): DONOR}), (RUN,), 0,
            writes="output", never_published=("Jane Doe",), check=_both(_listed(DONOR), _funder_marker)),
    Hostile("scr_quote_lower_case_name", CATEGORY, _comment("my caseworker kyle helped me loads"), (RUN,), 0,
            writes="output", never_published=("kyle helped",), check=_listed("kyle helped")),
    Hostile("scr_quote_name_starting_a_sentence", CATEGORY, _comment(DAVE), (RUN,), 0, writes="output",
            never_published=("Dave was",), check=_listed(DAVE)),
    Hostile("scr_quote_spelled_out_email", CATEGORY, _comment("write to kyle dot smith at gmail dot com"), (RUN,), 0,
            writes="output", never_published=("gmail dot com",), check=_listed("gmail dot com")),
    Hostile("scr_quote_birth_year", CATEGORY, _comment("I was born in 2009 so it was my first time"), (RUN,), 0,
            writes="output", never_published=("born in 2009",), check=_listed("born in 2009")),
    Hostile("scr_quote_school_year", CATEGORY, _comment("I'm in year 9 and it was fair"), (RUN,), 0,
            writes="output", never_published=("year 9",), check=_listed("year 9")),
    Hostile("scr_quote_class_of", CATEGORY, _comment("class of 2012, should have known better"), (RUN,), 0,
            writes="output", never_published=("class of 2012",), check=_listed("class of 2012")),
    Hostile("scr_quote_age", CATEGORY, _comment("I'm 15 and it was my first time in trouble"), (RUN,), 0,
            writes="output", never_published=("I'm 15",), check=_listed("I'm 15")),
    Hostile("scr_covariate_level_in_balance_table", CATEGORY, _covariate_level, (RUN,), 0, writes="output",
            never_published=("Kyle Smith",), check=_both(_listed(BROTHER), _balance_marker)),
    # more ways people write identifying text
    Hostile("scr_victim_quote_street_address", CATEGORY, _comment("they smashed my window at 22 Acacia Avenue",
                                                                   "victim_survey"), (RUN,), 0, writes="output",
            never_published=("Acacia Avenue",), check=_listed("22 Acacia Avenue")),
    Hostile("scr_quote_nickname_in_capitals", CATEGORY, _comment("KEV WAS SOUND"), (RUN,), 0, writes="output",
            never_published=("KEV WAS",), check=_listed("KEV WAS SOUND")),
    Hostile("scr_quote_officer_lower_case", CATEGORY, _comment("officer jones talked me through it"), (RUN,), 0,
            writes="output", never_published=("officer jones",), check=_listed("officer jones")),
    Hostile("scr_quote_name_split_by_zero_width_space", CATEGORY, _comment("K\u200byle sorted my bus pass"), (RUN,), 0,
            writes="output", never_published=("sorted my bus pass",), check=_listed("Kyle sorted")),
    Hostile("scr_quote_name_in_full_width_letters", CATEGORY, _comment("\uff2b\uff59\uff4c\uff45 fixed my bike"),
            (RUN,), 0, writes="output", never_published=("fixed my bike",), check=_listed("Kyle fixed")),
    Hostile("scr_quote_date_of_birth_with_is", CATEGORY, _comment("my date of birth is 12/04/2008"), (RUN,), 0,
            writes="output", never_published=("12/04/2008",), check=_listed("12/04/2008")),
    Hostile("scr_placement_id_with_a_name", CATEGORY, _placement_id, (RUN,), 0, writes="output",
            never_published=("Kyle Smith",), check=_both(_listed("Kyle Smith garden"), _placement_marker)),
    Hostile("scr_area_id_with_an_address", CATEGORY, _area_id, (RUN,), 0, writes="output",
            never_published=("Acacia Avenue",), check=_both(_listed(ACACIA), _area_marker)),
    Hostile("scr_scheme_name_with_a_name", CATEGORY, _config(SCHEME_WITH_NAME), (RUN,), 0, writes="output",
            never_published=("Kyle Smith",), check=_both(_listed("Kyle Smith"), _scheme_marker("name"))),
    Hostile("scr_force_name_with_an_email", CATEGORY, _config(FORCE_WITH_EMAIL), (RUN,), 0, writes="output",
            never_published=("kyle.smith@",), check=_both(_listed("kyle.smith@"), _scheme_marker("force"))),
    Hostile("scr_evaluation_team_with_a_title", CATEGORY, _config(TEAM_WITH_TITLE), (RUN,), 0, writes="output",
            never_published=("Jane Doe",), check=_both(_listed("Dr Jane Doe"), _scheme_marker("evaluation_team"))),
    Hostile("scr_logic_model_entry_with_a_name", CATEGORY, _config(LOGIC_MODEL), (RUN,), 0, writes="output",
            never_published=("Dave Jones",), check=_both(_listed("PC Dave Jones"), _logic_marker)),
    Hostile("scr_parameter_source_with_a_phone_number", CATEGORY, _config(SOURCE), (RUN,), 0, writes="output",
            never_published=("Dave Jones", "07700 900123"), check=_listed("Sgt Dave Jones")),
    # codes for sites and funders
    Hostile("scr_sites_published_as_codes_by_default", CATEGORY, lambda ws: _write(ws, {("placements", "site", 0):
                                                                                      GARDEN}),
            (RUN,), 0, writes="output", never_published=("John Smith", "Elm Road", "Underpass graffiti"),
            check=_sites_coded),
    Hostile("scr_funders_published_as_codes", CATEGORY, _funder_codes, (RUN,), 0, writes="output",
            never_published=("Jane Doe",), check=_funders_coded),
    # approvals by id
    Hostile("scr_approved_quote_is_published", CATEGORY, _approved_quote, (RUN,), 0, writes="output",
            check=_quote_published),
    Hostile("scr_approved_site_is_published", CATEGORY, _approved_site, (RUN,), 0, writes="output",
            check=_site_published),
    Hostile("scr_approved_email_stays_withheld", CATEGORY, _approved_email, (LOUD_RUN,), 0, writes="output",
            says=("is not published: it holds an email address", "never published"),
            never_published=("jordan.k@",), check=_listed("jordan.k@", "approved, but withheld")),
    Hostile("scr_approval_matching_nothing_warns", CATEGORY,
            lambda ws: ws.add_config('[publication]\napproved = ["t-00000000"]'), (LOUD_RUN,), 0, writes="output",
            says=("warning: [publication] approved: t-00000000 matches no withheld or reviewed text",)),
    Hostile("scr_approval_that_is_not_an_id", CATEGORY,
            lambda ws: ws.add_config('[publication]\napproved = ["Dave was brilliant."]'), (RUN,), 2,
            says=("evaluation.toml: [publication] approved: 'Dave was brilliant.' is not an id",
                  "screening_review.csv"), prior_store=True),
    Hostile("scr_site_names_unknown_style", CATEGORY,
            lambda ws: ws.add_config('[publication]\nsite_names = "names"'), (RUN,), 2,
            says=("[publication] site_names: must be one of 'codes', 'screened'",), prior_store=True),
]
