"""E-values: how strong unmeasured confounding would have to be to explain an effect away.

The E-value (VanderWeele & Ding 2017, Annals of Internal Medicine 167:268) is the minimum
strength of association, on the risk-ratio scale, that an unmeasured confounder would need with
both the exposure and the outcome, above and beyond the measured covariates, to fully explain
away an observed risk ratio RR:

    E = RR + sqrt(RR * (RR - 1))          for RR >= 1 (use 1 / RR for RR < 1).

For the confidence interval the same formula is applied to the limit closest to 1; if the
interval already includes 1 its E-value is 1.

A hazard ratio is a risk ratio only when the outcome is rare. For a common outcome (more than
15% with the outcome by the end of follow-up, as reoffending usually is) it is first converted
with RR = (1 - 0.5**sqrt(HR)) / (1 - 0.5**sqrt(1 / HR)) (VanderWeele 2020, Biometrics 76:746).

Example
-------
>>> round(evalue_risk_ratio(3.9, 1.8, 8.7).point, 2)
7.26
"""

from __future__ import annotations

import math
from dataclasses import dataclass

COMMON_OUTCOME = 0.15  # above this proportion with the outcome, a hazard ratio is converted before use


@dataclass(frozen=True)
class EValue:
    """E-values for a point estimate and its confidence interval, with the sentence to report."""

    measure: str  # what the estimate is, e.g. "risk ratio" or "hazard ratio"
    estimate: float  # the estimate as given
    risk_ratio: float  # the estimate on the risk-ratio scale (converted for a common-outcome hazard ratio)
    point: float  # E-value for the point estimate
    ci: float | None  # E-value for the confidence limit closest to 1 (1.0 if the interval includes 1)
    interpretation: str


def evalue(risk_ratio: float) -> float:
    """E-value for one risk ratio (protective ratios are inverted first); 1 for a ratio of 1."""
    if not risk_ratio > 0 or not math.isfinite(risk_ratio):
        raise ValueError(f"a risk ratio must be a positive number (got {risk_ratio})")
    rr = risk_ratio if risk_ratio >= 1 else 1 / risk_ratio
    return rr + math.sqrt(rr * (rr - 1))


def hazard_to_risk_ratio(hazard_ratio: float) -> float:
    """Approximate risk ratio for a hazard ratio when the outcome is common (VanderWeele 2020)."""
    if not hazard_ratio > 0 or not math.isfinite(hazard_ratio):
        raise ValueError(f"a hazard ratio must be a positive number (got {hazard_ratio})")
    return (1 - 0.5 ** math.sqrt(hazard_ratio)) / (1 - 0.5 ** math.sqrt(1 / hazard_ratio))


def _check_limits(estimate: float, lower: float | None, upper: float | None) -> None:
    if (lower is None) != (upper is None):
        raise ValueError("give both confidence limits, or neither")
    if lower is not None and not 0 < lower <= estimate <= upper:
        raise ValueError(f"confidence limits must satisfy 0 < lower <= estimate <= upper "
                         f"(got {lower}, {estimate}, {upper})")


def _ci_evalue(rr: float, lower: float | None, upper: float | None) -> float | None:
    """E-value for the limit closest to 1 (limits on the risk-ratio scale, already checked)."""
    if lower is None or upper is None:
        return None
    if lower <= 1 <= upper:
        return 1.0
    return evalue(lower if rr > 1 else upper)


def _sentence(measure: str, estimate: float, point: float, ci: float | None, note: str = "") -> str:
    text = (f"To explain away the observed {measure} of {estimate:.3g}, an unmeasured confounder would need to be "
            f"associated with both the exposure and the outcome by a risk ratio of at least {point:.2f} each, "
            f"above and beyond the measured covariates")
    if ci == 1.0:
        text += "; the confidence interval already includes no effect, so no confounding is needed to move it"
    elif ci is not None:
        text += f"; to move the confidence interval to include no effect, a risk ratio of at least {ci:.2f} each"
    return text + (f" ({note})" if note else "") + "."


def evalue_risk_ratio(estimate: float, ci_lower: float | None = None, ci_upper: float | None = None) -> EValue:
    """E-values for a risk ratio and (optionally) its confidence interval.

    Parameters
    ----------
    estimate : float
        The risk ratio (> 0); below 1 is protective.
    ci_lower, ci_upper : float, optional
        Its confidence limits: both or neither.

    Examples
    --------
    >>> e = evalue_risk_ratio(0.80)
    >>> round(e.point, 2)
    1.81
    """
    _check_limits(estimate, ci_lower, ci_upper)
    point = evalue(estimate)
    ci = _ci_evalue(estimate, ci_lower, ci_upper)
    return EValue("risk ratio", estimate, estimate, point, ci, _sentence("risk ratio", estimate, point, ci))


def evalue_hazard_ratio(estimate: float, ci_lower: float | None = None, ci_upper: float | None = None, *,
                        outcome_proportion: float) -> EValue:
    """E-values for a hazard ratio, converted to a risk ratio first if the outcome is common.

    Parameters
    ----------
    estimate : float
        The hazard ratio (> 0).
    ci_lower, ci_upper : float, optional
        Its confidence limits: both or neither.
    outcome_proportion : float
        Proportion of people with the outcome by the end of follow-up (e.g. the comparison
        group's reoffending proportion). Above 0.15 the outcome counts as common and the hazard
        ratio and its limits are converted with :func:`hazard_to_risk_ratio`; otherwise the
        hazard ratio is used as a risk ratio.
    """
    if not 0 <= outcome_proportion <= 1:
        raise ValueError(f"outcome_proportion must be between 0 and 1 (got {outcome_proportion})")
    _check_limits(estimate, ci_lower, ci_upper)
    common = outcome_proportion > COMMON_OUTCOME
    convert = hazard_to_risk_ratio if common else float
    rr = convert(estimate)
    point = evalue(rr)
    ci = None if ci_lower is None else _ci_evalue(rr, convert(ci_lower), convert(ci_upper))
    note = (f"the outcome is common, {outcome_proportion:.0%}, so the hazard ratio was first converted to a risk "
            f"ratio of {rr:.3g}") if common else ""
    return EValue("hazard ratio", estimate, rr, point, ci, _sentence("hazard ratio", estimate, point, ci, note))
