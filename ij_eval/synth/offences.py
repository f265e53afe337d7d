"""Offences attributed to each person: prior offences before the index date and reoffences
after it. The index offence itself is not repeated here (it is in the referrals table).

- Prior proven offences: exactly ``prior_offences`` per person over their offending career (from
  age 10), written where they fall on or after the start of the force's records.
- Prior non-proven contacts (ASB warnings, community resolutions, Outcome 22, no further action) in
  the three years before the index date.
- Reoffences: the first at the person's true first-reoffence day (proportional hazards, see
  :mod:`ij_eval.synth.people`), then further offences at a Poisson rate until the extract date.
Disposals that would fall after the extract date are ``pending`` with no disposal date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ij_eval.synth.people import Cohort, categorical
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import as_datetime64, day

PROVEN = ("conviction", "caution", "conditional_caution", "youth_caution", "youth_conditional_caution")
OFFENCE_TYPES = (("asb", 0.25), ("shop_theft", 0.15), ("criminal_damage", 0.12),
                 ("public_order", 0.12), ("violence", 0.12), ("drugs", 0.08), ("other_theft", 0.06),
                 ("drunk_and_disorderly", 0.04), ("burglary", 0.02), ("vehicle", 0.02),
                 ("weapons", 0.01), ("other", 0.01))
CRIME_TYPES = tuple((t, p) for t, p in OFFENCE_TYPES if t != "asb")
ADULT_PROVEN = (("conviction", 0.5), ("caution", 0.35), ("conditional_caution", 0.15))
YOUTH_PROVEN = (("conviction", 0.35), ("youth_caution", 0.5), ("youth_conditional_caution", 0.15))
ADULT_OUTCOMES = (("conviction", 0.22), ("caution", 0.15), ("conditional_caution", 0.05),
                  ("community_resolution", 0.20), ("outcome_22", 0.08), ("no_further_action", 0.18),
                  ("charge", 0.12))
YOUTH_OUTCOMES = (("conviction", 0.12), ("youth_caution", 0.18), ("youth_conditional_caution", 0.07),
                  ("community_resolution", 0.28), ("outcome_22", 0.12), ("no_further_action", 0.15),
                  ("charge", 0.08))
ASB_OUTCOMES = (("asb_warning", 0.6), ("community_resolution", 0.2), ("no_further_action", 0.2))
PRIOR_CONTACTS = (("asb_warning", 0.4), ("community_resolution", 0.3), ("outcome_22", 0.1),
                  ("no_further_action", 0.2))
#: Days from offence to disposal, (low, high) inclusive.
LAG = {"conviction": (30, 240), "caution": (0, 30), "conditional_caution": (0, 30),
       "youth_caution": (0, 30), "youth_conditional_caution": (0, 30),
       "community_resolution": (0, 14), "outcome_22": (0, 30), "no_further_action": (0, 60),
       "charge": (0, 7), "asb_warning": (0, 7)}
PRIOR_CONTACT_RATE = 0.5  # non-proven contacts per person in the three years before (+0.3 per prior)


def _lag(rng: np.random.Generator, disposal: np.ndarray) -> np.ndarray:
    low = np.zeros(disposal.size, dtype="int64")
    high = np.zeros(disposal.size, dtype="int64")
    for name, (lo, hi) in LAG.items():
        m = disposal == name
        low[m], high[m] = lo, hi
    return low + np.floor(rng.random(disposal.size) * (high - low + 1)).astype("int64")


def _prior_proven(rng: np.random.Generator, cohort: Cohort) -> tuple[np.ndarray, ...]:
    person = np.repeat(np.arange(cohort.n), cohort.prior)
    m = person.size
    ref = cohort.referral_day[person]
    end = ref - 1
    career = ref - np.floor((cohort.age[person] - 10) * 365.25 + rng.random(m) * 365).astype("int64")
    career = np.minimum(career, end)
    lag = _lag(rng, categorical(rng, ADULT_PROVEN, m))  # room for the disposal before the index
    span = np.maximum(end - lag - career, 0)
    offence = career + np.floor(np.sqrt(rng.random(m)) * (span + 1)).astype("int64")
    offence = np.minimum(offence, end)
    age_then = cohort.age[person] - (ref - offence) / 365.25
    disposal = np.where(age_then < 18, categorical(rng, YOUTH_PROVEN, m),
                        categorical(rng, ADULT_PROVEN, m))
    lag = np.minimum(_lag(rng, disposal), end - offence)
    kind = categorical(rng, CRIME_TYPES, m)
    return person, offence, kind, disposal, offence + lag


def _prior_contacts(rng: np.random.Generator, cohort: Cohort, records_start: int) -> tuple[np.ndarray, ...]:
    count = rng.poisson(PRIOR_CONTACT_RATE + 0.3 * np.minimum(cohort.prior, 10))
    person = np.repeat(np.arange(cohort.n), count)
    m = person.size
    ref = cohort.referral_day[person]
    end = ref - 1
    earliest = np.maximum(ref - 3 * 365, records_start)
    earliest = np.maximum(earliest, ref - np.floor((cohort.age[person] - 10) * 365.25).astype("int64"))
    earliest = np.minimum(earliest, end)
    offence = earliest + np.floor(rng.random(m) * (end - earliest + 1)).astype("int64")
    disposal = categorical(rng, PRIOR_CONTACTS, m)
    kind = np.where(disposal == "asb_warning", "asb", categorical(rng, OFFENCE_TYPES, m))
    lag = np.minimum(_lag(rng, disposal), end - offence)
    return person, offence, kind, disposal, offence + lag


def _reoffences(rng: np.random.Generator, cohort: Cohort, scenario: Scenario,
                extract: int) -> tuple[np.ndarray, ...]:
    has_first = cohort.first_reoffence_day <= extract
    first_person = np.flatnonzero(has_first)
    first_day = cohort.first_reoffence_day[first_person]
    rate = (scenario.later_reoffence_rate * np.exp(0.5 * (cohort.lp - cohort.lp.mean()))
            * np.where(cohort.ij, scenario.hazard_ratio_ij, 1.0))[first_person]
    later = rng.poisson(rate * (extract - first_day) / 365.25)
    later_person = np.repeat(first_person, later)
    later_first = np.repeat(first_day, later)
    later_day = later_first + 1 + np.floor(rng.random(later_person.size)
                                           * (extract - later_first)).astype("int64")
    person = np.concatenate([first_person, later_person])
    offence = np.minimum(np.concatenate([first_day, later_day]), extract)
    m = person.size
    kind = categorical(rng, OFFENCE_TYPES, m)
    youth = (cohort.age[person] + (offence - cohort.referral_day[person]) / 365.25) < 18
    disposal = np.where(kind == "asb", categorical(rng, ASB_OUTCOMES, m),
                        np.where(youth, categorical(rng, YOUTH_OUTCOMES, m),
                                 categorical(rng, ADULT_OUTCOMES, m)))
    return person, offence, kind, disposal, offence + _lag(rng, disposal)


def _distinct(part: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The rows of ``part`` without exact repeats (same person, day, type, disposal and disposal day), first kept.

    Days drawn independently sometimes give one person two identical offences; a force extract
    would hold them once (validation warns about exact duplicates, which multiply counts).
    """
    person, offence, kind, disposal, disposal_day = part
    keys = pl.DataFrame({"p": person, "o": offence, "k": kind, "d": disposal, "dd": disposal_day})
    first = keys.select(pl.struct(pl.all()).is_first_distinct()).to_series().to_numpy()
    return tuple(a[first] for a in part)


