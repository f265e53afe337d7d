"""Difference-in-differences (DiD) of ASB counts: treated areas (hotspots, or their buffers)
against comparison areas, with staggered starts handled properly, and an event study.

Both estimators are Poisson (log-linear) models of the counts per area and period, with a log
population offset (when population is known) and standard errors clustered by area.

**Stacked DiD (the headline).** One sub-experiment per start cohort (the areas whose
intervention starts in the same period): that cohort's treated areas plus *clean* controls, i.e.
the never-treated comparison areas (and, with ``not_yet_treated=True``, treated-role areas whose
own start comes after the sub-experiment's window), over the cohort's event window. The
sub-experiments are stacked with sub-experiment x area and sub-experiment x period fixed effects
(Cengiz et al. 2019; Wing, Freedman & Hollingsworth 2024), and the treatment enters as one
indicator per event time (periods since the start, 0, 1, 2, ...) of treated rows, common to the
cohorts. No already-treated area is ever a control, and the effect may grow or fade with time
since the start, so neither staggering nor dynamic effects bias it. (Effects that differ between
cohorts at the same event time are averaged over cohorts with positive, count-based weights.)
The event-time effects are aggregated into one number, the ratio of the ASB observed in the
treated areas after their start to the ASB expected there without the scheme::

    rate_ratio = sum_e Y_e / sum_e C_e,   C_e = Y_e * exp(-delta_e)

over the post event times e (Y_e: observed count of the treated rows at e; C_e: their
counterfactual, exp(fixed effects + offset)). Its log has the delta-method standard error
sqrt(w' V w), w_e = C_e / sum C (the weights taken as given, as in imputation estimators).

By default (``window=None``) every period before the start is kept and the post period is
*balanced*: event times 0..H, H the longest every cohort is observed for, so each event-time
effect rests on every treated area and the average is over the same months after the start for
each cohort (the inclusion rule of Wing et al.). Separate effects per cohort are not estimated:
with one or two areas per cohort, their clustered errors would carry no information about the
treated areas' own noise (each cohort x event-time cell would fit its areas exactly).
``DidResult.cohorts`` gives each cohort's observed / counterfactual ratio from the fit,
descriptively (no interval).

**Two-way fixed effects (TWFE, for comparison only).** Area and period fixed effects and one
treated x post indicator over the whole panel (every period). With staggered starts its period
effects are partly estimated from already-treated areas ("forbidden comparisons"), so when the
effect changes with time since the start it is a badly weighted average that can even have the
wrong sign (Goodman-Bacon 2021). With one common start and a constant effect both agree.

Estimation (:func:`poisson_fe`): Poisson maximum likelihood with the (sub-experiment x) area
fixed effects concentrated out exactly (the Hausman-Hall-Griliches conditional likelihood, whose
estimates equal those of the model with area dummies) and Newton steps on the period effects and
event-time effects with sparse design matrices, so a national panel (~1,300 areas x 80 months;
stacked, several hundred thousand rows) fits in seconds rather than needing a dense
100,000 x 1,400 dummy matrix. Observations that cannot affect the estimates (an area, period or
event time with no ASB at all, whose effect is minus infinity) are set aside, as ``ppmlhdfe``
does.

Errors: cluster-robust (sandwich) by area, with the G/(G-1) small-sample factor (CR1; G =
areas). As areas are the clusters, this allows for overdispersion and any serial correlation
within an area's series, so no quasi-Poisson scale, negative binomial model or Newey-West lags are
needed (the config's ``overdispersion`` and ``newey_west_lags`` do not apply here). An area used
in several sub-experiments is one cluster. Intervals and p-values are Student t with
min(treated areas, control areas) - 1 degrees of freedom: the treated-control contrast rests on
the smaller group of clusters, and with 10 hotspots and 10 comparison areas t(G-1) = t(19) gave
89-91% coverage in simulation from the synthetic generator, t(9) about 95% (200 data sets: stacked
hotspot 95%, buffer 94.5%, placebo 96.5%). With fewer than ~6 areas on either side the errors are
unreliable and a note says so.

Event study (:func:`event_study`): the same stacked design with one effect per event time
-leads..+lags except the reference period -1. Periods outside the window are *trimmed* (dropped,
not binned); a cohort whose window runs off the data contributes the event times it has
(``n_cohorts`` says how many cohorts each event time rests on).

Pre-trend test: the Wald statistic W that every pre-period coefficient (event times -leads..-2)
is zero, with the CR1 covariance. With ~20 clusters and ~11 coefficients that covariance is too
noisy for the chi-squared (or Hotelling-F) reference distribution: in simulation those rejected
a true null 92% (47%) of the time at the 5% level. The p-value is therefore taken from the
restricted wild cluster bootstrap (Cameron, Gelbach & Miller 2008; Rademacher weights, 999 draws
by default, fixed seed): the model is refitted with the pre-period coefficients held at 0, each
draw flips the signs of whole areas' residuals, and the bootstrap estimates and their clustered
covariance are recomputed by one Newton step from the restricted fit (exact for a linear model;
for this Poisson model W* was within ~2% of a full refit at a few hundred incidents per area and
period, ~0.2% at thousands). It rejected a true null 5.5% of the time at 5% (12% at 10%) in 200
synthetic data sets (10 hotspots, 10 comparison areas, 12 leads).

The panel is the hotspot panel contract (``panel.py``): area_id, role, period, count, population
(nullable), intervention_start, post. An area's start period is its first ``post`` period, and
event time counts panel periods (months, or weeks for a weekly panel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import scipy.linalg
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

ROLES = ("hotspot", "buffer", "comparison")
REQUIRED_COLUMNS = ("area_id", "role", "period", "count", "intervention_start", "post")

TIDY_COLUMNS: dict[str, pl.DataType] = {
    "term": pl.String(), "estimator": pl.String(), "headline": pl.Boolean(),
    "estimate": pl.Float64(), "std_error": pl.Float64(), "ci_lower": pl.Float64(), "ci_upper": pl.Float64(),
    "p_value": pl.Float64(), "rate_ratio": pl.Float64(), "rr_ci_lower": pl.Float64(),
    "rr_ci_upper": pl.Float64(), "n_treated_areas": pl.Int64(), "n_control_areas": pl.Int64(),
    "n_cohorts": pl.Int64(), "n_clusters": pl.Int64(), "post_periods": pl.Int64(), "treated_role": pl.String(),
    "control_role": pl.String(), "method": pl.String(),
}
COHORT_COLUMNS: dict[str, pl.DataType] = {
    "cohort_start": pl.Date(), "n_treated_areas": pl.Int64(), "n_post_periods": pl.Int64(),
    "observed": pl.Float64(), "counterfactual": pl.Float64(), "rate_ratio": pl.Float64(),
}
EVENT_COLUMNS: dict[str, pl.DataType] = {
    "term": pl.String(), "event_time": pl.Int64(), "reference": pl.Boolean(), "estimate": pl.Float64(),
    "std_error": pl.Float64(), "ci_lower": pl.Float64(), "ci_upper": pl.Float64(), "p_value": pl.Float64(),
    "rate_ratio": pl.Float64(), "rr_ci_lower": pl.Float64(), "rr_ci_upper": pl.Float64(),
    "n_cohorts": pl.Int64(), "n_treated_areas": pl.Int64(), "observed": pl.Float64(),
    "counterfactual": pl.Float64(),
}

STACKED_METHOD = (
    "HEADLINE. Stacked Poisson difference-in-differences: one sub-experiment per start cohort, its treated areas "
    "compared only with clean controls ({controls}); sub-experiment x area and sub-experiment x period fixed "
    "effects; one effect per period since the start ({window}), aggregated to observed / counterfactual ASB in "
    "the treated areas after their start{offset}; errors clustered by area (CR1), t intervals with min(treated, "
    "control areas) - 1 degrees of freedom. The "
    "headline because it never uses already-treated areas as controls, so it is not biased by staggered starts "
    "or by effects that change with time since the start."
)
TWFE_METHOD = (
    "For comparison only. Two-way fixed-effects Poisson: area and period fixed effects and one treated x post "
    "indicator over the whole panel{offset}; errors clustered by area (CR1), t intervals as for the stacked "
    "estimate. Not the "
    "headline: with staggered starts it uses already-treated areas as controls and is biased when the effect "
    "changes with time since the start (Goodman-Bacon 2021)."
)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DidResult:
    """``table``: two rows (:data:`TIDY_COLUMNS`), the stacked estimate first (``headline``
    true), then the naive TWFE one; estimates are log rate ratios, ``rate_ratio`` = exp(estimate),
    ``post_periods`` the number of periods after the start averaged over. ``cohorts``: each start
    cohort's observed / counterfactual ASB over the same post periods (descriptive, from the
    stacked fit; :data:`COHORT_COLUMNS`). ``notes``: areas or observations set aside, and why."""

    table: pl.DataFrame
    cohorts: pl.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def headline(self) -> dict[str, Any]:
        return self.table.filter(pl.col("headline")).row(0, named=True)

    @property
    def rate_ratio(self) -> float:
        return float(self.headline["rate_ratio"])


@dataclass(frozen=True)
class PretrendTest:
    """Joint test that every pre-period event-study coefficient is zero: the cluster-robust Wald
    statistic, with its p-value from the restricted wild cluster bootstrap."""

    statistic: float  # Wald statistic, CR1 covariance
    df: int  # number of pre-period coefficients tested (q)
    p_value: float  # restricted wild cluster bootstrap (NaN when there is nothing to test)
    draws: int  # bootstrap draws
    method: str
    sentence: str


@dataclass(frozen=True)
class EventStudyResult:
    """``table``: one row per event time -leads..+lags (:data:`EVENT_COLUMNS`), the reference
    period -1 included with estimate 0 and ``reference`` true; ``average``: the aggregate over
    event times 0..lags in the DiD table's columns; ``pretrend``: the joint pre-trend test."""

    table: pl.DataFrame
    pretrend: PretrendTest
    average: pl.DataFrame
    method: str
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Poisson regression with two sets of fixed effects, cluster-robust errors and a wild bootstrap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WildParts:
    """What the restricted wild cluster bootstrap of a Wald test needs, from the fit with the
    tested indicators held at 0 (all at that fit; P = fitted + tested parameters, q tested)."""

    scores: np.ndarray  # (G, P) cluster scores
    solve: Any  # x -> H^-1 x, H the (concentrated) information over all P parameters
    rows: np.ndarray  # (q, P): the tested parameters' rows of H^-1
    cluster_info: np.ndarray  # (G, q, P): rows times each cluster's own share of the information


