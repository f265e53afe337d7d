"""Generate every synthetic table in memory, with the ground truth. One seed drives it all: each
component draws from its own child of ``numpy.random.SeedSequence(seed)``, so changing one
component does not shift the others' draws."""

from __future__ import annotations

import numpy as np
import polars as pl

from ij_eval.synth.areas import areas_frame, asb_counts_frame, make_geography
from ij_eval.synth.delivery import costs_frame, placement_weights, placements_frame
from ij_eval.synth.offences import offences_frame
from ij_eval.synth.people import make_cohort
from ij_eval.synth.process import make_journey
from ij_eval.synth.referrals import referrals_frame
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.surveys import community_frame, participant_frame, victim_frame
from ij_eval.synth.truth import ground_truth

_COMPONENTS = ("areas", "asb_counts", "people", "placements", "journey", "offences",
               "participant_survey", "victim_survey", "community_survey", "costs")


def generate(scenario: Scenario, seed: int, scale: int) -> tuple[dict[str, pl.DataFrame], dict]:
    children = np.random.SeedSequence(seed).spawn(len(_COMPONENTS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_COMPONENTS, children, strict=True)}

    geo = make_geography(rng["areas"], scenario, scale)
    asb_counts = asb_counts_frame(rng["asb_counts"], geo, scenario)
    cohort = make_cohort(rng["people"], scenario, scale, geo)
    weights = placement_weights(rng["placements"], scenario, scale)
    journey = make_journey(rng["journey"], cohort, scenario, weights)
    referrals, person_order, referral_id = referrals_frame(cohort, journey, geo)
    started = journey.placement >= 0
    hours = np.bincount(journey.placement[started], weights=journey.hours_completed[started],
                        minlength=weights.size)
    placements = placements_frame(rng["placements"], scenario, geo, hours)
    offences = offences_frame(rng["offences"], cohort, scenario, person_order)
    n_ij = int(cohort.ij.sum())
    tables = {
        "referrals": referrals,
        "offences": offences,
        "areas": areas_frame(geo),
        "asb_counts": asb_counts,
        "participant_survey": participant_frame(rng["participant_survey"], scenario, cohort, journey,
                                                referral_id[:n_ij]),
        "victim_survey": victim_frame(rng["victim_survey"], scenario, scale, journey,
                                      referral_id[:n_ij]),
        "placements": placements,
        "costs": costs_frame(rng["costs"], scenario, scale),
        "community_survey": community_frame(rng["community_survey"], scenario, geo),
    }
    truth = ground_truth(scenario, seed, scale, cohort, journey, geo,
                         _first_time_entrants(referrals, offences))
    return tables, truth


def _first_time_entrants(referrals: pl.DataFrame, offences: pl.DataFrame) -> int:
    first_timers = referrals.filter(pl.col("prior_offences") == 0).select("person_id", "referral_date")
    later = (offences.filter(pl.col("proven"))
             .join(first_timers, on="person_id")
             .filter(pl.col("offence_date") > pl.col("referral_date")))
    return int(later["person_id"].n_unique())
