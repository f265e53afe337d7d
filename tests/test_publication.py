"""ij_eval.publication: disclosure control applied to everything the results store publishes.

The issue's checks: a one-way table with a single small cell and a two-way table with small cells
cannot be recovered from the published margins (shown by brute enumeration of every table
consistent with what is published, and by the rank argument); dependent rates are hidden; every
table of a synthetic run passes the publication gate with no declared count from 1 to T - 1; the
threshold comes from the config; the gate catches planted identifiers and small counts, naming
table, column and row; the pipeline refuses an undeclared table and a failing gate leaves the
previous store intact.
"""

from __future__ import annotations

import json
import re
import shutil
import types
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ij_eval import publication
from ij_eval.config import load_config
from ij_eval.errors import IJEvalError
from ij_eval.pipeline import run_pipeline
from ij_eval.publication import (
    Context,
    Dependent,
    Split,
    Sum,
    TablePolicy,
    check_store,
    check_text,
    km_on_grid,
    publish_headline,
    publish_table,
    publishable_quotes,
    screen_notes,
    screen_quote,
    screen_quotes,
)
from ij_eval.strands import STRANDS
from ij_eval.strands.base import Headline, StrandResult, TableCell
from ij_eval.synth import write_synthetic

# ---------------------------------------------------------------------------------------------
# helpers: what a reader can work out from a published table and its published totals


def solutions(hidden: list, lines: list[tuple[list, int]], bound: int,
              allowed: dict | None = None, first: bool = False) -> list[dict]:
    """Every assignment of whole numbers 0..bound (or ``allowed[cell]``) to the ``hidden`` cells that
    satisfies every published relation ``sum(members) == total`` (published cells already
    subtracted): exhaustive search, a cell forced by a relation being filled in at once.
    ``first``: stop at the first one."""
    allowed = allowed or {}
    found: list[dict] = []

    def ok(cell, v) -> bool:
        return 0 <= v <= bound and (cell not in allowed or v in allowed[cell])

    def walk(values: dict) -> bool:
        values = dict(values)
        changed = True
        while changed:
            changed = False
            for members, total in lines:
                free = [m for m in members if m not in values]
                rest = total - sum(values[m] for m in members if m in values)
                if not free:
                    if rest:
                        return False
                elif len(free) == 1:
                    if not ok(free[0], rest):
                        return False
                    values[free[0]] = rest
                    changed = True
                elif rest < 0:
                    return False
        free = [h for h in hidden if h not in values]
        if not free:
            found.append(values)
            return first
        cell = max(free, key=lambda h: sum(h in m for m, _ in lines))
        return any(walk({**values, cell: v}) for v in range(bound + 1) if ok(cell, v))

    walk({})
    return found


def determined(unknown: list, equations: list[dict]) -> list:
    """Unknowns fixed by linear equations (each a mapping unknown -> coefficient), by the rank
    argument with numpy's matrix_rank: appending an unknown's unit vector does not raise the rank."""
    a = np.array([[float(eq.get(u, 0)) for u in unknown] for eq in equations]) if equations \
        else np.zeros((0, len(unknown)))
    rank = np.linalg.matrix_rank(a) if a.size else 0
    out = []
    for k, u in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(u)
    return out


def equations(lines: list[tuple[list, object]], unknown: set) -> list[dict]:
    """Each published relation ``sum(members) - total == 0`` on the unknowns it involves."""
    out = []
    for members, total in lines:
        eq: dict = {}
        for m in members:
            if m in unknown:
                eq[m] = eq.get(m, 0) + 1
        if total in unknown:
            eq[total] = eq.get(total, 0) - 1
        if eq:
            out.append(eq)
    return out


@pytest.fixture
def declare(monkeypatch):
    """Declare a policy for a test table for the duration of a test."""
    def _declare(name: str, policy: TablePolicy) -> None:
        monkeypatch.setitem(publication.TABLES, name, policy)
    return _declare


# ---------------------------------------------------------------------------------------------
# the checks: a single small cell, and a two-way table with small cells