@dataclass(frozen=True)
class _FeFit:
    delta: np.ndarray  # (n_cells,) treatment-cell coefficients; -inf for a cell with no counts
    cov: np.ndarray  # (n_cells, n_cells) cluster-robust covariance; NaN rows/cols for such cells
    alpha: np.ndarray  # (n_a,) area fixed effects (profiled); -inf for an area with no counts
    gamma: np.ndarray  # (n_t,) period fixed effects; -inf for a period with no counts
    n_clusters: int
    n_obs: int  # observations used
    iterations: int
    converged: bool
    wild: _WildParts | None = None


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    levels, inverse = np.unique(values, return_inverse=True)
    return levels, inverse.astype(np.int64)


def _indicator(codes: np.ndarray, n_levels: int) -> sp.csr_matrix:
    n = codes.size
    return sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_levels))


_NOT_IDENTIFIED = ("the treatment effects are not identified: some cohort's treated areas have no control areas in "
                   "the same periods, or no periods before or after the start")


def _cholesky(h: np.ndarray):
    """A solver for ``h x = b`` (h symmetric positive definite), by a Cholesky factor of h scaled to
    unit diagonal; ValueError when h is (numerically) singular, i.e. the effects are not identified.
    (Cholesky rather than an eigen-decomposition: it is also fast with a busy multi-threaded BLAS.)"""
    d = np.sqrt(np.diag(h))
    if not np.all(d > 0):
        raise ValueError(_NOT_IDENTIFIED)
    try:
        lower = np.linalg.cholesky(h / np.outer(d, d))
    except np.linalg.LinAlgError:
        raise ValueError(_NOT_IDENTIFIED) from None
    if np.min(np.diag(lower)) ** 2 < 1e-10:
        raise ValueError(_NOT_IDENTIFIED)

    def solve(b: np.ndarray) -> np.ndarray:
        x = scipy.linalg.solve_triangular(lower, (b.T / d).T, lower=True)
        return (scipy.linalg.solve_triangular(lower.T, x, lower=False).T / d).T

    return solve


