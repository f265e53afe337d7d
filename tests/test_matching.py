"""The reoffending comparison group: propensity scores, matching, weighting, balance.

The reference is R's MatchIt (and ``glm``): same coefficients, the same matched pairs, the same
``summary.matchit`` balance statistics. MatchIt 4.5.1-4.5.3 (4.5.1 is Debian's r-cran-matchit)
compare distances with C's integer ``abs()`` (kosukeimai/MatchIt#163): a difference in logits
below 1 truncates to 0, so a caliper on the logit is never applied and the lower-scored
neighbour always wins. The oracle therefore passes R's own linear predictor scaled by a large
constant as ``distance`` (``std.caliper`` scales the caliper with it; truncation then costs ~1e-8
logit units); on an unaffected MatchIt the plain ``distance = "glm", link = "linear.logit"`` call
must give the same pairs too.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ij_eval.errors import IJEvalError
from ij_eval.plots.balance import plot_love
from ij_eval.strands.reoffending.matching import (
    balance_before_after,
    balance_table,
    check_group_sizes,
    common_support,
    ipw_weights,
    nearest_neighbour_match,
    propensity_scores,
)

COVARIATES = ["age", "prior", "x3", "sex", "area"]


# ----------------------------------------------------------------------------------------------
# Data and helpers
# ----------------------------------------------------------------------------------------------


def confounded_people(n: int, seed: int) -> pl.DataFrame:
    """People whose IJ referral depends on age, prior offences, x3, sex and area (with nulls).

    Age and prior offences are whole numbers, so many people share a propensity score: the
    matching's tie-breaking is exercised, not just its arithmetic.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 60, n)
    prior = rng.poisson(1.5, n)
    x3 = rng.normal(size=n)
    sex = rng.choice(["male", "female"], n, p=[0.7, 0.3])
    area = rng.choice(np.array(["north", "south", "east", None], dtype=object), n, p=[0.5, 0.3, 0.15, 0.05])
    lin = -1.2 - 0.03 * (age - 30) + 0.4 * prior + 0.5 * x3 + 0.4 * (sex == "male") + 0.3 * (area == "south")
    treated = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    return pl.DataFrame({"treated": treated, "age": age, "prior": prior, "x3": x3, "sex": sex,
                         "area": pl.Series(list(area), dtype=pl.String)})


def known_effect_people(n: int, seed: int, effect: float) -> pl.DataFrame:
    """Confounded referral and a binary reoffending outcome with a known, constant risk difference."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 60, n).astype(float)
    prior = rng.poisson(1.5, n)
    treated = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.6 * prior - 0.04 * (age - 30))))).astype(int)
    base = np.clip(0.12 + 0.07 * np.minimum(prior, 6) + 0.004 * (40 - age), 0.05, 0.85)
    reoffended = (rng.random(n) < base + effect * treated).astype(int)
    return pl.DataFrame({"treated": treated, "age": age, "prior": prior, "reoffended": reoffended})


def difference_in_proportions(y: np.ndarray, treated: np.ndarray) -> tuple[float, float, float]:
    """Difference (treated minus control) with a Wald 95% CI."""
    y1, y0 = y[treated == 1], y[treated == 0]
    p1, p0 = y1.mean(), y0.mean()
    se = math.sqrt(p1 * (1 - p1) / y1.size + p0 * (1 - p0) / y0.size)
    return p1 - p0, p1 - p0 - 1.96 * se, p1 - p0 + 1.96 * se


def brute_force_match(logit, treated, caliper, ratio, replace, order):
    """MatchIt's nearest-neighbour rules, written out naively (scan every control each time)."""
    ranked = np.argsort(logit, kind="stable")
    position = np.empty(logit.size, dtype=int)
    position[ranked] = np.arange(logit.size)
    controls = [int(i) for i in ranked if treated[i] == 0]
    treated_rows = np.flatnonzero(treated == 1)
    sequence = {"largest": np.argsort(-logit[treated_rows], kind="stable"),
                "smallest": np.argsort(logit[treated_rows], kind="stable"),
                "data": np.arange(treated_rows.size)}[order]
    used, matches = set(), {int(t): [] for t in treated_rows}
    for r in range(ratio):
        for t in treated_rows[sequence]:
            t = int(t)
            if len(matches[t]) < r:
                continue
            free = [c for c in controls if (replace or c not in used) and c not in matches[t]]
            below = [c for c in free if position[c] < position[t]]
            above = [c for c in free if position[c] > position[t]]
            gap_below = abs(logit[t] - logit[below[-1]]) if below else math.inf
            gap_above = abs(logit[t] - logit[above[0]]) if above else math.inf
            if min(gap_below, gap_above) > caliper:
                continue
            chosen = below[-1] if gap_below <= gap_above else above[0]
            matches[t].append(chosen)
            used.add(chosen)
    return {(t, c) for t, cs in matches.items() for c in cs}


