"""End-to-end pipeline on synthetic data: the results store, determinism, row accounting, failure safety."""

from __future__ import annotations

import json
import re
import shutil
import types
from pathlib import Path

import polars as pl
import pytest

from ij_eval.cli import main
from ij_eval.config import load_config
from ij_eval.errors import IJEvalError
from ij_eval.pipeline import run_pipeline
from ij_eval.strands import STRANDS
from ij_eval.synth import write_synthetic

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "police_uk"


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    write_synthetic(out, seed=7, scale=1)
    return out


def _store_files(out: Path) -> dict[str, bytes]:
    skip = {"manifest.json", ".ij-eval-store"}  # timings, paths and the store's own id, by design
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and p.name not in skip}


def test_run_writes_the_whole_results_store(synthetic_dir, tmp_path):
    out = tmp_path / "results"
    summary = run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), out)
    for name in ("results.json", "manifest.json", "exclusions.csv", "figures.json"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert results["synthetic"] is True
    assert results["strands"]["overview"]["status"] == "ran"
    referrals = pl.read_csv(synthetic_dir / "referrals.csv", infer_schema=False)
    n_ij = referrals.filter(pl.col("cohort") == "ij").height
    headline = results["strands"]["overview"]["headlines"]["ij_referrals"]["estimate"]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False).filter(
        (pl.col("table") == "referrals") & (pl.col("stage") == "intake"))
    assert headline == n_ij - excluded.join(referrals, left_on="record_id", right_on="referral_id").filter(
        pl.col("cohort") == "ij").height
    figures = json.loads((out / "figures.json").read_text())
    for meta in figures.values():
        assert (out / meta["file"]).is_file() and len(meta["alt_text"]) > 40
    assert summary.ran == ("overview", "reoffending", "hotspots", "implementation", "experience", "value_for_money")
    assert not list(tmp_path.glob(".results.partial-*"))


def test_same_inputs_and_seed_give_byte_identical_store(synthetic_dir, tmp_path):
    config = load_config(synthetic_dir / "evaluation.toml")
    run_pipeline(synthetic_dir, config, tmp_path / "a")
    run_pipeline(synthetic_dir, config, tmp_path / "b")
    a, b = _store_files(tmp_path / "a"), _store_files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_every_input_row_is_used_or_excluded(synthetic_dir, tmp_path):
    out = tmp_path / "results"
    run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), out)
    manifest = json.loads((out / "manifest.json").read_text())
    exclusions = pl.read_csv(out / "exclusions.csv", schema_overrides={"n": pl.Int64})
    for name, entry in manifest["inputs"].items():
        on_disk = pl.read_csv(synthetic_dir / entry["file"], infer_schema=False).height
        assert entry["rows_read"] == on_disk, name
        assert entry["rows_used"] + entry["rows_excluded"] == entry["rows_read"], name
        listed = exclusions.filter((pl.col("table") == name) & (pl.col("stage") == "intake"))["n"].sum()
        assert listed == entry["rows_excluded"], name
        assert len(entry["sha256"]) == 64
    assert manifest["exclusions"]["rows"] == exclusions["n"].sum()


