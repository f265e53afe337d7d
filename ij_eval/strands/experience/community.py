"""Community confidence: change in the % agreeing before and after, hotspots against comparison areas.

For each item, the difference in differences of proportions

    DiD = (p_hotspot,after - p_hotspot,before) - (p_comparison,after - p_comparison,before)

in percentage points. Its standard error is the delta method for independent samples, which for
this linear contrast is exact: SE^2 = sum over the four cells of p(1 - p) / n, with a normal 95%
interval. Respondents in one area share that area, so the strand also gives a cluster bootstrap
interval that resamples areas (with replacement, within hotspots and within comparison areas,
each area keeping both waves): the percentile interval of the DiD over the resamples. Where the
two intervals differ, the bootstrap one is the more honest. Buffer areas are left out. A DiD is
not estimated when one of the four cells has fewer than 30 answers, or fewer than the disclosure
threshold agreeing or not agreeing (its share would be hidden, and the DiD would give it back).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.stats import norm

from ij_eval.strands.experience.likert import CAUTION_BASE, Item, coded, wilson

ROLES = ("hotspot", "comparison")
WAVES = ("before", "after")
CELL_SCHEMA = {"item": pl.String, "role": pl.String, "wave": pl.String, "n": pl.Int64, "agree": pl.Int64,
               "pct": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64}
DID_SCHEMA = {"item": pl.String, "estimate": pl.Float64, "std_error": pl.Float64, "ci_lower": pl.Float64,
              "ci_upper": pl.Float64, "p_value": pl.Float64, "boot_ci_lower": pl.Float64,
              "boot_ci_upper": pl.Float64, "areas_hotspot": pl.Int64, "areas_comparison": pl.Int64,
              "note": pl.String}


def did_of_proportions(cells: dict[tuple[str, str], tuple[int, int]]) -> tuple[float, float]:
    """(DiD, delta-method standard error) from ``{(role, wave): (agree, n)}`` for the four cells."""
    p = {k: a / n for k, (a, n) in cells.items()}
    did = (p["hotspot", "after"] - p["hotspot", "before"]) - (p["comparison", "after"] - p["comparison", "before"])
    var = sum(p[k] * (1 - p[k]) / cells[k][1] for k in cells)
    return did, math.sqrt(var)


def _boot(frame: pl.DataFrame, reps: int, seed: int) -> tuple[float | None, float | None]:
    """Percentile interval of the DiD over area resamples (within role). ``frame``: area_id, role, wave, agree."""
    per = frame.group_by("area_id", "role", "wave").agg(a=pl.col("agree").sum(), n=pl.len())
    areas = {r: sorted(per.filter(pl.col("role") == r)["area_id"].unique().to_list()) for r in ROLES}
    if any(len(a) < 2 for a in areas.values()):
        return None, None
    cell = {(a, w): (0, 0) for r in ROLES for a in areas[r] for w in WAVES}
    for a, _, w, k, n in per.iter_rows():
        cell[a, w] = (k, n)
    rng = np.random.default_rng(seed)
    # per role: an array of area x wave x (agree, answered)
    arr = {r: np.array([[cell[a, w] for w in WAVES] for a in areas[r]], dtype=float) for r in ROLES}
    out = []
    for _ in range(reps):
        change = {}
        for r in ROLES:
            pick = arr[r][rng.integers(0, len(areas[r]), len(areas[r]))].sum(axis=0)
            if (pick[:, 1] == 0).any():
                break
            change[r] = pick[1, 0] / pick[1, 1] - pick[0, 0] / pick[0, 1]
        else:
            out.append(change["hotspot"] - change["comparison"])
    if len(out) < reps // 2:
        return None, None
    lo, hi = np.percentile(out, [2.5, 97.5])
    return float(lo), float(hi)


def community(survey: pl.DataFrame, areas: pl.DataFrame, items: tuple[Item, ...], *, threshold: int = 10,
              reps: int = 2000, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(cells: item x role x wave with the % agreeing, DiD per item, notes)."""
    notes: list[str] = []
    frame = survey.join(areas.select("area_id", "role"), on="area_id", how="left")
    dropped = frame.filter(~pl.col("role").is_in(list(ROLES)) | pl.col("role").is_null()).height
    frame = frame.filter(pl.col("role").is_in(list(ROLES)))
    if dropped:
        notes.append(f"Community survey: {dropped:,} responses from buffer or unplaced areas are left out of the "
                     "hotspot-against-comparison analysis.")
    cells, dids = [], []
    z = float(norm.ppf(0.975))
    for item in items:
        if item.column not in frame.columns:
            continue
        codes = coded(frame, item)
        agree = codes.is_in([item.levels.index(t) + 1 for t in item.top]).fill_null(False)
        work = frame.select("area_id", "role", "wave").with_columns(agree=agree.cast(pl.Int64),
                                                                   answered=codes.is_not_null())
        work = work.filter(pl.col("answered"))
        counts = {}
        for r in ROLES:
            for w in WAVES:
                part = work.filter((pl.col("role") == r) & (pl.col("wave") == w))
                k, n = int(part["agree"].sum()), part.height
                counts[r, w] = (k, n)
                lo, hi = wilson(k, n)
                cells.append((item.column, r, w, n, k, k / n if n else None, lo, hi))
        n_areas = {r: work.filter(pl.col("role") == r)["area_id"].n_unique() for r in ROLES}
        why = ""
        if min(n for _, n in counts.values()) < CAUTION_BASE:
            why = f"not estimated: a group has fewer than {CAUTION_BASE} answers"
        elif min(min(k, n - k) for k, n in counts.values()) < threshold:
            why = "not estimated: too few people agreed, or disagreed, in a group to publish its share"
        if why:
            dids.append((item.column, None, None, None, None, None, None, None, n_areas["hotspot"],
                         n_areas["comparison"], why))
            continue
        est, se = did_of_proportions(counts)
        p = float(2 * norm.sf(abs(est) / se)) if se > 0 else None
        blo, bhi = _boot(work, reps, seed)
        dids.append((item.column, est, se, est - z * se, est + z * se, p, blo, bhi, n_areas["hotspot"],
                     n_areas["comparison"], ""))
    return (pl.DataFrame(cells, schema=CELL_SCHEMA, orient="row"),
            pl.DataFrame(dids, schema=DID_SCHEMA, orient="row"), notes)
