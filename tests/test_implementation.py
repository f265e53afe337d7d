"""Implementation strand: funnel, timeliness (Wilson, Kaplan-Meier censoring), equality (Holm), the
pipeline and disclosure gate, the chapter, and calibration against the synthetic generator."""

from __future__ import annotations

import datetime as dt
import json
import math

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from ij_eval.config import load_config
from ij_eval.pipeline import run_pipeline
from ij_eval.publication import check_store
from ij_eval.report.chapters._common import not_run, opening
from ij_eval.report.chapters.delivery import finding, implementation
from ij_eval.report.store import ResultsStore
from ij_eval.strands.implementation.common import prepare, wilson
from ij_eval.strands.implementation.equality import equality
from ij_eval.strands.implementation.funnel import STATUSES, adds_up, funnel
from ij_eval.strands.implementation.timeliness import km_start, population, timeliness
from ij_eval.synth import write_synthetic
from ij_eval.synth.calibration import read_tables
from ij_eval.synth.scenarios import get_scenario


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth_impl") / "data"
    write_synthetic(out)  # the default scenario and seed
    return out


@pytest.fixture(scope="module")
def store(synthetic_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("impl_store") / "results"
    config = load_config(synthetic_dir / "evaluation.toml")
    run_pipeline(synthetic_dir, config, out, only=("overview", "implementation"))
    return ResultsStore.open(out)


def _headlines(store: ResultsStore) -> dict:
    return store.results["strands"]["implementation"]["headlines"]


# --- funnel ---------------------------------------------------------------------------------

def test_funnel_adds_up_to_the_referral_count_on_the_default_scenario(synthetic_dir):
    referrals = read_tables(synthetic_dir)["referrals"]
    n_ij = referrals.filter(pl.col("cohort") == "ij").height
    table = funnel(prepare(referrals))
    assert adds_up(table)
    overall = dict(table.filter(pl.col("breakdown") == "all").select("stage", "n").iter_rows())
    assert overall["referred"] == n_ij
    assert sum(overall[s] for s in STATUSES) == n_ij
    assert overall["referred"] >= overall["contacted"] >= overall["work_booked"] >= overall["started"] \
        >= overall["completed"] + overall["did_not_complete"]
    for breakdown in ("month", "route", "outcome_code", "offence_type", "age_group"):
        part = table.filter((pl.col("breakdown") == breakdown) & (pl.col("stage") == "referred"))
        assert part["n"].sum() == n_ij, breakdown


# --- timeliness -----------------------------------------------------------------------------

@pytest.mark.parametrize(("count", "n"), [(0, 12), (5, 12), (481, 1175), (12, 12), (1, 1)])
def test_wilson_equals_statsmodels(count, n):
    share, low, high = wilson(count, n)
    want = proportion_confint(count, n, alpha=0.05, method="wilson")
    assert share == pytest.approx(count / n)
    assert (low, high) == pytest.approx(want, abs=1e-12)


def _journeys() -> pl.DataFrame:
    """Five people who could start, referred 1 January 2025, extract 31 January: two started (after
    1 and 2 days), three had not started by the extract (censored at 30 days); plus a refusal and a
    referral made on the extract date, which time to start leaves out."""
    d = dt.date(2025, 1, 1)
    start = [d + dt.timedelta(days=1), d + dt.timedelta(days=2), None, None, None, None, None]
    status = ["completed", "in_progress", "in_progress", "in_progress", "in_progress", "refused", "in_progress"]
    referral = [d] * 6 + [dt.date(2025, 1, 31)]
    contact = [dt.datetime(2025, 1, 1, 10)] * 7
    return pl.DataFrame({
        "cohort": ["ij"] * 7, "referral_date": referral, "first_contact_at": contact,
        "work_booked_at": [dt.datetime(2025, 1, 1, 11) if s else None for s in start], "work_start_date": start,
        "status": status, "outcome_code": ["8"] * 7, "age": [30] * 7, "route": ["community_resolution"] * 7,
    }, schema_overrides={"first_contact_at": pl.Datetime("us"), "work_booked_at": pl.Datetime("us")})


def test_people_not_yet_started_are_censored_not_dropped():
    extract = dt.date(2025, 1, 31)
    ij = prepare(_journeys())
    people = population(ij, "start", extract)
    assert people.height == 5  # the refusal and the referral on the extract date are left out
    assert int((~people["event"]).sum()) == 3
    assert sorted(people.filter(~pl.col("event"))["time"].to_list()) == [30 * 24.0] * 3
    row = timeliness(ij, extract).filter((pl.col("measure") == "start") & (pl.col("breakdown") == "all")).row(
        0, named=True)
    # shares: 2 of 5 started within 48 hours (not 2 of 2); KM: S = 4/5 then 3/5, never reaching one half
    assert (row["n"], row["within_48h"], row["not_yet"]) == (5, 2, 3)
    assert row["share"] == pytest.approx(0.4)
    assert row["median_hours"] is None  # dropping the three waiting would give a median of 24 hours
    km = km_start(ij, extract).filter(pl.col("group") == "all").sort("time")
    by_time = {r["time"]: r for r in km.iter_rows(named=True)}
    assert by_time[1]["n_at_risk"] == 5 and by_time[1]["share_started"] == pytest.approx(1 / 5)
    assert by_time[2]["n_at_risk"] == 4 and by_time[2]["share_started"] == pytest.approx(2 / 5)
    assert by_time[30]["n_censored"] == 3 and by_time[30]["share_started"] == pytest.approx(2 / 5)


def test_contact_within_48_hours_counts_from_the_start_of_the_decision_day():
    frame = _journeys().with_columns(first_contact_at=pl.Series([
        dt.datetime(2025, 1, 2, 23, 59), dt.datetime(2025, 1, 3, 0, 0), None, dt.datetime(2025, 1, 1, 9),
        dt.datetime(2025, 1, 1, 9), dt.datetime(2025, 1, 1, 9), dt.datetime(2025, 1, 31, 9)], dtype=pl.Datetime("us")))
    row = timeliness(prepare(frame), dt.date(2025, 1, 31)).filter(
        (pl.col("measure") == "contact") & (pl.col("breakdown") == "all")).row(0, named=True)
    # six referrals had 48 hours; 47:59 counts, 48:00 does not, never contacted counts as not within
    assert (row["n"], row["within_48h"], row["not_yet"]) == (6, 4, 1)


# --- equality -------------------------------------------------------------------------------

def _equality_people() -> pl.DataFrame:
    """400 IJ referrals and 400 comparison people, half female in each; female completion 40%, male
    85% (the rest did not complete); no other difference."""
    rows = []
    for cohort in ("ij", "comparison"):
        for sex, completes in (("female", 80), ("male", 170)):
            for i in range(200):
                status = None if cohort == "comparison" else ("completed" if i < completes else "did_not_complete")
                rows.append((cohort, sex, status))
    frame = pl.DataFrame(rows, schema={"cohort": pl.String, "sex": pl.String, "status": pl.String}, orient="row")
    return frame.with_columns(referral_date=pl.lit(dt.date(2024, 1, 1)), age=pl.lit(30), ethnicity=pl.lit("white"),
                              disability=pl.lit("no"))


def test_equality_flags_only_the_large_difference_after_holm():
    people = _equality_people()
    ij = people.filter(pl.col("cohort") == "ij")
    assert ij.filter(pl.col("sex") == "female")["status"].eq("completed").mean() == pytest.approx(0.4)
    assert ij.filter(pl.col("sex") == "male")["status"].eq("completed").mean() == pytest.approx(0.85)
    table = equality(people, dt.date(2025, 1, 1))
    flags = {(r["characteristic"], r["group"]): r["flag"] for r in table.iter_rows(named=True)}
    assert flags[("sex", "female")] == "lower completion"
    assert flags[("sex", "male")] == "higher completion"
    assert all(f == "" for k, f in flags.items() if k[0] != "sex")
    female = table.filter(pl.col("group") == "female").row(0, named=True)
    assert female["completion_p_holm"] >= female["completion_p"]  # adjusted for the family of tests
    assert female["representation_p_holm"] == pytest.approx(1.0)
    low, high = proportion_confint(80, 200, method="wilson")
    assert (female["completion_ci_lower"], female["completion_ci_upper"]) == pytest.approx((low, high))


# --- pipeline, disclosure, chapter -----------------------------------------------------------

def test_strand_runs_in_the_pipeline_and_the_store_passes_the_gate(store, synthetic_dir):
    assert store.ran("implementation")
    assert check_store(store.root) == []
    for name in ("funnel", "timeliness", "wait_bands", "km_start", "dosage", "activities", "sites", "equality"):
        assert store.has_table(f"implementation_{name}"), name
    for name in ("funnel", "monthly", "km_start", "hours"):
        meta = store.figure(f"implementation_{name}")
        assert meta is not None and len(meta["alt_text"]) > 40
    referrals = read_tables(synthetic_dir)["referrals"]
    h = _headlines(store)
    assert h["referrals"]["estimate"] == referrals.filter(pl.col("cohort") == "ij").height
    published = store.table("implementation_funnel").filter(
        (pl.col("breakdown") == "all") & (pl.col("stage") == "referred"))
    assert published["n"][0] == h["referrals"]["estimate"]
    # a rate is never shown where its count is hidden
    funnel_table = store.table("implementation_funnel")
    assert funnel_table.filter(pl.col("n").is_null() & pl.col("share").is_not_null()).height == 0
    km = store.table("implementation_km_start")
    assert km.filter(pl.col("n_at_risk").is_not_null() & (pl.col("n_at_risk") < 10) & (pl.col("n_at_risk") > 0)
                     ).height == 0


def test_chapter_renders_with_references_only_to_what_is_there(store):
    text = implementation(store)
    assert text.startswith("# Implementation {#sec-implementation}")
    assert "SYNTHETIC DATA" in text
    for ref in ("@tbl-implementation-funnel", "@fig-implementation-funnel", "@fig-implementation-km-start",
                "@tbl-implementation-equality"):
        assert ref in text
        assert "{#" + ref[1:] + "}" in text or "{#" + ref[1:] + " " in text
    f = finding(store)
    assert f.answered and f.key == "implementation"
    h = _headlines(store)
    assert f"{round(100 * h['contact_within_48h']['estimate'])}%" in f.answer
    assert f"between {round(100 * h['contact_within_48h']['ci_lower'])}%" in f.answer


def test_chapter_is_one_sentence_when_the_strand_did_not_run(synthetic_dir, tmp_path):
    out = tmp_path / "results"
    run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), out, only=("overview",))
    skipped = ResultsStore.open(out)
    text = implementation(skipped)
    body = text.removeprefix(opening(skipped, "Implementation", "implementation")).strip()
    assert body == not_run(skipped, "implementation", "implementation").strip()
    assert body.count(". ") == 0 and body.endswith(".")
    assert not finding(skipped).answered


# --- calibration ----------------------------------------------------------------------------

def test_shares_match_the_generator_within_sampling_error(store):
    scenario = get_scenario("default")
    h = _headlines(store)
    for key, target in (("completed_share", scenario.completed_share),
                        ("contact_within_48h", scenario.contact_within_48h),
                        ("start_within_48h", scenario.start_within_48h)):
        est, n = h[key]["estimate"], h[key]["n"]
        se = math.sqrt(target * (1 - target) / n)
        assert abs(est - target) < 3 * se, (key, est, target)
    assert h["placements"]["estimate"] == scenario.placements
    assert json.dumps(h)  # JSON-ready
