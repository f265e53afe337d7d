"""Time-to-event analysis on a tidy frame: Kaplan–Meier, log-rank tests and the Cox model.

The input is a polars frame with one row per person: ``time`` (days from the index date to the
event or to censoring, integer), ``event`` (1 = event, 0 = censored), ``group`` (text), an
optional ``stratum`` (text) and any covariate columns. Rows with ``time <= 0`` are dropped
(:func:`drop_non_positive_times` says how many). The module knows nothing about referrals.

Libraries do the fitting: lifelines (Kaplan–Meier; Cox with Efron ties) and statsmodels
(log-rank, including the stratified test lifelines lacks). Two Cox quantities are computed here,
because lifelines gives something different from R's ``survival``, the reference:

- robust (sandwich) standard errors: lifelines builds them from Breslow-type score residuals
  (its code notes it "doesn't handle ties") in O(n^2) time; here they use Efron score residuals
  exactly as R's ``coxph(..., robust=TRUE)`` does (survival's ``coxscore2``), in O(n p).
- the proportional-hazards test: lifelines' ``proportional_hazard_test`` is the approximation
  R used before survival 3.0 (scaled Schoenfeld residuals with an averaged variance, and a "km"
  transform of S(t) where R uses S(t-)); R's ``cox.zph`` now computes a score test of
  beta(t) = beta + gamma * g(t) at (beta-hat, gamma = 0) with the full information matrix
  (survival's ``zph1``). That test is computed here, with R's default transform g = 1 - KM(t-).

Example
-------
>>> frame = pl.DataFrame({"time": [5, 8, 12, 20, 30, 31, 40, 44], "event": [1, 0, 1, 1, 0, 1, 0, 1],
...                       "group": ["a", "a", "a", "a", "b", "b", "b", "b"]})
>>> logrank(frame)["term"].to_list()
['overall']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from scipy import stats
from statsmodels.duration.survfunc import survdiff

REQUIRED_COLUMNS = ("time", "event", "group")

# Kaplan–Meier pointwise intervals: lifelines' default, the log(-log) ("exponential Greenwood")
# interval, i.e. R's survfit(..., conf.type = "log-log") (R's own default is "log").
KM_CONFIDENCE_INTERVAL = "log-log"

# lifelines stops Newton–Raphson when the relative change in log-likelihood falls below 1e-9 or
# the Newton decrement below 1e-7, and returns the point before the step it has just computed:
# that leaves coefficients ~1e-6 (more for a weakly informed one) from the maximum. These
# settings take the one or two more steps that reach it within rounding, while a coefficient
# running off to infinity (a level with no events) still stops, as in R, at a large value.
_COX_FIT_OPTIONS = {"precision": 1e-18, "r_precision": 1e-12}
# lifelines' Newton–Raphson has no step-halving: its first steps can overshoot until the Hessian
# is singular (R's coxph halves the step instead). Smaller steps reach the same maximum (the
# log-likelihood is concave), so a fit that fails is tried again with them.
_COX_STEP_SIZES = (0.95, 0.5, 0.2)

TEST_SCHEMA = {"term": pl.String, "test_statistic": pl.Float64, "df": pl.Int64, "p_value": pl.Float64}


# --------------------------------------------------------------------------------------------
# input


def _check(frame: pl.DataFrame, extra: Sequence[str] = ()) -> None:
    missing = [c for c in (*REQUIRED_COLUMNS, *extra) if c not in frame.columns]
    if missing:
        raise ValueError(f"survival frame is missing column(s) {missing}; it has {frame.columns}")
    for column in (*REQUIRED_COLUMNS, *extra):
        n_null = frame[column].null_count()
        if n_null:
            raise ValueError(f"column {column!r} has {n_null} missing value(s); survival analysis needs every "
                             f"{column} filled in")
    if not frame["time"].dtype.is_numeric():
        raise ValueError(f"column 'time' must be numeric (days), not {frame['time'].dtype}")
    bad = frame.filter(~pl.col("event").is_in([0, 1])).height
    if bad:
        raise ValueError(f"column 'event' must be 0 (censored) or 1 (event); {bad} row(s) are not")


def drop_non_positive_times(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Check the columns and drop rows with ``time <= 0``.

    Returns
    -------
    (frame, n_dropped)
        The rows kept, with ``event`` as Int64 and ``group`` as text, and how many were dropped.
    """
    _check(frame)
    kept = frame.filter(pl.col("time") > 0).with_columns(pl.col("event").cast(pl.Int64),
                                                         pl.col("group").cast(pl.String))
    return kept, frame.height - kept.height


