"""Tests of the data.police.uk street-level loader (ij_eval.io.police_uk)."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ij_eval.errors import InputError
from ij_eval.io import police_uk
from ij_eval.io.police_uk import (
    AreaPlacement,
    PoliceUkAsb,
    asb_by_area,
    asb_by_lsoa_month,
    find_street_files,
)

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "police_uk"

# Published row counts: month -> (Derbyshire rows, Derbyshire ASB, Northants rows, Northants ASB)
PUBLISHED = {
    "2018-10": (8194, 2858, 6705, 1574),
    "2018-11": (7745, 2566, 6616, 1512),
    "2018-12": (7603, 2385, 6196, 1443),
    "2019-01": (7987, 2980, 6420, 1435),
    "2019-02": (8087, 3142, 6270, 1463),
    "2024-01": (8216, 1100, 5613, 770),
    "2024-02": (8902, 2208, 5410, 826),
    "2024-03": (8910, 1258, 6181, 993),
    "2024-04": (8809, 1310, 6018, 1115),
}
FORCES = ("derbyshire", "northamptonshire")
CASES = [
    (month, force, counts[2 * i], counts[2 * i + 1])
    for month, counts in PUBLISHED.items()
    for i, force in enumerate(FORCES)
]

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


def reference_file(month: str, force: str) -> Path:
    assert REFERENCE.is_dir(), f"reference data missing: {REFERENCE}"
    return REFERENCE / force / f"{month}-{force}-street.csv"


def street_row(month: str, lsoa: str, crime_type: str) -> str:
    """One row in the data.police.uk street-level format."""
    force = "Test Constabulary"
    crime_id = "" if crime_type == "Anti-social behaviour" else "a" * 64
    outcome = "" if crime_type == "Anti-social behaviour" else "Under investigation"
    lon, lat, loc = ("-1.377978", "53.095745", "On or near Prospect Street") if lsoa else ("", "",
                                                                                         "No Location")
    name = f"Test {lsoa[-3:]}A" if lsoa else ""
    return f"{crime_id},{month},{force},{force},{lon},{lat},{loc},{lsoa},{name},{crime_type},{outcome},"


def write_street(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


ASB = "Anti-social behaviour"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A hand-made two-file download: 2024-01 and 2024-03 (no file for 2024-02).

    2024-01: ASB E01000001 x3, E01000002 x1, E01000003 x2, no LSOA x1; Burglary E01000001 x2.
    2024-03: ASB E01000002 x2; Vehicle crime E01000009 x1.
    """
    jan = (
        [street_row("2024-01", "E01000001", ASB)] * 3
        + [street_row("2024-01", "E01000002", ASB)]
        + [street_row("2024-01", "E01000003", ASB)] * 2
        + [street_row("2024-01", "", ASB)]
        + [street_row("2024-01", "E01000001", "Burglary")] * 2
    )
    mar = [street_row("2024-03", "E01000002", ASB)] * 2 + [street_row("2024-03", "E01000009",
                                                                      "Vehicle crime")]
    root = tmp_path / "download"
    write_street(root / "2024-01" / "2024-01-test-street.csv", jan)
    write_street(root / "2024-03" / "2024-03-test-street.csv", mar)
    return root


# --------------------------------------------------------------------------------------------
# reference files: counts equal the published ones


@pytest.mark.parametrize(("month", "force", "rows", "asb"), CASES)
def test_reference_file_counts_match_published(month: str, force: str, rows: int, asb: int) -> None:
    result = asb_by_lsoa_month(reference_file(month, force))
    assert result.rows_read == rows
    assert result.rows_asb == asb
    assert result.rows_not_asb == rows - asb
    assert int(result.counts["count"].sum()) == asb
    assert result.counts["period"].unique().to_list() == [date.fromisoformat(f"{month}-01")]