def test_one_way_table_with_a_single_small_cell_cannot_be_recovered_from_its_total(declare):
    declare("test_areas", TablePolicy(keys=("area",), counts=("n",), sums=(Sum("area"),)))
    raw = pl.DataFrame({"area": ["A", "B", "C", "D", "E"], "n": [3, 25, 14, 40, 31]})
    published = publish_table("test_areas", raw, 10)
    values = published.frame["n"].to_list()
    assert values[0] is None  # the small cell
    assert sum(v is None for v in values) == 2  # and exactly one more, so the total does not give it away
    assert (published.n_primary, published.n_secondary) == (1, 1)
    total = int(raw["n"].sum())  # the published total (assumed printed elsewhere)
    hidden = [a for a, v in zip(raw["area"], values, strict=True) if v is None]
    rest = total - sum(v for v in values if v is not None)
    lines = [(hidden, rest)]
    assert determined(hidden, equations([(hidden, "total")], set(hidden))) == []
    every = solutions(hidden, lines, rest)
    assert len(every) == rest + 1 > 1
    # even a reader who knows the rule (a hidden small cell is 1-9) cannot pin the 3 down
    knows_rule = solutions(hidden, lines, rest, allowed={"A": range(1, 10)})
    assert len({s["A"] for s in knows_rule}) > 1


def test_one_way_check_would_catch_a_table_with_only_the_small_cell_hidden():
    # the test above must be able to fail: with one hidden cell the total gives it back
    lines = [(["A"], 3)]
    assert determined(["A"], equations([(["A"], "total")], {"A"})) == ["A"]
    assert solutions(["A"], lines, 50) == [{"A": 3}]


GRID = {  # cohort x status x age: small cells in two statuses; every margin assumed published
    ("ij", "completed", "adult"): 40, ("ij", "completed", "child"): 22,
    ("ij", "refused", "adult"): 3, ("ij", "refused", "child"): 12,
    ("ij", "did_not_complete", "adult"): 16, ("ij", "did_not_complete", "child"): 5,
    ("comparison", "(comparison)", "adult"): 80, ("comparison", "(comparison)", "child"): 7,
}


def _margins(grid: dict[tuple, int]) -> dict[tuple, list[tuple]]:
    """Every margin of a cohort x status x age table a reader may know: per cohort by status and by
    age, each cohort, each age group across cohorts, and the grand total."""
    margins: dict[tuple, list[tuple]] = {}
    for key in grid:
        c, s, a = key
        for m in ((c, s, "*"), (c, "*", a), (c, "*", "*"), ("*", "*", a), ("*", "*", "*")):
            margins.setdefault(m, []).append(key)
    return margins


def test_two_way_table_with_small_cells_cannot_be_recovered_from_row_column_and_grand_totals():
    raw = pl.DataFrame([{"cohort": c, "status": s, "age_group": a, "n": n} for (c, s, a), n in GRID.items()])
    published = publish_table("overview_referrals", raw, 10)
    shown = {(c, s, a): n for c, s, a, n in published.frame.iter_rows()}
    hidden = [k for k, v in shown.items() if v is None]
    assert {("ij", "refused", "adult"), ("ij", "did_not_complete", "child"),
            ("comparison", "(comparison)", "child")} <= set(hidden)
    assert check_published_counts(published.frame["n"].to_list(), 10)
    # a margin is known to the reader unless it is a copy of one hidden cell or the engine says it is hidden
    reported = set(published.hidden_totals)
    lines = []
    for margin, cells in _margins(GRID).items():
        label = "n at " + ", ".join(f"{k}={'(all)' if v == '*' else v}"
                                    for k, v in zip(("cohort", "status", "age_group"), margin, strict=True))
        if (len(cells) == 1 and shown[cells[0]] is None) or label in reported:
            continue
        members = [k for k in cells if shown[k] is None]
        if members:
            lines.append((members, sum(GRID[k] for k in members)))
    assert determined(hidden, equations([(m, "known") for m, _ in lines], set(hidden))) == []
    bound = max(GRID.values())
    assert solutions(hidden, lines, bound, allowed={h: [GRID[h]] for h in hidden}) == [
        {h: GRID[h] for h in hidden}]  # the truth is one of the tables consistent with what is published
    for cell in hidden:  # and for every hidden cell there is another consistent table where it differs
        other = solutions(hidden, lines, bound, allowed={cell: [v for v in range(bound + 1) if v != GRID[cell]]},
                          first=True)
        assert other and other[0][cell] != GRID[cell], cell


def check_published_counts(values: list, threshold: int) -> bool:
    return not [v for v in values if v is not None and 0 < v < threshold]


def test_two_way_recovery_check_detects_a_table_with_too_few_hidden_cells():
    # hide only the small cells of the grid above: the reader gets them back from the margins
    hidden = [k for k, v in GRID.items() if 0 < v < 10]
    lines = [(cells, m) for m, cells in _margins(GRID).items()]
    assert sorted(determined(hidden, equations(lines, set(hidden)))) == sorted(hidden)
    by_status = [([k for k in cells if k in hidden], sum(GRID[k] for k in cells if k in hidden))
                 for m, cells in _margins(GRID).items() if m[2] == "*" and m[1] != "*"]
    assert solutions(hidden, [ln for ln in by_status if ln[0]], 100) == [{k: GRID[k] for k in hidden}]