def _groups(data: pl.DataFrame, reference: str | None = None) -> list[str]:
    levels = data["group"].unique().sort().to_list()
    if len(levels) < 2:
        raise ValueError(f"need at least two groups to compare; found only {', '.join(map(str, levels)) or 'none'}")
    if reference is not None and reference not in levels:
        raise ValueError(f"reference group {reference!r} not found; groups are {levels}")
    return levels


# --------------------------------------------------------------------------------------------
# Kaplan–Meier


def kaplan_meier(frame: pl.DataFrame, *, horizon: float, alpha: float = 0.05) -> pl.DataFrame:
    """Kaplan–Meier curve for each group, as a tidy table up to ``horizon``.

    Parameters
    ----------
    frame : polars.DataFrame
        ``time``, ``event``, ``group`` (rows with time <= 0 are dropped).
    horizon : float
        Last time to report; rows for later times are left out (the curve up to the horizon
        does not depend on them).
    alpha : float
        1 - confidence level of the pointwise log(-log) interval (``KM_CONFIDENCE_INTERVAL``).

    Returns
    -------
    polars.DataFrame
        ``group, time, n_at_risk, n_events, n_censored, survival, ci_lower, ci_upper``: a row at
        time 0 and one per distinct event or censoring time <= horizon, per group. Where the
        survival is 1 the interval is [1, 1] (as lifelines; R gives NA there); where it is 0 the
        interval is undefined and null (as R; lifelines gives [0, 0]).
    """
    data, _ = drop_non_positive_times(frame)
    time_dtype = data["time"].dtype
    parts = []
    for level in data["group"].unique().sort().to_list():
        rows = data.filter(pl.col("group") == level)
        kmf = KaplanMeierFitter(alpha=alpha).fit(rows["time"].to_numpy(), rows["event"].to_numpy())
        table = kmf.event_table
        times = table.index.to_numpy()
        ci = kmf.confidence_interval_survival_function_.loc[times].to_numpy()
        parts.append(pl.DataFrame({
            "group": level,
            "time": times,
            "n_at_risk": table["at_risk"].to_numpy(),
            "n_events": table["observed"].to_numpy(),
            "n_censored": table["censored"].to_numpy(),
            "survival": np.asarray(kmf.predict(times), dtype=float),
            "ci_lower": ci[:, 0],
            "ci_upper": ci[:, 1],
        }))
    return (
        pl.concat(parts)
        .with_columns(pl.col("time").cast(time_dtype), pl.col("n_at_risk", "n_events", "n_censored").cast(pl.Int64),
                      pl.when(pl.col("survival") > 0).then(pl.col("ci_lower", "ci_upper").fill_nan(None)))
        .filter(pl.col("time") <= horizon)
    )


def numbers_at_risk(frame: pl.DataFrame, times: Sequence[float]) -> pl.DataFrame:
    """Numbers at risk (time >= t) per group at each of ``times``, for the table under a KM plot.

    Returns
    -------
    polars.DataFrame
        ``group, time, n_at_risk``, sorted by group then time.
    """
    data, _ = drop_non_positive_times(frame)
    time_dtype = pl.Int64 if all(float(t).is_integer() for t in times) else pl.Float64
    return (
        pl.concat([data.group_by("group").agg(n_at_risk=(pl.col("time") >= t).sum())
                   .with_columns(time=pl.lit(t, dtype=time_dtype)) for t in times])
        .select("group", "time", pl.col("n_at_risk").cast(pl.Int64))
        .sort("group", "time")
    )


# --------------------------------------------------------------------------------------------
# log-rank


def _logrank_row(term: str, data: pl.DataFrame, strata_column: str | None) -> tuple:
    k = data["group"].n_unique()
    strata = None if strata_column is None else data[strata_column].cast(pl.String).to_numpy()
    chisq, _ = survdiff(data["time"].to_numpy(), data["event"].to_numpy(), data["group"].to_numpy(), strata=strata)
    # statsmodels' p-value is 1 - cdf, which is 0 below ~1e-16; the survival function keeps it.
    return term, float(chisq), k - 1, float(stats.chi2.sf(chisq, k - 1))


