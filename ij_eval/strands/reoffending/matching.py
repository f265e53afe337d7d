"""The comparison group for the reoffending analysis: propensity scores, matching, weighting, balance.

IJ participants (``treated`` = 1) are compared with people dealt with outside the scheme
(``treated`` = 0). Prior offending and age drive both referral to IJ and reoffending, so the raw
comparison is confounded; this module builds an adjusted comparison in one of two ways:

* **nearest-neighbour matching** (:func:`nearest_neighbour_match`): greedy 1:k matching on the
  logit of the propensity score within a caliper, reproducing R ``MatchIt::matchit(method =
  "nearest", distance = "glm", link = "linear.logit", caliper = c, std.caliper = TRUE)`` exactly,
  including its processing order and tie-breaking;
* **inverse probability weighting** (:func:`ipw_weights`).

Balance before and after adjustment is measured the way ``summary.matchit()`` measures it
(:func:`balance_table`, :func:`balance_before_after`).

Covariates are numeric columns or categorical (string) columns. A categorical is dummy-coded
against its most common level in the propensity model; a null in a categorical becomes its own
level ``"unknown"``. A null (or NaN) in a numeric covariate is refused: impute or drop it first,
knowingly. Every other column (outcomes, ids) is carried along untouched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import optimize, stats

from ij_eval.config import ReoffendingConfig
from ij_eval.errors import IJEvalError

TREATED = "treated"
UNKNOWN_LEVEL = "unknown"
IMBALANCE_THRESHOLD = 0.1  # |SMD| above this flags a covariate as imbalanced (Austin 2009)
MATCH_ORDER = "largest"  # MatchIt's default m.order for an estimated propensity score and the ATT
_SEPARATION_LOGIT = 15.0  # |logit| beyond this (p < 3e-7) prompts the separation check
_TINY = math.sqrt(np.finfo(float).eps)  # MatchIt's threshold for "no difference" / "no spread"

_DEFAULTS = ReoffendingConfig()

Estimand = Literal["ATT", "ATE"]


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PropensityModel:
    """A fitted logistic propensity model: P(treated = 1 | covariates).

    Attributes
    ----------
    frame : polars.DataFrame
        The input frame, unchanged (row ``i`` of every array below is row ``i`` of it).
    covariates : tuple of str
        The covariate columns, as given.
    formula : str
        The model in R notation, e.g. ``treated ~ age + sex + prior_offences``.
    terms : tuple of str
        Design-matrix column names: ``(Intercept)``, numeric covariates by name, and one
        ``"covariate: level"`` dummy per non-reference level of each categorical.
    reference_levels : tuple of (str, str)
        ``(covariate, reference level)`` for each categorical (its most common level).
    treated : numpy.ndarray
        0/1 treatment indicator.
    scores : numpy.ndarray
        Fitted propensity scores.
    logit : numpy.ndarray
        The linear predictor, log(score / (1 - score)); the matching distance.
    coefficients : polars.DataFrame
        ``term, estimate, std_error, ci_lower, ci_upper, p_value`` (Wald, 95%).
    n_iterations : int
        IRLS iterations to convergence.
    """

    frame: pl.DataFrame
    covariates: tuple[str, ...]
    formula: str
    terms: tuple[str, ...]
    reference_levels: tuple[tuple[str, str], ...]
    treated: np.ndarray
    scores: np.ndarray
    logit: np.ndarray
    coefficients: pl.DataFrame
    n_iterations: int

    @property
    def n_treated(self) -> int:
        return int(self.treated.sum())

    @property
    def n_control(self) -> int:
        return int(self.treated.size - self.treated.sum())


@dataclass(frozen=True, eq=False)
class Matched:
    """The result of nearest-neighbour matching.

    Attributes
    ----------
    frame : polars.DataFrame
        The matched people only (input row order), with every input column plus ``weights``,
        ``subclass`` (the pair / matched set id; null for controls under matching with
        replacement, where a control can sit in several sets: see ``pairs``) and
        ``propensity_score``.
    weights : numpy.ndarray
        Matching weights for every input row, 0 for the unmatched (MatchIt's: 1 for a matched
        treated person; a control gets 1/k per matched set of k controls it is in, rescaled so
        the control weights sum to the number of distinct matched controls). Use with
        :func:`balance_table` on the full frame.
    pairs : polars.DataFrame
        One row per (treated, control) match: ``subclass, treated_row, control_row, round,
        logit_distance``; rows are 0-based positions in the input frame, ``round`` is 1 for the
        first control found for a treated person, 2 for the second, ...
    n_treated, n_treated_matched, n_treated_unmatched, n_control, n_control_matched : int
        Treated people with no control within the caliper (or none left) are unmatched.
    caliper : float or None
        The caliper on the logit scale (``caliper_sd`` x SD of the logit over everyone).
    caliper_sd, ratio, replace, order
        The settings used; ``order`` is the order treated people were processed in.
    """

    frame: pl.DataFrame
    weights: np.ndarray
    pairs: pl.DataFrame
    n_treated: int
    n_treated_matched: int
    n_treated_unmatched: int
    n_control: int
    n_control_matched: int
    caliper: float | None
    caliper_sd: float | None
    ratio: int
    replace: bool
    order: str

    def counts(self) -> pl.DataFrame:
        """The counts as a tidy table (``group, n, matched, unmatched``)."""
        return pl.DataFrame({
            "group": ["ij", "comparison"],
            "n": [self.n_treated, self.n_control],
            "matched": [self.n_treated_matched, self.n_control_matched],
            "unmatched": [self.n_treated_unmatched, self.n_control - self.n_control_matched],
        })


@dataclass(frozen=True, eq=False)
class IPWeights:
    """Inverse-probability-of-treatment weights.

    Attributes
    ----------
    weights : numpy.ndarray
        One weight per input row.
    estimand : str
        ``"ATT"`` or ``"ATE"``.
    trim : float or None
        Scores were truncated to ``[trim, 1 - trim]`` before weighting (None: not truncated).
    n_trimmed : int
        How many scores the truncation changed.
    stabilised : bool
        ATE weights multiplied by the marginal probability of the person's own group.
    ess_treated, ess_control : float
        Kish effective sample sizes, ``(sum w)^2 / sum w^2``, per group.
    max_weight : float
        The largest weight.
    """

    weights: np.ndarray
    estimand: str
    trim: float | None
    n_trimmed: int
    stabilised: bool
    ess_treated: float
    ess_control: float
    max_weight: float


# ----------------------------------------------------------------------------------------------
# Checks and encoding
# ----------------------------------------------------------------------------------------------


def check_group_sizes(n_treated: int, n_control: int, minimum: int) -> None:
    """Refuse to build a comparison when either group is smaller than ``minimum``.

    Raises
    ------
    IJEvalError
        Naming each group that is too small, its size, the minimum and the setting to change.
    """
    small = [f"the {label} has {n} {'person' if n == 1 else 'people'}"
             for label, n in (("IJ group", n_treated), ("comparison cohort", n_control)) if n < minimum]
    if small:
        raise IJEvalError(f"{' and '.join(small)}; at least {minimum} are needed in each group to build "
                          "an adjusted comparison (set [reoffending] min_group_size to change)")


def _treatment(frame: pl.DataFrame, treated: str = TREATED) -> np.ndarray:
    if treated not in frame.columns:
        raise IJEvalError(f"the comparison data have no '{treated}' column (1 = IJ, 0 = comparison cohort)")
    column = frame[treated]
    n_null = column.null_count()
    if n_null:
        raise IJEvalError(f"'{treated}' is missing for {n_null} people; it must be 1 (IJ) or 0 (comparison)")
    values = column.cast(pl.Float64, strict=False).to_numpy()
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise IJEvalError(f"'{treated}' must be 1 (IJ) or 0 (comparison); {int(bad.sum())} values are neither")
    return values.astype(np.int8)


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _numeric(frame: pl.DataFrame, name: str) -> np.ndarray:
    column = frame[name]
    if column.dtype == pl.Boolean:
        column = column.cast(pl.Int8)
    if not column.dtype.is_numeric():
        raise IJEvalError(f"covariate '{name}' has type {column.dtype}; covariates must be numbers or text "
                          "categories")
    values = column.cast(pl.Float64).to_numpy()
    missing = ~np.isfinite(values)  # null arrives as NaN
    if missing.any():
        raise IJEvalError(f"covariate '{name}' is missing (or not finite) for {int(missing.sum())} people; "
                          "the propensity model needs a value for everyone: impute it or drop those "
                          "people before matching")
    return values


def _levels(frame: pl.DataFrame, name: str) -> tuple[np.ndarray, list[str]]:
    """Text values (null -> ``unknown``) and levels, most common first (ties alphabetical)."""
    values = frame[name].cast(pl.String).fill_null(UNKNOWN_LEVEL)
    counts = values.value_counts(name="n").sort(["n", name], descending=[True, False])
    return values.to_numpy().astype(str), counts[name].to_list()


def _encode(frame: pl.DataFrame, covariates: Sequence[str], *, drop_reference: bool
            ) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """Numeric design columns for ``covariates``.

    Categoricals give one dummy per level, named ``"covariate: level"``: every level but the most
    common (the reference) when ``drop_reference``, else every level, alphabetically.
    """
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise IJEvalError(f"covariate column{'s' if len(missing) > 1 else ''} not found: {', '.join(missing)} "
                          f"(columns present: {', '.join(frame.columns)})")
    columns, names, references = [], [], []
    for name in covariates:
        if not _is_categorical(frame[name].dtype):
            columns.append(_numeric(frame, name))
            names.append(name)
            continue
        values, levels = _levels(frame, name)
        if drop_reference:
            references.append((name, levels[0]))
            levels = sorted(levels[1:])
        else:
            levels = sorted(levels)
        for level in levels:
            columns.append((values == level).astype(float))
            names.append(f"{name}: {level}")
    matrix = np.column_stack(columns) if columns else np.empty((frame.height, 0))
    return matrix, names, references


# ----------------------------------------------------------------------------------------------
# Propensity model
# ----------------------------------------------------------------------------------------------


def _check_rank(design: np.ndarray, terms: list[str]) -> None:
    rank = np.linalg.matrix_rank(design)
    if rank == design.shape[1]:
        return
    # Name the first column that adds nothing to the ones before it.
    for j in range(1, design.shape[1] + 1):
        if np.linalg.matrix_rank(design[:, :j]) < j:
            raise IJEvalError(f"the propensity model cannot be fitted: '{terms[j - 1]}' is constant or a "
                              "combination of the other covariates; drop it from [reoffending] covariates")


def _separation_direction(design: np.ndarray, treated: np.ndarray) -> np.ndarray | None:
    """A direction along which the likelihood keeps rising (Konis 2007 linear programme), or None.

    Separation (complete or quasi-complete) exists when some ``b != 0`` has ``x_i'b >= 0`` for every
    treated and ``<= 0`` for every control person; then no maximum-likelihood estimate exists.
    """
    scale = design.std(axis=0)
    scale[scale == 0] = 1.0
    x = design / scale
    signed = x * np.where(treated == 1, 1.0, -1.0)[:, None]
    result = optimize.linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(x)),
                              bounds=[(-1, 1)] * x.shape[1], method="highs")
    if result.status != 0 or -result.fun <= 1e-6 * len(x):
        return None
    return result.x


def _separation_error(design: np.ndarray, treated: np.ndarray, terms: list[str]) -> IJEvalError | None:
    direction = _separation_direction(design, treated)
    if direction is None:
        return None
    # Name the covariates that separate on their own if there are any, else the direction found.
    involved = [terms[j] for j in range(1, len(terms))
                if _separation_direction(design[:, [0, j]], treated) is not None]
    involved = involved or [t for t, b in zip(terms[1:], direction[1:], strict=True) if abs(b) > 1e-6]
    return IJEvalError(
        "the propensity model cannot be estimated: IJ status is (almost) perfectly predicted by "
        f"{', '.join(repr(t) for t in involved) or 'the covariates'} (quasi-separation: some people "
        "have no comparable counterpart in the other group). Merge rare categories, restrict the "
        "comparison cohort to people like the IJ group, or drop the covariate")


def _level_in_one_group(frame: pl.DataFrame, covariates: Sequence[str], treated: np.ndarray) -> None:
    for name in covariates:
        if not _is_categorical(frame[name].dtype):
            continue
        values, levels = _levels(frame, name)
        for level in levels:
            in_level = values == level
            n_t = int(treated[in_level].sum())
            if n_t in (0, int(in_level.sum())):
                group = "the comparison cohort" if n_t == 0 else "the IJ group"
                raise IJEvalError(
                    f"covariate '{name}': level '{level}' occurs only in {group} ({int(in_level.sum())} "
                    "people), so the propensity model cannot be estimated (quasi-separation); merge it "
                    "with another level or remove those people")


def _coefficient_table(result, terms: list[str]) -> pl.DataFrame:
    estimate = np.asarray(result.params, dtype=float)
    std_error = np.asarray(result.bse, dtype=float)
    z = stats.norm.ppf(0.975)
    return pl.DataFrame({
        "term": terms, "estimate": estimate, "std_error": std_error,
        "ci_lower": estimate - z * std_error, "ci_upper": estimate + z * std_error,
        "p_value": 2 * stats.norm.sf(np.abs(estimate / std_error)),
    })


def propensity_scores(frame: pl.DataFrame, covariates: Sequence[str], *, treated: str = TREATED,
                      min_group_size: int = _DEFAULTS.min_group_size) -> PropensityModel:
    """Fit the logistic propensity model ``treated ~ covariates`` (maximum likelihood, IRLS).

    The same model as R ``glm(treated ~ ..., family = binomial)`` (and MatchIt's
    ``distance = "glm"``), with categoricals coded against their most common level.

    Parameters
    ----------
    frame : polars.DataFrame
        One row per person: ``treated`` (1 IJ, 0 comparison), the covariates, anything else.
    covariates : sequence of str
        Numeric or text columns.
    treated : str
        The treatment column.
    min_group_size : int
        Passed to :func:`check_group_sizes` (the strand passes ``[reoffending] min_group_size``).

    Returns
    -------
    PropensityModel

    Raises
    ------
    IJEvalError
        Too-small groups, a missing numeric covariate, a constant or collinear covariate,
        (quasi-)separation, or a model that does not converge.
    """
    t = _treatment(frame, treated)
    check_group_sizes(int(t.sum()), int(t.size - t.sum()), min_group_size)
    x, names, references = _encode(frame, covariates, drop_reference=True)
    design = np.column_stack([np.ones(frame.height), x])
    terms = ["(Intercept)", *names]
    _check_rank(design, terms)
    _level_in_one_group(frame, covariates, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # judged below, with a clearer message
        result = sm.GLM(t.astype(float), design, family=sm.families.Binomial()).fit(tol=1e-10, maxiter=100)
    logit = design @ np.asarray(result.params)
    converged = bool(getattr(result, "converged", True)) and np.isfinite(logit).all()
    if not converged or np.abs(logit).max() > _SEPARATION_LOGIT:
        problem = _separation_error(design, t, terms)
        if problem is not None:
            raise problem
        if not converged:
            raise IJEvalError("the propensity model did not converge in 100 iterations; check the "
                              "covariates for extreme values or near-duplicates")
    return PropensityModel(
        frame=frame, covariates=tuple(covariates), formula=f"{treated} ~ {' + '.join(covariates) or '1'}",
        terms=tuple(terms), reference_levels=tuple(references), treated=t,
        scores=1.0 / (1.0 + np.exp(-logit)), logit=logit, coefficients=_coefficient_table(result, terms),
        n_iterations=int(result.fit_history["iteration"]),
    )


def common_support(ps: np.ndarray, treated: np.ndarray) -> pl.DataFrame:
    """The range of propensity scores in each group and how many fall outside the other's.

    Returns
    -------
    polars.DataFrame
        ``group`` (ij, comparison), ``n``, ``min_score``, ``max_score`` and
        ``n_outside_other_range``: for the IJ row, IJ participants whose score lies outside the
        comparison cohort's range (no comparable person); for the comparison row, vice versa.
    """
    ps, treated = np.asarray(ps, dtype=float), np.asarray(treated)
    groups = {"ij": ps[treated == 1], "comparison": ps[treated == 0]}
    rows = []
    for name, other in (("ij", "comparison"), ("comparison", "ij")):
        own, against = groups[name], groups[other]
        outside = 0
        if own.size and against.size:
            outside = int(((own < against.min()) | (own > against.max())).sum())
        rows.append({"group": name, "n": int(own.size),
                     "min_score": float(own.min()) if own.size else None,
                     "max_score": float(own.max()) if own.size else None,
                     "n_outside_other_range": outside})
    return pl.DataFrame(rows, schema={"group": pl.String, "n": pl.Int64, "min_score": pl.Float64,
                                      "max_score": pl.Float64, "n_outside_other_range": pl.Int64})


# ----------------------------------------------------------------------------------------------
# Nearest-neighbour matching
# ----------------------------------------------------------------------------------------------


def _find(parent: list[int], j: int) -> int:
    """Union-find root with path compression: the nearest still-available slot from ``j``."""
    root = j
    while parent[root] != root:
        root = parent[root]
    while parent[j] != root:
        parent[j], j = root, parent[j]
    return root


def _layout(logit: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Controls sorted by logit, and for each treated person the number of controls before it.

    Everyone is sorted together with a stable sort (ties keep data order, as R's ``sort.list``),
    so "left" and "right" of a treated person among tied controls follow MatchIt.
    """
    order = np.argsort(logit, kind="stable")
    is_control = treated[order] == 0
    controls = order[is_control]
    before = np.cumsum(is_control) - is_control
    position = np.empty(logit.size, dtype=np.int64)
    position[order] = np.arange(logit.size)
    treated_rows = np.flatnonzero(treated == 1)
    return controls, treated_rows, before[position[treated_rows]]