@pytest.mark.parametrize("force", FORCES)
def test_force_folder_counts_by_month_match_published(force: str) -> None:
    i = FORCES.index(force)
    result = asb_by_lsoa_month(REFERENCE / force)
    by_month = dict(
        result.counts.group_by("period").agg(pl.col("count").sum()).sort("period").iter_rows()
    )
    expected = {date.fromisoformat(f"{m}-01"): c[2 * i + 1] for m, c in PUBLISHED.items()}
    assert by_month == expected
    assert result.rows_read == sum(c[2 * i] for c in PUBLISHED.values())
    assert len(result.files) == len(PUBLISHED)


def test_counts_schema_and_missing_lsoa_kept() -> None:
    result = asb_by_lsoa_month(REFERENCE)
    assert isinstance(result, PoliceUkAsb)
    assert dict(result.counts.schema) == (
        {"lsoa_code": pl.String, "period": pl.Date, "count": pl.Int64}
    )
    assert result.counts["count"].min() >= 1
    assert result.counts.equals(result.counts.sort("period", "lsoa_code", nulls_last=True))
    assert not result.counts.select("lsoa_code", "period").is_duplicated().any()
    assert result.rows_asb == sum(c[1] + c[3] for c in PUBLISHED.values())
    # ASB rows with no LSOA are counted under a null lsoa_code, not dropped
    null_lsoa = result.counts.filter(pl.col("lsoa_code").is_null())
    assert int(result.counts["count"].sum()) == result.rows_asb
    assert null_lsoa.height == null_lsoa["period"].n_unique()


def test_folder_and_list_of_files_agree() -> None:
    files = sorted(REFERENCE.rglob("*-street.csv"))
    assert len(files) == 18
    from_folder = asb_by_lsoa_month(REFERENCE)
    from_files = asb_by_lsoa_month(list(reversed(files)))
    mixed = asb_by_lsoa_month([REFERENCE / "derbyshire", *(REFERENCE / "northamptonshire").iterdir()])
    for other in (from_files, mixed):
        assert other.counts.equals(from_folder.counts)
        assert (other.rows_read, other.rows_asb) == (from_folder.rows_read, from_folder.rows_asb)
        assert other.files == from_folder.files


def test_find_street_files_sorted_deduplicated_and_stable() -> None:
    once = find_street_files(REFERENCE)
    assert once == sorted(once, key=str)
    twice = find_street_files([REFERENCE, *reversed(once), REFERENCE / "derbyshire"])
    assert twice == once
    assert find_street_files(str(REFERENCE)) == once


def test_download_layout(tmp_path: Path) -> None:
    wanted = [reference_file("2024-01", "derbyshire"), reference_file("2024-01", "northamptonshire"),
              reference_file("2024-02", "derbyshire")]
    for src in wanted:
        month = src.name[:7]
        (tmp_path / month).mkdir(exist_ok=True)
        shutil.copy(src, tmp_path / month / src.name)
    # what unzipping on a Mac leaves beside, and the zip itself: both ignored
    (tmp_path / "__MACOSX" / "2024-01").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "2024-01" / "._2024-01-derbyshire-street.csv").write_bytes(b"\0\5")
    (tmp_path / "2024-02" / "._2024-02-derbyshire-street.csv").write_bytes(b"\0\5")
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as zf:
        zf.writestr("x.txt", "x")

    assert [f.name for f in find_street_files(tmp_path)] == [f.name for f in wanted]
    result = asb_by_lsoa_month(tmp_path)
    direct = asb_by_lsoa_month(wanted)
    assert result.counts.equals(direct.counts)
    assert result.rows_read == 8216 + 5613 + 8902
    assert result.rows_asb == 1100 + 770 + 2208


# --------------------------------------------------------------------------------------------
# analysis areas


