"""Dosage: hours of reparative work required and completed, the ASB workshop and restorative
processes among people whose work started, and hours by activity and by placement (site)."""

from __future__ import annotations

import polars as pl

from ij_eval.privacy.screen import Screen, Screened, Source, codes

BREAKDOWNS = ("all", "age_group", "route")
DOSAGE_SCHEMA = {"breakdown": pl.String, "group": pl.String, "n": pl.Int64, "workshop": pl.Int64,
                 "restorative": pl.Int64, "hours_required": pl.Float64, "hours_completed": pl.Float64,
                 "pct_hours_completed": pl.Float64, "mean_hours_completed": pl.Float64,
                 "median_hours_required": pl.Float64}


def dosage(ij: pl.DataFrame) -> pl.DataFrame:
    """One row per breakdown and group of people whose work started."""
    started = ij.filter(pl.col("started"))
    rows = []
    for breakdown in BREAKDOWNS:
        parts = [("all", started)] if breakdown == "all" else sorted(
            ((str(k[0]), p) for k, p in started.group_by(breakdown)), key=lambda x: x[0])
        for group, part in parts:
            required = float(part["hours_required"].fill_null(0).sum())
            completed = float(part["hours_completed"].fill_null(0).sum())
            rows.append((breakdown, group, part.height, int(part["workshop_attended"].fill_null(False).sum()),
                         int(part["restorative_justice"].fill_null(False).sum()), required, completed,
                         completed / required if required else None,
                         completed / part.height if part.height else None,
                         part["hours_required"].median()))
    return pl.DataFrame(rows, schema=DOSAGE_SCHEMA, orient="row")


def sites(ij: pl.DataFrame, placements: pl.DataFrame | None) -> pl.DataFrame:
    """One row per placement: people whose main placement it was and the hours they completed;
    from the placements table (when supplied) its site, activity, who suggested it and the hours
    it records as delivered."""
    used = (ij.filter(pl.col("started") & pl.col("placement_id").is_not_null())
            .group_by("placement_id").agg(people=pl.len(), hours_completed=pl.col("hours_completed").fill_null(0)
                                          .sum().cast(pl.Float64)))
    if placements is None:
        return used.with_columns(site=pl.lit(None, pl.String), activity=pl.lit("unknown"),
                                 suggested_by=pl.lit(None, pl.String),
                                 hours_delivered=pl.lit(None, pl.Float64)).sort("placement_id")
    def column(name: str, dtype) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in placements.columns else pl.lit(None, dtype).alias(name)

    frame = placements.select("placement_id", "site", "activity", column("suggested_by", pl.String),
                              column("hours_delivered", pl.Float64))
    return (frame.join(used, on="placement_id", how="full", coalesce=True)
            .with_columns(people=pl.col("people").fill_null(0).cast(pl.Int64),
                          hours_completed=pl.col("hours_completed").fill_null(0.0),
                          activity=pl.col("activity").fill_null("unknown"))
            .select("placement_id", "site", "activity", "suggested_by", "people", "hours_completed",
                    "hours_delivered").sort("placement_id"))


def activities(site_table: pl.DataFrame) -> pl.DataFrame:
    """Placements, people and hours by activity."""
    return (site_table.group_by("activity")
            .agg(placements=pl.len(), people=pl.col("people").sum().cast(pl.Int64),
                 hours_completed=pl.col("hours_completed").sum(),
                 hours_delivered=pl.col("hours_delivered").sum() if site_table["hours_delivered"].null_count()
                 < site_table.height else pl.lit(None, pl.Float64))
            .with_columns(placements=pl.col("placements").cast(pl.Int64)).sort("activity"))


def publishable_sites(site_table: pl.DataFrame, placements: pl.DataFrame | None, site_names: str,
                      screen: Screen) -> tuple[pl.DataFrame, tuple[Screened, ...]]:
    """The sites table as it may be published: placement ids through the free-text screen (withheld ids
    kept distinct, as they are the table's key), and each site as a code ("Site 1" ..., in placement_id
    order; ``site_names = "codes"``) or its screened description (``"screened"``). Also the items the
    screen withheld or the evaluator approved, for the review file."""
    source_table = "placements" if placements is not None else "referrals"

    def rows(column: str) -> dict[str, list[int]]:
        if placements is None or "__row" not in placements.columns:
            return {}
        out: dict[str, list[int]] = {}
        for v, r in placements.select(pl.col(column).cast(pl.String), "__row").iter_rows():
            out.setdefault(v, []).append(r)
        return out

    ids, listed = screen.labels(site_table["placement_id"].to_list(), Source(source_table, "placement_id"),
                                rows=rows("placement_id"), distinct=True)
    if site_names == "codes":
        coded = codes(site_table["placement_id"].to_list(), "Site")
        site = [coded[p] if s is not None else None
                for p, s in zip(site_table["placement_id"].to_list(), site_table["site"].to_list(), strict=True)]
        site_listed: tuple[Screened, ...] = ()
    else:
        described, site_listed = screen.labels(site_table["site"].to_list(), Source("placements", "site"),
                                               rows=rows("site"))
        site = [described.get(s) for s in site_table["site"].to_list()]
    frame = site_table.with_columns(pl.Series("placement_id", [ids[p] for p in site_table["placement_id"]],
                                              dtype=pl.String),
                                    pl.Series("site", site, dtype=pl.String))
    return frame.sort("placement_id"), listed + site_listed