def _greedy_without_replacement(d: np.ndarray, dc: np.ndarray, split: np.ndarray, sequence: np.ndarray,
                                ratio: int, caliper: float) -> np.ndarray:
    """MatchIt's greedy rounds; returns ``(n_treated, ratio)`` indices into ``dc`` (-1: none).

    Round r gives every treated person (in ``sequence``) its r-th control: the nearest control
    not yet used on either side; ties between the two sides go to the left (lower logit); a
    control further than ``caliper`` is not used. Used controls are skipped in O(alpha(n)) with
    two union-find "next available" pointers on the sorted controls, so there is no distance
    matrix and no scanning.
    """
    m = dc.size
    right = list(range(m + 1))  # right[j]: next available at or after j (m: none)
    left = list(range(m + 1))  # left[j + 1]: next available at or before j (0: none)
    controls = dc.tolist()
    found = np.full((d.size, ratio), -1, dtype=np.int64)
    available = m
    for r in range(ratio):
        for t in sequence.tolist():
            if available == 0:
                return found
            if r and found[t, r - 1] < 0:
                continue
            dt, at = d[t], int(split[t])
            k_left, k_right = _find(left, at) - 1, _find(right, at)
            ok_left = k_left >= 0 and abs(dt - controls[k_left]) <= caliper
            ok_right = k_right < m and abs(dt - controls[k_right]) <= caliper
            if ok_left and (not ok_right or abs(controls[k_left] - dt) <= abs(controls[k_right] - dt)):
                k = k_left
            elif ok_right:
                k = k_right
            else:
                continue
            found[t, r] = k
            right[k], left[k + 1] = k + 1, k
            available -= 1
    return found


