"""Subgroup comparisons of the % agreeing (top two boxes): adults vs children, route, and for
victims whether the case had a restorative process.

For each item and subgroup variable: counts and the % agreeing per group with Wilson intervals,
then a test that the % agreeing is the same in every group — Fisher's exact test for two groups,
a chi-squared test of independence for more (marked approximate when an expected count is below
5). Groups with no answers and the 'unknown' group are left out of the test. p-values are
adjusted for the number of tests on the survey with Holm's step-down method, which controls the
chance of any false positive without assuming the tests are independent.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from statsmodels.stats.multitest import multipletests

from ij_eval.strands.experience.likert import Item, coded, wilson
from ij_eval.strands.experience.response import _test

GROUP_SCHEMA = {"survey": pl.String, "item": pl.String, "subgroup": pl.String, "group": pl.String, "n": pl.Int64,
                "agree": pl.Int64, "pct": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64}
TEST_SCHEMA = {"survey": pl.String, "item": pl.String, "subgroup": pl.String, "groups": pl.Int64, "test": pl.String,
               "p_value": pl.Float64, "p_holm": pl.Float64}


def compare(frame: pl.DataFrame, survey: str, items: tuple[Item, ...],
            subgroups: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per-group table, tests) for each item x subgroup variable present in ``frame``."""
    rows, tests = [], []
    for item in items:
        if item.column not in frame.columns:
            continue
        codes = coded(frame, item)
        agree = codes.is_in([item.levels.index(t) + 1 for t in item.top]).fill_null(False)
        answered = codes.is_not_null()
        for sub in subgroups:
            if sub not in frame.columns:
                continue
            labels = frame[sub].cast(pl.String).fill_null("unknown")
            table = []
            for g in sorted(labels.unique().to_list()):
                in_g = labels == g
                n, k = int((answered & in_g).sum()), int((agree & in_g).sum())
                lo, hi = wilson(k, n)
                rows.append((survey, item.column, sub, g, n, k, k / n if n else None, lo, hi))
                if g != "unknown" and n:
                    table.append((k, n - k))
            if len(table) >= 2:
                test, p = _test(np.array(table))
                tests.append([survey, item.column, sub, len(table), test, p, None])
    if tests:
        p = np.array([t[5] for t in tests], dtype=float)
        ok = ~np.isnan(p)
        if ok.any():
            adjusted = np.full(p.size, np.nan)
            adjusted[ok] = multipletests(p[ok], method="holm")[1]
            for t, a in zip(tests, adjusted, strict=True):
                t[6] = None if np.isnan(a) else float(a)
    return (pl.DataFrame(rows, schema=GROUP_SCHEMA, orient="row"),
            pl.DataFrame([tuple(t) for t in tests], schema=TEST_SCHEMA, orient="row"))