def pair_set(matched) -> set[tuple[int, int]]:
    return set(zip(matched.pairs["treated_row"].to_list(), matched.pairs["control_row"].to_list(), strict=True))


# ----------------------------------------------------------------------------------------------
# R oracle (private helper; runs Rscript once for the module)
# ----------------------------------------------------------------------------------------------


def _run_r(script: str, workdir: Path) -> None:
    path = workdir / "oracle.R"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(["Rscript", "--vanilla", str(path)], cwd=workdir, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"R failed:\n{result.stderr}")


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "--vanilla", "-e", "library(MatchIt)"], capture_output=True, timeout=60)
    return probe.returncode == 0


R_SCRIPT = r"""
suppressMessages(library(MatchIt))
fmt <- function(x) if (is.numeric(x)) sprintf("%.17g", x) else x
out <- function(df, file) write.csv(as.data.frame(lapply(df, fmt)), file, row.names = FALSE)
pairs <- function(m) {
  mm <- m$match.matrix
  data.frame(t = rep(as.integer(rownames(mm)), ncol(mm)) - 1L, c = as.integer(mm) - 1L,
             round = rep(seq_len(ncol(mm)), each = nrow(mm)))[!is.na(as.integer(mm)), ]
}
balance <- function(s, sample) {
  data.frame(covariate = rownames(s), sample = sample, mean_treated = s[, "Means Treated"],
             mean_control = s[, "Means Control"], smd = s[, "Std. Mean Diff."],
             variance_ratio = s[, "Var. Ratio"])
}
d <- read.csv("people.csv", na.strings = "")
d$area[is.na(d$area)] <- "unknown"
d$sex <- factor(d$sex, levels = SEX_LEVELS)
d$area <- factor(d$area, levels = AREA_LEVELS)
f <- treated ~ age + prior + x3 + sex + area
g <- glm(f, data = d, family = binomial)
out(data.frame(term = names(coef(g)), estimate = coef(g)), "coef.csv")
lp <- predict(g, type = "link")
S <- 1e9 / diff(range(lp))  # see the module docstring: keeps MatchIt 4.5.1's integer abs() harmless
m1 <- matchit(f, data = d, method = "nearest", distance = S * lp, caliper = 0.2, std.caliper = TRUE,
              m.order = "largest")
out(pairs(m1), "pairs_1.csv")
s1 <- summary(m1)
out(rbind(balance(s1$sum.all, "before"), balance(s1$sum.matched, "matched")), "balance_1.csv")
m2 <- matchit(f, data = d, method = "nearest", distance = S * lp, caliper = 0.2, std.caliper = TRUE,
              m.order = "largest", ratio = 2)
out(pairs(m2), "pairs_2.csv")
out(data.frame(w = m2$weights), "weights_2.csv")
m3 <- matchit(f, data = d, method = "nearest", distance = S * lp, caliper = 0.2, std.caliper = TRUE,
              replace = TRUE)
out(pairs(m3), "pairs_3.csv")
out(data.frame(w = m3$weights), "weights_3.csv")
m4 <- matchit(f, data = d, method = "nearest", distance = "glm", link = "linear.logit", caliper = 0.2,
              std.caliper = TRUE, m.order = "largest")
out(pairs(m4), "pairs_4.csv")
out(data.frame(distance = m4$distance), "distance_4.csv")
writeLines(as.character(packageVersion("MatchIt")), "version.txt")
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    assert _r_available(), "Rscript with MatchIt is not installed: `make test` installs r-cran-matchit"
    people = confounded_people(2000, seed=1)
    model = propensity_scores(people, COVARIATES)
    workdir = tmp_path_factory.mktemp("matchit")
    people.write_csv(workdir / "people.csv")
    references = dict(model.reference_levels)

    def levels(name: str) -> str:
        values = people[name].fill_null("unknown").unique().to_list()
        ordered = [references[name], *sorted(v for v in values if v != references[name])]
        return "c(" + ", ".join(f'"{v}"' for v in ordered) + ")"

    _run_r(R_SCRIPT.replace("SEX_LEVELS", levels("sex")).replace("AREA_LEVELS", levels("area")), workdir)

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(workdir / name, null_values=["NA"], infer_schema_length=None)

    return people, model, read, (workdir / "version.txt").read_text().strip()


def r_name(term: str) -> str:
    """``sex: female`` -> R's ``sexfemale``."""
    return term.replace(": ", "")


