"""The ground truth of a synthetic data set: the true effects and the naive figures they hide."""

from __future__ import annotations

import numpy as np

from ij_eval.synth.areas import Geography, hotspot_truth
from ij_eval.synth.people import AGE_CENTRE, Cohort
from ij_eval.synth.process import Journey
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.surveys import community_truth
from ij_eval.synth.timeline import day


def _share(mask: np.ndarray, event: np.ndarray) -> dict:
    n = int(mask.sum())
    k = int((mask & event).sum())
    return {"n": n, "reoffended": k, "share": round(k / n, 6) if n else None}


def naive_12m(cohort: Cohort, journey: Journey, scenario: Scenario) -> dict:
    """Raw 12-month reoffending (any offence within 365 days) by group, among people with a full
    year of follow-up before the extract date."""
    extract = day(scenario.extract_date)
    eligible = cohort.referral_day <= extract - 365
    event = cohort.first_reoffence_day <= cohort.referral_day + 365
    status = np.concatenate([journey.status, np.full(cohort.n - journey.status.size, "")])
    out = {"ij": _share(eligible & cohort.ij, event),
           "comparison": _share(eligible & ~cohort.ij, event)}
    for s in ("completed", "refused", "did_not_complete", "not_suitable"):
        out[f"ij_{s}"] = _share(eligible & (status == s), event)
    ij, cmp_ = out["ij"]["share"], out["comparison"]["share"]
    out["risk_ratio_ij_vs_comparison"] = round(ij / cmp_, 6) if ij and cmp_ else None
    return out


def ground_truth(scenario: Scenario, seed: int, scale: int, cohort: Cohort, journey: Journey,
                 geo: Geography, first_time_entrants: int) -> dict:
    ij = cohort.ij
    return {
        "synthetic": True,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "scale": scale,
        "extract_date": scenario.extract_date.isoformat(),
        "reoffending": {
            "hazard_ratio_ij": scenario.hazard_ratio_ij,
            "estimand": "hazard ratio for time to first reoffence, IJ referral (intention to treat: "
                        "every IJ referral whatever its status) vs the comparison cohort, "
                        "conditional on the covariates below",
            "event": "first row in offences.csv with offence_date after referral_date (any "
                     "disposal); censored at the extract date",
            "time_origin": "referral_date",
            "baseline": {
                "distribution": "weibull",
                "cumulative_hazard": "H0(t) = lam * t**shape, t in days since referral_date",
                "lam": cohort.baseline_lam,
                "shape": scenario.weibull_shape,
            },
            "linear_predictor": f"b_age * (age - {AGE_CENTRE:g}) / 10 + b_male * [sex == 'male'] "
                                "+ b_prior * log(1 + prior_offences) + b_disability * "
                                "[disability == 'yes'] + log(hazard_ratio_ij) * [cohort == 'ij']",
            "log_hazard_coefficients": {
                "age_per_10_years": scenario.beta_age_per_10_years,
                "male": scenario.beta_male,
                "log1p_prior_offences": scenario.beta_log1p_prior,
                "disability_yes": scenario.beta_disability,
                "ethnicity": 0.0,
            },
            "later_offences": "after the first reoffence, a Poisson process at later_reoffence_rate "
                              "* exp(0.5 * (lp - mean lp)) * hazard_ratio_ij**ij per year",
            "later_reoffence_rate": scenario.later_reoffence_rate,
            "confounding": "the comparison cohort is older with more prior offences (ages and "
                           "prior_offences drawn from different distributions); within IJ, "
                           "refusal and drop-out are likelier for people at higher latent risk "
                           f"(Gaussian copula, correlation {scenario.status_risk_correlation})",
            "mean_prior_offences": {"ij": round(float(cohort.prior[ij].mean()), 6),
                                    "comparison": round(float(cohort.prior[~ij].mean()), 6)},
            "mean_age": {"ij": round(float(cohort.age[ij].mean()), 6),
                         "comparison": round(float(cohort.age[~ij].mean()), 6)},
            "naive_12_month_reoffending": naive_12m(cohort, journey, scenario),
            "first_time_entrants": {
                "definition": "prior_offences == 0 and a proven offence after referral_date",
                "count": first_time_entrants,
            },
        },
        "hotspots": hotspot_truth(geo, scenario),
        "community_survey": community_truth(scenario),
    }
