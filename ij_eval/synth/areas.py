"""Analysis areas (hotspots, their buffers, comparison areas) and their monthly ASB counts.

Counts are gamma-Poisson: ``count ~ Poisson(mu * g)``, ``g ~ Gamma(shape, 1/shape)``, with

``log mu = log(population / 1000) + log(base rate of the role) + area effect
          + trend * years since the series start + seasonality (two harmonics, July peak)
          + log(rate ratio) * [month >= the hotspot's intervention start]``

The rate ratio is the scenario's hotspot ratio in hotspots, its buffer ratio in the buffer
around each hotspot (from the parent's start), and 1 in comparison areas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ij_eval.synth.scenarios import Scenario
from ij_eval.synth.timeline import (
    as_datetime64,
    day,
    month_index,
    month_label,
    month_start_day,
    to_date,
)

#: Monthly ASB incidents per 1,000 residents before any change, by role (assumed).
BASE_RATE_PER_1000 = {"hotspot": 4.0, "buffer": 1.6, "comparison": 3.6}
AREA_EFFECT_SD = 0.25
POPULATION_GROWTH_PER_YEAR = 0.005
LSOA_CODES_AVAILABLE = 34_000  # E01000001 ... E01034000
FORCE_LSOAS_PER_SCALE = 1_700  # a Midlands-sized force has about 1,700 LSOAs

_PLACES = ("town centre", "bus station", "retail park", "canal towpath", "park and play area",
           "high street", "shopping precinct", "recreation ground", "market square",
           "estate shops", "railway station", "leisure centre")
_ROLES = ("hotspot", "buffer", "comparison")


@dataclass(frozen=True)
class Geography:
    """Areas as parallel arrays (hotspots, then buffers in the same order, then comparisons)."""

    area_id: np.ndarray
    name: np.ndarray
    role: np.ndarray
    parent: np.ndarray  # parent hotspot's area_id for buffers, "" otherwise
    lsoa_start: np.ndarray  # area k owns lsoas[lsoa_start[k]:lsoa_start[k + 1]]
    lsoas: np.ndarray  # LSOA codes of all areas, area by area
    population: np.ndarray  # at the scheme start
    start_day: np.ndarray  # intervention start (days since epoch) for hotspots, -1 otherwise
    area_effect: np.ndarray  # the true log-rate deviation of each area
    pool: np.ndarray  # force LSOAs in no analysis area

    def members(self, role: str) -> np.ndarray:
        return np.flatnonzero(self.role == role)

    def lsoas_of(self, role: str) -> tuple[np.ndarray, np.ndarray]:
        """LSOA codes of every area with ``role``, and the index of the area each belongs to."""
        idx = self.members(role)
        counts = self.lsoa_start[idx + 1] - self.lsoa_start[idx]
        owner = np.repeat(idx, counts)
        pos = np.concatenate([np.arange(self.lsoa_start[i], self.lsoa_start[i + 1]) for i in idx])
        return self.lsoas[pos], owner


def _lsoa_code(numbers: np.ndarray) -> np.ndarray:
    return np.char.add("E01", np.char.zfill(numbers.astype(str), 6))


def make_geography(rng: np.random.Generator, scenario: Scenario, scale: int) -> Geography:
    n_hot = scenario.hotspots * scale
    n_cmp = scenario.comparison_areas * scale
    role = np.array(["hotspot"] * n_hot + ["buffer"] * n_hot + ["comparison"] * n_cmp)
    n = role.size
    width = max(2, len(str(max(n_hot, n_cmp))))
    seq_hot = np.char.zfill((np.arange(n_hot) + 1).astype(str), width)
    seq_cmp = np.char.zfill((np.arange(n_cmp) + 1).astype(str), width)
    area_id = np.concatenate([np.char.add("HS", seq_hot), np.char.add("BF", seq_hot),
                              np.char.add("CA", seq_cmp)])
    place_hot = np.array(_PLACES)[rng.integers(0, len(_PLACES), n_hot)]
    place_cmp = np.array(_PLACES)[rng.integers(0, len(_PLACES), n_cmp)]
    hot_names = np.char.add(np.char.add(np.char.add("Hotspot ", seq_hot), ": "), place_hot)
    name = np.concatenate([hot_names, np.char.add("Buffer around ", hot_names),
                           np.char.add(np.char.add(np.char.add("Comparison area ", seq_cmp), ": "),
                                       place_cmp)])
    parent = np.concatenate([np.full(n_hot, ""), area_id[:n_hot], np.full(n_cmp, "")])

    sizes = np.where(role == "buffer", rng.integers(4, 9, n), rng.integers(3, 6, n))
    lsoa_start = np.concatenate([[0], np.cumsum(sizes)])
    n_area_lsoas = int(lsoa_start[-1])
    n_force = min(max(FORCE_LSOAS_PER_SCALE * scale, 2 * n_area_lsoas), LSOA_CODES_AVAILABLE)
    numbers = rng.choice(LSOA_CODES_AVAILABLE, size=n_force, replace=False) + 1
    codes = _lsoa_code(numbers)
    lsoas, pool = codes[:n_area_lsoas], np.sort(codes[n_area_lsoas:])
    lsoa_pop = rng.integers(1_200, 2_400, n_area_lsoas)
    population = np.add.reduceat(lsoa_pop, lsoa_start[:-1])

    # Staggered starts: first of each month from the scheme start, spread evenly over 7 months.
    first_month = month_index(np.array([day(scenario.scheme_start)]))[0]
    offsets = (np.arange(n_hot) * 7) // max(n_hot, 1)
    start_day = np.full(n, -1, dtype="int64")
    start_day[:n_hot] = month_start_day(first_month + offsets)
    area_effect = rng.normal(0.0, AREA_EFFECT_SD, n)
    return Geography(area_id, name, role, parent, lsoa_start, lsoas, population, start_day,
                     area_effect, pool)


def areas_frame(geo: Geography) -> pl.DataFrame:
    lsoa_lists = [";".join(geo.lsoas[geo.lsoa_start[k]:geo.lsoa_start[k + 1]])
                  for k in range(geo.area_id.size)]
    start = as_datetime64(np.where(geo.start_day >= 0, geo.start_day, 0))
    return pl.DataFrame({
        "area_id": geo.area_id,
        "name": geo.name,
        "role": geo.role,
        "parent_hotspot": pl.Series(geo.parent).replace("", None),
        "lsoa_codes": lsoa_lists,
        "population": geo.population.astype("int64"),
        "intervention_start": pl.Series(start).set(pl.Series(geo.start_day < 0), None),
    })


def season(calendar_month: np.ndarray, scenario: Scenario) -> np.ndarray:
    """The true log seasonal term for calendar months 1..12 (peak in July)."""
    angle = 2 * np.pi * (calendar_month - 7) / 12
    return scenario.seasonal_amplitude * np.cos(angle) + scenario.seasonal_amplitude_2 * np.cos(2 * angle)


def asb_counts_frame(rng: np.random.Generator, geo: Geography, scenario: Scenario) -> pl.DataFrame:
    first = month_index(np.array([day(scenario.asb_series_start)]))[0]
    last = month_index(np.array([day(scenario.extract_date)]))[0]
    months = np.arange(first, last + 1)
    n_area, n_month = geo.area_id.size, months.size
    scheme_month = month_index(np.array([day(scenario.scheme_start)]))[0]
    years = (months - first) / 12.0
    pop = np.rint(geo.population[:, None]
                  * np.exp(POPULATION_GROWTH_PER_YEAR * (months[None, :] - scheme_month) / 12.0))
    base = np.array([BASE_RATE_PER_1000[r] for r in geo.role])
    # Each buffer takes its parent's start; comparison areas never change.
    n_hot = int((geo.role == "hotspot").sum())
    start = geo.start_day.copy()
    start[n_hot:2 * n_hot] = geo.start_day[:n_hot]
    start_month = np.where(start >= 0, month_index(np.maximum(start, 0)), np.iinfo("int64").max)
    post = months[None, :] >= start_month[:, None]
    log_rr = np.select([geo.role == "hotspot", geo.role == "buffer"],
                       [np.log(scenario.rate_ratio_hotspot), np.log(scenario.rate_ratio_buffer)], 0.0)
    log_mu = (np.log(pop / 1000.0) + np.log(base)[:, None] + geo.area_effect[:, None]
              + scenario.asb_trend_per_year * years[None, :]
              + season(months % 12 + 1, scenario)[None, :]
              + log_rr[:, None] * post)
    k = scenario.overdispersion_shape
    mu = np.exp(log_mu) * rng.gamma(k, 1.0 / k, size=(n_area, n_month))
    counts = rng.poisson(mu)
    return pl.DataFrame({
        "area_id": np.repeat(geo.area_id, n_month),
        "period": np.tile(month_label(months), n_area),
        "count": counts.ravel().astype("int64"),
        "population": pop.ravel().astype("int64"),
    })


def hotspot_truth(geo: Geography, scenario: Scenario) -> dict:
    return {
        "model": "count ~ Poisson(mu * g), g ~ Gamma(shape, 1/shape); log mu = log(population/1000) "
                 "+ log(base_rate[role]) + area_effect + trend_per_year * (months since series "
                 "start)/12 + a1*cos(2*pi*(m-7)/12) + a2*cos(4*pi*(m-7)/12) + log(rate_ratio[role]) "
                 "* [period >= intervention month] (buffers use their parent hotspot's start)",
        "rate_ratio": {"hotspot": scenario.rate_ratio_hotspot, "buffer": scenario.rate_ratio_buffer,
                       "comparison": 1.0},
        "base_rate_per_1000_per_month": dict(BASE_RATE_PER_1000),
        "trend_per_year": scenario.asb_trend_per_year,
        "seasonal_amplitude_harmonic_1": scenario.seasonal_amplitude,
        "seasonal_amplitude_harmonic_2": scenario.seasonal_amplitude_2,
        "seasonal_peak_month": 7,
        "overdispersion_gamma_shape": scenario.overdispersion_shape,
        "series_start": scenario.asb_series_start.isoformat(),
        "area_effect": {a: round(float(e), 6) for a, e in zip(geo.area_id, geo.area_effect, strict=True)},
        "intervention_start": {a: to_date(s).isoformat()
                               for a, s in zip(geo.area_id, geo.start_day, strict=True) if s >= 0},
    }