def _greedy_with_replacement(d: np.ndarray, dc: np.ndarray, split: np.ndarray, ratio: int,
                             caliper: float) -> np.ndarray:
    """Each treated person's ``ratio`` nearest controls within the caliper (controls reusable)."""
    m = dc.size
    found = np.full((d.size, ratio), -1, dtype=np.int64)
    k_left, k_right = split - 1, split.copy()
    active = np.ones(d.size, dtype=bool)
    for r in range(ratio):
        gap_left = np.where(k_left >= 0, np.abs(d - dc[np.clip(k_left, 0, m - 1)]), np.inf)
        gap_right = np.where(k_right < m, np.abs(d - dc[np.clip(k_right, 0, m - 1)]), np.inf)
        ok_left, ok_right = active & (gap_left <= caliper), active & (gap_right <= caliper)
        take_left = ok_left & (~ok_right | (gap_left <= gap_right))
        take_right = ok_right & ~take_left
        found[take_left, r], found[take_right, r] = k_left[take_left], k_right[take_right]
        k_left[take_left] -= 1
        k_right[take_right] += 1
        active &= take_left | take_right
    return found


def _processing_order(d: np.ndarray, order: str) -> np.ndarray:
    if order == "largest":
        return np.argsort(-d, kind="stable")
    if order == "smallest":
        return np.argsort(d, kind="stable")
    if order == "data":
        return np.arange(d.size)
    raise IJEvalError(f"matching order must be 'largest', 'smallest' or 'data', got {order!r}")