def _onehot(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)


def poisson_fe(y: np.ndarray, offset: np.ndarray, fe_a: np.ndarray, fe_t: np.ndarray, cell: np.ndarray,
               cluster: np.ndarray, *, n_a: int, n_t: int, n_cells: int, test_cell: np.ndarray | None = None,
               n_test: int = 0, tol: float = 1e-10, max_iter: int = 100) -> _FeFit:
    """Poisson regression ``log E[y] = offset + alpha[fe_a] + gamma[fe_t] + delta[cell]``
    (``cell`` = -1: no treatment term) with cluster-robust sandwich errors.

    ``fe_a`` must be nested within ``cluster`` (each area effect belongs to one cluster): its
    cluster scores are then zero, and the covariance of (gamma, delta) is the sandwich of the
    concentrated likelihood. ``alpha`` is concentrated out: given the rest,
    ``exp(alpha_a) = sum y / sum exp(offset + gamma + delta)`` over the area's rows, and Newton
    steps are taken on (gamma, delta) with one period effect per connected component of areas
    and periods fixed at 0. The covariance is CR1: the sandwich times G/(G-1).

    ``test_cell`` (optional, -1 for none): indicators whose coefficients are held at 0 in this
    fit; ``wild`` then holds what :func:`_wild_wald` needs to test that they are 0.
    """
    y = np.asarray(y, dtype=float)
    keep = np.ones(y.size, dtype=bool)
    has_cell = cell >= 0
    # Set aside areas, periods and cells without any counts (their effect is -inf), until none is left.
    while True:
        dropped = False
        for codes, n_levels, rows in ((fe_a, n_a, keep), (fe_t, n_t, keep),
                                      (np.maximum(cell, 0), n_cells, keep & has_cell)):
            total = np.bincount(codes[rows], weights=y[rows], minlength=n_levels)
            bad = rows & (total[codes] <= 0)
            if bad.any():
                keep &= ~bad
                dropped = True
        if not dropped:
            break
    if not keep.any():
        raise ValueError("no ASB counts at all in the areas and periods compared")
    yk, ok = y[keep], offset[keep]
    a_levels, a = _codes(fe_a[keep])
    t_levels, t = _codes(fe_t[keep])
    cell_k = cell[keep]
    c_levels, c = _codes(cell_k[cell_k >= 0])
    cell_col = np.full(cell_k.size, -1, dtype=np.int64)
    cell_col[cell_k >= 0] = c
    na, nt, nc = a_levels.size, t_levels.size, c_levels.size
    _, g = _codes(cluster[keep])
    n_clusters = int(g.max()) + 1

    # One period effect per connected component (of the area-period graph) is the reference.
    graph = _onehot(a, na + t, (na + nt, na + nt))
    _, component = connected_components(graph, directed=False)
    _, first = np.unique(component[na:], return_index=True)
    free = np.ones(nt, dtype=bool)
    free[first] = False
    t_col = np.full(nt, -1, dtype=np.int64)
    t_col[free] = np.arange(free.sum())
    n_free = int(free.sum())
    p = n_free + nc
    rows = np.arange(yk.size)
    tc = t_col[t]
    z = _onehot(np.concatenate([rows[tc >= 0], rows[cell_col >= 0]]),
                np.concatenate([tc[tc >= 0], n_free + cell_col[cell_col >= 0]]), (yk.size, p))
    area_t = _indicator(a, na).T.tocsr()
    by_cluster = _indicator(g, n_clusters).T.tocsr()
    y_area = np.bincount(a, weights=yk, minlength=na)

    def concentrated(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = ok + z @ theta
        top = np.full(na, -np.inf)
        np.maximum.at(top, a, eta)
        lam_sum = np.bincount(a, weights=np.exp(eta - top[a]), minlength=na)
        alpha = np.log(y_area) - top - np.log(lam_sum)
        log_mu = eta + alpha[a]
        return float(yk @ log_mu), np.exp(log_mu), alpha

    def information(design: sp.csr_matrix, mu: np.ndarray) -> np.ndarray:
        weighted = sp.csr_matrix(design.multiply(mu[:, None]))
        cross = area_t @ weighted
        return (design.T @ weighted).toarray() - (cross.T @ sp.diags(1.0 / y_area) @ cross).toarray()

    theta = np.zeros(p)
    ll, mu, alpha = concentrated(theta)
    iterations, converged = 0, False
    while iterations < max_iter:
        iterations += 1
        step = _cholesky(information(z, mu))(z.T @ (yk - mu))
        size = 1.0
        while True:
            ll_new, mu_new, alpha_new = concentrated(theta + size * step)
            if ll_new >= ll - 1e-12 * abs(ll) or size < 1e-8:
                break
            size /= 2
        theta = theta + size * step
        ll, mu, alpha = ll_new, mu_new, alpha_new
        if np.max(np.abs(size * step), initial=0.0) < tol:
            converged = True
            break
    solve = _cholesky(information(z, mu))
    scores = (by_cluster @ sp.csr_matrix(z.multiply((yk - mu)[:, None]))).toarray()
    influence = scores @ solve(np.eye(p)[:, n_free:])  # each cluster's share of delta-hat - delta
    factor = n_clusters / (n_clusters - 1) if n_clusters > 1 else math.nan
    delta = np.full(n_cells, -np.inf)
    delta[c_levels] = theta[n_free:]
    cov = np.full((n_cells, n_cells), math.nan)
    cov[np.ix_(c_levels, c_levels)] = influence.T @ influence * factor
    alpha_all = np.full(n_a, -np.inf)
    alpha_all[a_levels] = alpha
    gamma_all = np.full(n_t, -np.inf)
    gamma_all[t_levels] = np.where(free, theta[np.maximum(t_col, 0)], 0.0)

    wild = None
    if test_cell is not None:
        tk = test_cell[keep]
        full = sp.hstack([z, _onehot(rows[tk >= 0], tk[tk >= 0], (yk.size, n_test))]).tocsr()
        wild = _wild_parts(full, mu, yk - mu, p, area_t, by_cluster, y_area, information)
    return _FeFit(delta, cov, alpha_all, gamma_all, n_clusters, int(keep.sum()), iterations, converged, wild)


def _wild_parts(full: sp.csr_matrix, mu: np.ndarray, resid: np.ndarray, p: int, area_t: sp.csr_matrix,
                by_cluster: sp.csr_matrix, y_area: np.ndarray, information) -> _WildParts:
    """Scores, information and each cluster's own information over the fitted and tested
    parameters, at the restricted fit (its areas' effects concentrated out, as in the fit)."""
    n_all = full.shape[1]
    solve = _cholesky(information(full, mu))
    scores = (by_cluster @ sp.csr_matrix(full.multiply(resid[:, None]))).toarray()
    rows = solve(np.eye(n_all)[:, p:]).T  # (q, P)
    q = rows.shape[0]
    n_clusters = by_cluster.shape[0]
    # A cluster's information: sum over its areas of Z_a' W_a Z_a - (Z_a' mu_a)(Z_a' mu_a)' / Y_a.
    weighted = sp.csr_matrix(full.multiply(mu[:, None]))
    projected = full @ rows.T  # (n, q)
    coo = full.tocoo()
    row_cluster = by_cluster.T.tocsr().indices  # the cluster of each row
    flat = row_cluster[coo.row] * n_all + coo.col
    cross = area_t @ weighted  # (n_areas, P): Z_a' mu_a
    area_cluster = (area_t @ by_cluster.T).tocoo()
    area_of = np.zeros(area_t.shape[0], dtype=np.int64)
    area_of[area_cluster.row] = area_cluster.col
    cluster_of_area = _indicator(area_of, n_clusters).T.tocsr()
    cross_rows = np.asarray(cross @ rows.T)  # (n_areas, q)
    cluster_info = np.empty((n_clusters, q, n_all))
    for k in range(q):
        own = np.bincount(flat, weights=mu[coo.row] * projected[coo.row, k], minlength=n_clusters * n_all)
        shared = cluster_of_area @ (sp.diags(cross_rows[:, k] / y_area) @ cross)
        cluster_info[:, k, :] = own.reshape(n_clusters, n_all) - shared.toarray()
    return _WildParts(scores, solve, rows, cluster_info)


def _wild_statistics(parts: _WildParts, v: np.ndarray) -> np.ndarray:
    """The bootstrap Wald statistics W* for sign vectors ``v`` (draws x clusters), linearised at
    the restricted fit: one-step estimates b* = H^-1 sum_g v_g s_g, cluster scores
    v_g s_g - M_g b* (M_g: the cluster's own information), CR1 covariance of the tested part."""
    n_clusters = parts.scores.shape[0]
    tested = parts.scores @ parts.rows.T  # (G, q): R s_g
    onestep = parts.solve(parts.scores.T).T  # (G, P): (H^-1 s_g)'
    q = tested.shape[1]
    n = v.shape[0]
    estimate = v @ tested  # (n, q)
    shift = (parts.cluster_info.reshape(n_clusters * q, -1) @ (v @ onestep).T).reshape(n_clusters, q, n)
    star = v[:, :, None] * tested[None, :, :] - shift.transpose(2, 0, 1)  # (n, G, q)
    cov = np.einsum("ngq,ngr->nqr", star, star) * n_clusters / (n_clusters - 1)
    return np.einsum("nq,nq->n", estimate, np.einsum("nqr,nr->nq", np.linalg.pinv(cov), estimate))


def _wild_wald(wald: float, parts: _WildParts, *, draws: int, seed: int) -> float:
    """p-value of a cluster-robust Wald statistic by the restricted wild cluster bootstrap
    (Rademacher weights; Cameron, Gelbach & Miller 2008), linearised at the restricted fit:
    each draw flips the sign of every cluster's restricted residuals at random and recomputes the
    estimates and their CR1 covariance (:func:`_wild_statistics`).
    p = (1 + #{W* >= W}) / (draws + 1)."""
    n_clusters = parts.scores.shape[0]
    rng = np.random.default_rng(seed)
    exceed = done = 0
    while done < draws:
        n = min(250, draws - done)
        v = rng.choice(np.array([-1.0, 1.0]), size=(n, n_clusters))
        exceed += int(np.sum(_wild_statistics(parts, v) >= wald * (1 - 1e-10)))
        done += n
    return (1 + exceed) / (draws + 1)


# --------------------------------------------------------------------------------------------
# Panel preparation and designs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Data:
    area: np.ndarray  # per row: area code
    pidx: np.ndarray  # per row: period index 0..T-1
    y: np.ndarray
    offset: np.ndarray
    post: np.ndarray
    area_ids: np.ndarray  # per area code
    start: np.ndarray  # per area code: start period index (first post period), -1 if none
    treated: np.ndarray  # per area code: a treated area used in the comparison
    control: np.ndarray  # per area code: a never-treated control area
    later: np.ndarray  # per area code: treated role with a known start (a possible not-yet-treated control)
    periods: list  # period dates by index
    offset_used: bool
    notes: tuple[str, ...]


def _listed(ids: np.ndarray) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def _calendar(f: pl.DataFrame) -> tuple[pl.DataFrame, list, pl.Expr]:
    """``f`` with ``pidx`` (calendar periods since the first), the period dates by index, and the
    expression giving the index of the period containing each row's ``start_date``.

    Monthly (first-of-month) and weekly (Monday) periods are counted on the calendar, so periods
    left out of the panel as missing keep later periods' event times right; other period labels
    are ranked.
    """
    first, last = f["period"].min(), f["period"].max()
    monthly = bool((f["period"].dt.day() == 1).all())
    if monthly:
        def index(date: pl.Expr) -> pl.Expr:
            return (date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64)
                    - (first.year * 12 + first.month))
        periods = pl.date_range(first, last, "1mo", eager=True).to_list()
    elif bool((f["period"].dt.weekday() == 1).all()):
        def index(date: pl.Expr) -> pl.Expr:
            return (date - pl.lit(first)).dt.total_days().floordiv(7).cast(pl.Int64)
        periods = pl.date_range(first, last, "1w", eager=True).to_list()
    else:
        periods = f["period"].unique().sort().to_list()
        return (f.with_columns((pl.col("period").rank("dense") - 1).cast(pl.Int64).alias("pidx")), periods,
                pl.lit(None, pl.Int64))
    start = pl.col("start_date")
    start_period = start.dt.month_start() if monthly else start.dt.truncate("1w")
    return f.with_columns(index(pl.col("period")).alias("pidx")), periods, index(start_period)


