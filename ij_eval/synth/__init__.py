"""Calibrated synthetic data for demonstrating and testing the evaluation (``ij-eval synth``).

``write_synthetic(out_dir, scenario=..., seed=..., scale=...)`` writes one CSV per input table
(in the schemas' column order), ``evaluation.toml``, ``ground_truth.json`` (the true effects) and
``SYNTHETIC_DATA.txt``. ``SCENARIOS`` holds the named scenarios; ``calibration_table`` compares
a written folder with its scenario's published targets.
"""

from ij_eval.synth.calibration import calibration_table, tolerances
from ij_eval.synth.scenarios import SCENARIOS, Scenario, get_scenario
from ij_eval.synth.writer import SynthSummary, write_synthetic

__all__ = ["SCENARIOS", "Scenario", "SynthSummary", "calibration_table", "get_scenario",
           "tolerances", "write_synthetic"]