# ----------------------------------------------------------------------------------------------
# Against R
# ----------------------------------------------------------------------------------------------


def test_propensity_coefficients_match_r_glm(oracle):
    _, model, read, _ = oracle
    r = dict(zip(*read("coef.csv").get_columns(), strict=True))
    ours = dict(zip(model.coefficients["term"], model.coefficients["estimate"], strict=True))
    assert sorted(r) == sorted(r_name(t) for t in ours)
    for term, estimate in ours.items():
        assert estimate == pytest.approx(r[r_name(term)], abs=1e-6), term


def test_one_to_one_caliper_matching_gives_matchits_pairs(oracle):
    _, model, read, _ = oracle
    matched = nearest_neighbour_match(model, caliper_sd=0.2)
    r_pairs = read("pairs_1.csv")
    print(f"MatchIt and ij-eval matched {r_pairs.height} and {matched.n_treated_matched} of {matched.n_treated}")
    assert pair_set(matched) == set(zip(r_pairs["t"], r_pairs["c"], strict=True))
    assert 0 < matched.n_treated_unmatched < matched.n_treated  # the caliper bit


def test_balance_matches_summary_matchit(oracle):
    people, model, read, _ = oracle
    ours = balance_before_after(people, COVARIATES, matched=nearest_neighbour_match(model))
    r = read("balance_1.csv").filter(pl.col("covariate") != "distance")
    ours = ours.with_columns(covariate=pl.col("covariate").str.replace(": ", "", literal=True))
    joined = r.join(ours, on=["covariate", "sample"], suffix="_ours", how="full", coalesce=True)
    assert joined.height == r.height == ours.height
    worst = 0.0
    for column in ("mean_treated", "mean_control", "smd", "variance_ratio"):
        theirs, mine = joined[column].to_numpy(), joined[f"{column}_ours"].to_numpy()
        assert np.array_equal(np.isnan(theirs), np.isnan(mine)), column  # null variance ratio for 0/1
        np.testing.assert_allclose(mine, theirs, atol=1e-6, equal_nan=True, err_msg=column)
        if column == "smd":
            worst = float(np.nanmax(np.abs(mine - theirs)))
    print(f"largest SMD difference from summary.matchit: {worst:.2e}")


def test_one_to_two_matching_pairs_and_weights_match_matchit(oracle):
    _, model, read, _ = oracle
    matched = nearest_neighbour_match(model, ratio=2)
    r_pairs = read("pairs_2.csv")
    assert set(zip(matched.pairs["treated_row"], matched.pairs["control_row"], matched.pairs["round"],
                   strict=True)) == set(zip(r_pairs["t"], r_pairs["c"], r_pairs["round"], strict=True))
    np.testing.assert_allclose(matched.weights, read("weights_2.csv")["w"].to_numpy(), atol=1e-12)
    control = matched.weights[model.treated == 0]
    assert len(set(np.round(control[control > 0], 9))) == 2  # sets of 2 or of 1 control: 1/2 and 1, rescaled
    assert control.sum() == pytest.approx(matched.n_control_matched)


def test_matching_with_replacement_matches_matchit(oracle):
    # 1:1 only: with replacement and ratio > 1, MatchIt 4.5.1 can give a treated person the same
    # control twice (its "already matched to this unit" check compares 0- and 1-based indices);
    # the brute-force test below covers ratio 2 with replacement.
    _, model, read, _ = oracle
    matched = nearest_neighbour_match(model, replace=True)
    r_pairs = read("pairs_3.csv")
    assert pair_set(matched) == set(zip(r_pairs["t"], r_pairs["c"], strict=True))
    np.testing.assert_allclose(matched.weights, read("weights_3.csv")["w"].to_numpy(), atol=1e-12)
    assert matched.weights[model.treated == 0].max() > 1  # some control reused


