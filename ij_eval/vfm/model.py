"""The cost-benefit model: yearly costs and benefit streams, discounted to present values.

What the scheme did is fixed (:class:`Activity`, by appraisal year); everything uncertain is a
parameter. :meth:`Appraisal.evaluate` takes each parameter as a number or as an array of Monte Carlo
draws and returns present values with the same shape, so one call evaluates every draw.

Benefits (each switchable; outcome benefits are scaled by (1 - deadweight) x (1 - attribution)):

- ``reoffending``: people referred x reduction in the reoffending rate x reoffences per reoffender
  x cost of a reoffence, in the year of referral and, when ``effect_years`` > 1, the years after
  with the effect falling by ``drop_off`` a year (an outcome benefit);
- ``officer_time``: cases dealt with out of court x officer hours saved x cost of an hour;
- ``criminal_justice``: cases dealt with out of court x share that replaced a charge x cost of a
  charged case;
- ``reparative_work``: hours completed x value of an hour;
- ``asb_hotspots``: (annual fall in the hotspots - annual rise in their buffer areas, i.e. net of
  displacement) x share of the year counted x cost of an incident (an outcome benefit). A fall in the
  buffers (diffusion of benefit) counts only with ``count_diffusion``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ij_eval.vfm.greenbook import benefit_cost_ratio, break_even, present_value

BENEFIT_LABELS = {
    "reoffending": "Reoffences avoided",
    "officer_time": "Officer time saved on case files",
    "criminal_justice": "Criminal-justice costs avoided",
    "reparative_work": "Value of reparative work",
    "asb_hotspots": "ASB incidents avoided in hotspots, net of displacement",
}
# The parameters each benefit needs, besides those every appraisal uses (GENERAL).
NEEDS = {
    "reoffending": ("reoffending_effect", "reoffences_per_reoffender", "cost_per_reoffence"),
    "officer_time": ("case_file_hours", "officer_cost_per_hour"),
    "criminal_justice": ("charge_replaced_share", "cj_cost_per_case"),
    "reparative_work": ("reparative_wage",),
    "asb_hotspots": ("asb_hotspot_reduction", "asb_buffer_change", "asb_cost_per_incident"),
}
GENERAL = ("optimism_bias", "deadweight", "attribution", "drop_off")
OUTCOMES = ("reoffending", "asb_hotspots")


@dataclass(frozen=True)
class Activity:
    """What the scheme did in each appraisal year (arrays of equal length; year 0 is the base year)."""

    costs: np.ndarray  # £ at the price year, outturn (before optimism bias)
    referrals: np.ndarray  # people referred to IJ (their first referral)
    out_of_court: np.ndarray  # IJ referrals dealt with out of court
    hours: np.ndarray  # hours of reparative work completed
    hotspot_years: np.ndarray  # share of each year the measured hotspot effect is counted for


@dataclass(frozen=True)
class Evaluation:
    """Present values (numbers, or arrays with one value per draw)."""

    pv_costs: np.ndarray
    pv_benefits: Mapping[str, np.ndarray]
    reoffences_avoided: np.ndarray
    costs: np.ndarray  # yearly costs (with optimism bias), for the cash-flow table
    benefits: Mapping[str, np.ndarray]  # yearly benefit streams

    @property
    def pv_total_benefits(self) -> np.ndarray:
        return sum(self.pv_benefits.values(), np.zeros_like(self.pv_costs))

    @property
    def npv(self) -> np.ndarray:
        return self.pv_total_benefits - self.pv_costs

    @property
    def bcr(self) -> np.ndarray:
        return benefit_cost_ratio(self.pv_total_benefits, self.pv_costs)


def _shift(values: np.ndarray, k: int) -> np.ndarray:
    """``values`` moved ``k`` years later (what falls beyond the last year is dropped)."""
    k = min(k, len(values))  # an effect lasting longer than the appraisal falls wholly beyond it
    return np.concatenate([np.zeros(k), values[:len(values) - k]]) if k else values


@dataclass(frozen=True)
class Appraisal:
    activity: Activity
    benefits: tuple[str, ...]  # the benefits valued
    discount_rate: float = 0.035
    effect_years: int = 1
    count_diffusion: bool = False

    @property
    def years(self) -> int:
        return len(self.activity.costs)

    def _exposure(self, drop_off) -> np.ndarray:
        """Person-years of effect in each year: referrals, and the years after at (1 - drop_off)^k."""
        keep = 1 - np.asarray(drop_off, dtype=float)[..., None]
        return sum((keep ** k) * _shift(self.activity.referrals, k) for k in range(self.effect_years))

    def evaluate(self, p: Mapping[str, float | np.ndarray]) -> Evaluation:
        """Present values for parameters ``p`` (numbers, or arrays of draws of equal length)."""
        def v(key: str) -> np.ndarray:
            return np.asarray(p[key], dtype=float)[..., None]  # a trailing axis for the years

        a = self.activity
        outcome_share = (1 - v("deadweight")) * (1 - v("attribution"))
        streams: dict[str, np.ndarray] = {}
        reoffences = np.zeros(np.broadcast_shapes(*(np.shape(x) for x in p.values())) + (1,))
        for benefit in self.benefits:
            if benefit == "reoffending":
                avoided = (v("reoffending_effect") * v("reoffences_per_reoffender") * outcome_share
                           * self._exposure(p["drop_off"]))
                reoffences = avoided.sum(axis=-1, keepdims=True)
                streams[benefit] = avoided * v("cost_per_reoffence")
            elif benefit == "officer_time":
                streams[benefit] = a.out_of_court * v("case_file_hours") * v("officer_cost_per_hour")
            elif benefit == "criminal_justice":
                streams[benefit] = a.out_of_court * v("charge_replaced_share") * v("cj_cost_per_case")
            elif benefit == "reparative_work":
                streams[benefit] = a.hours * v("reparative_wage")
            elif benefit == "asb_hotspots":
                moved = v("asb_buffer_change")
                net = v("asb_hotspot_reduction") - (moved if self.count_diffusion else np.maximum(moved, 0))
                streams[benefit] = a.hotspot_years * net * v("asb_cost_per_incident") * outcome_share
        costs = a.costs * (1 + v("optimism_bias"))
        rate = self.discount_rate
        return Evaluation(present_value(costs, rate), {b: present_value(s, rate) for b, s in streams.items()},
                          reoffences[..., 0], costs, streams)

    def break_even_effect(self, p: Mapping[str, float]) -> float | None:
        """The reduction in the reoffending rate at which benefits equal costs, other parameters at ``p``."""
        if "reoffending" not in self.benefits:
            return None
        per_unit = self.evaluate({**p, "reoffending_effect": 1.0})
        other = float(per_unit.pv_total_benefits - per_unit.pv_benefits["reoffending"])
        return break_even(float(per_unit.pv_costs), other, float(per_unit.pv_benefits["reoffending"]))