def _logrank_table(frame: pl.DataFrame, reference: str | None, strata_column: str | None) -> pl.DataFrame:
    if strata_column is not None:
        _check(frame, (strata_column,))
    data, _ = drop_non_positive_times(frame)
    levels = _groups(data, reference)
    rows = [_logrank_row("overall", data, strata_column)]
    if reference is not None:
        rows += [_logrank_row(f"{level} vs {reference}", data.filter(pl.col("group").is_in([level, reference])),
                              strata_column) for level in levels if level != reference]
    return pl.DataFrame(rows, schema=TEST_SCHEMA, orient="row")


def logrank(frame: pl.DataFrame, *, reference: str | None = None) -> pl.DataFrame:
    """Log-rank test of equal survival across all groups, and each group against ``reference``.

    Returns
    -------
    polars.DataFrame
        ``term, test_statistic, df, p_value``: ``overall`` (chi-square on k - 1 df), then
        ``G vs REF`` for each other group when ``reference`` is given. Equals R's ``survdiff``.
    """
    return _logrank_table(frame, reference, None)


def stratified_logrank(frame: pl.DataFrame, strata_column: str = "stratum", *,
                       reference: str | None = None) -> pl.DataFrame:
    """Log-rank test within strata, pooled (R's ``survdiff(Surv(time, event) ~ group + strata(s))``).

    Observed minus expected events and their variances are summed over strata before the
    chi-square is formed, so groups are only compared with people in the same stratum.
    Same table as :func:`logrank`.
    """
    return _logrank_table(frame, reference, strata_column)


# --------------------------------------------------------------------------------------------
# Cox model


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: tidy coefficient table, proportional-hazards test and its verdict.

    ``table``: ``term, estimate`` (log hazard ratio), ``std_error`` (robust if asked for),
    ``ci_lower, ci_upper, p_value`` (Wald), ``hazard_ratio, hr_ci_lower, hr_ci_upper``.
    ``ph_test``: ``term, test_statistic, df, p_value``, one row per model term (a categorical
    variable is one term with one df per dummy) and ``global`` (R's ``cox.zph`` table).
    """

    table: pl.DataFrame
    ph_test: pl.DataFrame
    ph_verdict: str
    n: int  # people in the model
    n_events: int
    n_dropped: int  # rows with time <= 0
    n_incomplete: int  # rows dropped for a missing covariate or weight
    dropped_terms: tuple[str, ...]  # dummies or covariates constant in the data, left out of the model
    robust: bool
    notes: tuple[str, ...] = ()  # e.g. a dummy with no events, whose hazard ratio is not estimable


def _levels(series: pl.Series) -> list:
    return series.unique().sort().to_list()


def _design(data: pl.DataFrame, covariates: Sequence[str], reference_group: str,
            categorical: Sequence[str]) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Model matrix: group dummies, then covariates in order (categorical ones as dummies).

    A categorical covariate's reference level is its first in sorted order (as R's ``factor``).
    Returns the matrix, column names, the term each column belongs to, and dropped columns.
    """
    columns, names, terms = [], [], []

    def add_dummies(variable: str, reference) -> None:
        for level in _levels(data[variable]):
            if level != reference:
                columns.append((data[variable] == level).cast(pl.Float64).to_numpy())
                names.append(f"{variable}={level}")
                terms.append(variable)

    add_dummies("group", reference_group)
    for variable in covariates:
        if variable in categorical:
            add_dummies(variable, _levels(data[variable])[0])
        elif data[variable].dtype.is_numeric() or data[variable].dtype == pl.Boolean:
            columns.append(data[variable].cast(pl.Float64).to_numpy())
            names.append(variable)
            terms.append(variable)
        else:
            raise ValueError(f"covariate {variable!r} is {data[variable].dtype}: list it in `categorical` "
                             f"or give it as a number")
    x = np.column_stack(columns) if columns else np.empty((data.height, 0))
    constant = [j for j in range(x.shape[1]) if np.ptp(x[:, j]) == 0]
    dropped = [names[j] for j in constant]
    keep = [j for j in range(x.shape[1]) if j not in constant]
    return x[:, keep], [names[j] for j in keep], [terms[j] for j in keep], dropped


def _reverse_cumsum(a: np.ndarray) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis=0), axis=0), axis=0)