def test_tiny_download_counts(tiny: Path) -> None:
    result = asb_by_lsoa_month(tiny)
    assert (result.rows_read, result.rows_asb, result.rows_not_asb) == (12, 9, 3)
    assert result.counts.to_dicts() == [
        {"lsoa_code": "E01000001", "period": date(2024, 1, 1), "count": 3},
        {"lsoa_code": "E01000002", "period": date(2024, 1, 1), "count": 1},
        {"lsoa_code": "E01000003", "period": date(2024, 1, 1), "count": 2},
        {"lsoa_code": None, "period": date(2024, 1, 1), "count": 1},
        {"lsoa_code": "E01000002", "period": date(2024, 3, 1), "count": 2},
    ]


@pytest.mark.parametrize("form", ["text", "list"])
def test_asb_by_area_hand_checked(tiny: Path, form: str) -> None:
    codes = {"A": ["E01000001", " e01000002 "], "B": ["E01000004"], "C": []}
    if form == "text":
        lsoa_codes: pl.Series = pl.Series([";".join(v) for v in codes.values()])
    else:
        lsoa_codes = pl.Series(list(codes.values()), dtype=pl.List(pl.String))
    areas = pl.DataFrame({"area_id": ["B", "A", "C"], "lsoa_codes": [None, None, None]}).with_columns(
        lsoa_codes=pl.Series([lsoa_codes[list(codes).index(a)] for a in ["B", "A", "C"]],
                             dtype=lsoa_codes.dtype)
    )
    asb = asb_by_lsoa_month(tiny)
    placed = asb_by_area(asb, areas)
    assert isinstance(placed, AreaPlacement)
    jan, feb, mar = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
    assert dict(placed.counts.schema) == (
        {"area_id": pl.String, "period": pl.Date, "count": pl.Int64}
    )
    # February has no file: absent data, not zero (every area has a row in January and March).
    assert asb.months_without_file == {"test": (feb,)}
    assert placed.counts.rows() == [
        ("A", jan, 4), ("A", mar, 2),
        ("B", jan, 0), ("B", mar, 0),
        ("C", jan, 0), ("C", mar, 0),
    ]
    assert placed.unplaced.rows() == [
        ("E01000003", jan, 2, "LSOA not in any analysis area"),
        (None, jan, 1, "no LSOA code"),
    ]
    assert (placed.rows_asb, placed.rows_placed, placed.rows_unplaced) == (9, 6, 3)
    assert (placed.rows_no_lsoa, placed.rows_not_in_area) == (1, 2)
    assert placed.rows_placed + placed.rows_unplaced == asb.rows_asb


def test_asb_by_area_accounting_on_reference() -> None:
    asb = asb_by_lsoa_month(REFERENCE)
    lsoas = asb.counts["lsoa_code"].drop_nulls().unique().sort().to_list()
    areas = pl.DataFrame({
        "area_id": ["first", "second"],
        "lsoa_codes": [";".join(lsoas[:100]), ";".join(lsoas[100:250])],
    })
    placed = asb_by_area(asb, areas)
    assert placed.rows_placed + placed.rows_unplaced == asb.rows_asb
    assert placed.rows_placed == int(
        asb.counts.filter(pl.col("lsoa_code").is_in(lsoas[:250]))["count"].sum()
    )
    assert int(placed.unplaced["count"].sum()) == placed.rows_unplaced
    # Files for 9 of the 67 months from 2018-10 to 2024-04: the 58 others are absent, not zero.
    gaps = asb.months_without_file
    assert sorted(gaps) == ["derbyshire", "northamptonshire"] and all(len(m) == 58 for m in gaps.values())
    assert placed.counts.height == 2 * 9
    assert sorted(set(placed.counts["period"].dt.strftime("%Y-%m"))) == sorted(PUBLISHED)
    assert placed.counts.sort("area_id", "period").equals(placed.counts)