# ---------------------------------------------------------------------------------------------
# dependent figures, complements, remainders


def _rates(rows: list[tuple]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"measure": pl.String, "group": pl.String, "age_group": pl.String,
                                       "n": pl.Int64, "reoffenders": pl.Int64, "offences": pl.Int64}, orient="row")
    return frame.with_columns(
        rate=pl.col("reoffenders") / pl.col("n"), ci_lower=pl.col("reoffenders") / pl.col("n") - 0.05,
        ci_upper=pl.col("reoffenders") / pl.col("n") + 0.05,
        offences_per_person=pl.col("offences") / pl.col("n"),
        offences_per_reoffender=pl.col("offences") / pl.col("reoffenders"), mean_days_to_first=pl.lit(120.0),
        difference=pl.lit(0.01), diff_ci_lower=pl.lit(-0.1), diff_ci_upper=pl.lit(0.1), diff_p_value=pl.lit(0.5))


def _age_rows(group: str, adult: tuple, child: tuple) -> list[tuple]:
    total = tuple(a + c for a, c in zip(adult, child, strict=True))
    return [("proven", group, "all", *total), ("proven", group, "adult", *adult), ("proven", group, "child", *child)]


def test_rates_with_a_small_numerator_or_a_small_complement_are_hidden_with_their_intervals():
    rows = (_age_rows("completed", (200, 40, 60), (100, 30, 45))
            + _age_rows("did_not_complete", (40, 35, 50), (30, 12, 15))  # adults: only 5 did NOT reoffend
            + _age_rows("refused", (60, 4, 5), (50, 20, 30))  # adults: 4 reoffenders
            + _age_rows("ij_all", (320, 85, 125), (200, 70, 100))  # 20 adults, 10 children in other statuses
            + _age_rows("comparison", (500, 100, 150), (300, 80, 120)))
    raw = _rates(rows)
    out = publish_table("reoffending_rates", raw, 10).frame
    row = {(g, a): r for g, a, r in zip(out["group"], out["age_group"], out.iter_rows(named=True), strict=True)}
    refused = row[("refused", "adult")]
    assert refused["reoffenders"] is None and refused["rate"] is None and refused["ci_lower"] is None
    assert refused["difference"] is None and refused["mean_days_to_first"] is None
    dnc = row[("did_not_complete", "adult")]
    assert dnc["rate"] is None and dnc["ci_upper"] is None  # 35 of 40: 87.5% would say 5 did not
    assert dnc["reoffenders"] is None or dnc["n"] is None
    assert row[("completed", "all")]["rate"] is not None  # nothing small there
    # no published rate lets a reader work out a hidden count: rate hidden wherever n or reoffenders is
    for r in out.iter_rows(named=True):
        if r["n"] is None or r["reoffenders"] is None:
            assert r["rate"] is None and r["ci_lower"] is None and r["difference"] is None
    # and no hidden reoffender count is fixed by the published ones along group and age margins
    assert _no_count_recoverable(raw, out, "reoffenders")


def _no_count_recoverable(raw: pl.DataFrame, out: pl.DataFrame, column: str) -> bool:
    """No hidden count of ``column`` is fixed by the published ones along the age and group margins
    (the part of ij_all in no status row is unknown to a reader unless it is zero)."""
    keys = list(zip(raw["group"], raw["age_group"], strict=True))
    value = dict(zip(keys, raw[column].to_list(), strict=True))
    hidden = {k for k, v in zip(keys, out[column].to_list(), strict=True) if v is None}
    lines = [([(g, "adult"), (g, "child")], (g, "all")) for g in {k[0] for k in keys}]
    unknown = set(hidden)
    for a in ("all", "adult", "child"):
        statuses = [(g, a) for g in ("completed", "did_not_complete", "refused")]
        rest = ("rest", a)
        if value[("ij_all", a)] - sum(value[k] for k in statuses):
            unknown.add(rest)
            statuses.append(rest)
        lines.append((statuses, ("ij_all", a)))
    found = determined(sorted(unknown, key=str), equations(lines, unknown))
    return not [k for k in found if k in hidden]