@dataclass(frozen=True)
class _EfronSums:
    """Per distinct time (ascending): risk-set sums and Efron sums over the tied deaths.

    With f = r / d for r = 0..d-1 and den_r = r0 - f * d0 (the Efron denominators),
    ``c0 = sum 1/den_r``, ``c1 = sum f/den_r``, ``e0, e1, e2 = sum f**(0,1,2) / den_r**2``.
    """

    index: np.ndarray  # distinct-time index of each row
    deaths: np.ndarray  # number of events at each time
    wtave: np.ndarray  # mean weight of those events
    r1: np.ndarray  # sum over the risk set of w exp(eta) x
    d1: np.ndarray  # ... over the events at the time
    dead_wx: np.ndarray  # sum over the events at the time of w x
    c0: np.ndarray
    c1: np.ndarray
    e0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray


def _efron_sums(time: np.ndarray, event: np.ndarray, weight: np.ndarray, x: np.ndarray,
                risk: np.ndarray) -> _EfronSums:
    uniq, index = np.unique(time, return_inverse=True)
    m = uniq.size

    def per_time(values: np.ndarray) -> np.ndarray:
        if values.ndim == 1:
            return np.bincount(index, weights=values, minlength=m)
        return np.column_stack([np.bincount(index, weights=values[:, j], minlength=m)
                                for j in range(values.shape[1])])

    r0 = _reverse_cumsum(per_time(risk))
    r1 = _reverse_cumsum(per_time(risk[:, None] * x))
    d0 = per_time(risk * event)
    d1 = per_time((risk * event)[:, None] * x)
    dead_wx = per_time((weight * event)[:, None] * x)
    deaths = np.bincount(index, weights=event, minlength=m)
    deadwt = per_time(weight * event)
    with np.errstate(invalid="ignore", divide="ignore"):
        wtave = np.where(deaths > 0, deadwt / deaths, 0.0)
    # one entry per (event time, Efron step r)
    n_dead = deaths.astype(int)
    k = np.repeat(np.arange(m), n_dead)
    r = np.arange(k.size) - np.repeat(np.cumsum(n_dead) - n_dead, n_dead)
    f = r / n_dead[k]
    den = r0[k] - f * d0[k]

    def by_time(values: np.ndarray) -> np.ndarray:
        return np.bincount(k, weights=values, minlength=m)

    return _EfronSums(index=index, deaths=deaths, wtave=wtave, r1=r1, d1=d1, dead_wx=dead_wx, c0=by_time(1 / den),
                      c1=by_time(f / den), e0=by_time(1 / den**2), e1=by_time(f / den**2), e2=by_time(f**2 / den**2))


def _score_residuals(event: np.ndarray, x: np.ndarray, expeta: np.ndarray, s: _EfronSums) -> np.ndarray:
    """Efron score residuals, one row per person (R: ``residuals(fit, type = "score")``)."""
    hazard = s.wtave * s.c0  # cumulative-hazard increment at each time
    xhazard = s.wtave[:, None] * (s.r1 * s.e0[:, None] - s.d1 * s.e1[:, None])  # sum of xbar_r * hazard_r
    # a person with the event at a time carries only the share (1 - f) of each Efron step
    hazard_dead = s.wtave * (s.c0 - s.c1)
    xhazard_dead = s.wtave[:, None] * (s.r1 * (s.e0 - s.e1)[:, None] - s.d1 * (s.e1 - s.e2)[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_of_means = np.where(s.deaths[:, None] > 0,
                                 (s.r1 * s.c0[:, None] - s.d1 * s.c1[:, None]) / s.deaths[:, None], 0.0)
    cum_before = np.concatenate([[0.0], np.cumsum(hazard)[:-1]])
    xcum_before = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(xhazard, axis=0)[:-1]])
    i, dead = s.index, event == 1
    cum = cum_before[i] + np.where(dead, hazard_dead[i], hazard[i])
    xcum = xcum_before[i] + np.where(dead[:, None], xhazard_dead[i], xhazard[i])
    return dead[:, None] * (x - mean_of_means[i]) - expeta[:, None] * (x * cum[:, None] - xcum)


