"""The synthetic data generator: determinism, scale, schema conformance, calibration to the
published pilot figures, and recovery of the true effects it builds in."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter

from ij_eval.config import load_config
from ij_eval.errors import ConfigError
from ij_eval.privacy.columns import direct_identifier_columns
from ij_eval.schema import load_schemas
from ij_eval.synth import SCENARIOS, calibration_table, tolerances, write_synthetic
from ij_eval.synth.calibration import read_tables
from ij_eval.synth.surveys import PARTICIPANT_COMMENTS, VICTIM_COMMENTS

SEED = 20231001
TABLES = ("referrals", "offences", "areas", "asb_counts", "participant_survey", "victim_survey",
          "placements", "costs", "community_survey")
EXTRACT = pl.date(2025, 9, 30)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Each scenario at scale 1, plus the default at scale 3 and the null effect at scale 3."""
    out = {}
    for name, scenario, scale in (("default", "default", 1), ("null-effect", "null-effect", 1),
                                  ("second-force", "second-force", 1), ("default-3", "default", 3),
                                  ("null-effect-3", "null-effect", 3)):
        out[name] = tmp_path_factory.mktemp(name)
        write_synthetic(out[name], scenario=scenario, seed=SEED, scale=scale)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- determinism, scale, files -------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(folders, tmp_path):
    write_synthetic(tmp_path / "again", seed=SEED)
    assert _digest(tmp_path / "again") == _digest(folders["default"])


def test_different_seed_gives_different_files(folders, tmp_path):
    write_synthetic(tmp_path / "other", seed=SEED + 1)
    a, b = _digest(tmp_path / "other"), _digest(folders["default"])
    for table in ("referrals", "offences", "asb_counts", "participant_survey", "community_survey"):
        assert a[f"{table}.csv"] != b[f"{table}.csv"], table