def test_difference_is_hidden_when_the_comparison_rate_it_is_taken_from_is_hidden():
    rows = (_age_rows("completed", (200, 40, 60), (100, 30, 45))
            + _age_rows("did_not_complete", (40, 15, 20), (30, 12, 15))
            + _age_rows("refused", (60, 14, 25), (50, 20, 30))
            + _age_rows("ij_all", (320, 85, 125), (200, 70, 100))
            + _age_rows("comparison", (500, 100, 150), (300, 296, 320)))  # children: 4 did not reoffend
    out = publish_table("reoffending_rates", _rates(rows), 10).frame
    child = out.filter(pl.col("age_group") == "child")
    assert child.filter(pl.col("group") == "comparison")["rate"].to_list() == [None]
    assert child["difference"].null_count() == child.height
    for age in ("all", "adult", "child"):  # where the comparison rate is shown, shown rates keep their difference
        part = out.filter(pl.col("age_group") == age)
        if part.filter(pl.col("group") == "comparison")["rate"].is_not_null().all():
            shown = part.filter((pl.col("group") != "comparison") & pl.col("rate").is_not_null())
            assert shown.height and shown["difference"].is_not_null().all()


def test_the_unadjusted_risk_difference_is_hidden_with_the_rates_table_difference_it_repeats():
    rows = (_age_rows("completed", (200, 40, 60), (100, 30, 45))
            + _age_rows("did_not_complete", (40, 15, 20), (30, 12, 15))
            + _age_rows("refused", (60, 14, 25), (50, 20, 30))
            + _age_rows("ij_all", (320, 85, 125), (200, 70, 100))
            + _age_rows("comparison", (500, 495, 600), (300, 297, 400)))  # 8 of 800 did not reoffend
    effects = pl.DataFrame({"term": ["naive_risk_difference", "adjusted_hazard_ratio"], "estimate": [0.01, 0.7],
                            "std_error": [None, 0.1], "ci_lower": [-0.1, 0.5], "ci_upper": [0.1, 0.9],
                            "p_value": [0.5, 0.01], "n": [1320, 1320]})
    hidden = Context({"reoffending_rates": _rates(rows), "reoffending_effects": effects}, 10).published(
        "reoffending_effects").frame
    assert hidden.row(0, named=True)["estimate"] is None and hidden.row(0, named=True)["n"] is None
    assert hidden.row(1) == effects.row(1)  # a model estimate on 1,320 people is kept
    rows[-2] = ("proven", "comparison", "adult", 500, 100, 150)
    rows[-1] = ("proven", "comparison", "child", 300, 80, 120)
    rows[-3] = ("proven", "comparison", "all", 800, 180, 270)
    shown = Context({"reoffending_rates": _rates(rows), "reoffending_effects": effects}, 10).published(
        "reoffending_effects").frame
    assert shown.equals(effects)


def test_split_protects_an_unpublished_small_complement_and_a_zero_is_shown(declare):
    declare("test_split", TablePolicy(keys=("g",), counts=("eligible", "entrants"),
                                      splits=(Split("eligible", ("entrants",)),),
                                      dependents=(Dependent(("rate",), ("eligible", "entrants")),)))
    raw = pl.DataFrame({"g": ["a", "b", "c"], "eligible": [40, 30, 25], "entrants": [36, 0, 12]}).with_columns(
        rate=pl.col("entrants") / pl.col("eligible"))
    out = publish_table("test_split", raw, 10).frame
    assert out.row(0) in [("a", None, 36, None), ("a", 40, None, None)]  # 4 non-entrants: one of the two hidden
    assert out.row(1) == ("b", 30, 0, 0.0)  # a zero count (0%) is shown, as zero counts are
    assert out.row(2) == ("c", 25, 12, 0.48)


def test_declared_margins_that_do_not_add_up_are_a_clear_error(declare):
    declare("test_bad", TablePolicy(keys=("g",), counts=("n",), sums=(Sum("g", "all", ("x", "y")),)))
    with pytest.raises(IJEvalError, match="adds up to more than its total"):
        publish_table("test_bad", pl.DataFrame({"g": ["x", "y", "all"], "n": [30, 40, 50]}), 10)


def test_an_undeclared_table_is_refused_with_a_pointer_to_the_registry():
    with pytest.raises(IJEvalError, match=r"'mystery' has no disclosure policy.*ij_eval/publication.py"):
        publish_table("mystery", pl.DataFrame({"n": [1]}), 10)


def test_exempt_tables_state_a_reason_and_every_policy_is_well_formed():
    for name, policy in publication.TABLES.items():
        if policy.exempt:
            assert len(policy.exempt) > 40 and not policy.counts, name
        else:
            assert policy.counts or policy.transform is not None, name
            for s in policy.sums:
                assert s.column in policy.keys, name
    reasons = publication.exempt_reasons()
    assert "hotspots_panel" in reasons and "data.police.uk" in reasons["hotspots_panel"]
    assert "reoffending_rates" not in reasons


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier on a grid