def offences_frame(rng: np.random.Generator, cohort: Cohort, scenario: Scenario,
                   person_order: np.ndarray) -> pl.DataFrame:
    """All offence rows, ordered by person (in ``person_order``) then date.

    Prior proven offences are kept as drawn (exactly ``prior_offences`` of them); among prior
    contacts and reoffences an exact repeat of an earlier row is left out (see :func:`_distinct`;
    the first reoffence comes first, so it is always kept).
    """
    extract = day(scenario.extract_date)
    records_start = day(scenario.records_start)
    parts = [_prior_proven(rng, cohort), _distinct(_prior_contacts(rng, cohort, records_start)),
             _distinct(_reoffences(rng, cohort, scenario, extract))]
    person, offence, kind, disposal, disposal_day = (np.concatenate(x) for x in zip(*parts, strict=True))
    keep = offence >= records_start
    person, offence, kind, disposal, disposal_day = (
        a[keep] for a in (person, offence, kind, disposal, disposal_day))
    pending = disposal_day > extract
    disposal = np.where(pending, "pending", disposal)
    rank = np.empty(cohort.n, dtype="int64")
    rank[person_order] = np.arange(cohort.n)
    order = np.lexsort((disposal, disposal_day, offence, rank[person]))
    person, offence, kind, disposal, disposal_day, pending = (
        a[order] for a in (person, offence, kind, disposal, disposal_day, pending))
    n = person.size
    return pl.DataFrame({
        "offence_id": np.char.add("O", np.char.zfill((np.arange(n) + 1).astype(str), 8)),
        "person_id": cohort.person_id[person],
        "offence_date": as_datetime64(offence),
        "offence_type": kind,
        "disposal": disposal,
        "proven": np.isin(disposal, PROVEN),
        "disposal_date": pl.Series(as_datetime64(disposal_day)).set(pl.Series(pending), None),
    })
