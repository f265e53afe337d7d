"""ASB panels for the hotspot analysis: one row per area and period.

``build_panel(areas, counts=...)`` or ``build_panel(areas, incidents=..., frequency="week")``
returns a :class:`Panel` whose ``frame`` has exactly :data:`PANEL_COLUMNS`, in that order:

- ``area_id``, ``role`` (hotspot / buffer / comparison), ``parent_hotspot`` (buffers only);
- ``period``: the first day of the month, or the Monday of the (ISO) week;
- ``count``: ASB incidents in the area and period (0 where the data have none);
- ``population``: the counts row's population when given, else the area's; null if unknown;
- ``intervention_start``: the hotspot's own start; a buffer takes its parent hotspot's start;
  comparison areas have none;
- ``post``: the period is on or after the period containing ``intervention_start`` (so the start
  month, or week, is itself post); false when there is no start;
- ``time``: 1 for the first period of the panel, then 2, 3, ... counting calendar periods (so a
  period left out as missing leaves a gap in ``time`` too);
- ``season``: calendar month 1-12 (monthly panels) or ISO week 1-53 (weekly panels).

The panel runs from the first to the last period present in the ASB data (of any area). From
incidents, every area of the areas table appears for every period, and a period without incidents
is zero. From counts, an area-month with no row is what ``missing_months`` says
(``[hotspots] missing_months`` in the config): ``"missing"`` leaves it out of the panel (an area
with no rows at all is not in the panel), ``"zero"`` fills it with a count of 0 (every area, every
period). Rows are sorted by area and period.

Counts come from ``asb_counts`` (or the data.police.uk ``asb_area_counts`` frame, which has the
same ``area_id, period, count`` shape and no population). Incidents (``asb_incidents``) are placed
by ``area_id`` when given, else by ``lsoa_code`` through the areas' ``lsoa_codes``; those that
cannot be placed are returned in ``Panel.unplaced`` with a reason and left out of the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from ij_eval.config import MissingMonths

Frequency = Literal["month", "week"]
ROLES = ("hotspot", "buffer", "comparison")

#: The panel contract (column -> dtype, in order).
PANEL_COLUMNS: dict[str, pl.DataType] = {
    "area_id": pl.String(),
    "role": pl.String(),
    "parent_hotspot": pl.String(),
    "period": pl.Date(),
    "count": pl.Int64(),
    "population": pl.Float64(),
    "intervention_start": pl.Date(),
    "post": pl.Boolean(),
    "time": pl.Int64(),
    "season": pl.Int64(),
}

#: Incidents that could not be placed in an area.
UNPLACED_COLUMNS: dict[str, pl.DataType] = {
    "__row": pl.Int64(), "incident_id": pl.String(), "reason": pl.String()}

REASON_NO_PLACE = "no area_id or lsoa_code"
REASON_UNKNOWN_AREA = "area_id not in the areas table"
REASON_UNKNOWN_LSOA = "LSOA not in any analysis area"
REASON_NO_DATE = "no incident date"


@dataclass(frozen=True)
class Panel:
    """An area-by-period ASB panel (``frame``), the incidents left out (``unplaced``) and notes."""

    frame: pl.DataFrame
    unplaced: pl.DataFrame
    notes: tuple[str, ...] = ()
    frequency: Frequency = "month"


def period_start(date: pl.Expr, frequency: Frequency) -> pl.Expr:
    """The period containing ``date``: first of the month, or the Monday of its week."""
    if frequency == "month":
        return date.dt.month_start()
    if frequency == "week":
        return date.dt.truncate("1w")  # polars weeks start on Monday
    raise ValueError(f"frequency must be 'month' or 'week', got {frequency!r}")


def start_period(date: dt.date, frequency: Frequency) -> dt.date:
    """Python version of :func:`period_start` for one date."""
    if frequency == "month":
        return date.replace(day=1)
    if frequency == "week":
        return date - dt.timedelta(days=date.weekday())
    raise ValueError(f"frequency must be 'month' or 'week', got {frequency!r}")


def _areas(areas: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """area_id, role, parent_hotspot, population, intervention_start (buffers inherit), lsoa list."""
    missing = [c for c in ("area_id", "role") if c not in areas.columns]
    if missing:
        raise ValueError(f"areas table lacks column(s) {', '.join(missing)}")
    cols = areas.columns
    a = areas.select(
        pl.col("area_id").cast(pl.String),
        pl.col("role").cast(pl.String).str.strip_chars().str.to_lowercase(),
        (pl.col("parent_hotspot").cast(pl.String) if "parent_hotspot" in cols
         else pl.lit(None, pl.String)).alias("parent_hotspot"),
        (pl.col("population").cast(pl.Float64) if "population" in cols
         else pl.lit(None, pl.Float64)).alias("area_population"),
        (pl.col("intervention_start").cast(pl.Date) if "intervention_start" in cols
         else pl.lit(None, pl.Date)).alias("own_start"),
        _lsoa_list(areas).alias("lsoa_codes"),
    )
    if a["area_id"].is_duplicated().any():
        raise ValueError("areas table: area_id is not unique")
    bad_role = sorted(set(a["role"].drop_nulls()) - set(ROLES)) + (["(blank)"] if a["role"].null_count() else [])
    if bad_role:
        raise ValueError(f"areas table: unknown role {', '.join(bad_role)} (known: {', '.join(ROLES)})")
    starts = a.filter(pl.col("role") == "hotspot").select(
        pl.col("area_id").alias("parent_hotspot"), pl.col("own_start").alias("parent_start"))
    a = a.with_columns(pl.when(pl.col("role") == "buffer").then(pl.col("parent_hotspot")).alias("parent_hotspot"))
    a = a.join(starts, on="parent_hotspot", how="left", maintain_order="left")
    a = a.with_columns(
        pl.when(pl.col("role") == "hotspot").then(pl.col("own_start"))
        .when(pl.col("role") == "buffer").then(pl.col("parent_start"))
        .otherwise(None).alias("intervention_start"))

    def ids(frame: pl.DataFrame) -> str:
        return ", ".join(frame["area_id"].sort().to_list())

    no_start = a.filter(pl.col("role").is_in(["hotspot", "buffer"]) & pl.col("intervention_start").is_null())
    if no_start.height:
        notes.append(f"no intervention start for {ids(no_start)} (a buffer takes its parent hotspot's start): "
                     "these areas are never 'post'")
    overridden = a.filter((pl.col("role") == "buffer") & pl.col("own_start").is_not_null()
                          & (pl.col("own_start") != pl.col("intervention_start")).fill_null(True))
    if overridden.height:
        notes.append(f"buffer(s) {ids(overridden)} list their own intervention_start: the parent hotspot's "
                     "start is used instead")
    ignored = a.filter((pl.col("role") == "comparison") & pl.col("own_start").is_not_null())
    if ignored.height:
        notes.append(f"comparison area(s) {ids(ignored)} list an intervention_start: ignored "
                     "(comparison areas have none)")
    return a.drop("own_start", "parent_start")


def _lsoa_list(areas: pl.DataFrame) -> pl.Expr:
    if "lsoa_codes" not in areas.columns:
        return pl.lit(None, pl.List(pl.String))
    col = pl.col("lsoa_codes")
    if areas.schema["lsoa_codes"] == pl.String:
        col = col.str.split(";")
    return col.list.eval(pl.element().str.strip_chars().str.to_uppercase()).list.eval(
        pl.element().filter(pl.element() != ""))


def _from_counts(counts: pl.DataFrame, a: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    missing = [c for c in ("area_id", "period", "count") if c not in counts.columns]
    if missing:
        raise ValueError(f"counts lack column(s) {', '.join(missing)}")
    c = counts.select(
        pl.col("area_id").cast(pl.String),
        period_start(pl.col("period").cast(pl.Date), "month").alias("period"),
        pl.col("count").cast(pl.Int64),
        (pl.col("population").cast(pl.Float64) if "population" in counts.columns
         else pl.lit(None, pl.Float64)).alias("population"),
    )
    bad = c.filter(pl.col("period").is_null() | pl.col("count").is_null())
    if bad.height:
        notes.append(f"{bad.height} count row(s) without a period or count left out")
        c = c.filter(pl.col("period").is_not_null() & pl.col("count").is_not_null())
    unknown = c.join(a.select("area_id"), on="area_id", how="anti")
    if unknown.height:
        names = ", ".join(sorted(set(unknown["area_id"].fill_null("(blank)"))))
        notes.append(f"{unknown.height} count row(s) for area(s) not in the areas table left out: {names}")
        c = c.join(a.select("area_id"), on="area_id", how="semi")
    if c.select(pl.struct("area_id", "period").is_duplicated().any()).item():
        notes.append("several count rows for the same area and month were added together "
                     "(their largest population is used)")
        c = c.group_by("area_id", "period").agg(pl.col("count").sum(), pl.col("population").max())
    return c


def _from_incidents(incidents: pl.DataFrame, a: pl.DataFrame, frequency: Frequency,
                    notes: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    if "incident_date" not in incidents.columns:
        raise ValueError("incidents lack the incident_date column")
    cols = incidents.columns
    inc = incidents.select(
        (pl.col("__row").cast(pl.Int64) if "__row" in cols else pl.lit(None, pl.Int64)).alias("__row"),
        (pl.col("incident_id").cast(pl.String) if "incident_id" in cols else pl.lit(None, pl.String))
        .alias("incident_id"),
        pl.col("incident_date").cast(pl.Date).alias("date"),
        (pl.col("area_id").cast(pl.String) if "area_id" in cols else pl.lit(None, pl.String)).alias("given_area"),
        (pl.col("lsoa_code").cast(pl.String).str.strip_chars().str.to_uppercase() if "lsoa_code" in cols
         else pl.lit(None, pl.String)).alias("lsoa"),
    ).with_columns(pl.when(pl.col("lsoa") != "").then(pl.col("lsoa")).alias("lsoa"))
    lookup = (a.select(pl.col("area_id").alias("lsoa_area"), pl.col("lsoa_codes").alias("lsoa"))
              .explode("lsoa").drop_nulls("lsoa").sort("lsoa_area"))
    twice = lookup.filter(pl.col("lsoa").is_duplicated())
    if twice.height:
        notes.append(f"{twice['lsoa'].n_unique()} LSOA code(s) listed in more than one area: incidents there "
                     "are placed in the first such area (by area_id)")
        lookup = lookup.unique("lsoa", keep="first")
    known = a.select(pl.col("area_id").alias("given_area"), pl.lit(True).alias("known"))
    inc = (inc.join(known, on="given_area", how="left", maintain_order="left")
           .join(lookup, on="lsoa", how="left", maintain_order="left"))
    inc = inc.with_columns(
        pl.when(pl.col("known")).then(pl.col("given_area"))
        .when(pl.col("given_area").is_null()).then(pl.col("lsoa_area")).alias("area_id"),
        pl.when(pl.col("date").is_null()).then(pl.lit(REASON_NO_DATE))
        .when(pl.col("known")).then(None)
        .when(pl.col("given_area").is_not_null()).then(pl.lit(REASON_UNKNOWN_AREA))
        .when(pl.col("lsoa").is_null()).then(pl.lit(REASON_NO_PLACE))
        .when(pl.col("lsoa_area").is_null()).then(pl.lit(REASON_UNKNOWN_LSOA))
        .alias("reason"),
    )
    unplaced = inc.filter(pl.col("reason").is_not_null()).select(list(UNPLACED_COLUMNS)).sort(
        "__row", "incident_id", nulls_last=True)
    if unplaced.height:
        by_reason = unplaced.group_by("reason").len().sort("reason")
        notes.append(f"{unplaced.height} incident(s) could not be placed in an area and are left out ("
                     + "; ".join(f"{r}: {n}" for r, n in by_reason.iter_rows()) + ")")
    placed = (inc.filter(pl.col("reason").is_null())
              .group_by("area_id", period_start(pl.col("date"), frequency).alias("period"))
              .agg(pl.len().cast(pl.Int64).alias("count"))
              .with_columns(pl.lit(None, pl.Float64).alias("population")))
    return placed, unplaced


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=PANEL_COLUMNS)


def build_panel(areas: pl.DataFrame, *, counts: pl.DataFrame | None = None,
                incidents: pl.DataFrame | None = None, frequency: Frequency = "month",
                missing_months: MissingMonths = "missing") -> Panel:
    """Build the area-by-period ASB panel from counts or incidents (see the module doc).

    ``missing_months`` applies to counts only: ``"missing"`` leaves area-months without a row out,
    ``"zero"`` counts them as 0.
    """
    if frequency not in ("month", "week"):
        raise ValueError(f"frequency must be 'month' or 'week', got {frequency!r}")
    if missing_months not in ("missing", "zero"):
        raise ValueError(f"missing_months must be 'missing' or 'zero', got {missing_months!r}")
    if (counts is None) == (incidents is None):
        raise ValueError("give either counts or incidents (not both, not neither)")
    if counts is not None and frequency == "week":
        raise ValueError("weekly panels need incident dates (incidents), not monthly counts")
    notes: list[str] = []
    a = _areas(areas, notes)
    if counts is not None:
        data = _from_counts(counts, a, notes)
        unplaced = pl.DataFrame(schema=UNPLACED_COLUMNS)
    else:
        data, unplaced = _from_incidents(incidents, a, frequency, notes)
    if data.height == 0 or a.height == 0:
        notes.append("no ASB data (or no areas): the panel is empty")
        return Panel(_empty_frame(), unplaced, tuple(notes), frequency)

    first, last = data["period"].min(), data["period"].max()
    every = "1mo" if frequency == "month" else "1w"
    periods = pl.DataFrame({"period": pl.date_range(first, last, every, eager=True)}).with_row_index(
        "time", offset=1)
    leave_out = counts is not None and missing_months == "missing"
    if leave_out:  # only the area-months the counts have, each with its calendar time
        grid = data.select("area_id", "period").join(periods, on="period", how="left")
    else:
        grid = a.select("area_id").join(periods, how="cross")
    frame = (
        grid.join(data.rename({"population": "count_population"}), on=["area_id", "period"], how="left")
        .join(a.drop("lsoa_codes"), on="area_id", how="left")
        .with_columns(
            pl.col("count").fill_null(0),
            pl.coalesce("count_population", "area_population").alias("population"),
            (pl.col("period") >= period_start(pl.col("intervention_start"), frequency))
            .fill_null(False).alias("post"),
            pl.col("time").cast(pl.Int64),
            (pl.col("period").dt.month() if frequency == "month" else pl.col("period").dt.week())
            .cast(pl.Int64).alias("season"),
        )
        .select([pl.col(c).cast(t) for c, t in PANEL_COLUMNS.items()])
        .sort("area_id", "period")
    )
    if counts is not None:
        absent = sorted(set(a["area_id"]) - set(data["area_id"]))
        if leave_out:
            gaps = a.height * periods.height - frame.height
            if gaps:
                notes.append(f"{gaps} area-month(s) with no row in the counts were left out of the panel and the "
                             "models (missing, not taken as zero: [hotspots] missing_months = \"missing\")")
            if absent:
                notes.append(f"area(s) with no counts at all, left out of the panel: {', '.join(absent)}")
        else:
            filled = frame.height - data.height
            if filled:
                notes.append(f"{filled} area-month(s) with no row in the counts were taken as zero "
                             "([hotspots] missing_months = \"zero\")")
            if absent:
                notes.append(f"area(s) with no counts at all (all zero in the panel): {', '.join(absent)}")
    no_pop = frame.filter(pl.col("population").is_null())["area_id"].unique().sort().to_list()
    if no_pop:
        notes.append(f"population unknown for some periods of: {', '.join(no_pop)}")
    return Panel(frame, unplaced, tuple(notes), frequency)
