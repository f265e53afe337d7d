"""Robustness checks for the hotspot estimates: a placebo start, and leaving one comparison area out.

- :func:`placebo`: every ``intervention_start`` is moved ``shift`` periods earlier and only the
  periods before each area's *real* start are kept (areas without a start, i.e. comparison
  areas, keep the periods before the latest real start), so the "post" period of the placebo is
  pre-scheme data. The fit function given (``fit_did`` by default, or an interrupted time series
  function taking the panel) is rerun on it: its estimate should be near no change (rate ratio 1).
- :func:`leave_one_out`: the DiD refitted with each comparison area left out in turn, to show
  whether one comparison area drives the result.

A fit function takes the panel and returns a tidy table (a polars frame) or a result with a
``table`` attribute; the row used as "the estimate" is the row marked ``headline`` if there is
such a column, else the first row. Other estimators or options go through a lambda, e.g.
``placebo(panel, shift=12, fit=lambda p: fit_did(p, treated_role="buffer"))`` or, for the pooled
interrupted time series, ``fit=lambda p: its.its_by_area(p, config)[1][its.POOLED]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from ij_eval.strands.hotspots.did import fit_did

LEAVE_ONE_OUT_COLUMNS: dict[str, pl.DataType] = {
    "check": pl.String(), "area_left_out": pl.String(), "estimate": pl.Float64(), "std_error": pl.Float64(),
    "p_value": pl.Float64(), "rate_ratio": pl.Float64(), "rr_ci_lower": pl.Float64(),
    "rr_ci_upper": pl.Float64(), "all_areas_rate_ratio": pl.Float64(), "min_rate_ratio": pl.Float64(),
    "max_rate_ratio": pl.Float64(),
}


def _table(result: Any) -> pl.DataFrame:
    table = result if isinstance(result, pl.DataFrame) else getattr(result, "table", None)
    if not isinstance(table, pl.DataFrame):
        raise TypeError("the fit function must return a polars DataFrame or a result with a 'table' attribute")
    return table


def _headline(table: pl.DataFrame) -> dict[str, Any]:
    if table.height == 0:
        raise ValueError("the fit function returned an empty table")
    if "headline" in table.columns and table["headline"].any():
        return table.filter(pl.col("headline")).row(0, named=True)
    return table.row(0, named=True)


def _frequency(periods: pl.Series) -> str:
    """'month' when every period is the first of a month, else 'week'."""
    return "month" if bool((periods.dt.day() == 1).all()) else "week"


def placebo_panel(panel: pl.DataFrame, *, shift: int) -> pl.DataFrame:
    """The panel with every start ``shift`` periods earlier, cut to the periods before the real starts."""
    if shift < 1:
        raise ValueError("the placebo shift must be at least 1 period")
    monthly = _frequency(panel["period"]) == "month"
    start = pl.col("intervention_start")
    shifted = start.dt.offset_by(f"-{shift}mo") if monthly else start - pl.duration(weeks=shift)
    start_period = (lambda d: d.dt.month_start()) if monthly else (lambda d: d.dt.truncate("1w"))
    latest = panel["intervention_start"].drop_nulls()
    if latest.len() == 0:
        raise ValueError("no intervention starts in the panel: nothing to move for a placebo")
    cut = start_period(pl.lit(latest.max()))
    return (panel
            .filter(pl.col("period") < pl.coalesce(start_period(start), cut))
            .with_columns(shifted.alias("intervention_start"))
            .with_columns((pl.col("period") >= start_period(pl.col("intervention_start"))).fill_null(False)
                          .alias("post")))


def placebo(panel: pl.DataFrame, *, shift: int, fit: Callable[[pl.DataFrame], Any] = fit_did) -> pl.DataFrame:
    """Rerun ``fit`` with every start ``shift`` periods earlier on pre-scheme data only; its table
    with a ``check`` column "placebo start {shift} periods earlier" first."""
    table = _table(fit(placebo_panel(panel, shift=shift)))
    check = pl.lit(f"placebo start {shift} periods earlier").alias("check")
    return table.select(check, pl.all())


def leave_one_out(panel: pl.DataFrame, *, fit: Callable[[pl.DataFrame], Any] = fit_did,
                  role: str = "comparison", areas: Sequence[str] | None = None) -> pl.DataFrame:
    """Refit with each ``role`` area (comparison area) left out in turn (or only each of
    ``areas``: with hundreds of comparison areas a refit per area takes a while, ~1 s each).

    One row per area left out (:data:`LEAVE_ONE_OUT_COLUMNS`): its headline estimate, rate ratio
    and interval; every row also carries the rate ratio with all areas and the range (min, max) of
    the leave-one-out rate ratios. An area whose removal leaves nothing to fit (e.g. the only
    comparison area) gets nulls."""
    known = panel.filter(pl.col("role") == role)["area_id"].unique().sort().to_list()
    if areas is not None:
        unknown = sorted(set(areas) - set(known))
        if unknown:
            raise ValueError(f"not {role} areas of the panel: {', '.join(unknown)}")
        known = [a for a in known if a in set(areas)]
    if not known:
        raise ValueError(f"no {role} areas to leave out")
    full = _headline(_table(fit(panel)))
    rows = []
    for area in known:
        row: dict[str, Any] = {"area_left_out": area}
        try:
            row.update({k: v for k, v in _headline(_table(fit(panel.filter(pl.col("area_id") != area)))).items()
                        if k in LEAVE_ONE_OUT_COLUMNS})
        except ValueError:
            pass
        rows.append(row)
    table = pl.DataFrame(rows, schema={k: v for k, v in LEAVE_ONE_OUT_COLUMNS.items()
                                       if k not in ("check", "all_areas_rate_ratio", "min_rate_ratio",
                                                    "max_rate_ratio")})
    ratios = table["rate_ratio"].drop_nulls().drop_nans()
    return table.with_columns(
        pl.lit(f"leave one {role} area out").alias("check"),
        pl.lit(full.get("rate_ratio"), pl.Float64).alias("all_areas_rate_ratio"),
        pl.lit(ratios.min() if ratios.len() else None, pl.Float64).alias("min_rate_ratio"),
        pl.lit(ratios.max() if ratios.len() else None, pl.Float64).alias("max_rate_ratio"),
    ).select(list(LEAVE_ONE_OUT_COLUMNS))


def rate_ratio_range(table: pl.DataFrame) -> tuple[float, float]:
    """(min, max) of the leave-one-out rate ratios in a :func:`leave_one_out` table."""
    ratios = table["rate_ratio"].drop_nulls().drop_nans()
    if ratios.len() == 0:
        return float("nan"), float("nan")
    return float(ratios.min()), float(ratios.max())
