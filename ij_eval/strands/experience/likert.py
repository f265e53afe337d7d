"""Item summaries: counts and percentages per response level, % agreeing with a Wilson interval.

One long table per survey, one row per item x level, plus four summary rows per item:
``answered`` (the base: valid answers), ``top_two`` (agree or strongly agree, satisfied or very
satisfied, or yes for a yes/no item), ``missing`` (left blank, or a value outside the item's
levels) and ``responses`` (answered + missing). Percentages are of the base. The disclosure
policy (``survey_items`` in :mod:`ij_eval.publication`) sums the levels to ``answered`` and the top
two to ``top_two``, so a hidden level cannot be worked back from the base or the % agreeing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
from scipy.stats import norm

CAUTION_BASE = 30  # fewer answers than this: the percentage is shown with a caution
YES_NO = ("no", "yes")
SUMMARY_LEVELS = ("answered", "top_two", "missing", "responses")

ITEMS_SCHEMA = {"survey": pl.String, "item": pl.String, "question": pl.String, "level": pl.String,
                "position": pl.Int64, "n": pl.Int64, "pct": pl.Float64, "ci_lower": pl.Float64,
                "ci_upper": pl.Float64, "base_flag": pl.String}


@dataclass(frozen=True)
class Item:
    """A survey item: its column, question text and ordered levels (most negative first)."""

    column: str
    question: str
    levels: tuple[str, ...]

    @property
    def top(self) -> tuple[str, ...]:
        """The levels counted as agreeing: the top two of a five-point scale, 'yes' of a yes/no item."""
        return self.levels[-1:] if len(self.levels) <= 3 else self.levels[-2:]

    @property
    def neutral(self) -> str | None:
        """The middle level of an odd scale of three or more levels (the centre of the diverging bar)."""
        k = len(self.levels)
        return self.levels[k // 2] if k >= 3 and k % 2 else None


def wilson(count: int, n: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Wilson score interval for ``count`` of ``n`` (equals statsmodels' ``proportion_confint(method='wilson')``)."""
    if n <= 0:
        return None, None
    z = float(norm.ppf(1 - alpha / 2))
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if count == 0 else max(0.0, centre - half)  # exact ends (statsmodels leaves ~1e-17 here)
    high = 1.0 if count == n else min(1.0, centre + half)
    return low, high


def base_flag(n: int, threshold: int) -> str:
    """'suppressed' below the disclosure threshold, 'caution' below 30 answers, else ''."""
    if 0 < n < threshold:
        return f"suppressed: fewer than {threshold} answers"
    if n == 0:
        return "no answers"
    if n < CAUTION_BASE:
        return f"caution: fewer than {CAUTION_BASE} answers"
    return ""


def coded(frame: pl.DataFrame, item: Item) -> pl.Series:
    """The item's answers as positions 1..k (null when blank or not one of its levels).

    Ordinal columns arrive typed as Int8 codes 1..k (``io/parse.py``); yes/no items as booleans;
    text labels are accepted too (library use). Anything else (a code outside 1..k, an unknown
    label) is treated as not answered and counted in ``missing``.
    """
    s = frame[item.column]
    if s.dtype == pl.Boolean:
        return s.cast(pl.Int64) + 1
    if s.dtype == pl.String:
        lookup = {label: i + 1 for i, label in enumerate(item.levels)}
        return s.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.Int64)
    codes = s.cast(pl.Int64, strict=False)
    return pl.Series(s.name, codes).set(~codes.is_between(1, len(item.levels)).fill_null(True), None)


def summarise_item(frame: pl.DataFrame, survey: str, item: Item, threshold: int) -> pl.DataFrame:
    """The rows of :data:`ITEMS_SCHEMA` for one item."""
    codes = coded(frame, item)
    responses = frame.height
    counts = [int((codes == i + 1).sum()) for i in range(len(item.levels))]
    answered = sum(counts)
    top = sum(c for level, c in zip(item.levels, counts, strict=True) if level in item.top)
    flag = base_flag(answered, threshold)
    head = (survey, item.column, item.question)
    rows = []
    for i, (level, c) in enumerate(zip(item.levels, counts, strict=True)):
        lo, hi = wilson(c, answered)
        rows.append((*head, level, i + 1, c, c / answered if answered else None, lo, hi, flag))
    lo, hi = wilson(top, answered)
    rows += [(*head, "answered", None, answered, None, None, None, flag),
             (*head, "top_two", None, top, top / answered if answered else None, lo, hi, flag),
             (*head, "missing", None, responses - answered, None, None, None, flag),
             (*head, "responses", None, responses, None, None, None, flag)]
    return pl.DataFrame(rows, schema=ITEMS_SCHEMA, orient="row")


def summarise(frame: pl.DataFrame, survey: str, items: tuple[Item, ...], threshold: int) -> pl.DataFrame:
    """Every item of a survey (items missing from ``frame`` are skipped)."""
    parts = [summarise_item(frame, survey, item, threshold) for item in items if item.column in frame.columns]
    return pl.concat(parts) if parts else pl.DataFrame(schema=ITEMS_SCHEMA)


def top_two(table: pl.DataFrame, item: str) -> dict:
    """The ``top_two`` row of one item (``n`` agreeing, ``pct``, interval) with its base as ``base``."""
    rows = table.filter(pl.col("item") == item)
    top = rows.filter(pl.col("level") == "top_two").row(0, named=True)
    base = rows.filter(pl.col("level") == "answered")["n"].item()
    return {**top, "base": base}
