"""Who is referred: the IJ referrals and the concurrent comparison cohort, with covariates and
their (true) time to first reoffence.

Time to first reoffence follows a proportional-hazards model with a Weibull baseline,
``H(t | x) = lam * t**shape * exp(lp(x) + log(HR) * ij)`` (t in days from the referral date),
``lp = b_age * (age - 30) / 10 + b_male * male + b_prior * log1p(prior_offences)
      + b_disability * [disability == "yes"]``.
``lam`` is solved so the expected 12-month reoffending share among IJ referrals hits the
scenario's target. Confounding comes from the two cohorts' different age and prior-offence
distributions (the comparison cohort is older with more priors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ij_eval.synth.areas import Geography
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import calendar_month, day

AGE_CENTRE = 30.0
PRIOR_DISPERSION = 0.8  # negative-binomial size of prior_offences (skewed counts)
MAX_PRIOR = 60

CHILD_AGE_WEIGHTS = np.array([0.03, 0.05, 0.08, 0.12, 0.16, 0.18, 0.19, 0.19])  # ages 10..17
SEX = (("male", None), ("female", None), ("other", 0.003), ("unknown", 0.007))
ETHNICITY = (("white", 0.78), ("asian", 0.10), ("black", 0.05), ("mixed", 0.04), ("other", 0.01),
             ("unknown", 0.02))
DISABILITY = (("yes", 0.12), ("no", 0.73), ("unknown", 0.15))
IJ_OFFENCES = (("asb", 0.35), ("criminal_damage", 0.20), ("shop_theft", 0.15),
               ("public_order", 0.15), ("cannabis_possession", 0.10), ("drunk_and_disorderly", 0.05))
COMPARISON_OFFENCES = (("asb", 0.18), ("criminal_damage", 0.20), ("shop_theft", 0.22),
                       ("public_order", 0.18), ("cannabis_possession", 0.12),
                       ("drunk_and_disorderly", 0.06), ("other", 0.04))
IJ_ROUTES = (("community_resolution", 0.55), ("outcome_22", 0.21), ("conditional_caution", 0.09),
             ("voluntary_warning_letter", 0.08), ("voluntary_abc", 0.05), ("voluntary_vco", 0.02))
COMPARISON_ROUTES = (("community_resolution", 0.35), ("outcome_22", 0.10), ("caution", 0.30),
                     ("conditional_caution", 0.07), ("charge", 0.18))
OUTCOME_CODE = {"community_resolution": 8, "outcome_22": 22, "conditional_caution": 3, "charge": 1}
VOLUNTARY = ("voluntary_warning_letter", "voluntary_abc", "voluntary_vco")


@dataclass(frozen=True)
class Cohort:
    """One row per person: IJ referrals first, then the comparison cohort (parallel arrays)."""

    ij: np.ndarray
    person_id: np.ndarray
    referral_day: np.ndarray
    offence_day: np.ndarray
    offence_type: np.ndarray
    route: np.ndarray
    outcome_code: np.ndarray  # 0 where blank
    age: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray
    disability: np.ndarray
    prior: np.ndarray
    area_code: np.ndarray
    hotspot: np.ndarray  # index into the geography's areas, -1 where none
    lp: np.ndarray  # true covariate log-hazard
    exp_draw: np.ndarray  # the unit-exponential draw behind the first-reoffence time
    first_reoffence_day: np.ndarray  # may lie after the extract date (then censored)
    baseline_lam: float

    @property
    def n(self) -> int:
        return self.ij.size


def categorical(rng: np.random.Generator, options: tuple, n: int) -> np.ndarray:
    """Draw ``n`` labels from ``((label, probability), ...)``; a ``None`` probability takes the rest."""
    labels = [o[0] for o in options]
    given = sum(p for _, p in options if p is not None)
    free = [p is None for _, p in options]
    rest = (1.0 - given) / max(sum(free), 1)
    probs = np.array([rest if p is None else p for _, p in options], dtype=float)
    return np.array(labels)[rng.choice(len(labels), size=n, p=probs / probs.sum())]


def _referral_days(rng: np.random.Generator, scenario: Scenario, per_year: float) -> np.ndarray:
    days = np.arange(day(scenario.scheme_start), day(scenario.extract_date) + 1)
    months = np.arange(1, 13)
    bump = np.exp(scenario.referral_seasonality * np.cos(2 * np.pi * (months - 7) / 12))
    seasonal = bump[calendar_month(days) - 1] / bump.mean()
    counts = rng.poisson(per_year / 365.25 * seasonal)
    return np.repeat(days, counts)


def _ages(rng: np.random.Generator, n: int, adult_share: float, adult_scale: float) -> np.ndarray:
    adult = rng.random(n) < adult_share
    child_age = 10 + rng.choice(8, size=n, p=CHILD_AGE_WEIGHTS / CHILD_AGE_WEIGHTS.sum())
    adult_age = np.minimum(18 + np.floor(rng.gamma(1.6, adult_scale, n)), 85)
    return np.where(adult, adult_age, child_age).astype("int64")


def _priors(rng: np.random.Generator, age: np.ndarray, mean: float) -> np.ndarray:
    factor = np.clip((age - 9) / 14.0, 0.15, 1.8)
    lam = rng.gamma(PRIOR_DISPERSION, mean * factor / PRIOR_DISPERSION)
    return np.minimum(rng.poisson(lam), MAX_PRIOR).astype("int64")


def person_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pseudonymised person identifiers ``p_`` + 16 hex digits, unique."""
    raw = rng.integers(0, 2**63, size=n, dtype="int64")
    while np.unique(raw).size < n:  # vanishingly rare; redraw the later duplicates
        _, first = np.unique(raw, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        raw[dup] = rng.integers(0, 2**63, size=dup.size, dtype="int64")
    return np.array([f"p_{x:016x}" for x in raw.tolist()])


def linear_predictor(scenario: Scenario, age: np.ndarray, sex: np.ndarray, prior: np.ndarray,
                     disability: np.ndarray) -> np.ndarray:
    return (scenario.beta_age_per_10_years * (age - AGE_CENTRE) / 10.0
            + scenario.beta_male * (sex == "male")
            + scenario.beta_log1p_prior * np.log1p(prior)
            + scenario.beta_disability * (disability == "yes"))


def solve_baseline(lp_ij: np.ndarray, scenario: Scenario) -> float:
    """``lam`` such that the mean 12-month reoffending probability of IJ referrals is the target."""
    k, log_hr = scenario.weibull_shape, np.log(scenario.hazard_ratio_ij)
    risk = np.exp(lp_ij + log_hr) * 365.0**k
    lo, hi = -30.0, 5.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.mean(1 - np.exp(-np.exp(mid) * risk)) < scenario.ij_reoffending_12m:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def _places(rng: np.random.Generator, geo: Geography, ij: np.ndarray, referral_day: np.ndarray,
            scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """LSOA of the index offence and, for hotspot referrals, the (already active) hotspot."""
    n = ij.size
    hot_codes, _ = geo.lsoas_of("hotspot")
    buf_codes, _ = geo.lsoas_of("buffer")
    hot_idx = geo.members("hotspot")
    order = hot_idx[np.argsort(geo.start_day[hot_idx], kind="stable")]
    via_hotspot = ij & (rng.random(n) < scenario.hotspot_referral_share)
    n_active = np.searchsorted(geo.start_day[order], referral_day, side="right")
    chosen = order[np.minimum((rng.random(n) * np.maximum(n_active, 1)).astype("int64"),
                              order.size - 1)]
    hotspot = np.where(via_hotspot & (n_active > 0), chosen, -1)
    # A random LSOA of the chosen hotspot.
    first = geo.lsoa_start[np.maximum(hotspot, 0)]
    size = geo.lsoa_start[np.maximum(hotspot, 0) + 1] - first
    in_hotspot = geo.lsoas[first + (rng.random(n) * size).astype("int64")]
    u = rng.random(n)
    # Others: IJ 40% buffer / 60% elsewhere in the force; comparison 10% hotspot, 10% buffer.
    to_buffer = np.where(ij, u < 0.4, u < 0.1)
    to_hot = ~ij & (u >= 0.1) & (u < 0.2)
    other = np.where(to_buffer, buf_codes[rng.integers(0, buf_codes.size, n)],
                     np.where(to_hot, hot_codes[rng.integers(0, hot_codes.size, n)],
                              geo.pool[rng.integers(0, geo.pool.size, n)]))
    return np.where(hotspot >= 0, in_hotspot, other), hotspot


def make_cohort(rng: np.random.Generator, scenario: Scenario, scale: int, geo: Geography) -> Cohort:
    ij_days = _referral_days(rng, scenario, scenario.ij_referrals_per_year * scale)
    cmp_days = _referral_days(rng, scenario,
                              scenario.ij_referrals_per_year * scenario.comparison_ratio * scale)
    n_ij = ij_days.size
    referral_day = np.concatenate([ij_days, cmp_days])
    n = referral_day.size
    ij = np.arange(n) < n_ij
    age = np.where(ij, _ages(rng, n, scenario.adult_share, 9.0),
                   _ages(rng, n, scenario.comparison_adult_share, 11.0))
    child = age < 18
    sex = categorical(rng, ((SEX[0][0], scenario.male_share),) + SEX[1:], n)
    ethnicity = categorical(rng, ETHNICITY, n)
    disability = categorical(rng, DISABILITY, n)
    prior = np.where(ij, _priors(rng, age, scenario.ij_prior_mean),
                     _priors(rng, age, scenario.comparison_prior_mean))

    route = np.where(ij, categorical(rng, IJ_ROUTES, n), categorical(rng, COMPARISON_ROUTES, n))
    offence_type = np.where(ij, categorical(rng, IJ_OFFENCES, n),
                            categorical(rng, COMPARISON_OFFENCES, n))
    # Voluntary routes accompany ASB tools; conditional cautions are for adults only.
    offence_type = np.where(np.isin(route, VOLUNTARY), "asb", offence_type)
    route = np.where(child & (route == "conditional_caution"),
                     np.where(ij, "community_resolution", "caution"), route)
    route = np.where(~ij & (offence_type == "asb") & np.isin(route, ("caution", "charge")),
                     "community_resolution", route)
    outcome_code = np.zeros(n, dtype="int64")  # 0: blank (voluntary routes)
    for name, code in OUTCOME_CODE.items():
        outcome_code[route == name] = code
    outcome_code = np.where(route == "caution", np.where(child, 2, 3), outcome_code)  # youth / adult

    lag = np.where(rng.random(n) < 0.5, 0, np.where(rng.random(n) < 0.5, 1, rng.integers(2, 15, n)))
    lag = np.where(ij, lag, rng.geometric(0.12, n) - 1)
    offence_day = referral_day - np.minimum(lag, 60)

    area_code, hotspot = _places(rng, geo, ij, referral_day, scenario)

    lp = linear_predictor(scenario, age, sex, prior, disability)
    lam = solve_baseline(lp[ij], scenario)
    exp_draw = rng.exponential(1.0, n)
    total = lp + np.log(scenario.hazard_ratio_ij) * ij
    t1 = (exp_draw / (lam * np.exp(total))) ** (1.0 / scenario.weibull_shape)
    first = referral_day + np.maximum(1, np.ceil(np.minimum(t1, 1e6))).astype("int64")
    return Cohort(ij=ij, person_id=person_ids(rng, n), referral_day=referral_day,
                  offence_day=offence_day, offence_type=offence_type, route=route,
                  outcome_code=outcome_code, age=age, sex=sex, ethnicity=ethnicity,
                  disability=disability, prior=prior, area_code=area_code, hotspot=hotspot, lp=lp,
                  exp_draw=exp_draw, first_reoffence_day=first, baseline_lam=lam)