def _km(events: list[tuple[int, int, int]], n: int) -> pl.DataFrame:
    """A KM table for one group from (time, events, censored)."""
    rows, at_risk, s = [("g", 0, n, 0, 0, 1.0, 1.0, 1.0, "all")], n, 1.0
    for t, e, c in events:
        s *= 1 - e / at_risk
        rows.append(("g", t, at_risk, e, c, s, s - 0.02, min(1.0, s + 0.02), "all"))
        at_risk -= e + c
    return pl.DataFrame(rows, schema=["group", "time", "n_at_risk", "n_events", "n_censored", "survival",
                                      "ci_lower", "ci_upper", "sample"], orient="row")


def test_km_is_published_on_a_coarse_grid_hiding_small_steps_and_small_numbers_at_risk():
    raw = _km([(5, 12, 3), (40, 2, 1), (70, 11, 5), (100, 3, 70), (200, 1, 5), (360, 0, 7)], n=120)
    grid = km_on_grid(raw, 10)
    assert grid["time"].to_list() == list(range(0, 361, 30))
    published = publish_table("reoffending_km", raw, 10).frame
    assert published.columns == ["group", "time", "n_at_risk", "survival", "ci_lower", "ci_upper", "sample"]
    by_time = {r["time"]: r for r in published.iter_rows(named=True)}
    assert by_time[30]["survival"] is not None  # 12 reoffences since 0: a step that may be shown
    assert by_time[60]["survival"] is None  # 2 reoffences since the last point shown
    assert by_time[90]["survival"] is not None  # 2 + 11 = 13 since the last point shown
    assert by_time[90]["n_at_risk"] == 120 - 15 - 3 - 16
    assert by_time[120]["survival"] is None  # 3 reoffences
    late = [r for t, r in by_time.items() if t >= 210]
    assert all(r["n_at_risk"] is None and r["survival"] is None for r in late)  # 7 at risk
    assert by_time[120]["n_at_risk"] == 13
    assert "n_events" not in published.columns and "n_censored" not in published.columns


# ---------------------------------------------------------------------------------------------
# headlines and notes


def test_headlines_resting_on_small_counts_are_hidden():
    def pub(h):
        return publish_headline(h, 10)

    d, hidden = pub(Headline(7, "count", unit="people"))
    assert hidden and d["estimate"] is None and "disclosure" in d["caveat"]
    assert not pub(Headline(12, "count", unit="people"))[1]
    assert not pub(Headline(7, "months with a referral", unit="months"))[1]  # months are not people
    d, hidden = pub(Headline(0.2, "rate", n=8, ci_lower=0.1, ci_upper=0.3, unit="proportion", count=2))
    assert hidden and d["n"] is None and d["ci_lower"] is None and d["count"] is None
    assert pub(Headline(0.03, "rate", n=200, unit="proportion", count=6))[1]  # 6 reoffenders
    assert pub(Headline(0.97, "rate", n=200, unit="proportion", count=194))[1]  # 6 did not
    d, hidden = pub(Headline(0.2, "rate", n=200, unit="proportion", count=40))
    assert not hidden and d["count"] == 40 and d["estimate"] == 0.2


def test_a_headline_repeating_a_hidden_table_cell_is_hidden_too():
    rows = (_age_rows("completed", (200, 40, 60), (100, 30, 45))
            + _age_rows("did_not_complete", (40, 15, 20), (30, 12, 15))
            + _age_rows("refused", (60, 14, 25), (50, 20, 30))
            + _age_rows("ij_all", (320, 85, 125), (200, 70, 100))
            + _age_rows("comparison", (500, 100, 150), (300, 296, 320)))
    context = Context({"reoffending_rates": _rates(rows)}, 10)
    cell = TableCell("reoffending_rates", (("measure", "proven"), ("group", "comparison"), ("age_group", "child")),
                     "rate")
    h = Headline(0.98, "rate", n=300, unit="proportion", source=cell)  # count not given: the table decides
    d, hidden = publish_headline(h, 10, context)
    assert hidden and "reoffending_rates" in d["caveat"]
    shown = Headline(0.2, "rate", n=800, unit="proportion", source=TableCell(
        "reoffending_rates", (("measure", "proven"), ("group", "comparison"), ("age_group", "all")), "rate"))
    assert not publish_headline(shown, 10, context)[1]