def _prepare(panel: pl.DataFrame, treated_role: str, control_role: str) -> _Data:
    missing = [c for c in REQUIRED_COLUMNS if c not in panel.columns]
    if missing:
        raise ValueError(f"the panel lacks column(s) {', '.join(missing)}")
    for name, role in (("treated_role", treated_role), ("control_role", control_role)):
        if role not in ROLES:
            raise ValueError(f"{name} must be one of {', '.join(ROLES)}, got {role!r}")
    if treated_role == control_role:
        raise ValueError("treated_role and control_role must differ")
    notes: list[str] = []
    has_pop = "population" in panel.columns
    f = (panel.lazy()
         .filter(pl.col("role").is_in([treated_role, control_role]))
         .select(pl.col("area_id").cast(pl.String), pl.col("role").cast(pl.String),
                 pl.col("period").cast(pl.Date), pl.col("count").cast(pl.Float64).alias("y"),
                 pl.col("post").cast(pl.Boolean).fill_null(False),
                 pl.col("intervention_start").cast(pl.Date).alias("start_date"),
                 (pl.col("population").cast(pl.Float64) if has_pop else pl.lit(None, pl.Float64)).alias("pop"))
         .sort("area_id", "period")
         .with_columns(pl.when(pl.col("pop") > 0).then(pl.col("pop")).alias("pop"))
         .with_columns(pl.col("pop").forward_fill().backward_fill().over("area_id"))
         .collect())
    if f.height == 0:
        raise ValueError(f"the panel has no {treated_role} or {control_role} areas")
    if f["y"].null_count() or (f["y"] < 0).any() or f["period"].null_count():
        raise ValueError("the panel has missing or negative counts, or missing periods")
    if f.select(pl.struct("area_id", "period").is_duplicated().any()).item():
        raise ValueError("the panel has more than one row for the same area and period")
    f, periods, start_index = _calendar(f)
    areas = (f.group_by("area_id", maintain_order=True)
             .agg(pl.col("role").first(), pl.col("pidx").filter(pl.col("post")).min().alias("start"),
                  pl.col("pidx").min().alias("first"), start_index.first().alias("start_period")))
    # The start is the intervention's own period when that period is missing from the panel
    # (missing months are left out, not zero): event time still counts from the real start.
    areas = areas.with_columns(
        pl.when(pl.col("start_period").is_between(0, pl.col("start") - 1)).then(pl.col("start_period"))
        .otherwise(pl.col("start")).alias("start"))
    area_ids = areas["area_id"].to_numpy()
    role = areas["role"].to_numpy()
    start = areas["start"].fill_null(-1).to_numpy().astype(np.int64)
    first = areas["first"].to_numpy().astype(np.int64)
    is_treated_role = role == treated_role
    treated = is_treated_role & (start > first)
    control = (role == control_role) & (start < 0)
    never = is_treated_role & (start < 0)
    if never.any():
        notes.append(f"{treated_role} area(s) never 'post' in the data (no start, or a start after the data) left "
                     f"out: {_listed(area_ids[never])}")
    early = is_treated_role & (start >= 0) & (start <= first)
    if early.any():
        notes.append(f"{treated_role} area(s) treated from their first period (nothing before the start) left out: "
                     f"{_listed(area_ids[early])}")
    marked = (role == control_role) & (start >= 0)
    if marked.any():
        notes.append(f"{control_role} area(s) marked 'post' left out (controls must be untreated): "
                     f"{_listed(area_ids[marked])}")
    if not treated.any():
        raise ValueError(f"no {treated_role} area has periods both before and after its start")
    if not control.any():
        raise ValueError(f"no {control_role} areas to compare with")
    code = pl.DataFrame({"area_id": area_ids, "area": np.arange(area_ids.size)})
    f = f.join(code, on="area_id", how="left", maintain_order="left")
    offset_used = bool(has_pop and f["pop"].null_count() == 0)
    if has_pop and not offset_used:
        notes.append("population unknown (for some or all areas): no population offset (the area fixed effects "
                     "absorb differences in size)")
    offset = np.log(f["pop"].to_numpy()) if offset_used else np.zeros(f.height)
    return _Data(area=f["area"].to_numpy().astype(np.int64), pidx=f["pidx"].to_numpy(), y=f["y"].to_numpy(),
                 offset=offset, post=f["post"].to_numpy(), area_ids=area_ids, start=start, treated=treated,
                 control=control, later=is_treated_role & (start >= 0), periods=periods, offset_used=offset_used,
                 notes=tuple(notes))