def test_matchit_linear_logit_distance_is_our_logit(oracle):
    _, model, read, version = oracle
    np.testing.assert_allclose(model.logit, read("distance_4.csv")["distance"].to_numpy(), atol=1e-6)
    if version in ("4.5.1", "4.5.2", "4.5.3"):
        return  # those versions never apply a caliper on the logit (kosukeimai/MatchIt#163)
    r_pairs = read("pairs_4.csv")
    assert pair_set(nearest_neighbour_match(model)) == set(zip(r_pairs["t"], r_pairs["c"], strict=True))


# ----------------------------------------------------------------------------------------------
# Matching without R
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ratio", "replace", "order"), [
    (1, False, "largest"), (1, False, "smallest"), (1, False, "data"), (3, False, "largest"),
    (1, True, "largest"), (2, True, "largest")])
def test_matching_agrees_with_brute_force_rules(ratio, replace, order):
    people = confounded_people(300, seed=7)
    model = propensity_scores(people, ["age", "prior", "sex"])  # whole numbers: many tied scores
    matched = nearest_neighbour_match(model, caliper_sd=0.1, ratio=ratio, replace=replace, order=order)
    caliper = 0.1 * np.std(model.logit, ddof=1)
    expected = brute_force_match(model.logit, model.treated, caliper, ratio, replace, order)
    assert pair_set(matched) == expected
    assert matched.pairs["logit_distance"].max() <= caliper


def test_tie_between_neighbours_goes_to_the_lower_score_and_caliper_is_inclusive():
    frame = pl.DataFrame({"treated": [1, 0, 0]})
    from ij_eval.strands.reoffending import matching

    model = matching.PropensityModel(
        frame=frame, covariates=(), formula="treated ~ 1", terms=("(Intercept)",), reference_levels=(),
        treated=np.array([1, 0, 0], dtype=np.int8), scores=np.full(3, 0.5), logit=np.array([0.0, 0.25, -0.25]),
        coefficients=pl.DataFrame(), n_iterations=1)
    matched = nearest_neighbour_match(model, caliper_sd=0.25 / 0.25)  # SD of the logit is 0.25
    assert pair_set(matched) == {(0, 2)}
    assert matched.frame.sort("subclass")["weights"].to_list() == [1.0, 1.0]
    assert nearest_neighbour_match(model, caliper_sd=0.99).n_treated_unmatched == 1


def test_matched_frame_carries_outcomes_weights_and_pairs():
    people = confounded_people(2000, seed=1).with_columns(reoffended=pl.lit(1))
    matched = nearest_neighbour_match(propensity_scores(people, COVARIATES))
    frame = matched.frame
    assert {"reoffended", "weights", "subclass", "propensity_score"} <= set(frame.columns)
    assert frame.height == 2 * matched.n_treated_matched == 2 * matched.n_control_matched
    assert frame.group_by("subclass").agg(pl.col("treated").sum(), pl.len())[["treated", "len"]].unique().rows() \
        == [(1, 2)]
    counts = matched.counts()
    assert counts["matched"].to_list() == [matched.n_treated_matched, matched.n_control_matched]
    assert matched.n_treated_matched + matched.n_treated_unmatched == matched.n_treated


@pytest.mark.slow
def test_national_scale_matching_has_no_all_pairs_matrix():
    rng = np.random.default_rng(5)
    n1, n0 = 60_000, 120_000
    treated = np.r_[np.ones(n1, dtype=int), np.zeros(n0, dtype=int)]
    people = pl.DataFrame({
        "treated": treated,
        "age": np.where(treated == 1, rng.normal(28, 8, n1 + n0), rng.normal(32, 10, n1 + n0)).round(),
        "prior": rng.poisson(np.where(treated == 1, 2.0, 1.2)),
        "sex": rng.choice(["male", "female"], n1 + n0, p=[0.75, 0.25]),
    })
    start = time.perf_counter()
    model = propensity_scores(people, ["age", "prior", "sex"])
    fitted = time.perf_counter()
    matched = nearest_neighbour_match(model)
    done = time.perf_counter()
    print(f"\n60k IJ / 120k comparison: propensity model {fitted - start:.2f}s, matching {done - fitted:.2f}s")
    assert matched.n_treated == n1 and matched.n_treated_matched > 0.8 * n1
    assert matched.weights.sum() == 2 * matched.n_treated_matched