def _matching_weights(n: int, treated_rows: np.ndarray, control_rows: np.ndarray) -> np.ndarray:
    """MatchIt's matching weights (ATT).

    Each matched treated person weighs 1. Each control gets 1/k from every matched set of k
    controls it belongs to; the control weights are then rescaled to sum to the number of
    distinct matched controls (so under 1:1 matching without replacement every weight is 1).
    """
    found = control_rows >= 0
    k = found.sum(axis=1)
    weights = np.zeros(n)
    weights[treated_rows[k > 0]] = 1.0
    share = np.broadcast_to((1.0 / np.maximum(k, 1))[:, None], control_rows.shape)
    np.add.at(weights, control_rows[found], share[found])
    used = np.unique(control_rows[found])
    if used.size:
        weights[used] *= used.size / weights[used].sum()
    return weights


def nearest_neighbour_match(model: PropensityModel, *, caliper_sd: float | None = _DEFAULTS.caliper_sd, ratio: int = 1,
                            replace: bool = False, order: str = MATCH_ORDER) -> Matched:
    """Greedy 1:``ratio`` nearest-neighbour matching on the logit of the propensity score.

    Reproduces ``MatchIt::matchit(method = "nearest", distance = "glm", link = "linear.logit",
    caliper = caliper_sd, std.caliper = TRUE, ratio = ratio, replace = replace, m.order = order)``
    (MatchIt 4.5):

    * the caliper is ``caliper_sd`` x SD of the logit over everyone (Austin 2011 recommends 0.2);
      a treated person with no unused control within it stays unmatched;
    * treated people are processed from the largest propensity score down (MatchIt's default
      ``m.order = "largest"`` for the ATT; ties in data order). Each takes the nearest unused
      control; when the nearest below and above are equally far, the one below. With ``ratio``
      k > 1, every treated person gets a first control before anyone gets a second, and so on;
    * without replacement each control is used once; with replacement the order is irrelevant.

    Runs in O(n log n): a sorted array and union-find pointers, never a distance matrix.

    MatchIt 4.5.1-4.5.3 (Debian's r-cran-matchit is 4.5.1) compare distances with C's integer
    ``abs()`` (kosukeimai/MatchIt#163), so on a logit they ignore the caliper and always take the
    lower neighbour; ``tests/test_matching.py`` shows how to compare with them anyway.

    Parameters
    ----------
    model : PropensityModel
    caliper_sd : float or None
        Caliper in SDs of the logit; None for no caliper.
    ratio : int
        Controls per treated person.
    replace : bool
        Whether a control may be matched to several treated people.
    order : {"largest", "smallest", "data"}
        Order in which treated people choose.

    Returns
    -------
    Matched
    """
    if ratio < 1 or int(ratio) != ratio:
        raise IJEvalError(f"matching ratio must be a whole number of at least 1, got {ratio}")
    if caliper_sd is not None and caliper_sd <= 0:
        raise IJEvalError(f"caliper_sd must be positive, got {caliper_sd}")
    check_group_sizes(model.n_treated, model.n_control, 1)
    logit, treated = model.logit, model.treated
    caliper = None if caliper_sd is None else float(caliper_sd * np.std(logit, ddof=1))
    controls, treated_rows, split = _layout(logit, treated)
    d, dc = logit[treated_rows], logit[controls]
    limit = math.inf if caliper is None else caliper
    if replace:
        found = _greedy_with_replacement(d, dc, split, int(ratio), limit)
    else:
        found = _greedy_without_replacement(d, dc, split, _processing_order(d, order), int(ratio), limit)
    control_rows = np.where(found >= 0, controls[np.maximum(found, 0)], -1)
    return _assemble(model, treated_rows, control_rows, caliper=caliper, caliper_sd=caliper_sd,
                     ratio=int(ratio), replace=replace, order="data" if replace else order)