@dataclass(frozen=True)
class _Design:
    y: np.ndarray
    offset: np.ndarray
    fe_a: np.ndarray
    fe_t: np.ndarray
    cell: np.ndarray  # per row: treatment cell (event time) code, -1 for none
    cluster: np.ndarray  # per row: area code
    n_a: int
    n_t: int
    row_cohort: np.ndarray  # per row: the sub-experiment's start period index
    cell_event: np.ndarray  # per cell: periods since the start
    cell_cohorts: np.ndarray  # per cell: number of cohorts in it
    cell_areas: np.ndarray  # per cell: number of treated areas in it
    treated_areas: np.ndarray  # area codes of the treated areas used
    control_areas: np.ndarray  # area codes used as controls (in any sub-experiment)
    label: str  # the post window, in words
    notes: tuple[str, ...]

    @property
    def n_cells(self) -> int:
        return int(self.cell_event.size)


def _design(d: _Data, rows: np.ndarray, fe_a: np.ndarray, fe_t: np.ndarray, cohort: np.ndarray,
            event: np.ndarray, is_treated_row: np.ndarray, is_cell: np.ndarray, label: str,
            notes: list[str]) -> _Design:
    """Code the fixed effects and the treatment cells (one per event time) of a design given by rows."""
    cell_events, inverse = np.unique(event[is_cell], return_inverse=True)
    cell = np.full(rows.size, -1, dtype=np.int64)
    cell[is_cell] = inverse
    _, fa = _codes(fe_a)
    _, ft = _codes(fe_t)
    area = d.area[rows]
    counts = (pl.DataFrame({"cell": inverse, "area": area[is_cell], "cohort": cohort[is_cell]})
              .group_by("cell").agg(pl.col("area").n_unique(), pl.col("cohort").n_unique()).sort("cell"))
    return _Design(y=d.y[rows], offset=d.offset[rows], fe_a=fa, fe_t=ft, cell=cell, cluster=area,
                   n_a=int(fa.max()) + 1, n_t=int(ft.max()) + 1, row_cohort=cohort, cell_event=cell_events,
                   cell_cohorts=counts["cohort"].to_numpy().astype(np.int64),
                   cell_areas=counts["area"].to_numpy().astype(np.int64),
                   treated_areas=np.unique(area[is_treated_row]), control_areas=np.unique(area[~is_treated_row]),
                   label=label, notes=tuple(notes))


