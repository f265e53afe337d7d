"""Green Book arithmetic: discounting to a base year, present values, NPV, BCR and break-even.

Year 0 is the base year and is not discounted; a flow in year t is divided by (1 + r)^t, with r the
social time preference rate (3.5% for years 0 to 30, HM Treasury Green Book). Every function works
on plain numbers or on numpy arrays of Monte Carlo draws (years on the last axis).
"""

from __future__ import annotations

import numpy as np

STPR = 0.035  # HM Treasury Green Book social time preference rate, years 0-30
STPR_SOURCE = ("HM Treasury, The Green Book (2026): social time preference rate 3.5% real for years 0-30 "
               "(Review of discounting in the Green Book: Terms of Reference, 16 Dec 2025)")


def discount_factors(rate: float, years: int) -> np.ndarray:
    """1 / (1 + rate)^t for t = 0 .. years - 1."""
    return 1.0 / (1.0 + rate) ** np.arange(years)


def present_value(flows, rate: float):
    """Sum over years (the last axis) of each flow discounted to year 0."""
    flows = np.asarray(flows, dtype=float)
    return flows @ discount_factors(rate, flows.shape[-1])


def benefit_cost_ratio(pv_benefits, pv_costs):
    """PV benefits / PV costs (NaN where there are no costs)."""
    pv_costs = np.asarray(pv_costs, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pv_costs > 0, np.asarray(pv_benefits, dtype=float) / np.where(pv_costs > 0, pv_costs, 1),
                        np.nan)


def break_even(pv_costs: float, pv_other_benefits: float, pv_per_unit_effect: float) -> float | None:
    """The effect at which benefits equal costs when benefits = effect x ``pv_per_unit_effect`` + the rest.

    None when the effect earns nothing (``pv_per_unit_effect`` <= 0). A value <= 0 means the other
    benefits cover the costs on their own.
    """
    if not pv_per_unit_effect > 0:
        return None
    return (pv_costs - pv_other_benefits) / pv_per_unit_effect
