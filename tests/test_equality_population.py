"""Equality against the area population: the optional ``[population]`` config section, the exact
binomial comparison in the implementation strand's equality table, and its disclosure policy."""

from __future__ import annotations

import datetime as dt
import tomllib

import polars as pl
import pytest
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from ij_eval.config import EvaluationConfig, PopulationConfig, config_from_dict, load_config
from ij_eval.errors import ConfigError
from ij_eval.publication import publish_table
from ij_eval.strands.implementation.equality import SCHEMA, equality

EXTRACT = dt.date(2025, 1, 1)
TOML = """
[population.sex]
female = 0.5
male = 0.5

[population.ethnicity]
white = 0.92
black = 0.05
asian = 0.03
"""


def _people(not_recorded: int = 40) -> pl.DataFrame:
    """400 IJ referrals and 400 comparison people of the same make-up: half female, 300 white and 100
    black; ``not_recorded`` more IJ referrals (male, completed) have no ethnicity. Female completion
    40%, male 85%."""
    rows = []
    for cohort in ("ij", "comparison"):
        for sex, completes in (("female", 80), ("male", 170)):
            for i in range(200):
                status = None if cohort == "comparison" else ("completed" if i < completes else "did_not_complete")
                rows.append((cohort, sex, status, "white" if i % 4 else "black"))
    rows += [("ij", "male", "completed", None)] * not_recorded
    frame = pl.DataFrame(rows, schema={"cohort": pl.String, "sex": pl.String, "status": pl.String,
                                       "ethnicity": pl.String}, orient="row")
    return frame.with_columns(referral_date=pl.lit(EXTRACT - dt.timedelta(days=365)), age=pl.lit(30),
                              disability=pl.lit("no"))


def load_population(text: str = TOML) -> tuple:
    return config_from_dict(tomllib.loads(text)).population.supplied()


# --- config ----------------------------------------------------------------------------------

def test_population_section_round_trips(tmp_path):
    path = tmp_path / "evaluation.toml"
    path.write_text(TOML, encoding="utf-8")
    config = load_config(path)
    assert config.population.sex == (("female", 0.5), ("male", 0.5))
    assert dict(config.population.ethnicity) == {"white": 0.92, "black": 0.05, "asian": 0.03}
    assert config.population.age_group == () and config.population.disability == ()
    written = config.to_dict()["population"]
    assert written == {"sex": {"female": 0.5, "male": 0.5}, "ethnicity": {"asian": 0.03, "black": 0.05, "white": 0.92}}
    assert config_from_dict({"population": written}).population == config.population
    assert EvaluationConfig().population == PopulationConfig() and EvaluationConfig().to_dict()["population"] == {}
    # shares within 0.01 of 1 are accepted (rounded census figures)
    assert config_from_dict({"population": {"age_group": {"adult": 0.795, "child": 0.2}}}).population.age_group


