"""Restricted mean survival time (RMST) to a horizon tau, with its Greenwood-type standard error.

The RMST is the area under the Kaplan–Meier curve from 0 to tau: the mean number of days, out
of the first tau, lived without the event. The estimate comes from lifelines; the variance is
computed here because lifelines' ``restricted_mean_survival_time(..., return_variance=True)``
returns the variance of min(T, tau) in the population, not the sampling variance of the
estimate (lifelines issue 1682). The variance used is

    Var(RMST) = sum over times t_j <= tau of A_j**2 * d_j / (n_j * (n_j - d_j)),
    A_j = integral of S(u) du from t_j to tau,

with n_j at risk and d_j events at t_j (terms with n_j = d_j are 0). This is exactly what R's
``survival`` prints as ``se(rmean)`` (``survival:::survmean``, survival 3.5): no n/(n - 1) or
other small-sample factor is applied, by R or here, so the two agree to rounding.

Example
-------
>>> round(rmst([2, 3, 3, 5, 8], [1, 1, 0, 1, 0], tau=6).estimate, 6)
4.3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from numpy.typing import ArrayLike
from scipy import stats

TIDY_SCHEMA = {"term": pl.String, "estimate": pl.Float64, "std_error": pl.Float64, "ci_lower": pl.Float64,
               "ci_upper": pl.Float64, "p_value": pl.Float64}


@dataclass(frozen=True)
class RmstResult:
    """RMST to ``tau`` for one group, with a normal-approximation confidence interval."""

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    n: int
    tau: float


def _as_survival_arrays(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.ndim != 1 or t.shape != e.shape:
        raise ValueError(f"time and event must be 1-d and the same length (got {t.shape} and {e.shape})")
    if t.size == 0:
        raise ValueError("no observations: RMST needs at least one time")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time and event must not contain missing values")
    if (t < 0).any():
        raise ValueError("times must be >= 0")
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError("event must be 0 (censored) or 1 (event)")
    return t, e


def rmst(time: ArrayLike, event: ArrayLike, tau: float, *, alpha: float = 0.05) -> RmstResult:
    """Restricted mean survival time to ``tau`` from the Kaplan–Meier curve.

    Parameters
    ----------
    time, event : array-like
        Follow-up time (e.g. days) and 1 for an event, 0 for censored.
    tau : float
        The horizon. Must not lie beyond the last follow-up time unless the curve has already
        reached 0 (past the last time the curve is unknown, and extending it flat is a guess).
    alpha : float
        1 - confidence level of the normal-approximation interval.

    Returns
    -------
    RmstResult
        Estimate, standard error (formula in the module docstring), CI, n and tau.
    """
    t, e = _as_survival_arrays(time, event)
    if not tau > 0:
        raise ValueError(f"tau must be > 0 (got {tau})")
    kmf = KaplanMeierFitter().fit(t, e)
    table = kmf.event_table
    times = table.index.to_numpy(dtype=float)
    surv = np.asarray(kmf.predict(times), dtype=float)
    if tau > times[-1] and surv[-1] > 0:
        raise ValueError(f"tau = {tau:g} is beyond the last follow-up time ({times[-1]:g}) while the curve is "
                         f"still above 0: choose tau no later than {times[-1]:g}")
    estimate = float(restricted_mean_survival_time(kmf, t=tau))

    keep = times <= tau
    at_risk = table["at_risk"].to_numpy(dtype=float)[keep]
    events = table["observed"].to_numpy(dtype=float)[keep]
    widths = np.diff(np.append(times[keep], tau))
    area_after = np.cumsum((surv[keep] * widths)[::-1])[::-1]  # A_j = integral from t_j to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_var = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
    std_error = float(np.sqrt(np.sum(area_after**2 * hazard_var)))

    z = float(stats.norm.ppf(1 - alpha / 2))
    return RmstResult(estimate=estimate, std_error=std_error, ci_lower=estimate - z * std_error,
                      ci_upper=estimate + z * std_error, n=int(t.size), tau=float(tau))


def rmst_difference(time: ArrayLike, event: ArrayLike, group: ArrayLike, tau: float, *, reference: str,
                    alpha: float = 0.05) -> pl.DataFrame:
    """RMST per group, and each group against ``reference``: difference and ratio.

    Groups are independent, so Var(difference) = Var1 + Var0. The ratio's interval and p-value
    come from the log scale (SE of log ratio = sqrt(Var1 / RMST1**2 + Var0 / RMST0**2)); its
    ``std_error`` is the delta-method SE of the ratio itself (ratio * SE of log ratio).

    Parameters
    ----------
    time, event, group : array-like
        One entry per person; ``group`` holds the group labels.
    tau : float
        Horizon (see :func:`rmst`).
    reference : str
        The group the others are compared with.
    alpha : float
        1 - confidence level.

    Returns
    -------
    polars.DataFrame
        Tidy table ``term, estimate, std_error, ci_lower, ci_upper, p_value`` with rows
        ``rmst: G`` (reference first; no p-value), then for each other group G
        ``difference: G - REF`` (days) and ``ratio: G / REF``.
    """
    t, e = _as_survival_arrays(time, event)
    g = np.asarray(group, dtype=object).astype(str)
    if g.shape != t.shape:
        raise ValueError(f"group must have one entry per time (got {g.shape[0]} and {t.shape[0]})")
    levels = sorted(set(g))
    if reference not in levels:
        raise ValueError(f"reference group {reference!r} not found; groups are {levels}")
    others = [level for level in levels if level != reference]
    if not others:
        raise ValueError("rmst_difference needs at least two groups")
    fits = {level: rmst(t[g == level], e[g == level], tau, alpha=alpha) for level in [reference, *others]}

    z = float(stats.norm.ppf(1 - alpha / 2))
    rows = [(f"rmst: {level}", r.estimate, r.std_error, r.ci_lower, r.ci_upper, None) for level, r in fits.items()]
    ref = fits[reference]
    for level in others:
        r = fits[level]
        diff = r.estimate - ref.estimate
        se = float(np.hypot(r.std_error, ref.std_error))
        rows.append((f"difference: {level} - {reference}", diff, se, diff - z * se, diff + z * se,
                     float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else None))
        ratio = r.estimate / ref.estimate
        se_log = float(np.hypot(r.std_error / r.estimate, ref.std_error / ref.estimate))
        rows.append((f"ratio: {level} / {reference}", ratio, ratio * se_log, ratio * np.exp(-z * se_log),
                     ratio * np.exp(z * se_log),
                     float(2 * stats.norm.sf(abs(np.log(ratio)) / se_log)) if se_log > 0 else None))
    return pl.DataFrame(rows, schema=TIDY_SCHEMA, orient="row")