# ----------------------------------------------------------------------------------------------
# Weighting and balance
# ----------------------------------------------------------------------------------------------


def saturated_people() -> pl.DataFrame:
    """One 0/1 covariate: the fitted score is the share treated in each level (0.25 and 0.75)."""
    x = [0] * 40 + [1] * 40
    treated = [1] * 10 + [0] * 30 + [1] * 30 + [0] * 10
    return pl.DataFrame({"treated": treated, "x": x})


def test_att_weights_by_hand():
    model = propensity_scores(saturated_people(), ["x"])
    np.testing.assert_allclose(model.scores, [0.25] * 40 + [0.75] * 40, rtol=1e-8)
    w = ipw_weights(model, estimand="ATT")
    # controls: odds 1/3 (x = 0, 30 people) and 3 (x = 1, 10 people); they sum to 40 = number treated
    expected = np.array([1.0] * 10 + [1 / 3] * 30 + [1.0] * 30 + [3.0] * 10)
    np.testing.assert_allclose(w.weights, expected, rtol=1e-7)
    assert w.ess_treated == pytest.approx(40)
    assert w.ess_control == pytest.approx(40 ** 2 / (30 / 9 + 10 * 9), rel=1e-7)
    assert w.max_weight == pytest.approx(3.0, rel=1e-7)


def test_ate_weights_by_hand_stabilised_and_trimmed():
    model = propensity_scores(saturated_people(), ["x"])
    w = ipw_weights(model, estimand="ATE")  # stabilised: times the share in one's own group (1/2 each)
    expected = 0.5 * np.array([4.0] * 10 + [4 / 3] * 30 + [4 / 3] * 30 + [4.0] * 10)
    np.testing.assert_allclose(w.weights, expected, rtol=1e-7)
    raw = ipw_weights(model, estimand="ATE", stabilise=False)
    np.testing.assert_allclose(raw.weights, 2 * expected, rtol=1e-7)
    trimmed = ipw_weights(model, estimand="ATE", trim=0.3, stabilise=False)
    assert trimmed.n_trimmed == 80 and trimmed.max_weight == pytest.approx(1 / 0.3)


def test_balance_improves_after_matching_and_weighting():
    people = known_effect_people(20_000, seed=11, effect=-0.05)
    model = propensity_scores(people, ["age", "prior"])
    table = balance_before_after(people, ["age", "prior"], matched=nearest_neighbour_match(model),
                                 weighted=ipw_weights(model))
    worst = table.group_by("sample").agg(pl.col("smd").abs().max()).sort("sample")
    worst = dict(worst.iter_rows())
    assert worst["before"] > 0.3
    assert worst["matched"] < 0.1 and worst["weighted"] < 0.1
    assert table.filter(pl.col("sample") != "before")["imbalanced"].sum() == 0
    assert table.filter(pl.col("sample") == "before")["imbalanced"].all()


def test_smd_uses_the_unadjusted_treated_sd():
    people = confounded_people(500, seed=3)
    t = people["treated"].to_numpy() == 1
    age = people["age"].to_numpy().astype(float)
    weights = np.where(t, 1.0, 2.0) * (np.arange(500) % 3 > 0)
    row = balance_table(people, ["age"], "treated", weights).row(0, named=True)
    mean_t = np.average(age[t], weights=weights[t])
    mean_c = np.average(age[~t], weights=weights[~t])
    assert row["smd"] == pytest.approx((mean_t - mean_c) / age[t].std(ddof=1), rel=1e-12)
    male = balance_table(people, ["sex"]).filter(pl.col("covariate") == "sex: male").row(0, named=True)
    p1 = (people.filter(pl.col("treated") == 1)["sex"] == "male").mean()
    assert male["smd"] == pytest.approx((male["mean_treated"] - male["mean_control"]) / math.sqrt(p1 * (1 - p1)))
    assert male["variance_ratio"] is None


def test_matched_difference_recovers_known_effect_where_naive_does_not():
    truth = -0.05
    people = known_effect_people(40_000, seed=2024, effect=truth)
    y, t = people["reoffended"].to_numpy(), people["treated"].to_numpy()
    naive, naive_low, naive_high = difference_in_proportions(y, t)
    matched = nearest_neighbour_match(propensity_scores(people, ["age", "prior"])).frame
    estimate, low, high = difference_in_proportions(matched["reoffended"].to_numpy(), matched["treated"].to_numpy())
    print(f"\ntruth {truth}; naive {naive:.4f} ({naive_low:.4f} to {naive_high:.4f}); "
          f"matched {estimate:.4f} ({low:.4f} to {high:.4f})")
    assert low <= truth <= high
    assert not naive_low <= truth <= naive_high