def _zph(event: np.ndarray, x: np.ndarray, risk: np.ndarray, s: _EfronSums,
         term_columns: dict[str, list[int]]) -> pl.DataFrame:
    """R's ``cox.zph`` (survival >= 3.0, transform "km"): score test of beta(t) = beta + gamma g(t).

    At (beta-hat, gamma = 0) the score for gamma is sum_k g_k s_k (s_k: the Schoenfeld residuals
    summed over the events at time k) and the information is [[V, GV], [GV, GGV]] with
    V = sum_k V_k, GV = sum_k g_k V_k, GGV = sum_k g_k^2 V_k (V_k: Efron risk-set covariance).
    """
    p, m = x.shape[1], s.deaths.size
    # g(t) = 1 - KM(t-): the unweighted Kaplan–Meier of all rows, centred on its mean over events
    n_risk = _reverse_cumsum(np.bincount(s.index, minlength=m).astype(float))
    g = 1 - np.concatenate([[1.0], np.cumprod(1 - s.deaths / n_risk)[:-1]])
    g = g - np.sum(g * s.deaths) / np.sum(s.deaths)

    def per_time_outer(values: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(s.index, weights=values * x[:, a] * x[:, b], minlength=m)
                         for a in range(p) for b in range(p)], axis=1).reshape(m, p, p)

    r2 = _reverse_cumsum(per_time_outer(risk))
    d2 = per_time_outer(risk * event)
    r1d1 = np.einsum("ka,kb->kab", s.r1, s.d1)
    mean_outer = (np.einsum("ka,kb->kab", s.r1, s.r1) * s.e0[:, None, None]
                  - (r1d1 + np.swapaxes(r1d1, 1, 2)) * s.e1[:, None, None]
                  + np.einsum("ka,kb->kab", s.d1, s.d1) * s.e2[:, None, None])
    info = s.wtave[:, None, None] * (r2 * s.c0[:, None, None] - d2 * s.c1[:, None, None] - mean_outer)
    score = s.dead_wx - s.wtave[:, None] * (s.r1 * s.c0[:, None] - s.d1 * s.c1[:, None])
    gv = np.einsum("k,kab->ab", g, info)
    u = np.concatenate([np.zeros(p), g @ score])
    imat = np.block([[info.sum(axis=0), gv], [gv, np.einsum("k,kab->ab", g**2, info)]])

    def test(columns: list[int]) -> float:
        kk = list(range(p)) + [p + j for j in columns]
        return float(u[kk] @ np.linalg.solve(imat[np.ix_(kk, kk)], u[kk]))

    rows = [(term, test(cols), len(cols)) for term, cols in term_columns.items()]
    rows.append(("global", test(list(range(p))), p))
    return pl.DataFrame([(t, st, df, float(stats.chi2.sf(st, df))) for t, st, df in rows], schema=TEST_SCHEMA,
                        orient="row")


def _format_p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


def ph_verdict(ph_test: pl.DataFrame, *, alpha: float = 0.05) -> str:
    """Plain-English verdict on the proportional-hazards test table."""
    global_p = ph_test.filter(pl.col("term") == "global")["p_value"].item()
    flagged = ph_test.filter((pl.col("term") != "global") & (pl.col("p_value") < alpha)).sort("p_value")
    if flagged.height:
        which = ", ".join(f"{t} ({_format_p(p)})" for t, p in flagged.select("term", "p_value").iter_rows())
        reading = "hazard ratios as averages" if flagged.height > 1 else "hazard ratio as an average"
        return f"evidence of non-proportional hazards for {which}: read the {reading} over follow-up"
    if global_p < alpha:
        return (f"evidence of non-proportional hazards overall (global {_format_p(global_p)}): read the hazard "
                f"ratios as averages over follow-up")
    return f"no evidence against proportional hazards (global {_format_p(global_p)})"


def _fit_lifelines(model: pd.DataFrame, *, weighted: bool, robust: bool, alpha: float) -> CoxPHFitter:
    """lifelines' Cox fit (Efron ties), tried at smaller first steps if it fails (``_COX_STEP_SIZES``)."""
    error: ConvergenceError | None = None
    for step in _COX_STEP_SIZES:
        try:
            with warnings.catch_warnings():
                if robust:  # the robust variance computed here is what corrects for non-integer weights
                    warnings.filterwarnings("ignore", message=".*weights are not integers.*")
                return CoxPHFitter(alpha=alpha).fit(model, "_time", "_event", weights_col="_w" if weighted else None,
                                                    fit_options={**_COX_FIT_OPTIONS, "step_size": step})
        except ConvergenceError as exc:
            error = exc
    raise error


def _no_event_notes(x: np.ndarray, names: list[str], terms: list[str], event: np.ndarray) -> list[str]:
    """Dummies (named ``term=level``) with no events on one side: their log hazard ratio runs off to infinity."""
    notes = []
    for j, name in enumerate(names):
        if name != terms[j] and (event[x[:, j] == 1].sum() == 0 or event[x[:, j] == 0].sum() == 0):
            notes.append(f"{name}: no events in one of the groups it compares, so its hazard ratio cannot be "
                         f"estimated (the estimate is an arbitrary large value; R warns the same)")
    return notes