def _stacked(d: _Data, *, pre: int | None, post: int | None | str, event_study: bool,
             not_yet_treated: bool) -> _Design:
    """Stack one sub-experiment per start cohort: its treated areas and clean controls in its window.

    ``pre``/``post``: periods kept before/after the start (None: all); ``post="balanced"``: the
    longest post window every cohort has."""
    last = len(d.periods) - 1
    notes: list[str] = []
    cohorts = np.unique(d.start[d.treated])
    if post == "balanced":
        post = int(last - cohorts.max())
        label = (f"event times 0..{post}: the {post + 1} period(s) after the start that every cohort has, so each "
                 "effect rests on every treated area")
        if len(cohorts) > 1 and post < last - cohorts.min():
            notes.append(f"post-period balanced across cohorts: {post + 1} period(s) from each start are used (the "
                         f"latest cohort, starting {d.periods[int(cohorts.max())]}, has no more); later periods of "
                         "earlier cohorts are not")
    elif post is None:
        label = "every period after the start (unbalanced: later event times rest on earlier cohorts only)"
    else:
        label = f"event times 0..{post} (trimmed)"
    parts: list[np.ndarray] = []
    subs: list[np.ndarray] = []
    row_start = d.start[d.area]
    for s in cohorts:
        lo = 0 if pre is None else s - pre
        hi = last if post is None else s + post
        in_window = (d.pidx >= lo) & (d.pidx <= hi)
        clean = d.control.copy()
        if not_yet_treated:
            clean |= d.later & (d.start > hi)
        treated_rows = in_window & d.treated[d.area] & (row_start == s)
        control_rows = in_window & clean[d.area]
        when = d.periods[int(s)]
        if not (treated_rows & (d.pidx == s - 1)).any():
            notes.append(f"cohort starting {when}: no period just before the start in the window; left out")
            continue
        if not control_rows.any():
            notes.append(f"cohort starting {when}: no clean control areas in its window; left out")
            continue
        idx = np.flatnonzero(treated_rows | control_rows)
        parts.append(idx)
        subs.append(np.full(idx.size, s, dtype=np.int64))
    if not parts:
        raise ValueError("no start cohort has both a period before its start and clean control areas")
    rows = np.concatenate(parts)
    sub = np.concatenate(subs)
    is_treated_row = d.treated[d.area[rows]] & (d.start[d.area[rows]] == sub)
    event = d.pidx[rows] - sub
    is_cell = is_treated_row & ((event != -1) if event_study else (event >= 0))
    n_areas, n_periods = d.area_ids.size, last + 1
    return _design(d, rows, sub * n_areas + d.area[rows], sub * n_periods + d.pidx[rows], sub, event,
                   is_treated_row, is_cell, label, notes)


def _twfe(d: _Data) -> _Design:
    """The whole panel (the treated areas used and the controls) with one treated x post indicator."""
    rows = np.flatnonzero(d.treated[d.area] | d.control[d.area])
    is_treated_row = d.treated[d.area[rows]]
    is_cell = is_treated_row & d.post[rows]
    cohort = d.start[d.area[rows]]
    return _design(d, rows, d.area[rows], d.pidx[rows], cohort, np.zeros(rows.size, dtype=np.int64),
                   is_treated_row, is_cell, "every period after the start", [])


def _fit(design: _Design) -> _FeFit:
    return poisson_fe(design.y, design.offset, design.fe_a, design.fe_t, design.cell, design.cluster,
                      n_a=design.n_a, n_t=design.n_t, n_cells=design.n_cells)


# --------------------------------------------------------------------------------------------
# Aggregation and tidy rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    observed: np.ndarray  # Y per cell
    counterfactual: np.ndarray  # C per cell
    delta: np.ndarray
    cov: np.ndarray
    row_counterfactual: np.ndarray  # per treated-cell row


def _cells(design: _Design, fit: _FeFit) -> _Cells:
    has = design.cell >= 0
    cf_rows = np.exp(design.offset[has] + fit.alpha[design.fe_a[has]] + fit.gamma[design.fe_t[has]])
    observed = np.bincount(design.cell[has], weights=design.y[has], minlength=design.n_cells)
    counterfactual = np.bincount(design.cell[has], weights=cf_rows, minlength=design.n_cells)
    return _Cells(observed, counterfactual, fit.delta, fit.cov, cf_rows)