def test_lsoa_in_two_areas_is_an_error(tiny: Path) -> None:
    areas = pl.DataFrame({"area_id": ["north", "south"],
                          "lsoa_codes": ["E01000001;E01000002", "E01000005;E01000002"]})
    with pytest.raises(InputError) as err:
        asb_by_area(asb_by_lsoa_month(tiny), areas, source="areas.csv")
    message = str(err.value)
    assert "E01000002" in message and "'north'" in message and "'south'" in message
    assert "areas.csv" in message


def test_areas_missing_column_is_an_error(tiny: Path) -> None:
    with pytest.raises(InputError, match="lsoa_codes"):
        asb_by_area(asb_by_lsoa_month(tiny), pl.DataFrame({"area_id": ["a"]}))


# --------------------------------------------------------------------------------------------
# bad input gives InputError naming the file


def test_zip_is_an_error_telling_to_unzip(tmp_path: Path) -> None:
    archive = tmp_path / "2024-01.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(reference_file("2024-01", "derbyshire"), "2024-01/2024-01-derbyshire-street.csv")
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month(archive)
    assert "2024-01.zip" in str(err.value) and "unzip" in str(err.value)
    # a folder holding only the zip says the same
    with pytest.raises(InputError, match="unzip"):
        asb_by_lsoa_month(tmp_path)


def test_no_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month(tmp_path / "empty")
    assert "empty" in str(err.value) and "street" in str(err.value)
    write_street(tmp_path / "other" / "2024-01-test-outcomes.csv", [])
    with pytest.raises(InputError, match="2024-01-test-outcomes.csv"):
        find_street_files(tmp_path / "other")
    with pytest.raises(InputError, match="does not exist"):
        find_street_files(tmp_path / "nowhere")
    with pytest.raises(InputError, match="no data.police.uk files"):
        find_street_files([])


def test_missing_column_is_an_error(tmp_path: Path) -> None:
    good = write_street(tmp_path / "2024-01-good-street.csv", [street_row("2024-01", "E01000001", ASB)])
    header = HEADER.replace(",Crime type", "")
    row = street_row("2024-01", "E01000001", ASB).replace(f",{ASB}", "")
    bad = write_street(tmp_path / "2024-02-bad-street.csv", [row], header=header)
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month([good, bad])
    message = str(err.value)
    assert "2024-02-bad-street.csv" in message and "Crime type" in message
    assert err.value.problem.column == "Crime type"


def test_bad_month_is_an_error_naming_file_rows_and_values(tmp_path: Path) -> None:
    good = write_street(tmp_path / "2024-01-good-street.csv", [street_row("2024-01", "E01000001", ASB)])
    rows = [street_row("2024-02", "E01000001", ASB), street_row("Feb-24", "E01000001", ASB),
            street_row("2024-02", "E01000001", "Burglary"), street_row("2024-13", "E01000001", ASB)]
    bad = write_street(tmp_path / "2024-02-bad-street.csv", rows)
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month([good, bad])
    problem = err.value.problem
    assert problem.file == "2024-02-bad-street.csv" and problem.column == "Month"
    assert problem.rows == (3, 5)  # header is row 1
    assert problem.values == ("Feb-24", "2024-13")
    assert "2024-02-bad-street.csv" in str(err.value) and "'Feb-24'" in str(err.value)


def test_empty_and_unreadable_files_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "2024-01-empty-street.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="2024-01-empty-street.csv.*empty"):
        asb_by_lsoa_month(empty)
    good = write_street(tmp_path / "2024-02-good-street.csv", [street_row("2024-02", "E01000001", ASB)])
    row = street_row("2024-03", "E01000001", ASB)
    unclosed = write_street(tmp_path / "2024-03-quote-street.csv",
                            [row, row.replace("On or near", '"On or near'), row])
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month([good, unclosed])
    assert err.value.problem.file == "2024-03-quote-street.csv"
    assert "not a readable CSV" in str(err.value)

    not_utf8 = tmp_path / "2024-04-latin-street.csv"
    not_utf8.write_bytes((HEADER + "\n" + row + "\n").replace("E01000001", "E01\xff").encode("latin-1"))
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month([good, not_utf8])
    assert err.value.problem.file == "2024-04-latin-street.csv"

    short = write_street(tmp_path / "2024-05-short-street.csv", [row, row, ",2024-05,Test"])
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month([good, short])
    assert err.value.problem.file == "2024-05-short-street.csv"
    assert err.value.problem.column == "Crime type" and err.value.problem.rows == (4,)


