"""Degenerate but valid input folders: the edge of what each strand and chapter must survive.

Each :class:`Scenario` is the baseline of ``builders.valid_tables()`` cut down or changed in one way
(one referral, no comparison cohort, no offences, one area, all zeros, empty surveys, ...) and still
valid. The strand contract test (``test_strand_contract.py``) runs every strand and every report
chapter on each; the hostile suite uses some of them through the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from builders import MINIMAL_CONFIG, Columns, n_rows, valid_tables, write_folder

Tables = dict[str, Columns]


def keep_rows(table: Columns, keep: Callable[[dict[str, str | None]], bool]) -> Columns:
    """The rows of ``table`` for which ``keep(row)`` holds (a table with no rows keeps its header)."""
    rows = [{c: table[c][i] for c in table} for i in range(n_rows(table))]
    kept = [r for r in rows if keep(r)]
    return {c: [r[c] for r in kept] for c in table}


def _referrals_only(tables: Tables, ids: set[str]) -> Tables:
    """Keep the referrals ``ids`` and what refers to them (their people's offences, their surveys)."""
    tables["referrals"] = keep_rows(tables["referrals"], lambda r: r["referral_id"] in ids)
    people = set(tables["referrals"]["person_id"])
    placements = {p for p in tables["referrals"]["placement_id"] if p}
    tables["offences"] = keep_rows(tables["offences"], lambda r: r["person_id"] in people)
    for survey in ("participant_survey", "victim_survey"):
        tables[survey] = keep_rows(tables[survey], lambda r: r["referral_id"] is None or r["referral_id"] in ids)
    tables["placements"] = keep_rows(tables["placements"], lambda r: r["placement_id"] in placements)
    return tables


def _empty(tables: Tables, *names: str) -> Tables:
    for name in names:
        tables[name] = keep_rows(tables[name], lambda r: False)
    return tables


def _set(tables: Tables, table: str, column: str, value: str | None,
         where: Callable[[dict[str, str | None]], bool] = lambda r: True) -> Tables:
    t = tables[table]
    for i in range(n_rows(t)):
        if where({c: t[c][i] for c in t}):
            t[column][i] = value
    return tables


def _ij(r: dict) -> bool:
    return r["cohort"] == "ij"


@dataclass(frozen=True)
class Scenario:
    id: str
    tables: Callable[[], Tables]
    config: str = MINIMAL_CONFIG
    omit: tuple[str, ...] = ()

    def write(self, root: Path) -> Path:
        return write_folder(root, tables=self.tables(), omit=self.omit, config=self.config)


def _t(edit: Callable[[Tables], Tables]) -> Callable[[], Tables]:
    return lambda: edit(valid_tables())


SCENARIOS = (
    Scenario("baseline", valid_tables),
    Scenario("one_referral", _t(lambda t: _referrals_only(t, {"R001"}))),
    Scenario("one_ij_one_comparison", _t(lambda t: _referrals_only(t, {"R001", "R004"}))),
    Scenario("all_ij_no_comparison", _t(lambda t: _referrals_only(t, {"R001", "R002", "R003"}))),
    Scenario("no_ij_only_comparison", _t(lambda t: _referrals_only(t, {"R004", "R005"})),
             omit=("participant_survey", "victim_survey", "placements")),
    Scenario("no_reoffences", _t(lambda t: {  # only offences before the referrals
        **t, "offences": keep_rows(t["offences"], lambda r: r["offence_id"] in ("O001", "O004"))})),
    Scenario("every_status_the_same", _t(lambda t: _set(
        _set(_set(t, "referrals", "status", "completed", _ij), "referrals", "hours_completed", "10", _ij),
        "referrals", "hours_required", "10", _ij))),
    Scenario("one_area", _t(lambda t: {
        **t, "areas": keep_rows(t["areas"], lambda r: r["area_id"] == "H1"),
        "asb_counts": keep_rows(t["asb_counts"], lambda r: r["area_id"] == "H1")})),
    Scenario("hotspot_and_comparison_no_buffer", _t(lambda t: {
        **t, "areas": keep_rows(t["areas"], lambda r: r["role"] != "buffer"),
        "asb_counts": keep_rows(t["asb_counts"], lambda r: r["area_id"] != "B1")})),
    Scenario("one_month", _t(lambda t: {
        **t, "asb_counts": keep_rows(t["asb_counts"], lambda r: r["period"] == "2024-03")})),
    Scenario("all_zero_asb", _t(lambda t: _set(t, "asb_counts", "count", "0"))),
    Scenario("one_survey_response_each", _t(lambda t: {
        **t, "participant_survey": keep_rows(t["participant_survey"], lambda r: r["response_id"] == "S001"),
        "victim_survey": keep_rows(t["victim_survey"], lambda r: r["response_id"] == "V001")})),
    Scenario("no_surveys_no_costs_no_areas", valid_tables,
             omit=("participant_survey", "victim_survey", "costs", "areas", "asb_counts", "placements")),
    Scenario("costs_all_zero", _t(lambda t: _set(t, "costs", "amount_gbp", "0"))),
    Scenario("no_placements", _t(lambda t: _set(t, "referrals", "placement_id", None)), omit=("placements",)),
    Scenario("min_group_size_2", valid_tables, config=MINIMAL_CONFIG + "\n[reoffending]\nmin_group_size = 2\n"),
    Scenario("min_group_size_3", valid_tables, config=MINIMAL_CONFIG + "\n[reoffending]\nmin_group_size = 3\n"),
    Scenario("threshold_1", valid_tables,
             config=MINIMAL_CONFIG + '\n[disclosure]\nthreshold = 1\nreason = "checking the method"\n'),
    Scenario("analysis_period_one_referral", valid_tables,
             config=MINIMAL_CONFIG.replace("[data]\n", "[data]\nperiod_start = 2024-05-01\n")),
    Scenario("referrals_only", valid_tables,
             omit=("offences", "areas", "asb_counts", "placements", "participant_survey", "victim_survey", "costs")),
)