def _assemble(model: PropensityModel, treated_rows: np.ndarray, control_rows: np.ndarray, **settings) -> Matched:
    n = model.frame.height
    weights = _matching_weights(n, treated_rows, control_rows)
    has_match = (control_rows >= 0).any(axis=1)
    subclass_of_treated = np.cumsum(has_match)  # sets numbered by the treated person's data order
    t_index, rounds = np.nonzero(control_rows >= 0)
    pairs = pl.DataFrame({
        "subclass": subclass_of_treated[t_index].astype(np.int64),
        "treated_row": treated_rows[t_index].astype(np.int64),
        "control_row": control_rows[t_index, rounds].astype(np.int64),
        "round": (rounds + 1).astype(np.int64),
    }).with_columns(logit_distance=pl.Series(
        np.abs(model.logit[treated_rows[t_index]] - model.logit[control_rows[t_index, rounds]])))
    subclass = np.full(n, -1, dtype=np.int64)
    subclass[treated_rows[has_match]] = subclass_of_treated[has_match]
    if not settings["replace"]:
        subclass[pairs["control_row"].to_numpy()] = pairs["subclass"].to_numpy()
    frame = (model.frame
             .with_columns(weights=pl.Series(weights), subclass=pl.Series(subclass),
                           propensity_score=pl.Series(model.scores))
             .with_columns(subclass=pl.when(pl.col("subclass") >= 0).then(pl.col("subclass")))
             .filter(pl.Series(weights > 0)))
    n_matched = int(has_match.sum())
    return Matched(frame=frame, weights=weights, pairs=pairs, n_treated=treated_rows.size,
                   n_treated_matched=n_matched, n_treated_unmatched=treated_rows.size - n_matched,
                   n_control=model.n_control, n_control_matched=int(((weights > 0) & (model.treated == 0)).sum()),
                   **settings)


