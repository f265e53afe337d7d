"""The IJ journey of each referral: status, first contact, booking, start, hours, workshop,
restorative justice and placement.

Status is a post-referral outcome, so it may depend on anything, including each person's latent
reoffending risk (``lp - log(E)``, the quantity that decides how soon they reoffend): a Gaussian
copula with correlation ``status_risk_correlation`` makes disengagement (refusal, then drop-out)
likelier for riskier people. That leaves the intention-to-treat hazard ratio untouched but makes
naive completer-versus-refuser comparisons biased, as in real schemes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ij_eval.synth.people import Cohort
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import day

MINUTES_PER_DAY = 1440
HOURS_PER_SESSION = 4
DAYS_BETWEEN_SESSIONS = 3.5
MAX_HOURS = 100
# Start gap after first contact (days): 0, 1, 2, then 3 + geometric.
START_GAP_P = (0.15, 0.22, 0.18)


@dataclass(frozen=True)
class Journey:
    """Arrays over the IJ referrals (the first ``n_ij`` people of the cohort); -1 means blank."""

    status: np.ndarray
    contact_min: np.ndarray  # minutes since epoch
    booked_min: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray  # completion (or drop-out / refusal) day, possibly after the extract
    hours_required: np.ndarray
    hours_completed: np.ndarray
    workshop: np.ndarray
    restorative: np.ndarray
    placement: np.ndarray


def _normal_scores(x: np.ndarray) -> np.ndarray:
    rank = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return norm.ppf((rank + 0.5) / x.size)


def _exactly(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    """A random ``share`` of the eligible rows, exactly (rounded), marked true."""
    idx = np.flatnonzero(eligible)
    chosen = rng.permutation(idx)[: int(round(share * idx.size))]
    out = np.zeros(eligible.size, dtype=bool)
    out[chosen] = True
    return out


def _final_status(rng: np.random.Generator, risk: np.ndarray, scenario: Scenario) -> np.ndarray:
    n = risk.size
    rho = scenario.status_risk_correlation
    not_suitable = rng.random(n) < scenario.not_suitable_share
    score = rho * _normal_scores(risk) + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    rest = 1.0 - scenario.not_suitable_share
    refused_cut = norm.ppf(1 - scenario.refused_share / rest)
    dnc_cut = norm.ppf(1 - (scenario.refused_share + scenario.did_not_complete_share) / rest)
    status = np.where(score > refused_cut, "refused",
                      np.where(score > dnc_cut, "did_not_complete", "completed"))
    return np.where(not_suitable, "not_suitable", status).astype("<U16")


def make_journey(rng: np.random.Generator, cohort: Cohort, scenario: Scenario,
                 placement_weights: np.ndarray) -> Journey:
    n = int(cohort.ij.sum())
    extract = day(scenario.extract_date)
    ref = cohort.referral_day[:n]
    risk = cohort.lp[:n] - np.log(cohort.exp_draw[:n])
    status = _final_status(rng, risk, scenario)

    within = rng.random(n) < scenario.contact_within_48h
    contact_day = np.where(within, (rng.random(n) < 0.45).astype("int64"), 1 + rng.geometric(0.35, n))
    contact_min = (ref + contact_day) * MINUTES_PER_DAY + 480 + rng.integers(0, 720, n)

    u = rng.random(n)
    g0, g1, g2 = START_GAP_P
    gap = np.select([u < g0, u < g0 + g1, u < g0 + g1 + g2], [0, 1, 2], 2 + rng.geometric(0.12, n))
    start_day = ref + contact_day + gap
    room = np.maximum(0, (start_day * MINUTES_PER_DAY + 1080) - contact_min)
    booked_min = contact_min + (rng.random(n) * np.minimum(room, 180)).astype("int64")  # within 3 hours

    extra = rng.gamma(scenario.hours_extra_shape, scenario.hours_extra_mean / scenario.hours_extra_shape, n)
    hours = np.minimum(scenario.min_hours + np.rint(extra), MAX_HOURS).astype("int64")
    sessions = np.ceil(hours / HOURS_PER_SESSION)
    completion_day = start_day + np.rint(DAYS_BETWEEN_SESSIONS * (sessions - 1)).astype("int64")
    frac = rng.uniform(0.05, 0.9, n)
    dropout_day = start_day + np.rint(frac * (completion_day - start_day)).astype("int64")

    starts = np.isin(status, ("completed", "did_not_complete"))
    end_day = np.select([status == "completed", status == "did_not_complete"],
                        [completion_day, dropout_day], ref + contact_day)
    done = np.select([status == "completed", status == "did_not_complete"],
                     [hours, np.floor(frac * hours)], 0).astype("int64")

    # Still open at the extract date: in progress, with what has happened so far.
    open_ = end_day > extract
    started = starts & (start_day <= extract)
    elapsed = (extract - start_day + 1) / (completion_day - start_day + 1)
    done = np.where(open_, np.where(started, np.minimum(np.floor(elapsed * hours), hours - 1), 0), done)
    status = np.where(open_, "in_progress", status)
    contacted = contact_min < (extract + 1) * MINUTES_PER_DAY
    booked = starts & (booked_min < (extract + 1) * MINUTES_PER_DAY)

    hours_required = np.where(status == "not_suitable", -1, hours)
    hours_completed = np.where(status == "not_suitable", -1, np.maximum(done, 0))
    workshop = _exactly(rng, started, scenario.workshop_share)
    restorative = _exactly(rng, started, scenario.restorative_share)
    cum = np.cumsum(placement_weights) / placement_weights.sum()
    placement = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), cum.size - 1)
    return Journey(
        status=status,
        contact_min=np.where(contacted, contact_min, -1),
        booked_min=np.where(booked, booked_min, -1),
        start_day=np.where(started, start_day, -1),
        end_day=end_day,
        hours_required=hours_required,
        hours_completed=hours_completed,
        workshop=workshop,
        restorative=restorative,
        placement=np.where(started, placement, -1),
    )