def test_common_support_counts_treated_outside_comparison_range():
    ps = np.array([0.1, 0.5, 0.95, 0.2, 0.6, 0.3])
    treated = np.array([1, 1, 1, 0, 0, 0])
    table = common_support(ps, treated)
    ij = table.filter(pl.col("group") == "ij").row(0, named=True)
    comparison = table.filter(pl.col("group") == "comparison").row(0, named=True)
    assert (ij["min_score"], ij["max_score"], ij["n_outside_other_range"]) == (0.1, 0.95, 2)
    assert (comparison["n"], comparison["n_outside_other_range"]) == (3, 0)


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


def test_too_small_comparison_cohort_is_refused_clearly():
    people = pl.DataFrame({"treated": [1] * 30 + [0] * 12, "age": list(range(42))})
    with pytest.raises(IJEvalError, match=r"the comparison cohort has 12 people; at least 20 are needed") as info:
        propensity_scores(people, ["age"], min_group_size=20)
    assert "[reoffending] min_group_size" in str(info.value)
    with pytest.raises(IJEvalError, match=r"the IJ group has 1 person and the comparison cohort has 3 people"):
        check_group_sizes(1, 3, 20)
    check_group_sizes(20, 20, 20)


def test_missing_numeric_covariate_is_refused_naming_column_and_count():
    people = confounded_people(300, seed=4).with_columns(
        age=pl.when(pl.int_range(pl.len()) < 7).then(None).otherwise(pl.col("age")))
    with pytest.raises(IJEvalError, match=r"covariate 'age' is missing .* for 7 people"):
        propensity_scores(people, COVARIATES)


def test_missing_category_becomes_unknown_level():
    people = confounded_people(2000, seed=1)
    assert people["area"].null_count() > 0
    model = propensity_scores(people, COVARIATES)
    assert "area: unknown" in model.coefficients["term"].to_list()
    assert ("area", "north") in model.reference_levels and ("sex", "male") in model.reference_levels
    assert "area: unknown" in balance_table(people, COVARIATES)["covariate"].to_list()


def test_category_level_in_one_group_only_is_reported_as_separation():
    people = confounded_people(500, seed=5).with_columns(
        area=pl.when(pl.col("treated") == 1).then(pl.col("area")).otherwise(pl.col("area").replace("east", "north")))
    with pytest.raises(IJEvalError, match=r"covariate 'area': level 'east' occurs only in the IJ group"):
        propensity_scores(people, COVARIATES)


def test_numeric_quasi_separation_is_reported_naming_the_covariate():
    rng = np.random.default_rng(6)
    prior = rng.poisson(2, 500)
    treated = np.where(prior == 3, rng.integers(0, 2, 500), prior > 3).astype(int)
    people = pl.DataFrame({"treated": treated, "prior": prior, "age": rng.normal(30, 5, 500)})
    with pytest.raises(IJEvalError, match=r"perfectly predicted by 'prior' \(quasi-separation"):
        propensity_scores(people, ["prior", "age"])


def test_constant_covariate_is_refused():
    people = confounded_people(300, seed=4).with_columns(flag=pl.lit(1.0))
    with pytest.raises(IJEvalError, match=r"'flag' is constant"):
        propensity_scores(people, ["age", "flag"])


# ----------------------------------------------------------------------------------------------
# Figure
# ----------------------------------------------------------------------------------------------


def test_plot_love_returns_figure_and_writes_png(tmp_path):
    from matplotlib.figure import Figure

    people = confounded_people(2000, seed=1)
    model = propensity_scores(people, COVARIATES)
    table = balance_before_after(people, COVARIATES, matched=nearest_neighbour_match(model),
                                 weighted=ipw_weights(model))
    fig = plot_love(table, synthetic=True)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "prior"  # most imbalanced at the top
    assert any(line.get_linestyle() == "--" and list(line.get_xdata()) == [0.1, 0.1] for line in ax.get_lines())
    path = tmp_path / "love.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000