# ----------------------------------------------------------------------------------------------
# Inverse probability weighting
# ----------------------------------------------------------------------------------------------


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2``."""
    weights = np.asarray(weights, dtype=float)
    total = (weights ** 2).sum()
    return float(weights.sum() ** 2 / total) if total > 0 else 0.0


def ipw_weights(model: PropensityModel, *, estimand: Estimand = "ATT", trim: float | None = None,
                stabilise: bool = True) -> IPWeights:
    """Inverse-probability-of-treatment weights from the propensity scores.

    * **ATT** (the IJ group as it is): IJ participants weight 1; comparison people
      ``ps / (1 - ps)`` (the odds of treatment), rescaled to sum to the number of IJ
      participants. The rescaling is the stabilisation for the ATT: weighted means are unchanged.
    * **ATE** (everyone): ``1 / ps`` and ``1 / (1 - ps)``; with ``stabilise`` multiplied by the
      share of people in the person's own group, so each group's weights sum to about its size
      (same weighted means, honest sums and effective sample sizes).

    Parameters
    ----------
    model : PropensityModel
    estimand : {"ATT", "ATE"}
    trim : float or None
        Truncate scores to ``[trim, 1 - trim]`` before weighting (e.g. 0.01), capping extreme
        weights at the price of some bias; None leaves them as estimated. The number of scores
        changed is reported; check ``ess_control`` either way.
    stabilise : bool
        ATE only (see above).

    Returns
    -------
    IPWeights
    """
    if estimand not in ("ATT", "ATE"):
        raise IJEvalError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")
    ps, t = model.scores.copy(), model.treated == 1
    n_trimmed = 0
    if trim is not None:
        if not 0 < trim < 0.5:
            raise IJEvalError(f"trim must be between 0 and 0.5, got {trim}")
        clipped = np.clip(ps, trim, 1 - trim)
        n_trimmed, ps = int((clipped != ps).sum()), clipped
    if estimand == "ATT":
        weights = np.where(t, 1.0, ps / (1 - ps))
        weights[~t] *= t.sum() / weights[~t].sum()
    else:
        weights = np.where(t, 1 / ps, 1 / (1 - ps))
        if stabilise:
            weights *= np.where(t, t.mean(), 1 - t.mean())
    return IPWeights(weights=weights, estimand=estimand, trim=trim, n_trimmed=n_trimmed,
                     stabilised=stabilise or estimand == "ATT", ess_treated=effective_sample_size(weights[t]),
                     ess_control=effective_sample_size(weights[~t]), max_weight=float(weights.max()))


# ----------------------------------------------------------------------------------------------
# Balance
# ----------------------------------------------------------------------------------------------


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float((x * w).sum() / w.sum()) if w.sum() > 0 else math.nan


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    """MatchIt's ``wvar``: p(1 - p) for a binary variable, else the unbiased weighted variance."""
    if w.sum() <= 0:
        return math.nan
    w = w / w.sum()
    mean = (w * x).sum()
    if binary:
        return float(mean * (1 - mean))
    denominator = 1 - (w ** 2).sum()
    return float((w * (x - mean) ** 2).sum() / denominator) if denominator > 0 else math.nan


