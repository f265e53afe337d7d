"""Fixed-window rates, differences and the Justice Data Lab-style sentence on hand-built cohorts."""

from __future__ import annotations

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from ij_eval.strands.reoffending.rates import fixed_window_rates, jdl_sentence


def _people(spec: list[tuple[str, str, str, int, int, bool]]) -> pl.DataFrame:
    """(cohort, group, age_group, n, reoffenders, complete) blocks → one row per person."""
    rows = []
    for cohort, group, age_group, n, reoffenders, complete in spec:
        for i in range(n):
            offended = i < reoffenders
            rows.append({"cohort": cohort, "group": group, "age_group": age_group,
                         "proven_complete": complete, "proven_reoffended": offended if complete else None,
                         "proven_offences": (2 if i % 2 else 1) if offended and complete else (0 if complete else None),
                         "proven_days_to_first": (30 + i) if offended and complete else None})
    return pl.DataFrame(rows)


def test_rates_wilson_intervals_frequency_and_difference():
    people = _people([
        ("ij", "completed", "adult", 80, 16, True), ("ij", "refused", "adult", 25, 10, True),
        ("ij", "completed", "adult", 7, 3, False),  # window not complete: left out of the rates
        ("comparison", "comparison", "adult", 200, 60, True),
    ])
    rates = fixed_window_rates(people, measures=("proven",), minimum=20)
    row = rates.filter((pl.col("group") == "completed") & (pl.col("age_group") == "all")).row(0, named=True)
    assert (row["n"], row["reoffenders"]) == (80, 16)
    assert row["rate"] == pytest.approx(0.2)
    low, high = proportion_confint(16, 80, method="wilson")
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((low, high))
    # 16 reoffenders: 8 with one offence and 8 with two → 24 offences
    assert row["offences"] == 24 and row["offences_per_person"] == pytest.approx(0.3)
    assert row["offences_per_reoffender"] == pytest.approx(1.5)
    assert row["mean_days_to_first"] == pytest.approx(sum(30 + i for i in range(16)) / 16)
    assert row["difference"] == pytest.approx(0.2 - 0.3)
    # Newcombe (1998) method 10, written out from the two Wilson intervals
    l1, u1 = proportion_confint(16, 80, method="wilson")
    l2, u2 = proportion_confint(60, 200, method="wilson")
    d = 0.2 - 0.3
    assert row["diff_ci_lower"] == pytest.approx(d - ((0.2 - l1) ** 2 + (u2 - 0.3) ** 2) ** 0.5)
    assert row["diff_ci_upper"] == pytest.approx(d + ((u1 - 0.2) ** 2 + (0.3 - l2) ** 2) ** 0.5)
    assert 0.05 < row["diff_p_value"] < 0.2
    itt = rates.filter((pl.col("group") == "ij_all") & (pl.col("age_group") == "all")).row(0, named=True)
    assert (itt["n"], itt["reoffenders"]) == (105, 26)
    child = rates.filter((pl.col("group") == "completed") & (pl.col("age_group") == "child")).row(0, named=True)
    assert child["n"] == 0 and child["rate"] is None and "fewer than 20" in child["note"]
    assert set(rates["contrast"]) == {"descriptive"}


def test_jdl_sentence_significant_and_inconclusive():
    people = _people([("ij", "completed", "adult", 400, 60, True), ("ij", "refused", "adult", 30, 9, True),
                      ("comparison", "comparison", "adult", 400, 120, True)])
    rates = fixed_window_rates(people, measures=("proven",))
    text = jdl_sentence(rates, group="completed", measure="proven", comparison_label="concurrent comparison cohort")
    assert text.startswith("For every 100 people who completed Immediate Justice, 15 had proven reoffending")
    assert "compared with 30 for every 100 people in the concurrent comparison cohort" in text
    assert "statistically significant: between" in text and "fewer people in every 100" in text
    inconclusive = jdl_sentence(rates, group="refused", measure="proven", comparison_label="comparison cohort")
    assert "does not provide enough evidence" in inconclusive
    assert "not an estimate of the effect of the scheme" in inconclusive


def test_jdl_sentence_for_a_group_too_small_says_so():
    people = _people([("ij", "refused", "adult", 5, 1, True), ("comparison", "comparison", "adult", 50, 10, True)])
    rates = fixed_window_rates(people, measures=("proven",))
    assert jdl_sentence(rates, group="refused", measure="proven", comparison_label="x").startswith("Too few people")
