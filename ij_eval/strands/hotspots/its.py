"""Interrupted time series (segmented Poisson regression) of ASB counts, one area or pooled.

Model (Lopez Bernal, Cummins & Gasparrini 2017): for period t,

``log E[count_t] = log(population_t) + b0 + trend * time_t + level_change * post_t
                   + slope_change * (time_t - time_0) * post_t
                   + sum_k [s_k sin(2 pi k season_t / P) + c_k cos(2 pi k season_t / P)]``

- ``post_t`` is 1 from the period containing the intervention date on (that period is post);
  ``time_0`` is the ``time`` of that period, so ``slope_change`` is the change in the log trend per
  period and ``level_change`` is the change at the intervention period itself.
- The offset is used when every period has a positive population; otherwise the model is fitted
  without it and says so in ``notes``.
- Fourier seasonality uses k = 1, 2, ..., ``harmonics`` (not R tsModel::harmonic's doubling
  frequencies), with ``P = season_period`` and ``season`` the calendar month (or ISO week).

Errors (all intervals are normal: estimate +/- 1.96 * SE; p-values two-sided normal):

- ``quasi-poisson`` (default): Poisson GLM, covariance scaled by the Pearson chi-squared
  dispersion (statsmodels ``fit(scale="X2")``); the dispersion reported is that scale.
- ``negative-binomial``: NB2 (variance mu + alpha mu^2); alpha is the maximum-likelihood estimate,
  found by maximising the profile log-likelihood over log(alpha) (a statsmodels NB GLM at each
  alpha; this equals the joint MLE of ``statsmodels.discrete.NegativeBinomial``, whose own
  optimisers proved unreliable here), then a GLM with that alpha fixed and scale 1. The
  dispersion reported is alpha.
- ``newey_west_lags = L > 0``: the same point estimates, with statsmodels' HAC sandwich covariance
  (``cov_type="HAC"``, Bartlett kernel, ``maxlags=L``, no small-sample correction). The sandwich's
  middle uses the observed scores, so it already allows for overdispersion: statsmodels ignores the
  Pearson scale for robust covariances (``fit(scale="X2", cov_type="HAC")`` gives the same SEs as
  without the scale), and so the quasi-Poisson scale does NOT multiply the HAC covariance. The
  Pearson dispersion is still reported. ``newey_west_lags = 0`` means the model-based errors above
  (not HC0). The HAC errors can be smaller than the quasi-Poisson ones (Sicily: SE 0.022 with 3
  lags against 0.027) and are themselves unreliable in short series.

Pooled model (:func:`its_by_area`): the same covariates over several areas stacked, with one fixed
effect per area instead of the intercept, a common trend and common seasonality, and each area's
own post / slope indicators (its own start: staggered starts allowed), so ``level_change`` is one
common log rate ratio. Errors are the same kind as the single-area model (quasi-Poisson Pearson
scale or NB alpha over the pooled fit). Area-clustered errors are not used: with ten or so areas
cluster-robust errors are biased downward. With ``newey_west_lags > 0`` the pooled covariance is
statsmodels' panel Newey-West (``cov_type="hac-panel"``, groups = areas, Bartlett kernel, no
small-sample correction): autocorrelation within each area's series, none across areas.

Fitted values and the counterfactual (the model's prediction with level_change and slope_change
set to 0) are given per period (summed over areas for the pooled model), with a 95% interval for
the counterfactual by the delta method on the log of the (summed) prediction, using the same
covariance as the estimates. Residual autocorrelation: Ljung-Box tests at lags 1..season_period
(statsmodels ``acorr_ljungbox``, no degrees-of-freedom adjustment for the fitted coefficients) and
the autocorrelation function of the Pearson residuals (for the pooled model, of the Pearson
residual of the per-period totals), with a plain sentence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from ij_eval.config import HotspotConfig

Z95 = float(stats.norm.ppf(0.975))
OVERDISPERSION = ("quasi-poisson", "negative-binomial")
TERMS = ("level_change", "slope_change", "trend")
POOLED = "pooled"

TIDY_COLUMNS: dict[str, pl.DataType] = {
    "term": pl.String(), "estimate": pl.Float64(), "std_error": pl.Float64(), "ci_lower": pl.Float64(),
    "ci_upper": pl.Float64(), "p_value": pl.Float64(), "rate_ratio": pl.Float64(),
    "rr_ci_lower": pl.Float64(), "rr_ci_upper": pl.Float64(),
}
AREA_TABLE_COLUMNS: dict[str, pl.DataType] = {"area_id": pl.String(), **TIDY_COLUMNS}
FITTED_COLUMNS: dict[str, pl.DataType] = {
    "period": pl.Date(), "observed": pl.Float64(), "fitted": pl.Float64(), "counterfactual": pl.Float64(),
    "cf_lower": pl.Float64(), "cf_upper": pl.Float64(),
}
AUTOCORRELATION_COLUMNS: dict[str, pl.DataType] = {
    "lag": pl.Int64(), "acf": pl.Float64(), "ljung_box": pl.Float64(), "p_value": pl.Float64()}


@dataclass(frozen=True)
class ItsResult:
    """One interrupted time series fit (one area, or the pooled model over several areas).

    ``table``: one row per term (``level_change``, ``slope_change`` when fitted, ``trend``) with
    columns :data:`TIDY_COLUMNS` (estimates on the log scale; ``rate_ratio`` = exp(estimate); the
    trend is per period). ``dispersion`` is the Pearson chi-squared / df scale (quasi-Poisson) or
    the negative binomial alpha (``dispersion_kind`` says which). ``autocorrelation``: lag, acf,
    ljung_box, p_value; ``autocorrelation_note`` is a plain sentence. ``fitted``: period, observed,
    fitted, counterfactual, cf_lower, cf_upper (counterfactual only for post periods). For the
    pooled model these are totals over the areas, the counterfactual given from the first period
    in which any area is post, and ``n_post`` counts those periods (``n_pre`` the others).
    ``params`` holds every coefficient by name (intercept or area fixed effects, Fourier terms).
    """

    table: pl.DataFrame
    dispersion: float
    dispersion_kind: str
    autocorrelation: pl.DataFrame
    autocorrelation_note: str
    fitted: pl.DataFrame
    method: str
    n_periods: int
    n_pre: int
    n_post: int
    n_areas: int = 1
    notes: tuple[str, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict, repr=False, compare=False)

    def term(self, name: str) -> dict[str, Any]:
        """The tidy row of one term as a dict (KeyError if it was not fitted)."""
        rows = self.table.filter(pl.col("term") == name)
        if rows.height == 0:
            raise KeyError(f"term {name!r} not in this fit (terms: {', '.join(self.table['term'])})")
        return rows.row(0, named=True)

    @property
    def rate_ratio(self) -> float:
        """The level-change rate ratio."""
        return float(self.term("level_change")["rate_ratio"])


@dataclass(frozen=True)
class AreaFits(Mapping[str, ItsResult]):
    """``area_id -> ItsResult`` (with ``"pooled"``), the areas skipped (``area_id -> reason``) and notes."""

    results: Mapping[str, ItsResult]
    skipped: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> ItsResult:
        return self.results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


# --------------------------------------------------------------------------------------------
# design


def _check_options(harmonics: int, season_period: int, overdispersion: str, newey_west_lags: int) -> None:
    if overdispersion not in OVERDISPERSION:
        raise ValueError(f"overdispersion must be one of {', '.join(OVERDISPERSION)}, got {overdispersion!r}")
    if harmonics < 0 or season_period < 2 or newey_west_lags < 0:
        raise ValueError("harmonics and newey_west_lags must not be negative, season_period at least 2")
    if 2 * harmonics >= season_period:  # k = P/2 gives sin = 0 at every whole season: not identifiable
        raise ValueError(f"{harmonics} harmonics need season_period greater than {2 * harmonics}")


def start_of_period(intervention: dt.date, periods: Sequence[dt.date]) -> dt.date:
    """The period containing ``intervention``, for monthly (first-of-month) or weekly (Monday) periods.

    Other period labels: the intervention date itself (periods on or after it are post).
    """
    if periods and all(p.day == 1 for p in periods):
        return intervention.replace(day=1)
    if periods and all(p.weekday() == 0 for p in periods):
        return intervention - dt.timedelta(days=intervention.weekday())
    return intervention


def _fourier(season: np.ndarray, harmonics: int, season_period: int) -> tuple[list[np.ndarray], list[str]]:
    cols, names = [], []
    for k in range(1, harmonics + 1):
        angle = 2 * np.pi * k * season / season_period
        cols += [np.sin(angle), np.cos(angle)]
        names += [f"sin{k}", f"cos{k}"]
    return cols, names


@dataclass
class _Design:
    y: np.ndarray
    X: np.ndarray
    names: list[str]
    offset: np.ndarray | None
    period: np.ndarray  # datetime64[D]
    post: np.ndarray
    groups: np.ndarray | None  # area codes for the pooled model


def _design(frame: pl.DataFrame, *, harmonics: int, season_period: int, slope_change: bool,
            notes: list[str], area_effects: bool) -> _Design:
    """frame: period, count, population, time, season, post, time0 (and area_id when pooled)."""
    y = frame["count"].cast(pl.Float64).to_numpy()
    time = frame["time"].cast(pl.Float64).to_numpy()
    post = frame["post"].cast(pl.Float64).to_numpy()
    since = (time - frame["time0"].cast(pl.Float64).to_numpy()) * post
    season = frame["season"].cast(pl.Float64).to_numpy()
    cols: list[np.ndarray] = []
    names: list[str] = []
    groups = None
    if area_effects:
        codes, groups = np.unique(frame["area_id"].to_numpy(), return_inverse=True)
        for j, code in enumerate(codes):
            cols.append((groups == j).astype(float))
            names.append(f"area[{code}]")
    else:
        cols.append(np.ones_like(y))
        names.append("intercept")
    cols += [time, post]
    names += ["trend", "level_change"]
    if slope_change:
        cols.append(since)
        names.append("slope_change")
    fc, fn = _fourier(season, harmonics, season_period)
    cols += fc
    names += fn
    pop = frame["population"].cast(pl.Float64)
    offset = None
    if pop.null_count() == 0 and bool((pop > 0).all()):
        offset = np.log(pop.to_numpy())
    else:
        notes.append("population missing (or not positive) for some periods: fitted without a population "
                     "offset (counts, not rates)")
    if season.size and season.max() > season_period:
        notes.append(f"season takes values up to {int(season.max())} but season_period is {season_period} "
                     "(weekly panels need season_period = 52)")
    return _Design(y, np.column_stack(cols), names, offset, frame["period"].to_numpy(), post, groups)


# --------------------------------------------------------------------------------------------
# fitting


@dataclass
class _Fit:
    params: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    variance: np.ndarray  # variance function at mu (without the scale)
    dispersion: float
    dispersion_kind: str
    errors: str
    family: str
    notes: list[str]


def _nb_alpha(sm: Any, d: _Design, notes: list[str]) -> float:
    """Maximum-likelihood NB2 alpha, maximising the profile log-likelihood over log(alpha).

    For each alpha the GLM gives the maximum over the coefficients, and its ``llf`` is the full NB2
    log-likelihood, so the maximum over alpha is the joint maximum-likelihood estimate.
    (statsmodels' discrete ``NegativeBinomial`` optimisers did not converge, or returned NaN, from
    some starting values on the Sicily data, where alpha is small relative to the counts.)
    """
    from scipy.optimize import minimize_scalar

    def nll(log_alpha: float) -> float:
        family = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        try:
            value = -float(sm.GLM(d.y, d.X, family=family, offset=d.offset).fit().llf)
        except (ValueError, np.linalg.LinAlgError):
            return math.inf
        return value if math.isfinite(value) else math.inf

    low, high = -16.0, 4.0
    with warnings.catch_warnings():  # trial values far from the optimum may warn; only the final fit counts
        warnings.simplefilter("ignore")
        found = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    if found.x < low + 0.01:
        notes.append("negative binomial alpha at its lower bound: no overdispersion beyond Poisson")
    if found.x > high - 0.01:
        notes.append("negative binomial alpha at its upper bound (extreme overdispersion)")
    return math.exp(found.x)


def _fit(d: _Design, overdispersion: str, newey_west_lags: int) -> _Fit:
    import statsmodels.api as sm

    notes: list[str] = []
    if newey_west_lags > 0:
        if d.groups is None:
            cov_type, cov_kwds = "HAC", {"maxlags": newey_west_lags, "use_correction": False}
            errors = f"Newey-West (HAC, Bartlett kernel, {newey_west_lags} lags) sandwich"
        else:
            cov_type = "hac-panel"
            cov_kwds = {"groups": d.groups, "maxlags": newey_west_lags, "use_correction": False}
            errors = f"panel Newey-West (HAC within areas, Bartlett kernel, {newey_west_lags} lags) sandwich"
    else:
        cov_type, cov_kwds, errors = "nonrobust", None, ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        poisson = sm.GLM(d.y, d.X, family=sm.families.Poisson(), offset=d.offset)
        base = poisson.fit()
        pearson = float(base.pearson_chi2 / base.df_resid) if base.df_resid > 0 else math.nan
        if overdispersion == "quasi-poisson":
            if cov_type == "nonrobust":
                res = poisson.fit(scale="X2")
                errors = f"quasi-Poisson (Pearson chi-squared scale {pearson:.3f})"
            else:
                res = poisson.fit(cov_type=cov_type, cov_kwds=cov_kwds)
                errors += (" around the Poisson estimates (the Pearson scale does not multiply the sandwich, "
                           "which already allows for overdispersion)")
            dispersion, kind = pearson, "Pearson chi-squared / df (quasi-Poisson scale)"
            variance = res.mu
        else:
            alpha = _nb_alpha(sm, d, notes)
            nb = sm.GLM(d.y, d.X, family=sm.families.NegativeBinomial(alpha=alpha), offset=d.offset)
            res = nb.fit() if cov_type == "nonrobust" else nb.fit(cov_type=cov_type, cov_kwds=cov_kwds)
            if cov_type == "nonrobust":
                errors = f"negative binomial (NB2, alpha = {alpha:.4g} by maximum likelihood; scale 1)"
            else:
                errors += f" around the negative binomial estimates (NB2, alpha = {alpha:.4g})"
            nb_pearson = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else math.nan
            notes.append(f"Pearson chi-squared / df of the negative binomial fit: {nb_pearson:.3f}")
            dispersion, kind = alpha, "negative binomial alpha (variance = mu + alpha * mu^2)"
            variance = res.mu + alpha * res.mu ** 2
    for w in caught:
        if not issubclass(w.category, DeprecationWarning | FutureWarning):
            notes.append(f"statsmodels: {str(w.message).splitlines()[0]}")
    cov = np.asarray(res.cov_params())
    if not np.all(np.isfinite(cov)) or not np.all(np.isfinite(res.params)):
        raise ValueError("the model could not be estimated (non-finite estimates or covariance)")
    family = "Poisson" if overdispersion == "quasi-poisson" else "negative binomial"
    return _Fit(np.asarray(res.params), cov, np.asarray(res.mu), np.asarray(variance), dispersion, kind,
                errors, family, notes)


def _tidy(f: _Fit, names: list[str]) -> pl.DataFrame:
    rows = []
    for term in TERMS:
        if term not in names:
            continue
        j = names.index(term)
        b, se = float(f.params[j]), float(math.sqrt(f.cov[j, j]))
        lo, hi = b - Z95 * se, b + Z95 * se
        p = float(2 * stats.norm.sf(abs(b / se))) if se > 0 else math.nan
        rows.append((term, b, se, lo, hi, p, math.exp(b), math.exp(lo), math.exp(hi)))
    return pl.DataFrame(rows, schema=TIDY_COLUMNS, orient="row")


def _fitted(d: _Design, f: _Fit) -> pl.DataFrame:
    """Per period (summed over areas): observed, fitted, counterfactual with a delta-method interval."""
    x_cf = d.X.copy()
    for term in ("level_change", "slope_change"):
        if term in d.names:
            x_cf[:, d.names.index(term)] = 0.0
    eta_cf = x_cf @ f.params + (d.offset if d.offset is not None else 0.0)
    mu_cf = np.exp(eta_cf)
    periods, idx = np.unique(d.period, return_inverse=True)
    n = periods.size
    observed = np.bincount(idx, weights=d.y, minlength=n)
    fitted = np.bincount(idx, weights=f.mu, minlength=n)
    total_cf = np.bincount(idx, weights=mu_cf, minlength=n)
    any_post = np.bincount(idx, weights=d.post, minlength=n) > 0
    grad = np.zeros((n, d.X.shape[1]))
    np.add.at(grad, idx, mu_cf[:, None] * x_cf)
    grad /= total_cf[:, None]  # gradient of log(sum of counterfactual means)
    se = np.sqrt(np.einsum("ij,jk,ik->i", grad, f.cov, grad))
    cf = np.where(any_post, total_cf, np.nan)
    lower = np.where(any_post, total_cf * np.exp(-Z95 * se), np.nan)
    upper = np.where(any_post, total_cf * np.exp(Z95 * se), np.nan)
    return pl.DataFrame({
        "period": pl.Series(periods, dtype=pl.Date), "observed": observed, "fitted": fitted,
        "counterfactual": cf, "cf_lower": lower, "cf_upper": upper,
    }, schema=FITTED_COLUMNS).with_columns(pl.col(c).fill_nan(None) for c in ("counterfactual", "cf_lower", "cf_upper"))


def _autocorrelation(d: _Design, f: _Fit, season_period: int, newey_west_lags: int
                     ) -> tuple[pl.DataFrame, str]:
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf

    _, idx = np.unique(d.period, return_inverse=True)
    resid = np.bincount(idx, weights=d.y - f.mu) / np.sqrt(np.bincount(idx, weights=f.variance))
    max_lag = min(season_period, resid.size - 2)
    if max_lag < 1 or not np.all(np.isfinite(resid)) or np.var(resid) == 0:
        return pl.DataFrame(schema=AUTOCORRELATION_COLUMNS), "Too few periods to check residual autocorrelation."
    lb = acorr_ljungbox(resid, lags=max_lag, return_df=True)
    r = acf(resid, nlags=max_lag, fft=False)[1:]
    table = pl.DataFrame({"lag": np.arange(1, max_lag + 1), "acf": r, "ljung_box": lb["lb_stat"].to_numpy(),
                          "p_value": lb["lb_pvalue"].to_numpy()}, schema=AUTOCORRELATION_COLUMNS)
    worst = int(np.argmin(table["p_value"].to_numpy()))
    p_min, lag_min = float(table["p_value"][worst]), int(table["lag"][worst])
    remedy = ("Newey-West errors are in use" if newey_west_lags > 0
              else "consider Newey-West errors (newey_west_lags > 0)")
    verdict = (f"Evidence of residual autocorrelation at the 5% level: {remedy}." if p_min < 0.05
               else "No evidence of residual autocorrelation at the 5% level.")
    which = "of the per-period totals " if d.groups is not None else ""
    note = (f"Lag-1 autocorrelation of the Pearson residuals {which}is {r[0]:.2f}; the smallest Ljung-Box "
            f"p-value over lags 1-{max_lag} is {p_min:.3f} (lag {lag_min}). {verdict}")
    return table, note


def _describe(d: _Design, f: _Fit, harmonics: int, season_period: int, n_areas: int) -> str:
    parts = [f"{f.family} regression (log link)"]
    parts.append("offset log(population)" if d.offset is not None else "no population offset")
    parts.append(f"{n_areas} area fixed effects, common trend and seasonality" if d.groups is not None
                 else "linear trend")
    parts.append("level change from the intervention period")
    if "slope_change" in d.names:
        parts.append("slope change (periods since the intervention period, 0 before)")
    parts.append(f"{harmonics} pair(s) of Fourier terms, period {season_period}" if harmonics
                 else "no seasonal terms")
    parts.append(f"{f.errors} standard errors; normal 95% intervals")
    return "; ".join(parts)


def _result(d: _Design, f: _Fit, *, harmonics: int, season_period: int, newey_west_lags: int,
            notes: list[str], n_areas: int) -> ItsResult:
    ac, ac_note = _autocorrelation(d, f, season_period, newey_west_lags)
    fitted = _fitted(d, f)
    n_post = int(fitted.filter(pl.col("counterfactual").is_not_null()).height)
    return ItsResult(
        table=_tidy(f, d.names), dispersion=float(f.dispersion), dispersion_kind=f.dispersion_kind,
        autocorrelation=ac, autocorrelation_note=ac_note, fitted=fitted,
        method=_describe(d, f, harmonics, season_period, n_areas),
        n_periods=fitted.height, n_pre=fitted.height - n_post, n_post=n_post, n_areas=n_areas,
        notes=tuple(notes + f.notes), params=dict(zip(d.names, map(float, f.params), strict=True)),
    )


def _prepare(series: pl.DataFrame, intervention: dt.date, notes: list[str]) -> pl.DataFrame:
    """Sorted series with post and time0 (the time of the intervention period)."""
    missing = [c for c in ("period", "count", "time", "season") if c not in series.columns]
    if missing:
        raise ValueError(f"series lacks column(s) {', '.join(missing)}")
    s = series.with_columns(
        (pl.col("population") if "population" in series.columns else pl.lit(None)).cast(pl.Float64)
        .alias("population")).sort("period")
    dropped = s.filter(pl.col("count").is_null()).height
    if dropped:
        notes.append(f"{dropped} period(s) without a count left out")
        s = s.filter(pl.col("count").is_not_null())
    periods = s["period"].to_list()
    first_post = start_of_period(intervention, periods)
    s = s.with_columns((pl.col("period") >= first_post).alias("post"))
    post = s.filter(pl.col("post"))
    time0 = None
    if post.height:
        # The intervention period's own time, also when that period is missing from the series.
        time0 = int(post["time"][0]) - _periods_between(first_post, post["period"][0], periods)
    gaps = int(s["time"].diff().drop_nulls().gt(1).sum()) if s.height > 1 else 0
    if gaps:
        missing = int(s["time"].max() - s["time"].min() + 1 - s.height)
        notes.append(f"{missing} period(s) missing from the series (left out, not taken as zero): trend and "
                     "seasonality use calendar time, but the autocorrelation checks and any Newey-West errors "
                     "treat the periods present as consecutive")
    return s.with_columns(pl.lit(time0, pl.Int64).alias("time0"))


def _periods_between(start: dt.date, later: dt.date, periods: Sequence[dt.date]) -> int:
    """Calendar months (first-of-month periods) or weeks (Monday periods) from ``start`` to ``later``."""
    if later <= start:
        return 0
    if periods and all(p.day == 1 for p in periods):
        return (later.year - start.year) * 12 + later.month - start.month
    if periods and all(p.weekday() == 0 for p in periods):
        return (later - start).days // 7
    return 0


def _check_series(s: pl.DataFrame, n_params: int, what: str) -> None:
    pre, post = s.filter(~pl.col("post")), s.filter(pl.col("post"))
    if pre.height == 0 or post.height == 0:
        raise ValueError(f"{what}: needs periods both before and after the intervention "
                         f"({pre.height} before, {post.height} after)")
    if pre["count"].sum() == 0 or post["count"].sum() == 0:
        raise ValueError(f"{what}: no ASB recorded {'before' if pre['count'].sum() == 0 else 'after'} the "
                         "intervention, so a rate ratio cannot be estimated")
    if s.height <= n_params:
        raise ValueError(f"{what}: {s.height} periods for {n_params} parameters")


def fit_its(series: pl.DataFrame, *, intervention: dt.date, harmonics: int = 2, season_period: int = 12,
            overdispersion: str = "quasi-poisson", newey_west_lags: int = 0,
            slope_change: bool = True) -> ItsResult:
    """Interrupted time series for one series (columns period, count, population, time, season).

    See the module docstring for the model and the errors. Raises ``ValueError`` when the series
    cannot be analysed (no periods before or after the intervention, no ASB on one side, fewer
    periods than parameters).
    """
    _check_options(harmonics, season_period, overdispersion, newey_west_lags)
    notes: list[str] = []
    s = _prepare(series, intervention, notes)
    _check_series(s, 3 + int(slope_change) + 2 * harmonics, "series")
    d = _design(s, harmonics=harmonics, season_period=season_period, slope_change=slope_change, notes=notes,
                area_effects=False)
    f = _fit(d, overdispersion, newey_west_lags)
    return _result(d, f, harmonics=harmonics, season_period=season_period, newey_west_lags=newey_west_lags,
                   notes=notes, n_areas=1)


def _pooled(parts: list[pl.DataFrame], cfg: HotspotConfig) -> ItsResult:
    notes: list[str] = []
    stacked = pl.concat(parts, how="vertical_relaxed").sort("area_id", "period")
    n_areas = stacked["area_id"].n_unique()
    if n_areas == 1:
        notes.append("pooled over one area: the same model as that area's own")
    n_params = n_areas + 2 + int(cfg.slope_change) + 2 * cfg.harmonics
    if stacked.height <= n_params:
        raise ValueError(f"pooled model: {stacked.height} observations for {n_params} parameters")
    d = _design(stacked, harmonics=cfg.harmonics, season_period=cfg.season_period, slope_change=cfg.slope_change,
                notes=notes, area_effects=True)
    f = _fit(d, cfg.overdispersion, cfg.newey_west_lags)
    return _result(d, f, harmonics=cfg.harmonics, season_period=cfg.season_period,
                   newey_west_lags=cfg.newey_west_lags, notes=notes, n_areas=n_areas)


def its_by_area(panel: pl.DataFrame, config: HotspotConfig | None = None, roles: Sequence[str] = ("hotspot",),
                *, comparison_start: dt.date | None = None, **overrides: Any) -> tuple[pl.DataFrame, AreaFits]:
    """One ITS per area of ``roles`` in the panel, plus the pooled model (``area_id`` = "pooled").

    Each area is fitted at its own ``intervention_start`` (buffers carry their parent's in the
    panel). Areas with no start (comparison areas) are fitted at ``comparison_start``, by default
    the earliest hotspot start in the panel: a negative-control series that should show no change.
    ``overrides`` replace settings of ``config`` (e.g. ``slope_change=False``). Areas with fewer
    than ``2 * harmonics + 3`` periods before the start, fewer than 3 after, or that cannot be
    estimated, are skipped with a note (``fits.skipped``) and left out of the pooled model.

    Returns ``(table, fits)``: ``table`` has ``area_id`` then the tidy columns (areas in order,
    ``pooled`` last); ``fits`` maps ``area_id`` to its :class:`ItsResult`.
    """
    cfg = dataclasses.replace(config or HotspotConfig(), **overrides)
    _check_options(cfg.harmonics, cfg.season_period, cfg.overdispersion, cfg.newey_west_lags)
    notes: list[str] = []
    skipped: dict[str, str] = {}
    results: dict[str, ItsResult] = {}
    sub = panel.filter(pl.col("role").is_in(list(roles))).sort("area_id", "period")
    if comparison_start is None:
        hot = panel.filter(pl.col("role") == "hotspot")["intervention_start"].drop_nulls()
        comparison_start = hot.min() if hot.len() else None
    min_pre, min_post = 2 * cfg.harmonics + 3, 3
    parts: list[pl.DataFrame] = []
    used_comparison_start = False
    for (area_id,), rows in sub.group_by("area_id", maintain_order=True):
        start = rows["intervention_start"].drop_nulls()
        role = rows["role"][0]
        if start.len():
            when = start[0]
        elif role == "comparison" and comparison_start is not None:
            when, used_comparison_start = comparison_start, True
        else:
            skipped[area_id] = "no intervention start"
            continue
        local: list[str] = []
        s = _prepare(rows, when, local)
        n_post = int(s["post"].sum())
        n_pre = s.height - n_post
        if n_pre < min_pre or n_post < min_post:
            skipped[area_id] = (f"too few periods: {n_pre} before the start (needs {min_pre}) and {n_post} "
                                f"from it (needs {min_post})")
            continue
        try:
            results[area_id] = fit_its(
                rows, intervention=when, harmonics=cfg.harmonics, season_period=cfg.season_period,
                overdispersion=cfg.overdispersion, newey_west_lags=cfg.newey_west_lags,
                slope_change=cfg.slope_change)
        except (ValueError, np.linalg.LinAlgError) as exc:
            skipped[area_id] = f"not estimable: {exc}"
            continue
        parts.append(s.select("area_id", "period", "count", "population", "time", "season", "post", "time0"))
    if used_comparison_start:
        notes.append(f"comparison areas have no start of their own: fitted at {comparison_start.isoformat()} "
                     "(the earliest hotspot start) as a negative control")
    for area_id, reason in skipped.items():
        notes.append(f"{area_id} skipped: {reason}")
    if parts:
        try:
            results[POOLED] = _pooled(parts, cfg)
        except (ValueError, np.linalg.LinAlgError) as exc:
            notes.append(f"pooled model not estimable: {exc}")
    else:
        notes.append("no area could be fitted: no pooled model")
    tables = [r.table.select(pl.lit(a, pl.String).alias("area_id"), pl.all()) for a, r in results.items()]
    table = pl.concat(tables) if tables else pl.DataFrame(schema=AREA_TABLE_COLUMNS)
    return table, AreaFits(results, skipped, tuple(notes))
