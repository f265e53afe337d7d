"""ij_eval.stats against hand-worked arithmetic and published examples.

RMST against R's ``survival`` is in ``test_survival_vs_r.py``; here it is checked on a tiny
example worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from ij_eval.stats.evalue import evalue, evalue_hazard_ratio, evalue_risk_ratio, hazard_to_risk_ratio
from ij_eval.stats.power import minimum_detectable_difference
from ij_eval.stats.rmst import rmst, rmst_difference

# ---------------------------------------------------------------------------------------------
# RMST
#
# Group a: times 2, 3, 3, 5, 8 with events 1, 1, 0, 1, 0.
#   t = 2: n = 5, d = 1 -> S = 4/5 = 0.8
#   t = 3: n = 4, d = 1 (and one censored) -> S = 0.8 * 3/4 = 0.6
#   t = 5: n = 2, d = 1 -> S = 0.6 * 1/2 = 0.3
#   t = 8: censored
# RMST(6) = 2 * 1 + (3 - 2) * 0.8 + (5 - 3) * 0.6 + (6 - 5) * 0.3 = 2 + 0.8 + 1.2 + 0.3 = 4.3
# Var = sum A_j^2 d_j / (n_j (n_j - d_j)), A_j = area under S from t_j to 6:
#   t = 2: A = 0.8 + 1.2 + 0.3 = 2.3 -> 2.3^2 / (5 * 4) = 5.29 / 20 = 0.2645
#   t = 3: A = 1.2 + 0.3 = 1.5      -> 1.5^2 / (4 * 3) = 2.25 / 12 = 0.1875
#   t = 5: A = 0.3                  -> 0.3^2 / (2 * 1) = 0.09 / 2  = 0.045
#   Var = 0.497
A_TIME, A_EVENT = [2, 3, 3, 5, 8], [1, 1, 0, 1, 0]
# Group b: times 1, 4, 6, 7, 9 with events 1, 1, 0, 1, 0: S(1) = 0.8, S(4) = 0.6 (6 censored, 7 after tau)
# RMST(6) = 1 * 1 + (4 - 1) * 0.8 + (6 - 4) * 0.6 = 1 + 2.4 + 1.2 = 4.6
# Var: t = 1: A = 2.4 + 1.2 = 3.6 -> 12.96 / 20 = 0.648; t = 4: A = 1.2 -> 1.44 / 12 = 0.12; Var = 0.768
B_TIME, B_EVENT = [1, 4, 6, 7, 9], [1, 1, 0, 1, 0]


def test_rmst_by_hand():
    result = rmst(A_TIME, A_EVENT, tau=6)
    assert result.estimate == pytest.approx(4.3, abs=1e-12)
    assert result.std_error == pytest.approx(math.sqrt(0.497), abs=1e-12)
    z = norm.ppf(0.975)
    assert (result.ci_lower, result.ci_upper) == pytest.approx((4.3 - z * math.sqrt(0.497), 4.3 + z * math.sqrt(0.497)))
    assert result.n == 5 and result.tau == 6


def test_rmst_with_tau_at_an_event_time():
    # tau = 5: RMST = 2 + 0.8 + 2 * 0.6 = 4.0; the event at t = 5 adds nothing (A = 0), as in R.
    # Var: t = 2: A = 0.8 + 1.2 = 2.0 -> 4 / 20 = 0.2; t = 3: A = 1.2 -> 1.44 / 12 = 0.12; Var = 0.32
    result = rmst(A_TIME, A_EVENT, tau=5)
    assert result.estimate == pytest.approx(4.0, abs=1e-12)
    assert result.std_error == pytest.approx(math.sqrt(0.32), abs=1e-12)


def test_rmst_difference_by_hand():
    table = rmst_difference(A_TIME + B_TIME, A_EVENT + B_EVENT, ["a"] * 5 + ["b"] * 5, 6, reference="a")
    assert table.columns == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    rows = {row["term"]: row for row in table.iter_rows(named=True)}
    assert list(rows) == ["rmst: a", "rmst: b", "difference: b - a", "ratio: b / a"]
    assert rows["rmst: b"]["estimate"] == pytest.approx(4.6)
    assert rows["rmst: b"]["std_error"] == pytest.approx(math.sqrt(0.768))
    diff = rows["difference: b - a"]
    se = math.sqrt(0.497 + 0.768)
    assert diff["estimate"] == pytest.approx(0.3)
    assert diff["std_error"] == pytest.approx(se)
    assert diff["p_value"] == pytest.approx(2 * norm.sf(0.3 / se))
    assert diff["ci_lower"] == pytest.approx(0.3 - norm.ppf(0.975) * se)
    ratio = rows["ratio: b / a"]
    se_log = math.sqrt(0.497 / 4.3**2 + 0.768 / 4.6**2)
    assert ratio["estimate"] == pytest.approx(4.6 / 4.3)
    assert ratio["ci_upper"] == pytest.approx(4.6 / 4.3 * math.exp(norm.ppf(0.975) * se_log))
    assert rows["rmst: a"]["p_value"] is None


def test_rmst_refuses_a_horizon_beyond_follow_up():
    with pytest.raises(ValueError, match="beyond the last follow-up"):
        rmst(A_TIME, A_EVENT, tau=10)
    # ...unless the curve has already reached 0, when extending it is no guess
    assert rmst([1, 2, 3], [1, 1, 1], tau=10).estimate == pytest.approx(1 + 2 / 3 + 1 / 3)


def test_rmst_refuses_bad_input():
    with pytest.raises(ValueError, match="0 \\(censored\\) or 1"):
        rmst([1, 2], [1, 2], tau=1)
    with pytest.raises(ValueError, match="same length"):
        rmst([1, 2], [1], tau=1)
    with pytest.raises(ValueError, match="reference group 'c' not found"):
        rmst_difference(A_TIME, A_EVENT, ["a"] * 5, 6, reference="c")


# ---------------------------------------------------------------------------------------------
# E-values


def test_evalue_published_example():
    # VanderWeele & Ding (2017), Annals of Internal Medicine: RR 3.9 (95% CI 1.8 to 8.7)
    # E = 3.9 + sqrt(3.9 * 2.9) = 7.26; for the lower limit 1.8 + sqrt(1.8 * 0.8) = 1.8 + 1.2 = 3.0
    result = evalue_risk_ratio(3.9, 1.8, 8.7)
    assert round(result.point, 2) == 7.26
    assert result.ci == pytest.approx(3.0)
    assert "7.26" in result.interpretation and "3.00" in result.interpretation


def test_evalue_protective():
    # RR 0.80 -> 1 / 0.8 = 1.25; E = 1.25 + sqrt(1.25 * 0.25) = 1.809
    assert round(evalue_risk_ratio(0.80).point, 2) == 1.81
    # the CI limit closest to 1 is the upper one: 1 / 0.9 = 1.111; 1.111 + sqrt(1.111 * 0.111) = 1.4625
    assert evalue_risk_ratio(0.80, 0.71, 0.90).ci == pytest.approx(10 / 9 + math.sqrt(10 / 9 * 1 / 9))


@pytest.mark.parametrize(("estimate", "lower", "upper"), [(1.3, 0.9, 1.8), (0.8, 0.6, 1.05), (1.0, 0.8, 1.2)])
def test_evalue_of_an_interval_including_1_is_1(estimate, lower, upper):
    result = evalue_risk_ratio(estimate, lower, upper)
    assert result.ci == 1.0
    assert "already includes no effect" in result.interpretation


def test_evalue_hazard_ratio_common_outcome_is_converted():
    # VanderWeele (2020): RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)). For HR = 0.56:
    # sqrt(0.56) = 0.748331, 0.5^0.748331 = 0.595292; sqrt(1/0.56) = 1.336306, 0.5^1.336306 = 0.396033
    # RR = (1 - 0.595292) / (1 - 0.396033) = 0.404708 / 0.603967 = 0.670084
    # E = 1/0.670084 + sqrt(1/0.670084 * (1/0.670084 - 1)) = 1.492350 + 0.857181 = 2.349531
    assert hazard_to_risk_ratio(0.56) == pytest.approx(0.670084, abs=1e-6)
    result = evalue_hazard_ratio(0.56, 0.46, 0.69, outcome_proportion=0.30)
    assert result.risk_ratio == pytest.approx(0.670084, abs=1e-6)
    assert result.point == pytest.approx(2.349531, abs=1e-6)
    assert result.ci == pytest.approx(evalue(hazard_to_risk_ratio(0.69)))
    assert "converted" in result.interpretation
    # the conversion is symmetric on the log scale and leaves 1 alone
    assert hazard_to_risk_ratio(1 / 0.56) == pytest.approx(1 / hazard_to_risk_ratio(0.56))
    assert hazard_to_risk_ratio(1.0) == 1.0


def test_evalue_hazard_ratio_rare_outcome_is_used_as_risk_ratio():
    # 15% or less counts as rare: HR 0.56 is used as it is: 1/0.56 + sqrt(1/0.56 * (1/0.56 - 1)) = 2.970
    for proportion in (0.05, 0.15):
        result = evalue_hazard_ratio(0.56, 0.46, 0.69, outcome_proportion=proportion)
        assert result.risk_ratio == 0.56
        assert result.point == pytest.approx(1 / 0.56 + math.sqrt(1 / 0.56 * (1 / 0.56 - 1)))


def test_evalue_refuses_bad_input():
    with pytest.raises(ValueError, match="positive"):
        evalue_risk_ratio(-1.0)
    with pytest.raises(ValueError, match="lower <= estimate <= upper"):
        evalue_risk_ratio(2.0, 2.5, 3.0)
    with pytest.raises(ValueError, match="both confidence limits"):
        evalue_hazard_ratio(0.7, 0.5, None, outcome_proportion=0.3)


# ---------------------------------------------------------------------------------------------
# minimum detectable difference


def test_mdd_by_hand():
    # 500 per group, baseline 30%, 80% power, 5% two-sided. Ignoring the far tail (power there is
    # about 1e-6), h = (z_0.975 + z_0.80) * sqrt(1/500 + 1/500) = (1.959964 + 0.841621) * 0.063246 = 0.177187
    h = (norm.ppf(0.975) + norm.ppf(0.80)) * math.sqrt(2 / 500)
    result = minimum_detectable_difference(500, 500, 0.30)
    assert result.cohens_h == pytest.approx(h, rel=1e-5)
    # back to proportions on the arcsine scale: asin(sqrt(0.3)) = 0.579640
    # fall: sin(0.579640 - 0.088594)^2 = 0.222358; rise: sin(0.579640 + 0.088594)^2 = 0.383905
    assert result.detectable_decrease == pytest.approx(0.222358, abs=1e-5)
    assert result.detectable_increase == pytest.approx(0.383905, abs=1e-5)
    assert result.decrease_pp == pytest.approx(100 * (0.30 - 0.222358), abs=1e-3)
    assert result.increase_pp == pytest.approx(100 * (0.383905 - 0.30), abs=1e-3)
    # a plain two-proportion z-test (unpooled variance) at that difference has about the same power
    for p1 in (result.detectable_decrease, result.detectable_increase):
        z = abs(p1 - 0.30) / math.sqrt(p1 * (1 - p1) / 500 + 0.30 * 0.70 / 500)
        assert norm.cdf(z - norm.ppf(0.975)) == pytest.approx(0.80, abs=0.005)
    assert "7.8 percentage points" in result.describe()


@pytest.mark.parametrize(("n1", "n2", "baseline"), [(500, 500, 0.30), (300, 1200, 0.25), (720, 2000, 0.21),
                                                    (60, 90, 0.5)])
def test_mdd_has_the_requested_power(n1, n2, baseline):
    result = minimum_detectable_difference(n1, n2, baseline)
    for p1 in (result.detectable_decrease, result.detectable_increase):
        power = NormalIndPower().power(proportion_effectsize(p1, baseline), nobs1=n1, alpha=0.05, ratio=n2 / n1,
                                       alternative="two-sided")
        assert power == pytest.approx(0.80, abs=1e-3)
    if baseline < 0.5:  # the arcsine scale is stretched towards 0, so a fall is detectable sooner
        assert result.decrease_pp < result.increase_pp


def test_mdd_when_a_fall_cannot_be_detected():
    # 50 per group with 2% at baseline: the detectable h (0.56) is more than 2 * asin(sqrt(0.02)) = 0.28
    result = minimum_detectable_difference(50, 50, 0.02)
    assert result.detectable_decrease is None and result.decrease_pp is None
    assert result.detectable_increase == pytest.approx(np.sin(np.arcsin(np.sqrt(0.02)) + result.cohens_h / 2) ** 2)
    assert "no fall can be detected" in result.describe()
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        minimum_detectable_difference(50, 50, 0.0)