def cox(frame: pl.DataFrame, covariates: Sequence[str], *, reference_group: str, categorical: Sequence[str] = (),
        weights: str | None = None, robust: bool = False, alpha: float = 0.05) -> CoxResult:
    """Cox proportional-hazards model of ``group`` (against ``reference_group``) and covariates.

    Parameters
    ----------
    frame : polars.DataFrame
        ``time``, ``event``, ``group`` and the covariate (and weight) columns.
    covariates : sequence of str
        Adjustment variables, numeric or listed in ``categorical``.
    reference_group : str
        The group the hazard ratios compare against.
    categorical : sequence of str
        Covariates to dummy-code (reference level: the first in sorted order, as in R).
    weights : str, optional
        Column of case weights (e.g. inverse-probability weights); use with ``robust=True``
        unless they are frequency weights.
    robust : bool
        Robust (sandwich) standard errors, as R's ``coxph(..., robust = TRUE)``.
    alpha : float
        1 - confidence level, and the level for the proportional-hazards verdict.

    Notes
    -----
    Efron's method for ties. Rows with time <= 0 are dropped (``n_dropped``), and rows with a
    missing covariate or weight (``n_incomplete``), as R's default ``na.omit`` does. Dummies or
    covariates constant in the data are left out and listed in ``dropped_terms``.
    """
    unknown = [c for c in categorical if c not in covariates]
    if unknown:
        raise ValueError(f"categorical {unknown} must also be listed in covariates")
    extra = [*covariates, *([weights] if weights else [])]
    needed = [c for c in extra if c not in frame.columns]
    if needed:
        raise ValueError(f"column(s) {needed} not in the frame; it has {frame.columns}")
    data, n_dropped = drop_non_positive_times(frame)
    complete = data.with_columns(pl.col(c).fill_nan(None) for c in extra if data[c].dtype.is_float()).drop_nulls(extra)
    n_incomplete = data.height - complete.height
    _groups(complete, reference_group)
    x, names, terms, dropped = _design(complete, covariates, reference_group, categorical)
    if x.shape[1] == 0:
        raise ValueError("nothing left to model: every column is constant")

    time = complete["time"].to_numpy().astype(float)
    event = complete["event"].to_numpy().astype(float)
    w = complete[weights].cast(pl.Float64).to_numpy() if weights else np.ones(complete.height)
    if not (np.isfinite(w) & (w > 0)).all():
        raise ValueError(f"weights in {weights!r} must be positive and finite")

    model = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    model["_time"], model["_event"] = time, event
    if weights:
        model["_w"] = w
    fitter = _fit_lifelines(model, weighted=weights is not None, robust=robust, alpha=alpha)
    beta = fitter.params_.to_numpy()
    naive = fitter.variance_matrix_.to_numpy()

    xc = x - x.mean(axis=0)
    expeta = np.exp(xc @ beta)
    risk = w * expeta
    sums = _efron_sums(time, event, w, xc, risk)
    if robust:
        dfbeta = (w[:, None] * _score_residuals(event, xc, expeta, sums)) @ naive
        variance = dfbeta.T @ dfbeta
    else:
        variance = naive
    se = np.sqrt(np.diag(variance))
    z = float(stats.norm.ppf(1 - alpha / 2))
    table = pl.DataFrame({
        "term": names, "estimate": beta, "std_error": se, "ci_lower": beta - z * se, "ci_upper": beta + z * se,
        "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
    }).with_columns(hazard_ratio=pl.col("estimate").exp(), hr_ci_lower=pl.col("ci_lower").exp(),
                    hr_ci_upper=pl.col("ci_upper").exp())

    term_columns: dict[str, list[int]] = {}
    for j, term in enumerate(terms):
        term_columns.setdefault(term, []).append(j)
    ph = _zph(event, xc, risk, sums, term_columns)
    return CoxResult(table=table, ph_test=ph, ph_verdict=ph_verdict(ph, alpha=alpha), n=complete.height,
                     n_events=int(event.sum()), n_dropped=n_dropped, n_incomplete=n_incomplete,
                     dropped_terms=tuple(dropped), robust=robust,
                     notes=tuple(_no_event_notes(x, names, terms, event)))


__all__ = ["CoxResult", "KM_CONFIDENCE_INTERVAL", "cox", "drop_non_positive_times", "kaplan_meier", "logrank",
           "numbers_at_risk", "ph_verdict", "stratified_logrank"]

