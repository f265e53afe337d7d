"""Minimum detectable difference (MDD) in a fixed-window proportion between two groups.

For groups of n1 (e.g. IJ) and n2 (comparison) people and a baseline proportion p0 in the
comparison group, the smallest Cohen's h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)) that a two-sided
test at level alpha detects with the given power is solved with statsmodels' ``NormalIndPower``
(normal approximation on the arcsine scale). h is mapped back to the proportions p1 below and
above p0; the MDD is |p1 - p0| in percentage points, so a fall and a rise differ slightly.

Example
-------
>>> mdd = minimum_detectable_difference(500, 500, 0.30)
>>> round(mdd.decrease_pp, 1), round(mdd.increase_pp, 1)
(7.8, 8.4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import NormalIndPower


@dataclass(frozen=True)
class DetectableDifference:
    """What a two-group comparison of a proportion can detect."""

    n_treated: int
    n_comparison: int
    baseline: float  # comparison-group proportion
    power: float
    alpha: float
    cohens_h: float  # the detectable effect size on the arcsine scale
    detectable_decrease: float | None  # treated-group proportion at the MDD below baseline (None: below 0)
    detectable_increase: float | None  # ... above baseline (None: above 1)
    decrease_pp: float | None  # MDD for a fall, in percentage points (positive)
    increase_pp: float | None  # MDD for a rise, in percentage points (positive)

    def describe(self) -> str:
        """One sentence for the report."""
        if self.decrease_pp is None:
            fall = "no fall can be detected"
        else:
            fall = f"a fall of {self.decrease_pp:.1f} percentage points (to {self.detectable_decrease:.1%})"
        return (f"With {self.n_treated:,} and {self.n_comparison:,} people and a comparison-group proportion of "
                f"{self.baseline:.1%}, the smallest difference detectable with {self.power:.0%} power at the "
                f"{self.alpha:.0%} level (two-sided) is {fall}, or a rise of "
                + ("any size" if self.increase_pp is None else f"{self.increase_pp:.1f} percentage points") + ".")


def minimum_detectable_difference(n_treated: int, n_comparison: int, baseline: float, *, power: float = 0.80,
                                  alpha: float = 0.05) -> DetectableDifference:
    """Smallest difference in a proportion detectable between two groups.

    Parameters
    ----------
    n_treated, n_comparison : int
        Group sizes.
    baseline : float
        Proportion with the outcome in the comparison group, strictly between 0 and 1.
    power, alpha : float
        Power and two-sided significance level.
    """
    if n_treated < 1 or n_comparison < 1:
        raise ValueError(f"both groups need at least one person (got {n_treated} and {n_comparison})")
    if not 0 < baseline < 1:
        raise ValueError(f"baseline must be strictly between 0 and 1 (got {baseline})")
    h = float(NormalIndPower().solve_power(effect_size=None, nobs1=n_treated, alpha=alpha, power=power,
                                           ratio=n_comparison / n_treated, alternative="two-sided"))
    phi0 = math.asin(math.sqrt(baseline))
    down = math.sin(phi0 - h / 2) ** 2 if phi0 - h / 2 >= 0 else None
    up = math.sin(phi0 + h / 2) ** 2 if phi0 + h / 2 <= math.pi / 2 else None
    return DetectableDifference(
        n_treated=n_treated, n_comparison=n_comparison, baseline=baseline, power=power, alpha=alpha, cohens_h=h,
        detectable_decrease=down, detectable_increase=up,
        decrease_pp=None if down is None else 100 * (baseline - down),
        increase_pp=None if up is None else 100 * (up - baseline),
    )
