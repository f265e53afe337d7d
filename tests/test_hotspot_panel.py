"""The area-by-period ASB panel: zero-filling, populations, starts and ``post``, weekly panels from
incidents, unplaced incidents, time and season."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from builders import valid_tables, write_csv, write_folder

from ij_eval.config import EvaluationConfig
from ij_eval.strands.hotspots.panel import (
    PANEL_COLUMNS,
    REASON_NO_PLACE,
    REASON_UNKNOWN_AREA,
    REASON_UNKNOWN_LSOA,
    build_panel,
)
from ij_eval.validation import load_tables

D = dt.date


def areas(**starts: D | None) -> pl.DataFrame:
    """Two hotspots (H1, H2) with a buffer each (B1, B2) and a comparison area (C1), as typed by validation."""
    start = {"H1": D(2024, 3, 1), "H2": D(2024, 5, 15)} | starts
    return pl.DataFrame({
        "area_id": ["H1", "H2", "B1", "B2", "C1"],
        "name": ["Town centre", "Park", "Around town centre", "Around park", "Riverside"],
        "role": ["hotspot", "hotspot", "buffer", "buffer", "comparison"],
        "parent_hotspot": [None, None, "H1", "H2", None],
        "lsoa_codes": [["E01000001", "E01000002"], ["E01000010"], ["E01000003"], ["E01000011"], ["E01000004"]],
        "population": [3200, 2100, 1600, None, 2900],
        "intervention_start": [start["H1"], start["H2"], None, None, None],
        "__row": [2, 3, 4, 5, 6],
    }, schema_overrides={"population": pl.Int64, "intervention_start": pl.Date})


def counts(rows: list[tuple[str, D, int] | tuple[str, D, int, int | None]]) -> pl.DataFrame:
    full = [r if len(r) == 4 else (*r, None) for r in rows]
    return pl.DataFrame(full, schema={"area_id": pl.String, "period": pl.Date, "count": pl.Int64,
                                      "population": pl.Int64}, orient="row")


def incidents(rows: list[tuple[str, D | None, str | None, str | None]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"incident_id": pl.String, "incident_date": pl.Date, "area_id": pl.String,
                                       "lsoa_code": pl.String}, orient="row")
    return frame.with_columns(pl.int_range(2, frame.height + 2).alias("__row"))


def area(frame: pl.DataFrame, area_id: str) -> pl.DataFrame:
    return frame.filter(pl.col("area_id") == area_id)


def test_panel_from_a_validated_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    report = load_tables(folder, EvaluationConfig())
    panel = build_panel(report.tables["areas"].frame, counts=report.tables["asb_counts"].frame)
    f = panel.frame
    assert f.schema == pl.Schema(PANEL_COLUMNS)  # exactly these columns, in this order, with these types
    assert f.height == 9 and f["count"].sum() == 31 + 28 + 19 + 9 + 11 + 8 + 14 + 12 + 15
    assert f.select("area_id", "period").rows() == sorted(f.select("area_id", "period").rows())
    h1 = area(f, "H1")
    assert h1["post"].to_list() == [False, False, True]  # starts 2024-03-01: March is post
    b1 = area(f, "B1")
    assert b1["intervention_start"].to_list() == [D(2024, 3, 1)] * 3 and b1["parent_hotspot"][0] == "H1"
    assert b1["post"].to_list() == [False, False, True]
    c1 = area(f, "C1")
    assert c1["intervention_start"].null_count() == 3 and not c1["post"].any()
    assert h1["population"].to_list() == [3200.0] * 3  # no population in the counts: the area's
    assert panel.unplaced.height == 0


GAPPY = [
    ("H1", D(2024, 1, 1), 5), ("H1", D(2024, 4, 1), 7),  # February and March missing
    ("B1", D(2024, 2, 1), 3),
    ("C1", D(2023, 12, 1), 2),  # the earliest month of any area starts the panel
]


def test_zero_filling_every_area_every_period() -> None:
    panel = build_panel(areas(), counts=counts(GAPPY), missing_months="zero")
    f = panel.frame
    periods = [D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1)]
    assert f.height == 5 * len(periods)
    for a in ("H1", "H2", "B1", "B2", "C1"):
        assert area(f, a)["period"].to_list() == periods
    assert area(f, "H1")["count"].to_list() == [0, 5, 0, 0, 7]
    assert area(f, "H2")["count"].to_list() == [0] * 5
    assert f["count"].dtype == pl.Int64 and f["count"].null_count() == 0
    assert any("no counts at all" in n and "H2" in n for n in panel.notes)
    assert any("taken as zero" in n for n in panel.notes)


def test_missing_months_are_left_out_with_calendar_time() -> None:
    panel = build_panel(areas(), counts=counts(GAPPY), missing_months="missing")
    f = panel.frame
    assert f.schema == pl.Schema(PANEL_COLUMNS)
    assert f.select("area_id", "period", "count", "time").rows() == [
        ("B1", D(2024, 2, 1), 3, 3), ("C1", D(2023, 12, 1), 2, 1),
        ("H1", D(2024, 1, 1), 5, 2), ("H1", D(2024, 4, 1), 7, 5)]  # time counts calendar months
    assert area(f, "H1")["post"].to_list() == [False, True]
    assert any("21 area-month(s) with no row in the counts were left out" in n for n in panel.notes), panel.notes
    assert any("no counts at all, left out of the panel: B2, H2" in n for n in panel.notes), panel.notes
    assert not any("taken as zero" in n and "missing_months = \"zero\"" in n for n in panel.notes)


def test_missing_months_is_checked() -> None:
    with pytest.raises(ValueError, match="missing_months"):
        build_panel(areas(), counts=counts(GAPPY), missing_months="blank")  # type: ignore[arg-type]


def test_population_from_counts_else_area() -> None:
    panel = build_panel(areas(), counts=counts([
        ("H1", D(2024, 1, 1), 5, 3300), ("H1", D(2024, 2, 1), 6, None), ("H1", D(2024, 3, 1), 4, 3350),
        ("B2", D(2024, 1, 1), 1, None),
    ]), missing_months="zero")
    f = panel.frame
    assert area(f, "H1")["population"].to_list() == [3300.0, 3200.0, 3350.0]
    assert area(f, "B2")["population"].null_count() == 3  # no population anywhere
    assert area(f, "C1")["population"].to_list() == [2900.0] * 3
    assert any("population unknown" in n and "B2" in n for n in panel.notes)


def test_police_uk_shaped_counts_without_population() -> None:
    police = pl.DataFrame({"area_id": ["H1", "C1"], "period": [D(2024, 1, 1), D(2024, 2, 1)], "count": [3, 4]},
                          schema_overrides={"count": pl.Int64})
    f = build_panel(areas(), counts=police, missing_months="zero").frame
    assert f.height == 10 and area(f, "C1")["count"].to_list() == [0, 4]


def test_staggered_starts_buffers_inherit_and_post_boundaries() -> None:
    months = [D(2024, m, 1) for m in range(1, 8)]
    f = build_panel(areas(), counts=counts([("H1", m, 1) for m in months]), missing_months="zero").frame
    # H1 starts 1 March; H2 starts 15 May: the month containing the start is the first post month.
    assert area(f, "H1")["post"].to_list() == [False, False, True, True, True, True, True]
    assert area(f, "H2")["post"].to_list() == [False, False, False, False, True, True, True]
    assert area(f, "B1")["post"].to_list() == area(f, "H1")["post"].to_list()
    assert area(f, "B2")["post"].to_list() == area(f, "H2")["post"].to_list()
    assert area(f, "B2")["intervention_start"].unique().to_list() == [D(2024, 5, 15)]
    assert not area(f, "C1")["post"].any()


def test_buffer_own_start_and_comparison_start_are_overridden_with_a_note() -> None:
    a = areas().with_columns(
        pl.when(pl.col("area_id") == "B1").then(pl.lit(D(2024, 1, 1)))
        .when(pl.col("area_id") == "C1").then(pl.lit(D(2024, 2, 1)))
        .otherwise(pl.col("intervention_start")).alias("intervention_start"))
    panel = build_panel(a, counts=counts([("H1", D(2024, m, 1), 1) for m in (1, 2, 3)]), missing_months="zero")
    assert area(panel.frame, "B1")["intervention_start"].unique().to_list() == [D(2024, 3, 1)]
    assert area(panel.frame, "C1")["intervention_start"].null_count() == 3
    assert any("B1" in n and "parent hotspot's" in n for n in panel.notes)
    assert any("C1" in n and "ignored" in n for n in panel.notes)


def test_time_and_season_monthly_across_a_year_end() -> None:
    f = build_panel(areas(), counts=counts([("H1", D(2023, 11, 1), 1), ("H1", D(2024, 2, 1), 1)]),
                    missing_months="zero").frame
    h1 = area(f, "H1")
    assert h1["time"].to_list() == [1, 2, 3, 4]
    assert h1["season"].to_list() == [11, 12, 1, 2]
    assert h1["time"].dtype == pl.Int64 and h1["season"].dtype == pl.Int64


def test_monthly_panel_from_incidents_places_by_area_or_lsoa() -> None:
    panel = build_panel(areas(), incidents=incidents([
        ("I1", D(2024, 1, 5), "H1", None),
        ("I2", D(2024, 1, 31), None, "E01000002"),  # H1 through its second LSOA
        ("I3", D(2024, 3, 2), None, " e01000010 "),  # H2 (code tidied)
        ("I4", D(2024, 3, 9), "C1", "E01000001"),  # area_id wins over the LSOA
    ]))
    f = panel.frame
    assert area(f, "H1")["count"].to_list() == [2, 0, 0]
    assert area(f, "H2")["count"].to_list() == [0, 0, 1]
    assert area(f, "C1")["count"].to_list() == [0, 0, 1]
    assert panel.unplaced.height == 0
    assert f["population"].null_count() == 3  # B2 has no population


def test_unplaced_incidents_reported_with_reason() -> None:
    panel = build_panel(areas(), incidents=incidents([
        ("I1", D(2024, 1, 5), "H1", None),
        ("I2", D(2024, 1, 6), None, "E01099999"),
        ("I3", D(2024, 1, 7), None, None),
        ("I4", D(2024, 2, 7), "ZZ9", None),
    ]))
    u = panel.unplaced
    assert u.columns == ["__row", "incident_id", "reason"]
    assert u.rows() == [(3, "I2", REASON_UNKNOWN_LSOA), (4, "I3", REASON_NO_PLACE), (5, "I4", REASON_UNKNOWN_AREA)]
    assert panel.frame["count"].sum() == 1
    assert any("3 incident(s) could not be placed" in n for n in panel.notes)


def test_weekly_panel_from_incidents_monday_weeks() -> None:
    a = areas(H1=D(2024, 1, 3))  # a Wednesday: its week (from Monday 1 January) is post
    panel = build_panel(a, frequency="week", incidents=incidents([
        ("I1", D(2023, 12, 24), "H1", None),  # Sunday: week of Monday 18 December (ISO week 51)
        ("I2", D(2023, 12, 31), "H1", None),  # Sunday: week of Monday 25 December (ISO week 52)
        ("I3", D(2024, 1, 1), "H1", None),  # Monday: ISO week 1 of 2024
        ("I4", D(2024, 1, 7), None, "E01000001"),  # Sunday, same week
        ("I5", D(2024, 1, 17), "B1", None),
    ]))
    h1 = area(panel.frame, "H1")
    mondays = [D(2023, 12, 18), D(2023, 12, 25), D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 15)]
    assert h1["period"].to_list() == mondays
    assert all(p.weekday() == 0 for p in panel.frame["period"])
    assert h1["count"].to_list() == [1, 1, 2, 0, 0]
    assert h1["season"].to_list() == [51, 52, 1, 2, 3]
    assert h1["time"].to_list() == [1, 2, 3, 4, 5]
    assert h1["post"].to_list() == [False, False, True, True, True]
    assert area(panel.frame, "B1")["post"].to_list() == [False, False, True, True, True]
    assert panel.frequency == "week" and panel.frame.schema == pl.Schema(PANEL_COLUMNS)


def test_incidents_from_a_validated_folder(tmp_path: Path) -> None:
    tables = valid_tables()
    del tables["asb_counts"]
    folder = write_folder(tmp_path, tables=tables)
    write_csv(folder / "asb_incidents.csv", {
        "incident_id": ["A1", "A2", "A3"],
        "incident_date": ["2024-02-27", "2024-03-04", "2024-03-05"],
        "area_id": ["H1", None, None],
        "lsoa_code": [None, "E01000003", "E01000009"],
    })
    report = load_tables(folder, EvaluationConfig())
    panel = build_panel(report.tables["areas"].frame, incidents=report.tables["asb_incidents"].frame,
                        frequency="week")
    assert panel.frame["period"].unique().sort().to_list() == [D(2024, 2, 26), D(2024, 3, 4)]
    assert area(panel.frame, "B1")["count"].to_list() == [0, 1]
    assert panel.unplaced.rows() == [(4, "A3", REASON_UNKNOWN_LSOA)]  # file row 4


def test_lsoa_codes_as_semicolon_text() -> None:
    a = areas().with_columns(pl.col("lsoa_codes").list.join(";"))
    f = build_panel(a, incidents=incidents([("I1", D(2024, 1, 5), None, "E01000002")])).frame
    assert area(f, "H1")["count"].to_list() == [1]


def test_bad_calls() -> None:
    c = counts([("H1", D(2024, 1, 1), 1)])
    i = incidents([("I1", D(2024, 1, 5), "H1", None)])
    with pytest.raises(ValueError, match="either counts or incidents"):
        build_panel(areas(), counts=c, incidents=i)
    with pytest.raises(ValueError, match="either counts or incidents"):
        build_panel(areas())
    with pytest.raises(ValueError, match="weekly panels need incident dates"):
        build_panel(areas(), counts=c, frequency="week")
    with pytest.raises(ValueError, match="frequency"):
        build_panel(areas(), counts=c, frequency="day")  # type: ignore[arg-type]


def test_empty_data_gives_an_empty_panel() -> None:
    panel = build_panel(areas(), counts=counts([]))
    assert panel.frame.height == 0 and panel.frame.schema == pl.Schema(PANEL_COLUMNS)
    assert any("empty" in n for n in panel.notes)