def test_same_month_and_force_twice_is_an_error(tmp_path: Path) -> None:
    src = reference_file("2024-01", "derbyshire")
    for archive in ("archive-a", "archive-b"):
        (tmp_path / archive / "2024-01").mkdir(parents=True)
        shutil.copy(src, tmp_path / archive / "2024-01" / src.name)
    with pytest.raises(InputError) as err:
        asb_by_lsoa_month(tmp_path)
    assert src.name in str(err.value) and "twice" in str(err.value)


def test_header_case_and_spacing_tolerated(tmp_path: Path) -> None:
    header = HEADER.replace("Crime type", " crime type ").replace("Month", "MONTH")
    path = write_street(tmp_path / "2024-01-x-street.csv",
                        [street_row("2024-01", "E01000001", ASB)] * 2, header=header)
    result = asb_by_lsoa_month(path)
    assert (result.rows_read, result.rows_asb) == (2, 2)


def test_untidy_lsoa_codes_and_months_are_tidied(tmp_path: Path) -> None:
    rows = [street_row("2024-01", "E01000001", ASB), street_row(" 2024-01", " e01000001 ", ASB),
            street_row("2024-01", "  ", ASB), street_row("2024-01", "E01000002", ASB)]
    result = asb_by_lsoa_month(write_street(tmp_path / "2024-01-x-street.csv", rows))
    assert result.counts.rows() == [("E01000001", date(2024, 1, 1), 2),
                                    ("E01000002", date(2024, 1, 1), 1),
                                    (None, date(2024, 1, 1), 1)]


def test_reading_in_month_runs_gives_the_same_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = asb_by_lsoa_month(REFERENCE)
    monkeypatch.setattr(police_uk, "_BATCH_BYTES", 1)  # one run per month
    assert len(police_uk._batches(whole.files, {f: police_uk._layout(f) for f in whole.files})) == 9
    by_month = asb_by_lsoa_month(REFERENCE)
    assert by_month.counts.equals(whole.counts)
    assert (by_month.rows_read, by_month.rows_asb) == (whole.rows_read, whole.rows_asb)


def test_month_column_differing_from_file_name_is_merged(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(police_uk, "_BATCH_BYTES", 1)
    # a late-published file: named for February but its rows are January's
    a = write_street(tmp_path / "2024-01-a-street.csv", [street_row("2024-01", "E01000002", ASB)] * 2)
    b = write_street(tmp_path / "2024-02-a-street.csv", [street_row("2024-01", "E01000002", ASB),
                                                         street_row("2024-01", "E01000001", ASB)])
    result = asb_by_lsoa_month([a, b])
    assert result.counts.rows() == [("E01000001", date(2024, 1, 1), 1),
                                    ("E01000002", date(2024, 1, 1), 3)]


def test_files_with_differently_ordered_columns(tmp_path: Path) -> None:
    normal = write_street(tmp_path / "2024-01-a-street.csv", [street_row("2024-01", "E01000001", ASB)])
    names = HEADER.split(",")
    order = [9, 7, 1, *[i for i in range(12) if i not in (9, 7, 1)]]
    row = street_row("2024-01", "E01000001", ASB).split(",")
    other = write_street(tmp_path / "2024-01-b-street.csv", [",".join(row[i] for i in order)] * 2,
                         header=",".join(names[i] for i in order))
    result = asb_by_lsoa_month([normal, other])
    assert result.counts.rows() == [("E01000001", date(2024, 1, 1), 3)]