def _standardiser(x: np.ndarray, t: np.ndarray, binary: bool, estimand: str) -> float:
    """The SD in the SMD's denominator, from the unadjusted sample (``summary.matchit``).

    ATT: the IJ group's SD; ATE: sqrt of the mean of the two groups' variances. If that is
    (near) zero, the pooled within-group SD, as MatchIt.
    """
    ones = np.ones_like(x)
    v1, v0 = _wvar(x[t], ones[t], binary), _wvar(x[~t], ones[~t], binary)
    std = math.sqrt(v1) if estimand == "ATT" else math.sqrt((v1 + v0) / 2)
    if math.isfinite(std) and std >= _TINY:
        return std
    n = x.size
    if binary:
        pooled = sum(x[g].sum() * (1 - x[g].sum() / g.sum()) for g in (t, ~t)) / n
    else:
        centred = np.where(t, x - x[t].mean(), x - x[~t].mean())
        pooled = (centred ** 2).sum() / (n - 2)
    return math.sqrt(pooled)


def _balance_row(x: np.ndarray, t: np.ndarray, w: np.ndarray, estimand: str) -> dict[str, float | None]:
    binary = bool(np.all((x == 0) | (x == 1)))
    mean_t, mean_c = _wmean(x[t], w[t]), _wmean(x[~t], w[~t])
    diff = mean_t - mean_c
    smd = diff / _standardiser(x, t, binary, estimand) if abs(diff) > _TINY else diff
    ratio = None if binary else _wvar(x[t], w[t], False) / _wvar(x[~t], w[~t], False)
    return {"mean_treated": mean_t, "mean_control": mean_c, "smd": smd, "variance_ratio": ratio}


