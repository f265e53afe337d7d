"""Hotspot descriptives: ASB before and after by area role, the hotspots' share, the monthly series.

Before/after for a hotspot is split at its own start (buffers at their hotspot's); comparison
areas, which have no start, are split at the scheme start (or, without one, the earliest hotspot
start). These are descriptive: season, trend and force-wide change are only handled by the
interrupted time series and difference-in-differences.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

ROLES = ("hotspot", "buffer", "comparison")


def split_date(panel: pl.DataFrame, scheme_start: dt.date | None) -> dt.date | None:
    """Where comparison areas are split into before and after."""
    return scheme_start or panel["intervention_start"].drop_nulls().min()


def before_after(panel: pl.DataFrame, scheme_start: dt.date | None) -> pl.DataFrame:
    """Counts, months and monthly rates per 1,000 residents before and after, by role."""
    split = split_date(panel, scheme_start)
    if split is None:
        return pl.DataFrame()
    split = split.replace(day=1)
    after = pl.when(pl.col("role") == "comparison").then(pl.col("period") >= split).otherwise(pl.col("post"))
    summary = (
        panel.with_columns(phase=pl.when(after).then(pl.lit("after")).otherwise(pl.lit("before")))
        .group_by("role", "phase")
        .agg(areas=pl.col("area_id").n_unique(), area_months=pl.len(), count=pl.col("count").sum(),
             person_months=pl.col("population").sum())
        .with_columns(
            mean_per_area_month=pl.col("count") / pl.col("area_months"),
            rate_per_1000_per_month=pl.when(pl.col("person_months") > 0)
            .then(1000 * pl.col("count") / pl.col("person_months")),
        )
    )
    wide = summary.pivot(on="phase", index="role", values="mean_per_area_month").rename(
        {"before": "mean_per_area_month_before", "after": "mean_per_area_month_after"}, strict=False)
    for missing in {"mean_per_area_month_before", "mean_per_area_month_after"} - set(wide.columns):
        wide = wide.with_columns(pl.lit(None, pl.Float64).alias(missing))  # data on one side of the start only
    change = wide.select(
        "role",
        change_in_mean=pl.col("mean_per_area_month_after") / pl.col("mean_per_area_month_before") - 1,
    )
    order = pl.col("role").replace_strict({r: i for i, r in enumerate(ROLES)}, default=len(ROLES))
    return (summary.join(change, on="role", how="left")
            .sort(order, pl.col("phase").replace_strict({"before": 0, "after": 1}))
            .drop("person_months"))


def hotspot_share(panel: pl.DataFrame) -> pl.DataFrame:
    """Share of the ASB counted in all analysis areas that fell in the hotspots, per year."""
    return (
        panel.group_by(year=pl.col("period").dt.year())
        .agg(total=pl.col("count").sum(), hotspots=pl.col("count").filter(pl.col("role") == "hotspot").sum())
        .with_columns(share=pl.when(pl.col("total") > 0).then(pl.col("hotspots") / pl.col("total")))
        .sort("year")
    )


def monthly_series(panel: pl.DataFrame) -> pl.DataFrame:
    """ASB per period summed by role (columns period, role, count) for the series figure."""
    return panel.group_by("period", "role").agg(pl.col("count").sum()).sort("role", "period")