@pytest.mark.parametrize(("section", "message"), [
    ({"religion": {"christian": 1.0}}, "unknown setting 'religion' in [population]"),
    ({"sex": {"female": 0.6, "male": 0.6}}, "[population] sex: shares add up to 1.2"),
    ({"sex": {"female": 0.5}}, "[population] sex: shares add up to 0.5"),
    ({"ethnicity": {"white": 1.2, "black": -0.2}}, "[population] ethnicity.black: a share must be between 0 and 1"),
    ({"sex": {"female": "half", "male": 0.5}}, "[population] sex.female: expected a share between 0 and 1"),
    ({"sex": {"female": True, "male": 0.5}}, "[population] sex.female: expected a share"),
    ({"sex": {"femail": 0.5, "male": 0.5}}, "[population] sex.femail: unknown category"),
    ({"sex": {"unknown": 0.5, "male": 0.5}}, "[population] sex.unknown: unknown category"),
    ({"age_group": {"adults": 1.0}}, "[population] age_group.adults: unknown category (known: adult, child)"),
    ({"sex": {}}, "[population] sex: expected a table of category = share"),
    ({"sex": 0.5}, "[population] sex: expected a table of category = share"),
])
def test_bad_population_sections_are_refused_naming_the_key(section, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict({"population": section}, source="evaluation.toml")
    assert message in str(info.value) and str(info.value).startswith("evaluation.toml: ")


# --- the equality table ----------------------------------------------------------------------

def test_a_group_far_above_its_population_share_is_flagged_and_matching_ones_are_not():
    table = equality(_people(), EXTRACT, load_population())
    rows = {(r["characteristic"], r["group"]): r for r in table.iter_rows(named=True)}
    black = rows[("ethnicity", "black")]
    # base: the 400 referrals with a recorded ethnicity (the 40 not recorded are left out)
    assert black["referred"] == 100 and black["population_referred_share"] == pytest.approx(0.25)
    assert black["population_share"] == 0.05
    assert black["population_p"] == pytest.approx(binomtest(100, 400, 0.05).pvalue, rel=1e-9)
    assert (black["population_ci_lower"], black["population_ci_upper"]) == pytest.approx(
        proportion_confint(100, 400, method="wilson"))
    assert black["population_ratio"] == pytest.approx(5.0)
    assert black["population_p_holm"] < 0.05
    assert black["flag"] == "over-represented against the area population"
    # white: 75% against 92% is unlikely to be chance but the ratio (0.82) is within 0.8-1.25
    assert rows[("ethnicity", "white")]["population_p_holm"] < 0.05 and rows[("ethnicity", "white")]["flag"] == ""
    # asian: listed by the config, nobody referred: a row of zeros, 3 points below: not large
    asian = rows[("ethnicity", "asian")]
    assert (asian["referred"], asian["comparison_n"], asian["population_referred_share"]) == (0, 0, 0.0)
    assert asian["flag"] == ""
    # not recorded: no population share, not tested
    assert rows[("ethnicity", "not recorded")]["population_share"] is None
    assert rows[("ethnicity", "not recorded")]["population_p"] is None
    # sex: 200 of 440 female against 50%, 4.5 points apart: not large, so only the completion flags
    assert rows[("sex", "female")]["population_referred_share"] == pytest.approx(200 / 440)
    assert "area population" not in rows[("sex", "female")]["flag"]
    assert rows[("sex", "female")]["flag"] == "lower completion"
    assert rows[("sex", "male")]["flag"] == "higher completion"
    # characteristics the config does not give have no population figures
    assert table.filter(pl.col("characteristic").is_in(["age_group", "disability"]))["population_share"].null_count() \
        == table.filter(pl.col("characteristic").is_in(["age_group", "disability"])).height


def test_population_tests_join_the_same_holm_family():
    without, with_population = equality(_people(), EXTRACT), equality(_people(), EXTRACT, load_population())
    female = lambda t: t.filter((pl.col("characteristic") == "sex") & (pl.col("group") == "female")).row(  # noqa: E731
        0, named=True)
    assert female(with_population)["completion_p"] == female(without)["completion_p"]
    assert female(with_population)["completion_p_holm"] > female(without)["completion_p_holm"]  # more tests


def test_a_referral_make_up_matching_the_population_is_not_flagged():
    population = load_population("[population.ethnicity]\nwhite = 0.75\nblack = 0.25\n")
    table = equality(_people(), EXTRACT, population)
    ethnicity = table.filter(pl.col("characteristic") == "ethnicity")
    assert ethnicity.filter(pl.col("group") == "black")["population_p"].item() == pytest.approx(1.0)
    assert not any("area population" in f for f in table["flag"])


def test_without_the_section_the_table_is_unchanged():
    base = equality(_people(), EXTRACT)
    assert base.equals(equality(_people(), EXTRACT, ()))
    assert base.columns == [*SCHEMA, "representation_p_holm", "completion_p_holm", "refusal_p_holm", "flag"]
    assert not any(c.startswith("population") for c in base.columns)
    assert set(base.filter(pl.col("characteristic") == "ethnicity")["group"]) == {"black", "white", "not recorded"}


# --- disclosure ------------------------------------------------------------------------------

def test_population_shares_are_published_and_referral_shares_hidden_with_their_counts():
    # 5 referrals with no ethnicity recorded: their count is hidden, and with it every population
    # referral share of ethnicity (the base would give it away); the population shares stay
    table = equality(_people(not_recorded=5), EXTRACT, load_population())
    published = publish_table("implementation_equality", table, 10).frame
    ethnicity = published.filter(pl.col("characteristic") == "ethnicity")
    assert ethnicity.filter(pl.col("group") == "not recorded")["referred"].item() is None
    for column in ("population_referred_share", "population_ci_lower", "population_ci_upper", "population_ratio",
                   "population_p", "population_p_holm"):
        assert ethnicity[column].null_count() == ethnicity.height, column
    assert ethnicity.filter(pl.col("group") == "black")["population_share"].item() == 0.05
    sex = published.filter(pl.col("characteristic") == "sex")
    assert sex["population_referred_share"].null_count() == 0  # nothing small among sex
    # with the unrecorded count large enough, nothing is hidden
    shown = publish_table("implementation_equality", equality(_people(), EXTRACT, load_population()), 10).frame
    assert shown.filter(pl.col("group") == "black")["population_referred_share"].item() == pytest.approx(0.25)


# --- the pipeline ----------------------------------------------------------------------------

def test_pipeline_with_a_population_section_passes_the_gate(tmp_path):
    from ij_eval.pipeline import run_pipeline
    from ij_eval.publication import check_store
    from ij_eval.report.store import ResultsStore
    from ij_eval.synth import write_synthetic

    data = tmp_path / "data"
    write_synthetic(data)
    config_path = data / "evaluation.toml"
    config_path.write_text(config_path.read_text(encoding="utf-8") + "\n[population.sex]\nfemale = 0.51\nmale = 0.49\n"
                           "\n[population.age_group]\nadult = 0.8\nchild = 0.2\n", encoding="utf-8")
    out = tmp_path / "results"
    run_pipeline(data, load_config(config_path), out, only=("overview", "implementation"))
    assert check_store(out) == []
    table = ResultsStore(out).table("implementation_equality")
    sex = table.filter(pl.col("characteristic") == "sex")
    assert set(sex.filter(pl.col("population_share").is_not_null())["group"]) == {"female", "male"}
    assert table.filter(pl.col("characteristic") == "ethnicity")["population_share"].null_count() == \
        table.filter(pl.col("characteristic") == "ethnicity").height