def test_numbers_of_people_in_notes_below_the_threshold_are_written_as_fewer_than():
    notes = ["6 people had no observable follow-up.", "3,380 people of 4,229 had not completed the window.",
             "Too few people who refused (4) or in the comparison cohort (540) have a complete window.",
             "Caliper 0.2 SD; 12 periods; lag 1."]
    out, n = screen_notes(notes, 10)
    assert out[0] == "fewer than 10 people had no observable follow-up."
    assert out[1] == notes[1] and out[3] == notes[3]
    assert "(fewer than 10)" in out[2] and "(540)" in out[2]
    assert n == 2
    assert screen_notes(notes, 20)[0][2].count("fewer than 20") == 1


# ---------------------------------------------------------------------------------------------
# identifiers in text


@pytest.mark.parametrize("value, kind", [
    ("jane.doe@example.org", "an email address"),
    ("07700 900123", "a UK phone number"),
    ("+44 20 7946 0958", "a UK phone number"),
    ("SW1A 1AA", "a UK postcode"),
    ("p_3f9a1c2b7d4e5f61", "a pseudonymised person id"),
    ("DOB: 12/03/1990", "a date of birth"),
    ("born on 3 March 2007", "a date of birth"),
])
def test_check_text_finds_identifiers(value, kind):
    problems = check_text(f"<p>intro</p>\n<p>the person ({value}) said</p>", "report.html")
    assert len(problems) == 1 and kind in problems[0] and "report.html, line 2" in problems[0]
    assert value not in problems[0]  # the message does not repeat the identifier


def test_check_text_leaves_ordinary_report_text_alone():
    text = ("Referrals from 2023-10-01 to 2025-09-30: 1,438 people; p = 0.00006094; hazard ratio 0.705 "
            "(95% CI 0.52 to 0.95); LSOA E01012345; areas HS01 and BF01; CR1 errors; 12,888 hours; "
            "<img src='data:image/png;base64,iVBORw0KGgo07700900123AAASW1A1AA+p3f9a1c2b7d4e5f61='>; "
            "the data dictionary's example p_3f9a1c2b7d4e5f60.")
    assert check_text(text, "report") == []


# ---------------------------------------------------------------------------------------------
# survey quotes

WITHHELD = [
    "My name is Dave and the litter pick was good",
    "my name is dave, it was fine",
    "PC Smith was really helpful",
    "Thanks to Mrs Patel at the allotment",
    "I worked with Kieran on the graffiti",
    "Call me on 07700 900123 if you want to know more",
    "email me at kid99@example.com",
    "I live at 14 Acacia Avenue so it was close",
    "It was near the park off LS6 2QA",
    "I was born on 12/03/2008 so I was still 16",
    "The session on 3rd May changed my mind",
    "record p_3f9a1c2b7d4e5f61",
]
KEPT = [
    "It made me think about how my actions affect other people.",
    "I didn't want to do it at first. Now I'm glad I did.",
    "The workshop was useful and the staff were fair. I'd recommend it.",
    "Cleaning the underpass in the rain was hard work but worth it",
    "The Youth Offending Team and the Police explained it well.",
    "I'm sorry for what I did. It won't happen again.",
]


@pytest.mark.parametrize("text", WITHHELD)
def test_quotes_with_a_possible_identifier_are_withheld_not_redacted(text):
    assert screen_quote(text) is None


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_comments_are_kept_as_written(text):
    assert screen_quote(text) == text


def test_only_consented_and_screened_quotes_are_published_and_the_withheld_are_counted():
    frame = pl.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "comment": [KEPT[0], KEPT[1], WITHHELD[0], WITHHELD[5], KEPT[2], None],
        "consent_to_quote": [True, False, True, True, True, True],
    })
    quotes = publishable_quotes(frame, "comment", "consent_to_quote")
    assert quotes.columns == ["comment"]
    assert quotes["comment"].to_list() == [KEPT[0], KEPT[2]]
    s = screen_quotes(frame, "comment", "consent_to_quote")
    assert (s.n_comments, s.n_without_consent, s.n_withheld) == (5, 1, 2)
    assert sum(s.reasons.values()) == 2
    assert "2 withheld" in s.describe()
    text = frame.with_columns(pl.col("consent_to_quote").cast(pl.String).str.replace("true", "yes"))
    assert publishable_quotes(text, "comment", "consent_to_quote").height == 2


# ---------------------------------------------------------------------------------------------
# the pipeline and the publication gate on synthetic data


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    write_synthetic(out, seed=7, scale=1)
    return out