def balance_table(frame: pl.DataFrame, covariates: Sequence[str], treated: str = TREATED,
                  weights: np.ndarray | Matched | IPWeights | None = None, *,
                  estimand: Estimand = "ATT") -> pl.DataFrame:
    """Covariate balance between the IJ group and the comparison cohort (``summary.matchit`` rules).

    For each numeric covariate and each level of each categorical: the (weighted) mean in each
    group, the standardised mean difference and the variance ratio.

    * SMD = (mean IJ - mean comparison) / SD, where SD comes from the **unadjusted** sample and so
      is the same before and after matching or weighting: for the ATT the IJ group's SD (MatchIt's
      ``s.d.denom = "treated"``), for the ATE sqrt((var IJ + var comparison) / 2). For a 0/1
      variable the variance is p(1 - p); otherwise the unbiased sample variance.
    * Variance ratio = weighted variance IJ / comparison; null for 0/1 variables (as MatchIt).
    * ``imbalanced`` when |SMD| > 0.1.

    Parameters
    ----------
    frame : polars.DataFrame
        Everyone (the full input frame, not only the matched).
    covariates : sequence of str
    treated : str
        The treatment column.
    weights : array, Matched, IPWeights or None
        One weight per row of ``frame`` (0 drops a person); None for the unadjusted sample.
    estimand : {"ATT", "ATE"}
        Chooses the SD in the SMD.

    Returns
    -------
    polars.DataFrame
        ``covariate, mean_treated, mean_control, smd, variance_ratio, imbalanced``.
    """
    t = _treatment(frame, treated) == 1
    x, names, _ = _encode(frame, covariates, drop_reference=False)
    w = np.ones(frame.height) if weights is None else np.asarray(getattr(weights, "weights", weights), float)
    if w.shape != (frame.height,):
        raise IJEvalError(f"balance weights have {w.size} values for {frame.height} people")
    rows = [{"covariate": name, **_balance_row(x[:, j], t, w, estimand)} for j, name in enumerate(names)]
    schema = {"covariate": pl.String, "mean_treated": pl.Float64, "mean_control": pl.Float64,
              "smd": pl.Float64, "variance_ratio": pl.Float64}
    return pl.DataFrame(rows, schema=schema).with_columns(
        imbalanced=pl.col("smd").abs() > IMBALANCE_THRESHOLD)


def balance_before_after(frame: pl.DataFrame, covariates: Sequence[str], *, treated: str = TREATED,
                         matched: Matched | np.ndarray | None = None, weighted: IPWeights | np.ndarray | None = None,
                         estimand: Estimand = "ATT") -> pl.DataFrame:
    """Balance before adjustment and after matching and/or weighting, in one tidy table.

    Returns
    -------
    polars.DataFrame
        ``covariate, sample, mean_treated, mean_control, smd, variance_ratio, imbalanced`` with
        ``sample`` one of ``before``, ``matched``, ``weighted`` (see :func:`balance_table`).
    """
    samples = {"before": None, "matched": matched, "weighted": weighted}
    parts = [balance_table(frame, covariates, treated, w, estimand=estimand)
             .with_columns(sample=pl.lit(name)) for name, w in samples.items() if name == "before" or w is not None]
    return pl.concat(parts).select("covariate", "sample", "mean_treated", "mean_control", "smd",
                                   "variance_ratio", "imbalanced")