def _ratio(cells: _Cells, select: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
    """log(sum Y / sum C) over the selected cells, its standard error, Y, C and its gradient w."""
    sel = np.flatnonzero(select)
    big_y = float(cells.observed[sel].sum())
    big_c = float(cells.counterfactual[sel].sum())
    w = np.zeros(cells.delta.size)
    if big_y <= 0 or big_c <= 0:
        return math.nan, math.nan, big_y, big_c, w
    ident = sel[np.isfinite(cells.delta[sel])]
    w[ident] = cells.counterfactual[ident] / big_c
    var = float(w[ident] @ cells.cov[np.ix_(ident, ident)] @ w[ident])
    return math.log(big_y / big_c), math.sqrt(max(var, 0.0)), big_y, big_c, w


def _inference(estimate: float, se: float, df: int) -> dict[str, float]:
    nan = math.nan
    if not (math.isfinite(estimate) and math.isfinite(se)) or df < 1:
        return {"estimate": estimate, "std_error": se, "ci_lower": nan, "ci_upper": nan, "p_value": nan,
                "rate_ratio": math.exp(estimate) if math.isfinite(estimate) else nan, "rr_ci_lower": nan,
                "rr_ci_upper": nan}
    q = float(stats.t.ppf(0.975, df))
    low, high = estimate - q * se, estimate + q * se
    p = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else nan
    return {"estimate": estimate, "std_error": se, "ci_lower": low, "ci_upper": high, "p_value": p,
            "rate_ratio": math.exp(estimate), "rr_ci_lower": math.exp(low), "rr_ci_upper": math.exp(high)}


def _controls_label(control_role: str, not_yet_treated: bool, treated_role: str) -> str:
    label = f"never-treated {control_role} areas"
    if not_yet_treated:
        label += f" and {treated_role} areas not yet treated by the end of the window"
    return label


def _offset_label(d: _Data) -> str:
    return "; log population offset" if d.offset_used else "; no population offset"


def _df(design: _Design) -> int:
    """Degrees of freedom of the t intervals: the smaller of the numbers of treated and of control
    areas (clusters), less 1 (at least 1). With few treated or few control areas, the treated-control
    contrast rests on that many clusters, not on all of them."""
    return max(min(design.treated_areas.size, design.control_areas.size) - 1, 1)


def _few_clusters_note(design: _Design) -> list[str]:
    small = min(design.treated_areas.size, design.control_areas.size)
    if small >= 6:
        return []
    return [f"only {design.treated_areas.size} treated and {design.control_areas.size} control areas: clustered "
            "standard errors are unreliable with so few areas on one side; read the intervals as rough"]


def _convergence_note(fit: _FeFit) -> list[str]:
    if fit.converged:
        return []
    return [f"the Poisson fit had not converged after {fit.iterations} Newton steps: treat the estimates with care"]


def _separated_note(fit: _FeFit) -> list[str]:
    n = int(np.sum(~np.isfinite(fit.delta)))
    if not n:
        return []
    return [f"{n} event time(s) with no ASB at all in the treated areas: no effect can be estimated for them; "
            "they count in the averages with their observed zero and their counterfactual"]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def fit_did(panel: pl.DataFrame, *, treated_role: str = "hotspot", control_role: str = "comparison",
            window: tuple[int | None, int | None] | None = None, not_yet_treated: bool = False) -> DidResult:
    """Difference-in-differences of ASB in ``treated_role`` areas against ``control_role`` areas:
    the stacked estimate (headline, first row) and the naive two-way fixed-effects one.

    ``window``: (periods before, periods after) the start kept in each stacked sub-experiment
    (None for either side: all); ``window=None`` (default): every period before and the balanced
    post window (see the module doc). ``not_yet_treated``: also use, as controls, treated-role
    areas whose own start is after a sub-experiment's window.
    """
    d = _prepare(panel, treated_role, control_role)
    notes = list(d.notes)
    pre, post = window if window is not None else (None, "balanced")
    if (pre is not None and pre < 1) or (post is not None and post != "balanced" and post < 0):
        raise ValueError("window: at least 1 period before the start and 0 or more after")
    stacked = _stacked(d, pre=pre, post=post, event_study=False, not_yet_treated=not_yet_treated)
    notes.extend(stacked.notes)
    fit_s = _fit(stacked)
    notes.extend(_separated_note(fit_s) + _convergence_note(fit_s))
    notes.extend(_few_clusters_note(stacked))
    cells = _cells(stacked, fit_s)
    est, se, _, _, _ = _ratio(cells, np.ones(stacked.n_cells, dtype=bool))

    twfe = _twfe(d)
    fit_t = _fit(twfe)
    notes.extend(_convergence_note(fit_t))
    beta = float(fit_t.delta[0])
    se_t = math.sqrt(fit_t.cov[0, 0]) if math.isfinite(beta) else math.nan

    controls = _controls_label(control_role, not_yet_treated, treated_role)
    common = {"treated_role": treated_role, "control_role": control_role}
    rows = [
        {"term": "did", "estimator": "stacked", "headline": True, **_inference(est, se, _df(stacked)),
         "n_treated_areas": int(stacked.treated_areas.size), "n_control_areas": int(stacked.control_areas.size),
         "n_cohorts": int(np.unique(stacked.row_cohort).size), "n_clusters": fit_s.n_clusters,
         "post_periods": stacked.n_cells, **common,
         "method": STACKED_METHOD.format(controls=controls, window=stacked.label, offset=_offset_label(d))},
        {"term": "did", "estimator": "twfe", "headline": False, **_inference(beta, se_t, _df(twfe)),
         "n_treated_areas": int(twfe.treated_areas.size), "n_control_areas": int(twfe.control_areas.size),
         "n_cohorts": int(np.unique(d.start[twfe.treated_areas]).size), "n_clusters": fit_t.n_clusters,
         "post_periods": int(len(d.periods) - d.start[twfe.treated_areas].min()), **common,
         "method": TWFE_METHOD.format(offset=_offset_label(d))},
    ]
    table = pl.DataFrame(rows, schema=TIDY_COLUMNS)

    has = stacked.cell >= 0
    cohorts = (pl.DataFrame({"cohort": stacked.row_cohort[has], "area": stacked.cluster[has],
                             "event": stacked.cell[has], "observed": stacked.y[has],
                             "counterfactual": cells.row_counterfactual})
               .group_by("cohort")
               .agg(pl.col("area").n_unique().alias("n_treated_areas"), pl.col("event").n_unique().alias("n_post"),
                    pl.col("observed").sum(), pl.col("counterfactual").sum())
               .sort("cohort"))
    cohort_table = pl.DataFrame({
        "cohort_start": [d.periods[int(s)] for s in cohorts["cohort"]],
        "n_treated_areas": cohorts["n_treated_areas"], "n_post_periods": cohorts["n_post"],
        "observed": cohorts["observed"], "counterfactual": cohorts["counterfactual"],
        "rate_ratio": cohorts["observed"] / cohorts["counterfactual"]}, schema=COHORT_COLUMNS)
    return DidResult(table, cohort_table, tuple(notes))


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _pretrend_test(design: _Design, cells: _Cells, *, draws: int, seed: int) -> PretrendTest:
    """Wald test that the pre-period (event time <= -2) coefficients are all 0, p-value by the
    restricted wild cluster bootstrap (see the module doc)."""
    tested = np.flatnonzero((design.cell_event <= -2) & np.isfinite(cells.delta))
    q = int(tested.size)
    method = (f"joint Wald test (CR1 clustered covariance) that the {q} pre-period coefficients are 0; p-value from "
              f"the restricted wild cluster bootstrap (Rademacher, {draws} draws)")
    if q == 0:
        return PretrendTest(math.nan, 0, math.nan, 0, "nothing to test",
                            "no pre-period event times to test (leads must be at least 2)")
    estimates = cells.delta[tested]
    wald = float(estimates @ np.linalg.pinv(cells.cov[np.ix_(tested, tested)]) @ estimates)
    if not math.isfinite(wald):
        return PretrendTest(wald, q, math.nan, 0, method, "the pre-trend test could not be computed")
    # the model with the tested coefficients held at 0
    is_tested = np.zeros(design.n_cells, dtype=bool)
    is_tested[tested] = True
    which = np.maximum(design.cell, 0)
    has = design.cell >= 0
    kept_code = np.cumsum(~is_tested) - 1
    tested_code = np.cumsum(is_tested) - 1
    restricted = poisson_fe(
        design.y, design.offset, design.fe_a, design.fe_t,
        np.where(has & ~is_tested[which], kept_code[which], -1), design.cluster, n_a=design.n_a, n_t=design.n_t,
        n_cells=int((~is_tested).sum()), test_cell=np.where(has & is_tested[which], tested_code[which], -1),
        n_test=q)
    p = _wild_wald(wald, restricted.wild, draws=draws, seed=seed)
    if p < 0.05:
        sentence = (f"evidence of differing pre-trends ({_p_text(p)}): the treated and comparison areas were already "
                    "moving differently before the start, so the difference-in-differences may be biased")
    else:
        sentence = f"no evidence of differing pre-trends ({_p_text(p)})"
    return PretrendTest(wald, q, p, draws, method, sentence)


def event_study(panel: pl.DataFrame, *, leads: int, lags: int, treated_role: str = "hotspot",
                control_role: str = "comparison", not_yet_treated: bool = False, draws: int = 999,
                seed: int = 20231001) -> EventStudyResult:
    """Stacked Poisson event study, event times -leads..+lags (reference -1, trimmed window),
    with a joint pre-trend test (``draws`` wild bootstrap draws, ``seed``; see the module doc)."""
    if leads < 0 or lags < 0:
        raise ValueError("leads and lags must not be negative")
    if draws < 99:
        raise ValueError("use at least 99 bootstrap draws")
    d = _prepare(panel, treated_role, control_role)
    notes = list(d.notes)
    design = _stacked(d, pre=max(leads, 1), post=lags, event_study=True, not_yet_treated=not_yet_treated)
    notes.extend(design.notes)
    fit = _fit(design)
    notes.extend(_separated_note(fit) + _convergence_note(fit) + _few_clusters_note(design))
    cells = _cells(design, fit)
    df = _df(design)
    n_cohorts = int(np.unique(design.row_cohort).size)
    rows = []
    for e in range(-max(leads, 1), lags + 1):
        base = {"term": f"event_{e}", "event_time": e}
        if e == -1:
            rows.append({**base, "reference": True, "estimate": 0.0, "std_error": None, "ci_lower": None,
                         "ci_upper": None, "p_value": None, "rate_ratio": 1.0, "rr_ci_lower": None,
                         "rr_ci_upper": None, "n_cohorts": n_cohorts, "n_treated_areas": int(design.treated_areas.size),
                         "observed": None, "counterfactual": None})
            continue
        sel = design.cell_event == e
        if not sel.any():
            continue
        est, se, big_y, big_c, _ = _ratio(cells, sel)
        rows.append({**base, "reference": False, **_inference(est, se, df),
                     "n_cohorts": int(design.cell_cohorts[sel][0]), "n_treated_areas": int(design.cell_areas[sel][0]),
                     "observed": big_y, "counterfactual": big_c})
    table = pl.DataFrame(rows, schema=EVENT_COLUMNS)
    pretrend = _pretrend_test(design, cells, draws=draws, seed=seed)
    est, se, _, _, _ = _ratio(cells, design.cell_event >= 0)
    controls = _controls_label(control_role, not_yet_treated, treated_role)
    method = (f"Stacked Poisson event study: one sub-experiment per start cohort against {controls}; event times "
              f"-{leads}..+{lags} (reference -1; periods outside the window trimmed, not binned); sub-experiment x "
              f"area and sub-experiment x period fixed effects; one coefficient per event time{_offset_label(d)}; "
              f"errors clustered by area (CR1), t({df}) intervals; pre-trend test: {pretrend.method}.")
    average = pl.DataFrame([{
        "term": "did", "estimator": "stacked event window", "headline": False, **_inference(est, se, df),
        "n_treated_areas": int(design.treated_areas.size), "n_control_areas": int(design.control_areas.size),
        "n_cohorts": n_cohorts, "n_clusters": fit.n_clusters, "post_periods": int(np.sum(design.cell_event >= 0)),
        "treated_role": treated_role, "control_role": control_role,
        "method": f"observed / counterfactual over event times 0..{lags} of the event study"}], schema=TIDY_COLUMNS)
    return EventStudyResult(table, pretrend, average, method, tuple(notes))