def _with_threshold(src: Path, dst: Path, threshold: int) -> Path:
    shutil.copytree(src, dst)
    toml = (dst / "evaluation.toml").read_text()
    if "[disclosure]" in toml:
        toml = re.sub(r"(?ms)^\[disclosure\].*?(?=^\[|\Z)", f"[disclosure]\nthreshold = {threshold}\n\n", toml)
    else:
        toml += f"\n[disclosure]\nthreshold = {threshold}\n"
    (dst / "evaluation.toml").write_text(toml)
    assert load_config(dst / "evaluation.toml").disclosure.threshold == threshold
    return dst


@pytest.fixture(scope="module")
def stores(synthetic_dir, tmp_path_factory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("stores")
    out = {}
    for threshold in (10, 20):
        data = _with_threshold(synthetic_dir, base / f"data{threshold}", threshold)
        out[threshold] = base / f"results{threshold}"
        run_pipeline(data, load_config(data / "evaluation.toml"), out[threshold], only=["overview", "reoffending"])
    return out


def _declared_counts(store: Path) -> dict[str, dict[str, list]]:
    out = {}
    for csv in sorted((store / "tables").glob("*.csv")):
        policy = publication.TABLES[csv.stem]
        frame = pl.read_csv(csv, infer_schema_length=None)
        out[csv.stem] = {c: frame[c].to_list() for c in policy.counts if c in frame.columns}
    return out


@pytest.mark.parametrize("threshold", [10, 20])
def test_every_published_table_passes_the_gate_with_no_small_count(stores, threshold):
    store = stores[threshold]
    assert check_store(store) == []
    counts = _declared_counts(store)
    assert {"overview_referrals", "reoffending_rates", "reoffending_km", "exclusions_summary"} <= set(counts)
    for table, columns in counts.items():
        for column, values in columns.items():
            assert not [v for v in values if v is not None and 0 < v < threshold], (table, column)
    results = json.loads((store / "results.json").read_text())
    disclosure = results["disclosure"]
    assert disclosure["threshold"] == threshold
    assert f"Counts from 1 to {threshold - 1} are not shown" in disclosure["rule"]
    assert disclosure["exempt"]["reoffending_cox"].startswith("model output")
    assert set(disclosure["suppressed"]["reoffending_rates"]) >= {"primary", "secondary"}
    assert disclosure["not_published"] == ["exclusions.csv", "manifest.json", "screening_review.csv"]
    # exclusions.csv stays (working file) but only its counts by reason are published
    assert (store / "exclusions.csv").is_file() and not (store / "tables" / "exclusions.csv").exists()
    summary = pl.read_csv(store / "tables" / "exclusions_summary.csv")
    assert summary.columns == ["table", "stage", "reason", "n"]
    # the KM curve is on a coarse grid without per-event counts
    km = pl.read_csv(store / "tables" / "reoffending_km.csv")
    assert "n_events" not in km.columns and km["time"].n_unique() <= 14


def test_a_higher_threshold_in_the_config_hides_more(stores):
    low, high = _declared_counts(stores[10]), _declared_counts(stores[20])
    hidden = {t: sum(v is None for vals in cols.values() for v in vals) for t, cols in low.items()}
    hidden20 = {t: sum(v is None for vals in cols.values() for v in vals) for t, cols in high.items()}
    assert sum(hidden20.values()) > sum(hidden.values())
    # a count from 10 to 19 is shown at 10 and hidden at 20
    between = [(t, c, i) for t, cols in low.items() for c, vals in cols.items() for i, v in enumerate(vals)
               if v is not None and 10 <= v < 20]
    assert between
    for t, c, i in between:
        assert high[t][c][i] is None, (t, c, i)
    r10 = json.loads((stores[10] / "results.json").read_text())["disclosure"]["suppressed"]
    r20 = json.loads((stores[20] / "results.json").read_text())["disclosure"]["suppressed"]
    assert r20["reoffending_rates"]["primary"] > r10["reoffending_rates"]["primary"]


def _copy_store(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_the_gate_names_table_column_and_row_of_a_planted_small_count(stores, tmp_path):
    store = _copy_store(stores[10], tmp_path / "store")
    path = store / "tables" / "overview_referrals.csv"
    frame = pl.read_csv(path)
    frame.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(3).otherwise(pl.col("n")).alias("n")).write_csv(path)
    problems = check_store(store)
    assert problems == ["tables/overview_referrals.csv, column 'n', data row 2: 3 is below the disclosure "
                        "threshold 10 and is not suppressed"]


def test_the_gate_finds_planted_identifier_columns_and_values(stores, tmp_path):
    store = _copy_store(stores[10], tmp_path / "store")
    path = store / "tables" / "reoffending_cox.csv"
    frame = pl.read_csv(path)
    n = frame.height
    frame.with_columns(
        person_id=pl.lit("p_0123456789abcdef"),
        note=pl.Series(["", "ask jo@example.com", *[""] * (n - 2)]),
    ).write_csv(path)
    (store / "tables" / "mystery.csv").write_text("a,n\nx,3\n")
    problems = check_store(store)
    text = "\n".join(problems)
    assert "tables/reoffending_cox.csv, column 'person_id': a person identifier column must not be published" in text
    assert "tables/reoffending_cox.csv, column 'person_id', data row 1: looks like a pseudonymised person id" in text
    assert "tables/reoffending_cox.csv, column 'note', data row 2: looks like an email address" in text
    assert "tables/mystery.csv: no disclosure policy" in text
    assert "jo@example.com" not in text  # the gate does not repeat what it found


def test_the_gate_finds_small_headlines_and_notes(stores, tmp_path):
    store = _copy_store(stores[10], tmp_path / "store")
    results = json.loads((store / "results.json").read_text())
    results["strands"]["overview"]["headlines"]["ij_people"]["estimate"] = 4
    results["strands"]["reoffending"]["headlines"]["rate_ij_all"].update(n=300, count=297)
    results["strands"]["reoffending"]["notes"].append("3 people were left out.")
    (store / "results.json").write_text(json.dumps(results))
    problems = check_store(store)
    assert any("headlines.ij_people: a count of people (4)" in p for p in problems)
    assert any("headlines.rate_ij_all" in p and "297 of 300" in p for p in problems)
    assert any("notes[" in p and "3 people" in p for p in problems)


def test_the_review_file_is_a_working_file_the_gate_and_the_report_never_read(stores, tmp_path):
    from ij_eval.privacy.screen import REVIEW_COLUMNS, REVIEW_FILE
    from ij_eval.report.outline import brief_markdown, report_markdown
    from ij_eval.report.store import ResultsStore

    store = _copy_store(stores[10], tmp_path / "store")
    assert pl.read_csv(store / REVIEW_FILE).columns == list(REVIEW_COLUMNS)  # the run wrote it (empty here)
    secret = "Zebedee was brilliant, ring 07700 900123 or zeb@example.org"
    pl.DataFrame({"id": ["t-12345678"], "status": ["withheld"], "verdict": ["withhold"],
                  "source": ["participant_survey.comment"], "reasons": ["a first name ('Zebedee')"],
                  "text": [secret], "rows": ["7"]}).write_csv(store / REVIEW_FILE)
    assert check_store(store) == []
    opened = ResultsStore.open(store)
    text = report_markdown(opened) + brief_markdown(opened)
    assert "Zebedee" not in text and "07700" not in text and "t-12345678" not in text


def _strand(name: str, run) -> types.ModuleType:
    module = types.ModuleType(name)
    module.NAME, module.TITLE, module.REQUIRES, module.run = name, name.title(), (), run
    return module


def _store_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_pipeline_refuses_an_undeclared_table(synthetic_dir, tmp_path):
    rogue = _strand("rogue", lambda inputs, config: StrandResult("rogue", tables={"rogue_people": pl.DataFrame(
        {"n": [3]})}))
    overview = next(s for s in STRANDS if s.NAME == "overview")
    with pytest.raises(IJEvalError, match=r"'rogue_people' has no disclosure policy.*ij_eval/publication.py"):
        run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), tmp_path / "out",
                     strands=(overview, rogue))
    assert not (tmp_path / "out").exists()


def test_a_failing_gate_leaves_the_previous_store_intact(synthetic_dir, tmp_path, declare):
    config = load_config(synthetic_dir / "evaluation.toml")
    overview = next(s for s in STRANDS if s.NAME == "overview")
    out = tmp_path / "results"
    run_pipeline(synthetic_dir, config, out, strands=(overview,))
    before = _store_bytes(out)
    declare("planted_contacts", TablePolicy(exempt="a test table declared exempt, so only the gate can catch it"))
    leaky = _strand("leaky", lambda inputs, config: StrandResult("leaky", tables={"planted_contacts": pl.DataFrame(
        {"area": ["A"], "contact": ["call 07700 900123"]})}))
    with pytest.raises(IJEvalError, match=r"(?s)failed the disclosure check.*planted_contacts.csv, column 'contact'"):
        run_pipeline(synthetic_dir, config, out, strands=(overview, leaky))
    assert _store_bytes(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
