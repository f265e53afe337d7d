"""The synthetic data pass the project's own validator at several seeds, scales and scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from ij_eval.cli import main
from ij_eval.config import load_config
from ij_eval.synth import write_synthetic
from ij_eval.validation import validate_folder


@pytest.mark.parametrize(("scenario", "seed", "scale"), [
    ("default", 1, 1), ("default", 2, 1), ("default", 3, 2), ("null-effect", 4, 1), ("second-force", 5, 1),
])
def test_synthetic_folder_validates_without_errors_or_warnings(tmp_path, scenario, seed, scale):
    write_synthetic(tmp_path, scenario=scenario, seed=seed, scale=scale)
    report = validate_folder(tmp_path, load_config(tmp_path / "evaluation.toml"))
    assert [p.describe() for p in report.problems if p.level != "info"] == []
    assert {"referrals", "offences", "areas", "asb_counts", "participant_survey", "victim_survey",
            "placements", "costs"} <= set(report.tables)


def test_demo_config_in_analyses_is_the_one_the_generator_writes(tmp_path):
    write_synthetic(tmp_path)
    checked_in = Path(__file__).resolve().parents[1] / "analyses" / "demo" / "evaluation.toml"
    assert checked_in.read_text() == (tmp_path / "evaluation.toml").read_text(), (
        "analyses/demo/evaluation.toml is stale: copy the one `ij-eval synth` writes")


def test_cli_synth_prints_the_calibration_table(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--calibration"]) == 0
    out = capsys.readouterr().out
    assert "Victims satisfied or very satisfied (%)" in out and "referrals: " in out