def test_analysis_period_exclusions_are_listed_with_their_reason(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    toml = (data / "evaluation.toml").read_text()
    toml = re.sub(r"(?m)^period_start = .*$", "period_start = 2024-06-01", toml)
    toml = re.sub(r"(?m)^period_end = .*$", "period_end = 2024-12-31", toml)
    (data / "evaluation.toml").write_text(toml)
    out = tmp_path / "results"
    run_pipeline(data, load_config(data / "evaluation.toml"), out)
    referrals = pl.read_csv(data / "referrals.csv", infer_schema=False).with_columns(
        pl.col("referral_date").str.to_date())
    outside = referrals.filter(~pl.col("referral_date").is_between(pl.date(2024, 6, 1), pl.date(2024, 12, 31)))
    listed = pl.read_csv(out / "exclusions.csv", infer_schema=False).filter(
        (pl.col("table") == "referrals") & (pl.col("stage") == "intake"))
    assert outside.height > 0
    assert sorted(listed["record_id"]) == sorted(outside["referral_id"])
    assert set(listed["reason"]) == {"referral date outside the analysis period (2024-06-01 to 2024-12-31)"}


def _strand(name: str, requires: tuple[str, ...], run) -> types.ModuleType:
    module = types.ModuleType(name)
    module.NAME, module.TITLE, module.REQUIRES, module.run = name, name.title(), requires, run
    return module


def test_strand_without_its_inputs_is_skipped_with_a_notice(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    (data / "costs.csv").unlink()
    out = tmp_path / "results"
    summary = run_pipeline(data, load_config(data / "evaluation.toml"), out)
    results = json.loads((out / "results.json").read_text())
    skipped = {"status": "skipped", "reason": "skipped: needs the costs table"}
    assert results["strands"]["value_for_money"] == skipped
    assert summary.skipped == {"value_for_money": "skipped: needs the costs table"}


def test_a_failed_run_leaves_the_previous_store_untouched(synthetic_dir, tmp_path):
    config = load_config(synthetic_dir / "evaluation.toml")
    out = tmp_path / "results"
    run_pipeline(synthetic_dir, config, out)
    before = _store_files(out)

    def broken(inputs, config):
        raise RuntimeError("strand bug")

    with pytest.raises(RuntimeError):
        run_pipeline(synthetic_dir, config, out, strands=(*STRANDS, _strand("broken", (), broken)))
    assert _store_files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_run_refuses_to_replace_a_folder_that_is_not_a_results_store(synthetic_dir, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(IJEvalError, match="not an ij-eval results store"):
        run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), out)
    assert (out / "notes.txt").read_text() == "keep me"


def test_unknown_strand_in_only_is_a_clear_error(synthetic_dir, tmp_path):
    with pytest.raises(IJEvalError, match="unknown strand nope"):
        run_pipeline(synthetic_dir, load_config(synthetic_dir / "evaluation.toml"), tmp_path / "o", only=["nope"])


def test_police_uk_archive_rows_add_up_in_the_manifest(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    referrals = pl.read_csv(synthetic_dir / "referrals.csv", infer_schema=False)
    referrals.with_columns(hotspot_id=pl.lit(None, pl.String)).write_csv(data / "referrals.csv")
    month = data / "police_uk" / "2024-01"
    month.mkdir(parents=True)
    source = REFERENCE / "derbyshire" / "2024-01-derbyshire-street.csv"
    shutil.copy(source, month / source.name)
    street = pl.read_csv(source, infer_schema=False)
    asb = street.filter(pl.col("Crime type") == "Anti-social behaviour")
    lsoas = asb["LSOA code"].drop_nulls().unique().sort().to_list()
    pl.DataFrame({
        "area_id": ["H1", "C1"], "name": ["Hotspot", "Comparison"], "role": ["hotspot", "comparison"],
        "parent_hotspot": [None, None], "lsoa_codes": [";".join(lsoas[:20]), ";".join(lsoas[20:40])],
        "population": [30000, 30000], "intervention_start": ["2023-10-01", None],
    }).write_csv(data / "areas.csv")
    out = tmp_path / "results"
    run_pipeline(data, load_config(synthetic_dir / "evaluation.toml"), out)
    entry = json.loads((out / "manifest.json").read_text())["inputs"]["police_uk"]
    assert entry["rows_read"] == street.height == 8216
    assert entry["rows_out_of_scope"] == street.height - asb.height
    assert entry["rows_used"] + entry["rows_excluded"] == asb.height == 1100
    placed = asb.filter(pl.col("LSOA code").is_in(lsoas[:40])).height
    assert entry["rows_used"] == placed


def test_cli_run_on_bad_data_exits_1_and_writes_nothing(synthetic_dir, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    referrals = pl.read_csv(data / "referrals.csv", infer_schema=False)
    referrals.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("not a date"))
                           .otherwise(pl.col("referral_date")).alias("referral_date")).write_csv(data / "referrals.csv")
    code = main(["run", str(data), "--out", str(tmp_path / "results"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "referrals.csv, column 'referral_date': not a valid date (1 row; first at row 5; values 'not a date')" in err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_demo_builds_data_results_and_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--quiet"]) == 0
    demo = tmp_path / "demo"
    assert (demo / "data" / "ground_truth.json").is_file()
    assert (demo / "results" / "results.json").is_file()
    report = demo / "results" / "report"
    for name in ("index.html", "report.html", "report.pdf", "brief.html", "brief.pdf"):
        assert (report / name).is_file(), name
    assert (report / "report.html").read_text().count("SYNTHETIC DATA") >= 2
    assert "SYNTHETIC DATA" in (report / "index.html").read_text()
    out = capsys.readouterr().out
    assert f"wrote {report / 'report.pdf'}" in out and "results/report/index.html" in out
