"""Equality: who is referred, who completes and who refuses, by sex, age group, ethnicity and
disability.

- Referral: each group's share of IJ referrals against its share of the comparison cohort
  (people dealt with for similar behaviour outside the scheme), Fisher's exact test.
- Completion and refusal: among IJ referrals old enough to have a final status
  (:func:`~ij_eval.strands.implementation.common.settled`), each group's rate against everyone
  else's, Fisher's exact test.

- Population (only where the config's ``[population]`` gives a characteristic's make-up): each
  group's share of IJ referrals with a recorded value (``not recorded`` and ``unknown`` left out)
  against its share of the area population, exact binomial test (``scipy.stats.binomtest``),
  Wilson interval for the referral share. A group the config lists but nobody has gets a row of
  zeros; a recorded group the config does not list stays in the base but is not tested.

All p-values in the table, the population tests included, form one family, adjusted with Holm's
method (``statsmodels.stats.multitest.multipletests``). A difference is flagged when its Holm-adjusted
p-value is below 0.05 *and* it is large: at least 5 percentage points and a ratio outside 0.8 to
1.25 (the "four-fifths" rule of adverse-impact analysis).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.stats import binomtest, fisher_exact
from statsmodels.stats.multitest import multipletests

from ij_eval.strands.implementation.common import NOT_RECORDED, age_group, settled, wilson

CHARACTERISTICS = ("sex", "age_group", "ethnicity", "disability")
ALPHA = 0.05
MIN_DIFFERENCE = 0.05  # percentage points, as a proportion
RATIO_BAND = (0.8, 1.25)
MEASURES = ("representation", "completion", "refusal")
UNRECORDED = (NOT_RECORDED, "unknown")  # left out of the base of the population comparison
POPULATION_SCHEMA = {"population_share": pl.Float64, "population_referred_share": pl.Float64,
                     "population_ci_lower": pl.Float64, "population_ci_upper": pl.Float64,
                     "population_ratio": pl.Float64, "population_p": pl.Float64}
SCHEMA = {
    "characteristic": pl.String, "group": pl.String, "comparison_n": pl.Int64, "comparison_share": pl.Float64,
    "referred": pl.Int64, "referred_share": pl.Float64, "referred_ci_lower": pl.Float64,
    "referred_ci_upper": pl.Float64, "representation_ratio": pl.Float64, "representation_p": pl.Float64,
    "settled": pl.Int64, "completed": pl.Int64, "completion_rate": pl.Float64, "completion_ci_lower": pl.Float64,
    "completion_ci_upper": pl.Float64, "completion_ratio": pl.Float64, "completion_p": pl.Float64,
    "refused": pl.Int64, "refusal_rate": pl.Float64, "refusal_ci_lower": pl.Float64, "refusal_ci_upper": pl.Float64,
    "refusal_ratio": pl.Float64, "refusal_p": pl.Float64,
}


def _fisher(a: int, n_a: int, b: int, n_b: int) -> float | None:
    if n_a == 0 or n_b == 0:
        return None
    return float(fisher_exact([[a, n_a - a], [b, n_b - b]]).pvalue)


def _ratio(p: float | None, q: float | None) -> float | None:
    return p / q if p is not None and q else None


def _large(p: float | None, q: float | None) -> bool:
    if p is None or q is None or abs(p - q) < MIN_DIFFERENCE:
        return False
    return q == 0 or not RATIO_BAND[0] <= p / q <= RATIO_BAND[1]


def with_groups(referrals: pl.DataFrame) -> pl.DataFrame:
    return referrals.with_columns(
        age_group=age_group(pl.col("age")),
        **{c: pl.col(c).cast(pl.String).fill_null(NOT_RECORDED) for c in ("sex", "ethnicity", "disability")})


def equality(referrals: pl.DataFrame, extract: dt.date,
             population: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()) -> pl.DataFrame:
    """One row per characteristic and group; then Holm-adjusted p-values and flags.

    ``population`` is ``PopulationConfig.supplied()``: ``(characteristic, ((group, share), ...))``.
    Without it the table has no population columns."""
    people = with_groups(referrals)
    shares = dict(population)
    ij, comparison = people.filter(pl.col("cohort") == "ij"), people.filter(pl.col("cohort") == "comparison")
    settled_all = settled(ij, extract)
    rows = []
    for characteristic in CHARACTERISTICS:
        listed = {g for g, _ in shares.get(characteristic, ())}
        for group in sorted(set(ij[characteristic].to_list()) | set(comparison[characteristic].to_list()) | listed):
            g_ij = ij.filter(pl.col(characteristic) == group)
            c_n = int((comparison[characteristic] == group).sum())
            g_settled = settled_all.filter(pl.col(characteristic) == group)
            rest = settled_all.filter(pl.col(characteristic) != group)
            share, low, high = wilson(g_ij.height, ij.height)
            c_share = c_n / comparison.height if comparison.height else None
            row = [characteristic, group, c_n, c_share, g_ij.height, share, low, high, _ratio(share, c_share),
                   _fisher(g_ij.height, ij.height, c_n, comparison.height) if comparison.height else None,
                   g_settled.height]
            for status in ("completed", "refused"):
                k, k_rest = int((g_settled["status"] == status).sum()), int((rest["status"] == status).sum())
                rate, lo, hi = wilson(k, g_settled.height)
                rate_rest = k_rest / rest.height if rest.height else None
                row += [k, rate, lo, hi, _ratio(rate, rate_rest), _fisher(k, g_settled.height, k_rest, rest.height)]
            rows.append(row)
    table = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    if shares:
        table = table.hstack(_population(table, shares))
    return adjust(table, settled_all)


def _population(table: pl.DataFrame, shares: dict[str, tuple[tuple[str, float], ...]]) -> pl.DataFrame:
    """The population columns, row for row with ``table``: the referral share among referrals with a
    recorded value, its Wilson interval, the population share, their ratio and the exact binomial p."""
    recorded = table.filter(~pl.col("group").is_in(UNRECORDED)).group_by("characteristic").agg(
        base=pl.col("referred").sum())
    base = dict(recorded.iter_rows())
    rows = []
    for rec in table.iter_rows(named=True):
        expected = dict(shares.get(rec["characteristic"], ())).get(rec["group"])
        n = base.get(rec["characteristic"], 0)
        if expected is None or n == 0:
            rows.append((expected, None, None, None, None, None))
            continue
        k = rec["referred"]
        share, low, high = wilson(k, n)
        rows.append((expected, share, low, high, _ratio(share, expected), float(binomtest(k, n, expected).pvalue)))
    return pl.DataFrame(rows, schema=POPULATION_SCHEMA, orient="row")


def adjust(table: pl.DataFrame, settled_all: pl.DataFrame) -> pl.DataFrame:
    """Holm-adjusted p-values over the whole table and a ``flag`` naming each large, adjusted-significant
    difference ('' when none)."""
    measures = (*MEASURES, "population") if "population_p" in table.columns else MEASURES
    p_columns = [f"{m}_p" for m in measures]
    raw = np.array([[np.nan if v is None else v for v in table[c].to_list()] for c in p_columns]).T
    finite = np.isfinite(raw)
    adjusted = np.full(raw.shape, np.nan)
    if finite.any():
        adjusted[finite] = multipletests(raw[finite], alpha=ALPHA, method="holm")[1]
    flags = []
    for i, rec in enumerate(table.iter_rows(named=True)):
        words = []
        if adjusted[i, 0] < ALPHA and _large(rec["referred_share"], rec["comparison_share"]):
            words.append("over-represented among referrals" if rec["referred_share"] > rec["comparison_share"]
                         else "under-represented among referrals")
        rest = settled_all.filter(pl.col(rec["characteristic"]) != rec["group"])
        for j, (status, rate, what) in enumerate((("completed", "completion_rate", "completion"),
                                                  ("refused", "refusal_rate", "refusal")), start=1):
            rate_rest = float((rest["status"] == status).mean()) if rest.height else None
            if adjusted[i, j] < ALPHA and _large(rec[rate], rate_rest):
                words.append(f"{'higher' if rec[rate] > rate_rest else 'lower'} {what}")
        if len(measures) > len(MEASURES) and adjusted[i, 3] < ALPHA and _large(rec["population_referred_share"],
                                                                              rec["population_share"]):
            words.append("over-represented against the area population"
                         if rec["population_referred_share"] > rec["population_share"]
                         else "under-represented against the area population")
        flags.append("; ".join(words))
    holm = {f"{m}_p_holm": pl.Series([None if np.isnan(v) else float(v) for v in adjusted[:, k]], dtype=pl.Float64)
            for k, m in enumerate(measures)}
    return table.with_columns(**holm, flag=pl.Series(flags, dtype=pl.String))
