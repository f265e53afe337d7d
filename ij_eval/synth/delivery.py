"""Delivery tables: reparation placements and the scheme's cost lines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ij_eval.synth.areas import Geography
from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import as_datetime64, day

ACTIVITIES = (("litter_picking", 0.30), ("graffiti_removal", 0.15), ("allotment", 0.10),
              ("food_bank", 0.10), ("play_area_repair", 0.10), ("community_garden", 0.15),
              ("painting_decorating", 0.10))
SUGGESTED_BY = ("councillor", "community_group", "council", "police", "partner", "other")
_ACTIVITY_TEXT = {"litter_picking": "Litter picking", "graffiti_removal": "Graffiti removal",
                  "allotment": "Allotment", "food_bank": "Food bank",
                  "play_area_repair": "Play area repair", "community_garden": "Community garden",
                  "painting_decorating": "Painting and decorating"}


def placement_weights(rng: np.random.Generator, scenario: Scenario, scale: int) -> np.ndarray:
    """How much of the work each placement takes (some sites are used far more than others)."""
    return rng.gamma(2.0, 1.0, scenario.placements * scale)


def placements_frame(rng: np.random.Generator, scenario: Scenario, geo: Geography,
                     hours_by_placement: np.ndarray) -> pl.DataFrame:
    n = hours_by_placement.size
    labels = np.array([a for a, _ in ACTIVITIES])
    probs = np.array([p for _, p in ACTIVITIES])
    activity = labels[rng.choice(labels.size, size=n, p=probs / probs.sum())]
    w = np.array(scenario.suggested_by_weights, dtype=float)
    suggested = np.array(SUGGESTED_BY)[rng.choice(w.size, size=n, p=w / w.sum())]
    # Sites sit mostly in hotspots, some in buffers, a few elsewhere in the force.
    hot, hot_owner = geo.lsoas_of("hotspot")
    buf, buf_owner = geo.lsoas_of("buffer")
    u = rng.random(n)
    i_hot, i_buf = rng.integers(0, hot.size, n), rng.integers(0, buf.size, n)
    area_code = np.where(u < 0.7, hot[i_hot], np.where(u < 0.9, buf[i_buf],
                                                       geo.pool[rng.integers(0, geo.pool.size, n)]))
    where = np.where(u < 0.7, geo.name[hot_owner[i_hot]],
                     np.where(u < 0.9, geo.name[buf_owner[i_buf]], "elsewhere in the force"))
    number = (np.arange(n) + 1).astype(str)
    site = np.char.add(np.char.add(np.char.add(np.char.add(
        np.array([_ACTIVITY_TEXT[a] for a in activity]), " site "), number), ", "), where)
    width = max(3, len(str(n)))
    return pl.DataFrame({
        "placement_id": np.char.add("PL", np.char.zfill(number, width)),
        "site": site,
        "area_code": area_code,
        "activity": activity,
        "suggested_by": suggested,
        "hours_delivered": hours_by_placement.astype("int64"),
    })


# (item, category, share of Home Office funding per year or GBP a year, in_kind, funder, cadence)
# Home Office lines add to the scenario's funding; others are fixed shares of it.
_COST_LINES = (
    ("Internal team: IJ co-ordinator", "staff", 0.100, False, "Home Office", "quarter"),
    ("Internal team: case officer 1", "staff", 0.072, False, "Home Office", "quarter"),
    ("Internal team: case officer 2", "staff", 0.072, False, "Home Office", "quarter"),
    ("Internal team: data and performance analyst", "staff", 0.076, False, "Home Office", "quarter"),
    ("Partner charity contract (11 caseworkers, 2 co-ordinators, 1 manager)", "partner_contract",
     0.580, False, "Home Office", "quarter"),
    ("Van lease and fuel", "transport", 0.028, False, "Home Office", "quarter"),
    ("Workshop venue hire", "venue", 0.012, False, "Home Office", "quarter"),
    ("Tools and protective equipment", "equipment", 0.024, False, "Home Office", "year"),
    ("Training: restorative justice and safeguarding", "training", 0.016, False, "Home Office", "year"),
    ("Local evaluation", "evaluation", 0.020, False, "Home Office", "year"),
    ("Force overheads (IT, premises, vetting)", "overheads", 0.040, False, "PCC", "year"),
    ("Seconded officer time (hotspot patrols)", "staff", 0.090, True, "PCC", "quarter"),
    ("Waste disposal and materials", "other", 0.012, True, "council", "quarter"),
)


def _periods(start: dt.date, end: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    out, cur = [], start
    while cur <= end:
        y, m = divmod(cur.month - 1 + months, 12)
        nxt = dt.date(cur.year + y, m + 1, 1)
        out.append((cur, min(nxt - dt.timedelta(days=1), end)))
        cur = nxt
    return out


def costs_frame(rng: np.random.Generator, scenario: Scenario, scale: int) -> pl.DataFrame:
    years = (day(scenario.extract_date) - day(scenario.scheme_start) + 1) / 365.25
    per_year = scenario.home_office_funding_gbp * scale / years
    rows = []
    for item, category, share, in_kind, funder, cadence in _COST_LINES:
        periods = _periods(scenario.scheme_start, scenario.extract_date, 3 if cadence == "quarter" else 12)
        for start, end in periods:
            fraction = ((end - start).days + 1) / 365.25
            rows.append((item, category, share * per_year * fraction, in_kind, start, end, funder))
    noise = rng.normal(1.0, 0.03, len(rows))
    # Contract and Home Office lines are agreed sums; others vary a little.
    amount = np.array([r[2] * (1.0 if r[6] == "Home Office" else noise[i]) for i, r in enumerate(rows)])
    return pl.DataFrame({
        "item": [r[0] for r in rows],
        "category": [r[1] for r in rows],
        "amount_gbp": np.char.mod("%.2f", np.round(amount, 2)),
        "in_kind": [r[3] for r in rows],
        "period_start": as_datetime64(np.array([day(r[4]) for r in rows])),
        "period_end": as_datetime64(np.array([day(r[5]) for r in rows])),
        "funder": [r[6] for r in rows],
    })
