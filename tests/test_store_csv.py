"""Published CSVs are safe in a spreadsheet (OWASP's CSV-injection rule) and read back exactly."""

from __future__ import annotations

import csv
import datetime as dt
import json

import polars as pl
import pytest

from ij_eval.io.store import read_back, spreadsheet_safe, write_table
from ij_eval.report.store import ResultsStore

RUNS = ["=1+2", '=HYPERLINK("http://x","click")', "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "-1 to 3", "+",
        "-", "=", "'=1+2", "''@SUM(A1)"]
INERT = ["-0.5", "+3", "1e-4", "-.5", "12", "'quoted", "ok", "", "−1 to 3", " =1+2", "a=b"]


def _cells(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_text_cell_that_would_run_gets_one_leading_quote():
    frame = pl.DataFrame({"text": RUNS})
    assert spreadsheet_safe(frame)["text"].to_list() == ["'" + c for c in RUNS]


def test_plain_numbers_and_ordinary_text_are_left_as_they_are():
    frame = pl.DataFrame({"text": INERT})
    assert spreadsheet_safe(frame)["text"].to_list() == INERT


def test_numeric_date_and_null_cells_are_never_touched(tmp_path):
    frame = pl.DataFrame({"estimate": [-0.5, 1.25, None], "n": [-3, 0, None],
                          "day": [dt.date(2024, 1, 1), None, dt.date(2024, 2, 1)], "label": ["-x", None, "y"]})
    write_table(tmp_path / "t.csv", frame)
    rows = _cells(tmp_path / "t.csv")
    assert [r["estimate"] for r in rows] == ["-0.5", "1.25", ""]
    assert [r["n"] for r in rows] == ["-3", "0", ""]
    assert [r["label"] for r in rows] == ["'-x", "", "y"]


def test_categorical_nested_and_header_cells_are_covered(tmp_path):
    frame = pl.DataFrame({"=sum": ["a"], "cat": pl.Series(["@x"], dtype=pl.Categorical),
                          "parts": [["=a", "b"]]})
    write_table(tmp_path / "t.csv", frame)
    header = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "'=sum,cat,parts"
    row = _cells(tmp_path / "t.csv")[0]
    assert row["cat"] == "'@x" and row["parts"] == "'=a;b"


@pytest.mark.parametrize("text", RUNS + INERT)
def test_what_the_report_reads_back_is_exactly_what_the_strand_wrote(tmp_path, text):
    (tmp_path / "tables").mkdir()
    (tmp_path / "results.json").write_text(json.dumps({"strands": {}}), encoding="utf-8")
    frame = pl.DataFrame({"text": [text, "plain"], "n": [1, 2]})
    write_table(tmp_path / "tables" / "t.csv", frame)
    back = ResultsStore.open(tmp_path).table("t")
    assert back["text"].to_list() == [text, "plain"]
    assert back["n"].to_list() == [1, 2]


def test_read_back_undoes_only_the_quotes_the_writer_added():
    assert read_back(pl.DataFrame({"t": ["'hello", "'-0.5", "''=x", "'=x"]}))["t"].to_list() == [
        "'hello", "'-0.5", "'=x", "=x"]
