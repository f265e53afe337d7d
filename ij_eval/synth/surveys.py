"""Participant, victim and community survey responses.

Comments are invented, short and free of names or other identifiers.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.special import expit, logit

from ij_eval.synth.areas import Geography
from ij_eval.synth.people import Cohort
from ij_eval.synth.process import Journey
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import as_datetime64, day

AGREE = np.array(["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"])
SATISFIED = np.array(["very_dissatisfied", "dissatisfied", "neither", "satisfied", "very_satisfied"])
PARTICIPANT_ITEMS = ("understand_asb", "would_handle_differently", "accept_responsibility",
                     "workshop_beneficial", "overall_positive")
COMMUNITY_ITEMS = ("confidence_police_asb", "feel_safe", "asb_is_a_problem")
ANONYMOUS_SHARE = 0.05
COMMENT_SHARE = 0.7

PARTICIPANT_COMMENTS = (
    "I didn't think about who has to clean up after us.",
    "The workshop made me think about how it affects people.",
    "Hard work but fair.",
    "Better than going to court.",
    "I won't be doing that again.",
    "The staff were alright with me.",
    "It was a waste of a Saturday.",
    "I liked working on the garden.",
    "Seeing the damage up close changed my mind.",
    "It was quick, I started the same week.",
    "Didn't like being seen doing it but I get why.",
    "The caseworker helped me sort some other stuff out.",
    "Boring at times but I learnt something.",
    "I said sorry and meant it.",
    "Should have been fewer hours.",
)
VICTIM_COMMENTS = (
    "Good to see something done about it quickly.",
    "They asked what I wanted, which nobody had before.",
    "The area looks better now.",
    "I was kept up to date throughout.",
    "I'd like to know if it stops it happening again.",
    "Felt listened to for once.",
    "The apology meant a lot.",
    "It took a while to hear back.",
)


def _agree_labels(rng: np.random.Generator, n: int, p_agree: float) -> np.ndarray:
    """Five-point labels with P(agree or strongly agree) = ``p_agree``."""
    u = rng.random(n)
    top = np.where(rng.random(n) < 0.55, 4, 3)
    low = np.select([u < p_agree + (1 - p_agree) * 0.6, u < p_agree + (1 - p_agree) * 0.9], [2, 1], 0)
    return AGREE[np.where(u < p_agree, top, low)]


def _comments(rng: np.random.Generator, n: int, pool: tuple[str, ...]) -> pl.Series:
    text = np.array(pool)[rng.integers(0, len(pool), n)]
    return pl.Series("comment", text).set(pl.Series(rng.random(n) >= COMMENT_SHARE), None)


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(n) + 1).astype(str), max(6, len(str(n)))))


def participant_frame(rng: np.random.Generator, scenario: Scenario, cohort: Cohort, journey: Journey,
                      referral_id: np.ndarray) -> pl.DataFrame:
    extract = day(scenario.extract_date)
    done = np.flatnonzero((journey.status == "completed") & (journey.end_day <= extract))
    who = done[rng.random(done.size) < scenario.participant_response_share]
    n = who.size
    survey_day = np.minimum(journey.end_day[who] + rng.integers(0, 3, n), extract)
    order = np.lexsort((who, survey_day))
    who, survey_day = who[order], survey_day[order]
    anonymous = rng.random(n) < ANONYMOUS_SHARE
    columns = {
        "response_id": _ids("PS", n),
        "referral_id": pl.Series(referral_id[who]).set(pl.Series(anonymous), None),
        "survey_date": as_datetime64(survey_day),
        "age_group": np.where(cohort.age[who] < 18, "child", "adult"),
        "survey_stage": np.full(n, "exit"),
    }
    for item in PARTICIPANT_ITEMS:
        columns[item] = _agree_labels(rng, n, getattr(scenario, f"{item}_agree"))
    columns["consent_to_quote"] = rng.random(n) < scenario.consent_to_quote_share
    columns["comment"] = _comments(rng, n, PARTICIPANT_COMMENTS)
    return pl.DataFrame(columns)


def victim_frame(rng: np.random.Generator, scenario: Scenario, scale: int, journey: Journey,
                 referral_id: np.ndarray) -> pl.DataFrame:
    extract = day(scenario.extract_date)
    done = np.flatnonzero((journey.status == "completed") & (journey.end_day <= extract - 3))
    n = min(scenario.victim_responses * scale, done.size)
    weight = np.where(journey.restorative[done], 4.0, 1.0)
    who = np.sort(rng.choice(done, size=n, replace=False, p=weight / weight.sum()))
    survey_day = np.minimum(journey.end_day[who] + rng.integers(3, 31, n), extract)
    order = np.lexsort((who, survey_day))
    who, survey_day = who[order], survey_day[order]
    u = rng.random(n)
    ok = scenario.victim_satisfied_share
    satisfied = np.where(u < ok, np.where(rng.random(n) < 0.6, 4, 3),
                         np.select([u < ok + (1 - ok) * 0.5, u < ok + (1 - ok) * 0.8], [2, 1], 0))
    rj = journey.restorative[who]
    return pl.DataFrame({
        "response_id": _ids("VS", n),
        "referral_id": referral_id[who],
        "survey_date": as_datetime64(survey_day),
        "satisfied": SATISFIED[satisfied],
        "asked_how_to_repair": rng.random(n) < np.where(rj, 0.95, 0.7),
        "kept_informed": _agree_labels(rng, n, 0.85),
        "felt_heard": _agree_labels(rng, n, 0.90),
        "would_recommend": rng.random(n) < 0.92,
        "consent_to_quote": rng.random(n) < scenario.consent_to_quote_share,
        "comment": _comments(rng, n, VICTIM_COMMENTS),
    })


#: Baseline shares of the five levels (strongly disagree ... strongly agree) in comparison areas
#: before the scheme, and how much lower (log-odds) each item sits in hotspots (assumed).
COMMUNITY_BASELINE = {
    "confidence_police_asb": ((0.10, 0.20, 0.30, 0.30, 0.10), -0.3),
    "feel_safe": ((0.08, 0.17, 0.25, 0.35, 0.15), -0.3),
    "asb_is_a_problem": ((0.05, 0.15, 0.25, 0.35, 0.20), 0.4),
}
COMMUNITY_TIME_SHIFT = 0.10  # assumed common change between waves (log-odds)
COMMUNITY_AREA_SD = 0.2
COMMUNITY_WAVES = {"before": ("2023-05-01", "2023-08-31"), "after": ("2025-04-01", "2025-07-31")}


def community_frame(rng: np.random.Generator, scenario: Scenario, geo: Geography) -> pl.DataFrame:
    areas = np.concatenate([geo.members("hotspot"), geo.members("comparison")])
    area_effect = rng.normal(0.0, COMMUNITY_AREA_SD, geo.area_id.size)
    blocks = []
    for wave, (first, last) in COMMUNITY_WAVES.items():
        counts = rng.poisson(scenario.community_responses_per_area_wave, areas.size)
        area = np.repeat(areas, counts)
        days = rng.integers(day_iso(first), day_iso(last) + 1, area.size)
        blocks.append((area, np.full(area.size, wave), days))
    area = np.concatenate([b[0] for b in blocks])
    wave = np.concatenate([b[1] for b in blocks])
    survey_day = np.concatenate([b[2] for b in blocks])
    order = np.lexsort((area, survey_day))
    area, wave, survey_day = area[order], wave[order], survey_day[order]
    n = area.size
    hot = geo.role[area] == "hotspot"
    after = wave == "after"
    columns = {"response_id": _ids("CS", n), "area_id": geo.area_id[area], "wave": wave,
               "survey_date": as_datetime64(survey_day)}
    for item in COMMUNITY_ITEMS:
        shares, hotspot_offset = COMMUNITY_BASELINE[item]
        cuts = logit(np.cumsum(shares)[:-1])
        effect = getattr(scenario, f"effect_{item}")
        latent = (area_effect[area] + hotspot_offset * hot + COMMUNITY_TIME_SHIFT * after
                  + effect * (hot & after))
        # Proportional odds: P(level <= j) = expit(cut_j - latent).
        below = expit(cuts[None, :] - latent[:, None])
        level = (rng.random(n)[:, None] > below).sum(axis=1)
        missing = rng.random(n) < 0.03
        columns[item] = pl.Series(item, AGREE[level]).set(pl.Series(missing), None)
    return pl.DataFrame(columns)


def day_iso(text: str) -> int:
    return int(np.datetime64(text, "D").astype("int64"))


def community_truth(scenario: Scenario) -> dict:
    return {
        "model": "proportional odds: P(level <= j) = expit(cut_j - latent), latent = area effect "
                 "+ hotspot offset * hotspot + time shift * after + effect * hotspot * after; "
                 "levels strongly_disagree..strongly_agree",
        "effect_hotspot_after_log_odds": {item: getattr(scenario, f"effect_{item}")
                                          for item in COMMUNITY_ITEMS},
        "common_time_shift_log_odds": COMMUNITY_TIME_SHIFT,
        "baseline_shares": {item: list(v[0]) for item, v in COMMUNITY_BASELINE.items()},
        "hotspot_offset_log_odds": {item: v[1] for item, v in COMMUNITY_BASELINE.items()},
        "waves": {w: list(v) for w, v in COMMUNITY_WAVES.items()},
    }