def test_summary_describes_what_was_written(tmp_path):
    summary = write_synthetic(tmp_path, scenario="second-force", seed=7)
    assert summary.scenario == "second-force" and summary.seed == 7 and summary.scale == 1
    assert summary.out_dir == tmp_path
    assert set(summary.files) == {f"{t}.csv" for t in TABLES} | {
        "evaluation.toml", "ground_truth.json", "SYNTHETIC_DATA.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(summary.files)
    for table in TABLES:
        assert summary.rows[table] == pl.read_csv(tmp_path / f"{table}.csv", infer_schema_length=0).height


def test_scale_multiplies_volumes(folders):
    one, three = read_tables(folders["default"]), read_tables(folders["default-3"])
    for table in ("areas", "asb_counts", "placements", "victim_survey"):
        assert three[table].height == 3 * one[table].height, table
    for cohort in ("ij", "comparison"):
        n1 = (one["referrals"]["cohort"] == cohort).sum()
        n3 = (three["referrals"]["cohort"] == cohort).sum()
        assert 2.7 < n3 / n1 < 3.3, cohort
    for table in ("offences", "participant_survey", "community_survey"):
        assert 2.6 < three[table].height / one[table].height < 3.4, table
    assert three["costs"]["amount_gbp"].sum() == pytest.approx(3 * one["costs"]["amount_gbp"].sum(), rel=0.01)


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown synthetic scenario 'nope'.*default"):
        write_synthetic(tmp_path, scenario="nope")
    for scale in (0, -1, 1.5, True, 101):
        with pytest.raises(ConfigError, match="scale"):
            write_synthetic(tmp_path, scale=scale)
    with pytest.raises(ConfigError, match="seed"):
        write_synthetic(tmp_path, seed=-3)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        write_synthetic(tmp_path / "file")
    with pytest.raises(ConfigError, match="ground_truth"):
        calibration_table(tmp_path)
    assert not (tmp_path / "referrals.csv").exists()


def test_config_notice_and_ground_truth(folders):
    folder = folders["default"]
    config = load_config(folder / "evaluation.toml")
    assert config.scheme.synthetic is True
    assert config.scheme.force == "Synthetic Constabulary (demo)"
    assert str(config.scheme.start) == "2023-10-01" and config.scheme.name and config.scheme.evaluation_team
    assert str(config.data.extract_date) == "2025-09-30"
    assert (str(config.data.period_start), str(config.data.period_end)) == ("2023-10-01", "2025-09-30")
    r = config.reoffending
    assert (r.follow_up_days, r.waiting_days, r.comparison) == (365, 182, "concurrent")
    assert set(r.covariates) <= set(load_schemas()["referrals"].column_names)
    assert config.disclosure.threshold == 10 and config.run.seed == SEED
    assert "synthetic" in (folder / "SYNTHETIC_DATA.txt").read_text().lower()
    text = (folder / "ground_truth.json").read_text()
    truth = json.loads(text)
    assert text == json.dumps(truth, indent=2, sort_keys=True) + "\n"
    assert truth["reoffending"]["hazard_ratio_ij"] == 0.75
    assert truth["hotspots"]["rate_ratio"] == {"hotspot": 0.85, "buffer": 0.95, "comparison": 1.0}
    null = json.loads((folders["null-effect"] / "ground_truth.json").read_text())
    assert null["reoffending"]["hazard_ratio_ij"] == 1.0
    assert set(null["hotspots"]["rate_ratio"].values()) == {1.0}
    assert set(null["community_survey"]["effect_hotspot_after_log_odds"].values()) == {0.0}


# --- schema conformance ---------------------------------------------------------------------

_FORMATS = {"date": r"^\d{4}-\d{2}-\d{2}$", "datetime": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$",
            "month": r"^\d{4}-\d{2}$", "boolean": r"^(true|false)$", "integer": r"^-?\d+$",
            "number": r"^-?\d+(\.\d+)?$", "money": r"^\d+\.\d{2}$"}


def _raw(folder: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_csv(folder / f"{t}.csv", infer_schema_length=0) for t in TABLES}


@pytest.mark.parametrize("name", ["default", "null-effect", "second-force"])
def test_columns_are_exactly_the_schema_columns(folders, name):
    schemas = load_schemas()
    for table, frame in _raw(folders[name]).items():
        assert tuple(frame.columns) == schemas[table].column_names, table
        assert frame.height > 0, table
        extra = [c for c in frame.columns if c not in schemas[table].column_names]
        assert not direct_identifier_columns(extra), table


@pytest.mark.parametrize("name", ["default", "null-effect", "second-force"])
def test_every_schema_rule_holds(folders, name):
    raw = _raw(folders[name])
    typed = read_tables(folders[name])
    schemas = load_schemas()
    for table, frame in raw.items():
        schema = schemas[table]
        for col in schema.columns:
            s = frame[col.name]
            where = f"{table}.{col.name}"
            present = s.drop_nulls()
            if col.required:
                assert s.null_count() == 0, f"{where}: required value missing"
            for other, value in col.required_when:
                assert not (s.is_null() & (frame[other] == value)).any(), f"{where}: required_when"
            if col.type in _FORMATS:
                assert present.str.contains(_FORMATS[col.type]).all(), f"{where}: format"
            if col.values:
                assert set(present.unique()) <= set(col.values), f"{where}: values"
            if col.levels:
                assert set(present.unique()) <= set(col.levels), f"{where}: levels"
            if col.min is not None or col.max is not None:
                v = present.cast(pl.Float64)
                assert col.min is None or v.min() >= col.min, f"{where}: below min"
                assert col.max is None or v.max() <= col.max, f"{where}: above max"
            if col.warn_max is not None:
                assert present.cast(pl.Float64).max() <= col.warn_max, f"{where}: above usual max"
            if col.pattern:
                items = present.str.split(";").explode() if col.type == "list" else present
                assert items.str.contains(col.pattern).all(), f"{where}: pattern"
            if col.unique:
                assert present.n_unique() == present.len(), f"{where}: unique"
            if col.references:
                target_table, target_col = col.references.split(".")
                assert present.is_in(raw[target_table][target_col].implode()).all(), f"{where}: reference"
        if len(schema.primary_key) > 1:
            assert frame.select(schema.primary_key).is_unique().all(), f"{table}: primary key"
        for rule in schema.rules:
            left, op, right = rule.parsed
            a, b = typed[table][left], typed[table][right]
            if a.dtype != b.dtype:
                a, b = a.cast(pl.Date), b.cast(pl.Date)
            holds = {">=": a >= b, "<=": a <= b}[op]
            assert holds.fill_null(True).all(), f"{table}: {rule.check}"


def test_lsoas_belong_to_one_area_and_areas_are_well_formed(folders):
    t = read_tables(folders["default"])
    areas = t["areas"]
    lsoas = areas["lsoa_codes"].str.split(";").explode()
    assert lsoas.n_unique() == lsoas.len()
    assert (areas["role"].value_counts().sort("role")["count"].to_list()) == [10, 10, 10]
    hot = areas.filter(pl.col("role") == "hotspot")
    assert hot["intervention_start"].min().isoformat() == "2023-10-01"
    assert hot["intervention_start"].max().isoformat() == "2024-04-01"
    assert hot["intervention_start"].n_unique() >= 5  # staggered
    buffers = areas.filter(pl.col("role") == "buffer")
    assert sorted(buffers["parent_hotspot"]) == sorted(hot["area_id"])
    assert areas.filter(pl.col("role") != "hotspot")["intervention_start"].null_count() == 20
    counts = t["asb_counts"]
    assert counts["period"].min() == "2019-01" and counts["period"].max() == "2025-09"
    assert counts.height == 30 * 81


def test_referral_fields_follow_status_and_route(folders):
    ref = read_tables(folders["default"])["referrals"]
    ij, comparison = ref.filter(pl.col("cohort") == "ij"), ref.filter(pl.col("cohort") == "comparison")
    journey = ["status", "first_contact_at", "work_booked_at", "work_start_date", "hours_required",
               "hours_completed", "workshop_attended", "restorative_justice", "placement_id", "hotspot_id"]
    assert all(comparison[c].null_count() == comparison.height for c in journey)
    assert set(ij["status"]) == {"completed", "refused", "did_not_complete", "in_progress", "not_suitable"}
    by = {s: ij.filter(pl.col("status") == s) for s in set(ij["status"])}
    done = by["completed"]
    assert (done["hours_completed"] == done["hours_required"]).all() and done["work_start_date"].is_not_null().all()
    dnc = by["did_not_complete"]
    assert (dnc["hours_completed"] < dnc["hours_required"]).all()
    for s in ("refused", "not_suitable"):
        assert by[s]["work_start_date"].null_count() == by[s].height
        assert by[s]["placement_id"].null_count() == by[s].height
    assert (by["refused"]["hours_completed"] == 0).all()
    assert by["in_progress"]["referral_date"].min() > pl.select(EXTRACT).item().replace(month=5)
    assert by["in_progress"]["work_start_date"].null_count() > 0  # some not yet started
    code = (ij.group_by("route").agg(pl.col("outcome_code").cast(pl.String).unique().drop_nulls())
            .sort("route"))
    codes = dict(zip(code["route"], code["outcome_code"].to_list(), strict=True))
    assert codes["community_resolution"] == ["8"] and codes["outcome_22"] == ["22"]
    assert all(codes[r] == [] for r in ("voluntary_warning_letter", "voluntary_abc", "voluntary_vco"))
    assert ij.filter(pl.col("route") == "conditional_caution")["age"].min() >= 18
    assert ij["age"].min() == 10 and (ij["age"] < 18).mean() > 0.25
    assert ij["area_code"].null_count() == 0


def test_confounding_is_built_in(folders):
    ref = read_tables(folders["default-3"])["referrals"]
    prior = ref.group_by("cohort", "status").agg(pl.col("prior_offences").mean())
    mean = {(c, s): p for c, s, p in prior.iter_rows()}
    assert mean[("ij", "completed")] < mean[("ij", "refused")]
    ij_mean = ref.filter(pl.col("cohort") == "ij")["prior_offences"].mean()
    assert ij_mean < 0.5 * mean[("comparison", None)]
    ages = ref.group_by("cohort").agg(pl.col("age").mean()).sort("cohort")
    assert ages["age"][0] > ages["age"][1] + 2  # comparison older than IJ


def test_offences_agree_with_prior_offences_and_follow_up(folders):
    t = read_tables(folders["default"])
    ref, off = t["referrals"], t["offences"]
    assert off["person_id"].is_in(ref["person_id"].implode()).all()
    assert ref["person_id"].n_unique() == ref.height
    joined = off.join(ref.select("person_id", "referral_date", "prior_offences", "age"), on="person_id")
    prior_rows = (joined.filter(pl.col("proven") & (pl.col("offence_date") < pl.col("referral_date")))
                  .group_by("person_id").agg(n=pl.len()))
    check = ref.join(prior_rows, on="person_id", how="left").with_columns(pl.col("n").fill_null(0))
    assert (check["n"] <= check["prior_offences"]).all()
    # Children's whole offending careers fall inside the records window: counts agree exactly.
    children = check.filter(pl.col("age") < 18)
    assert (children["n"] == children["prior_offences"]).all()
    assert (check["n"] == check["prior_offences"]).mean() > 0.6
    assert off["offence_date"].max() <= pl.select(EXTRACT).item()
    assert not joined.filter(pl.col("offence_date") == pl.col("referral_date")).height  # no index rows
    proven = off["disposal"].is_in(["conviction", "caution", "conditional_caution", "youth_caution",
                                    "youth_conditional_caution"])
    assert (off["proven"] == proven).all()
    pending = off.filter(pl.col("disposal") == "pending")
    assert pending.height > 0 and pending["disposal_date"].null_count() == pending.height
    truth = json.loads((folders["default"] / "ground_truth.json").read_text())
    assert truth["reoffending"]["first_time_entrants"]["count"] > 20


def test_placement_hours_add_up_and_comments_are_invented(folders):
    t = read_tables(folders["default"])
    hours = (t["referrals"].filter(pl.col("placement_id").is_not_null())
             .group_by("placement_id").agg(h=pl.col("hours_completed").sum()))
    placements = t["placements"].join(hours, on="placement_id", how="left").with_columns(pl.col("h").fill_null(0))
    assert (placements["hours_delivered"] == placements["h"]).all()
    assert t["placements"]["hours_delivered"].sum() > 0
    assert set(t["participant_survey"]["comment"].drop_nulls()) <= set(PARTICIPANT_COMMENTS)
    assert set(t["victim_survey"]["comment"].drop_nulls()) <= set(VICTIM_COMMENTS)
    for comment in PARTICIPANT_COMMENTS + VICTIM_COMMENTS:
        assert not re.search(r"\d|@|\b(Mr|Mrs|Ms|PC|Street|Road)\b", comment), comment
    survey = t["participant_survey"].join(t["referrals"], on="referral_id")
    assert (survey["status"] == "completed").all() and (survey["survey_date"] >= survey["work_start_date"]).all()
    victims = t["victim_survey"].join(t["referrals"], on="referral_id")
    assert (victims["status"] == "completed").all()
    community = t["community_survey"].join(t["areas"], on="area_id")
    assert set(community["role"]) == {"hotspot", "comparison"} and set(community["wave"]) == {"before", "after"}


# --- calibration ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["default", "null-effect", "second-force"])
def test_calibration_within_tolerance(folders, name):
    table = calibration_table(folders[name], name)
    assert table.columns == ["measure", "target", "generated", "source"]
    assert table["source"].str.len_chars().min() > 5
    tol = tolerances(name)
    off = table.filter((pl.col("target") - pl.col("generated")).abs()
                       > pl.col("measure").replace_strict(tol, return_dtype=pl.Float64))
    assert off.height == 0, off.to_dicts()


def test_calibration_scales_volume_targets(folders):
    one = calibration_table(folders["default"]).filter(pl.col("measure") == "Placements")
    three = calibration_table(folders["default-3"]).filter(pl.col("measure") == "Placements")
    assert three["target"][0] == 3 * one["target"][0] == three["generated"][0]


# --- the true effects are recoverable ---------------------------------------------------------

def _survival(folder: Path):
    t = read_tables(folder)
    ref = t["referrals"]
    first = (t["offences"].join(ref.select("person_id", "referral_date"), on="person_id")
             .filter(pl.col("offence_date") > pl.col("referral_date"))
             .group_by("person_id").agg(first=pl.col("offence_date").min()))
    return (ref.join(first, on="person_id", how="left")
            .with_columns(
                duration=(pl.coalesce("first", EXTRACT) - pl.col("referral_date")).dt.total_days(),
                event=pl.col("first").is_not_null().cast(pl.Int8),
                ij=(pl.col("cohort") == "ij").cast(pl.Int8),
                age_10=(pl.col("age") - 30) / 10,
                male=(pl.col("sex") == "male").cast(pl.Int8),
                log1p_prior=pl.col("prior_offences").log1p(),
                disability_yes=(pl.col("disability") == "yes").cast(pl.Int8))
            .select("duration", "event", "ij", "age_10", "male", "log1p_prior", "disability_yes")
            .filter(pl.col("duration") > 0)  # referred on the extract date: no follow-up
            .to_pandas())


def _hazard_ratio(df, columns) -> tuple[float, float, float]:
    fit = CoxPHFitter().fit(df[["duration", "event", *columns]], "duration", "event")
    row = fit.summary.loc["ij"]
    return row["exp(coef)"], row["exp(coef) lower 95%"], row["exp(coef) upper 95%"]


def test_cox_recovers_the_true_hazard_ratio_and_naive_is_biased(folders):
    truth = json.loads((folders["default"] / "ground_truth.json").read_text())["reoffending"]
    true_hr = truth["hazard_ratio_ij"]
    df = _survival(folders["default"])
    hr, lo, hi = _hazard_ratio(df, ["ij", "age_10", "male", "log1p_prior", "disability_yes"])
    assert lo <= true_hr <= hi, (hr, lo, hi)
    naive, naive_lo, naive_hi = _hazard_ratio(df, ["ij"])
    assert not naive_lo <= true_hr <= naive_hi
    assert abs(np.log(naive / true_hr)) > 2 * abs(np.log(hr / true_hr))
    naive_rates = truth["naive_12_month_reoffending"]
    assert naive_rates["ij"]["share"] < naive_rates["comparison"]["share"]
    assert naive_rates["ij_completed"]["share"] < naive_rates["ij_refused"]["share"]


def test_null_effect_hazard_ratio_interval_covers_one(folders):
    hr, lo, hi = _hazard_ratio(_survival(folders["null-effect-3"]),
                               ["ij", "age_10", "male", "log1p_prior", "disability_yes"])
    assert lo <= 1.0 <= hi, (hr, lo, hi)


def _rate_ratio(folder: Path, role: str) -> tuple[float, float, float]:
    """Quasi-Poisson GLM pooled over the areas with ``role``: area intercepts, log-population
    offset, linear trend, two Fourier harmonics and a level change at the (parent's) start."""
    t = read_tables(folder)
    areas = t["areas"]
    starts = areas.select(pl.col("area_id").alias("parent_hotspot"), start=pl.col("intervention_start"))
    chosen = (areas.filter(pl.col("role") == role)
              .join(starts, on="parent_hotspot", how="left")
              .select("area_id", start=pl.coalesce("intervention_start", "start")))
    df = (t["asb_counts"].join(chosen, on="area_id")
          .with_columns(date=(pl.col("period") + "-01").str.to_date())
          .with_columns(month=pl.col("date").dt.month()))
    month = df["month"].to_numpy()
    years = ((df["date"] - df["date"].min()).dt.total_days() / 365.25).to_numpy()
    post = (df["date"] >= df["start"]).to_numpy().astype(float)
    fourier = [f(2 * np.pi * h * month / 12) for h in (1, 2) for f in (np.sin, np.cos)]
    dummies = df.select("area_id").to_dummies().to_numpy().astype(float)
    X = np.column_stack([post, years, *fourier, dummies])
    fit = sm.GLM(df["count"].to_numpy(), X, family=sm.families.Poisson(),
                 offset=np.log(df["population"].to_numpy())).fit(scale="X2")
    lo, hi = fit.conf_int()[0]
    return float(np.exp(fit.params[0])), float(np.exp(lo)), float(np.exp(hi))


def test_hotspot_glm_recovers_the_true_rate_ratio(folders):
    truth = json.loads((folders["default"] / "ground_truth.json").read_text())["hotspots"]["rate_ratio"]
    rr, lo, hi = _rate_ratio(folders["default"], "hotspot")
    assert lo <= truth["hotspot"] <= hi, (rr, lo, hi)
    assert hi < 1.0  # the effect is detectable at scale 1
    rr, lo, hi = _rate_ratio(folders["default"], "buffer")
    assert lo <= truth["buffer"] <= hi, (rr, lo, hi)
    rr, lo, hi = _rate_ratio(folders["null-effect"], "hotspot")
    assert lo <= 1.0 <= hi, (rr, lo, hi)


def test_scenarios_are_named_and_frozen():
    assert set(SCENARIOS) == {"default", "null-effect", "second-force"}
    with pytest.raises(AttributeError):
        SCENARIOS["default"].hazard_ratio_ij = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        SCENARIOS["extra"] = SCENARIOS["default"]  # type: ignore[index]
