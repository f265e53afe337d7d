"""ij_eval.stats.disclosure: small counts hidden, and no hidden count recoverable from published totals.

Two independent checks of recoverability are used on the *published* output (nulls = hidden):

- ``single_hidden_lines``: any row/column (or margin vector) whose total is published and which
  has exactly one hidden entry gives it away by subtraction.
- ``determined_entries`` (the stronger one): the published margins are linear equations in the
  hidden entries; a hidden entry is exactly recoverable iff its unit vector lies in the row space
  of the constraint matrix restricted to hidden entries, i.e. iff appending it does not raise the
  rank. Computed with ``numpy.linalg.matrix_rank``, independently of the module's own SVD test.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ij_eval.stats.disclosure import (
    MARKER,
    PRIMARY,
    RULE_TEXT,
    SECONDARY,
    check_published,
    protect,
    recoverable,
    rule_text,
    suppress_counts,
    suppress_dependent,
    suppress_two_way,
)

# ---------------------------------------------------------------------------------------------
# helpers


def two_way(grid: list[list[int]]) -> pl.DataFrame:
    """Long-format table from a row-major grid; rows labelled r0.., columns c0.."""
    return pl.DataFrame({
        "row": [f"r{i}" for i, line in enumerate(grid) for _ in line],
        "col": [f"c{j}" for line in grid for j in range(len(line))],
        "n": [v for line in grid for v in line],
    })


def published_grid(s, n_r: int, n_c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Hidden masks (cells R x C, row totals, column totals, grand total) from published output."""
    cells = np.zeros((n_r, n_c), dtype=bool)
    for row in s.table.iter_rows(named=True):
        cells[int(row["row"][1:]), int(row["col"][1:])] = row["n"] is None
    rows = s.row_totals.sort("row")["n"].is_null().to_numpy()
    cols = s.column_totals.sort("col")["n"].is_null().to_numpy()
    return cells, rows, cols, s.totals["n"] is None


def lines_of(n_r: int, n_c: int) -> list[tuple[list[int], int]]:
    """Each published relation as (member entry indices, total index) over cells, row, column, grand totals."""
    rt, ct, gt = n_r * n_c, n_r * n_c + n_r, n_r * n_c + n_r + n_c
    return ([([r * n_c + c for c in range(n_c)], rt + r) for r in range(n_r)]
            + [([r * n_c + c for r in range(n_r)], ct + c) for c in range(n_c)]
            + [([rt + r for r in range(n_r)], gt), ([ct + c for c in range(n_c)], gt)])


def hidden_vector(s, n_r: int, n_c: int) -> np.ndarray:
    cells, rows, cols, grand = published_grid(s, n_r, n_c)
    return np.concatenate([cells.ravel(), rows, cols, [grand]])


def single_hidden_lines(hidden: np.ndarray, lines) -> list:
    return [ln for ln in lines if hidden[[*ln[0], ln[1]]].sum() == 1]


def determined_entries(hidden: np.ndarray, lines) -> list[int]:
    a = np.zeros((len(lines), hidden.size))
    for i, (members, total) in enumerate(lines):
        a[i, members] = 1
        a[i, total] = -1
    idx = np.flatnonzero(hidden)
    ah = a[:, idx]
    rank = np.linalg.matrix_rank(ah)
    out = []
    for k, e in enumerate(idx):
        unit = np.zeros((1, idx.size))
        unit[0, k] = 1
        if np.linalg.matrix_rank(np.vstack([ah, unit])) == rank:
            out.append(int(e))
    return out


def assert_safe_two_way(s, grid, threshold=10, suppress_zeros=False):
    n_r, n_c = len(grid), len(grid[0])
    hidden = hidden_vector(s, n_r, n_c)
    lines = lines_of(n_r, n_c)
    assert single_hidden_lines(hidden, lines) == []
    assert determined_entries(hidden, lines) == []
    # every small count (cells and margins) hidden; published values unchanged
    g = np.array(grid)
    values = np.concatenate([g.ravel(), g.sum(axis=1), g.sum(axis=0), [g.sum()]])
    low = 0 if suppress_zeros else 1
    assert np.all(hidden[(values >= low) & (values < threshold)])
    assert check_published(s.table, count_columns=["n"], threshold=threshold, suppress_zeros=suppress_zeros) == []
    assert check_published(s.row_totals, count_columns=["n"], threshold=threshold) == []
    assert check_published(s.column_totals, count_columns=["n"], threshold=threshold) == []
    original = dict(zip(zip(two_way(grid)["row"], two_way(grid)["col"], strict=True), grid_flat(grid), strict=True))
    for r, c, v in s.table.iter_rows():
        assert v is None or v == original[(r, c)]


def grid_flat(grid):
    return [v for line in grid for v in line]


# ---------------------------------------------------------------------------------------------
# one-way tables

ONE_WAY = pl.DataFrame({"area": ["A", "B", "C", "D", "Total"], "n": [3, 25, 14, 40, 82]})


def test_one_way_single_small_cell_gets_exactly_one_complement_and_total_is_kept():
    s = suppress_counts(ONE_WAY, count_columns=["n"], label_column="area", total_label="Total")
    assert s.table["n"].to_list() == [None, 25, None, 40, 82]
    assert s.flags["n"].to_list() == [PRIMARY, "", SECONDARY, "", ""]
    assert (s.n_primary, s.n_secondary, s.n_suppressed) == (1, 1, 2)
    assert s.totals == {"n": 82}
    assert s.mask["n"].to_list() == [True, False, True, False, False]
    # the published total has 0 or >= 2 hidden contributors, so the 3 cannot be recovered by subtraction
    cells = s.table.filter(pl.col("area") != "Total")
    assert cells["n"].null_count() != 1
    # the remainder 82 - 25 - 40 = 17 is shared by two hidden cells: both 3 + 14 and e.g. 8 + 9 fit
    assert check_published(s.table, count_columns=["n"]) == []


def test_one_way_without_total_row_assumes_total_published_and_columns_are_independent():
    t = pl.DataFrame({"area": ["A", "B", "C"], "n": [30, 40, 50], "m": [12, 5, 11]})
    s = suppress_counts(t, count_columns=["n", "m"])
    assert s.table["n"].to_list() == [30, 40, 50]
    assert s.table["m"].to_list() == [12, None, None]  # 11 < 12: the smallest other cell is the complement
    assert s.totals == {"n": 120, "m": 28}
    assert s.table["area"].to_list() == ["A", "B", "C"]
    unpublished = suppress_counts(t, count_columns=["m"], total_published=False)
    assert unpublished.table["m"].to_list() == [12, None, 11]
    assert unpublished.totals == {"m": None}


def test_one_way_small_total_is_hidden():
    t = pl.DataFrame({"area": ["A", "B", "C", "Total"], "n": [3, 0, 4, 7]})
    s = suppress_counts(t, count_columns=["n"], label_column="area", total_label="Total")
    assert s.table["n"].to_list() == [None, 0, None, None]
    assert s.flags["n"].to_list() == [PRIMARY, "", PRIMARY, PRIMARY]
    assert s.totals == {"n": None}


def test_one_way_complement_prefers_a_nonzero_cell():
    t = pl.DataFrame({"area": ["A", "B", "C"], "n": [3, 0, 20]})
    s = suppress_counts(t, count_columns=["n"])
    assert s.table["n"].to_list() == [None, 0, None]  # hiding the 0 would reveal 3 = total - 20


# ---------------------------------------------------------------------------------------------
# two-way tables

GRID = [[3, 5, 20],      # two small cells in one row
        [30, 40, 2],     # one in another
        [50, 60, 70],
        [15, 25, 35]]


def test_two_way_no_hidden_cell_recoverable_from_margins():
    s = suppress_two_way(two_way(GRID), row_column="row", column_column="col", count_column="n")
    assert_safe_two_way(s, GRID)
    assert s.n_primary == 3 and s.n_secondary >= 3
    # margins all >= 10, so they are all published
    assert s.row_totals["n"].to_list() == [28, 72, 180, 75]
    assert s.column_totals["n"].to_list() == [98, 130, 127]
    assert s.totals == {"n": 355} and s.grand_total_flag == ""
    flags = {(r, c): f for r, c, f in s.flags.iter_rows()}
    assert flags[("r0", "c0")] == flags[("r0", "c1")] == flags[("r1", "c2")] == PRIMARY


def test_checkers_catch_a_recoverable_pattern():
    """The test helpers themselves can fail: primary suppression alone leaves c2's 2 recoverable."""
    n_r, n_c = len(GRID), len(GRID[0])
    g = np.array(GRID)
    hidden = np.concatenate([((g > 0) & (g < 10)).ravel(), np.zeros(n_r + n_c + 1, dtype=bool)])
    lines = lines_of(n_r, n_c)
    assert single_hidden_lines(hidden, lines)
    assert 1 * n_c + 2 in determined_entries(hidden, lines)


def test_cascade_complement_creates_new_single_hidden_lines():
    # the 4 in (r0, c0) needs a complement in its row (the 50 in c1) and in its column (the 11 in r2);
    # that second complement leaves row r2 with one hidden cell, resolved by the 12 in (r2, c1) - a
    # cell in a row and column without any small count, so only the iteration can find it
    grid = [[4, 50, 60],
            [40, 50, 60],
            [11, 12, 80],
            [70, 13, 90]]
    s = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n")
    assert_safe_two_way(s, grid)
    hidden = {(r, c): f for r, c, f in s.flags.iter_rows() if f}
    assert hidden == {("r0", "c0"): PRIMARY, ("r0", "c1"): SECONDARY,
                      ("r2", "c0"): SECONDARY, ("r2", "c1"): SECONDARY}
    assert s.n_primary == 1


def test_bridge_pattern_every_line_has_two_hidden_yet_a_cell_is_recoverable_and_gets_fixed():
    # small cells form two 2x2 blocks joined by (r0, c2): every row and column with a small cell has
    # >= 2 of them, yet (r0, c2) = row r0 + row r1 - column c0 - column c1 - (published cells) exactly
    grid = [[2, 3, 4, 50, 50],
            [3, 4, 50, 50, 50],
            [50, 50, 2, 3, 50],
            [50, 50, 4, 5, 50],
            [50, 50, 50, 50, 50]]
    n_r = n_c = 5
    g = np.array(grid)
    primary_only = np.concatenate([((g > 0) & (g < 10)).ravel(), np.zeros(n_r + n_c + 1, dtype=bool)])
    assert single_hidden_lines(primary_only, lines_of(n_r, n_c)) == []
    assert determined_entries(primary_only, lines_of(n_r, n_c)) == [2]  # the bridge
    s = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n")
    assert_safe_two_way(s, grid)
    assert s.n_primary == 9 and s.n_secondary >= 1


def test_small_margin_is_hidden_with_a_complement_in_the_margin_vector():
    grid = [[2, 3, 0],   # row total 5 < 10
            [20, 30, 40],
            [25, 35, 45]]
    s = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n")
    assert_safe_two_way(s, grid)
    rows = s.row_totals.sort("row")
    assert rows["n"].to_list()[0] is None and rows["flag"].to_list()[0] == PRIMARY
    assert rows["n"].null_count() >= 2  # the hidden 5 cannot be grand total - other row totals
    assert SECONDARY in rows["flag"].to_list()


def test_two_way_zeros_left_alone_by_default_and_hidden_on_request():
    grid = [[0, 20, 30], [40, 50, 60], [70, 80, 0]]
    default = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n")
    assert default.n_suppressed == 0
    assert default.table["n"].to_list() == grid_flat(grid)
    hide = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n",
                            suppress_zeros=True)
    assert_safe_two_way(hide, grid, suppress_zeros=True)
    assert hide.n_primary == 2
    t = pl.DataFrame({"area": ["A", "B", "C"], "n": [0, 30, 40]})
    assert suppress_counts(t, count_columns=["n"]).table["n"].to_list() == [0, 30, 40]
    assert suppress_counts(t, count_columns=["n"], suppress_zeros=True).table["n"].to_list() == [None, None, 40]


def test_threshold_parameter_respected():
    grid = [[4, 6, 20], [30, 40, 50], [60, 70, 80]]
    s5 = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n", threshold=5)
    assert_safe_two_way(s5, grid, threshold=5)
    flags = {(r, c): f for r, c, f in s5.flags.iter_rows()}
    assert flags[("r0", "c0")] == PRIMARY and flags[("r0", "c1")] != PRIMARY  # 6 >= 5 is not primary
    s10 = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n")
    assert {(r, c): f for r, c, f in s10.flags.iter_rows()}[("r0", "c1")] == PRIMARY
    one = suppress_counts(pl.DataFrame({"n": [4, 6, 30]}), count_columns=["n"], threshold=5)
    assert one.table["n"].to_list() == [None, None, 30]
    assert one.flags["n"].to_list() == [PRIMARY, SECONDARY, ""]


def test_deterministic_and_independent_of_input_row_order():
    t = two_way(GRID)
    a = suppress_two_way(t, row_column="row", column_column="col", count_column="n")
    b = suppress_two_way(t, row_column="row", column_column="col", count_column="n")
    assert a.table.equals(b.table) and a.flags.equals(b.flags) and a.totals == b.totals
    shuffled = t.sample(fraction=1.0, shuffle=True, seed=7)
    c = suppress_two_way(shuffled, row_column="row", column_column="col", count_column="n")
    key = ["row", "col"]
    assert c.flags.sort(key).equals(a.flags.sort(key))
    assert c.row_totals.equals(a.row_totals) and c.column_totals.equals(a.column_totals)
    # ties (two 20s as candidate complements) go to the first label
    tie = suppress_counts(pl.DataFrame({"n": [3, 20, 20]}), count_columns=["n"])
    assert tie.table["n"].to_list() == [None, None, 20]


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_never_leave_a_recoverable_entry(seed):
    rng = np.random.default_rng(seed)
    n_r, n_c = rng.integers(2, 6), rng.integers(2, 6)
    threshold = int(rng.choice([5, 10]))
    grid = rng.choice([0, 1, 2, 3, 5, 8, 9, 12, 15, 30, 80], size=(n_r, n_c)).tolist()
    zeros = bool(seed % 2)
    s = suppress_two_way(two_way(grid), row_column="row", column_column="col", count_column="n",
                         threshold=threshold, suppress_zeros=zeros)
    assert_safe_two_way(s, grid, threshold=threshold, suppress_zeros=zeros)


def test_two_way_rejects_incomplete_or_duplicated_grids():
    t = two_way(GRID)
    with pytest.raises(ValueError, match="every"):
        suppress_two_way(t.slice(1), row_column="row", column_column="col", count_column="n")
    with pytest.raises(ValueError, match="once"):
        suppress_two_way(pl.concat([t, t.head(1)]), row_column="row", column_column="col", count_column="n")
    with pytest.raises(ValueError, match="missing"):
        suppress_counts(pl.DataFrame({"n": [1, None]}), count_columns=["n"])


# ---------------------------------------------------------------------------------------------
# dependent figures, checks, rule text


def test_dependent_rates_nulled_where_counts_hidden():
    t = pl.DataFrame({"area": ["A", "B", "C", "D"], "reoffended": [3, 25, 14, 40], "cohort": [50, 100, 60, 90]})
    s = suppress_counts(t, count_columns=["reoffended"], total_published=True)
    with_rates = s.table.with_columns(rate=t["reoffended"] / t["cohort"], lo=pl.lit(0.1), hi=pl.lit(0.9))
    out = suppress_dependent(with_rates, count_column="reoffended", dependent_columns=["rate", "lo", "hi"])
    assert out["rate"].is_null().to_list() == [True, False, True, False]
    assert out["lo"].is_null().to_list() == [True, False, True, False]
    assert out["cohort"].to_list() == [50, 100, 60, 90]  # not a dependent column
    # explicit mask (e.g. when the counts were computed elsewhere and are still present)
    masked = suppress_dependent(with_rates.with_columns(reoffended=t["reoffended"]), count_column="reoffended",
                                dependent_columns=["rate"], suppressed_mask=s.mask["reoffended"])
    assert masked["rate"].is_null().to_list() == [True, False, True, False]
    with pytest.raises(ValueError):
        suppress_dependent(with_rates, count_column="reoffended", dependent_columns=["rate"],
                           suppressed_mask=[True])


def test_check_published_finds_an_unsuppressed_small_count_and_passes_a_suppressed_table():
    raw = ONE_WAY
    problems = check_published(raw, count_columns=["n"], threshold=10)
    assert len(problems) == 1 and "n = 3" in problems[0] and "row 1" in problems[0]
    s = suppress_counts(raw, count_columns=["n"], label_column="area", total_label="Total")
    assert check_published(s.table, count_columns=["n"], threshold=10) == []
    assert check_published(pl.DataFrame({"n": [0, 12]}), count_columns=["n"]) == []
    assert len(check_published(pl.DataFrame({"n": [0, 12]}), count_columns=["n"], suppress_zeros=True)) == 1
    assert check_published(raw, count_columns=["n"], threshold=3) == []


def test_rule_text():
    assert RULE_TEXT == rule_text(10)
    assert "Counts from 1 to 9 are not shown (marked [c])" in RULE_TEXT
    assert "Rates and percentages based on hidden counts are not shown." in RULE_TEXT
    assert "1 to 4" in rule_text(5) and "below 5 (including zero)" in rule_text(5, suppress_zeros=True)
    assert MARKER == "[c]"


# ---------------------------------------------------------------------------------------------
# the general engine: unpublished entries


def test_an_unpublished_total_alone_needs_no_secondary_suppression():
    t = pl.DataFrame({"area": ["x", "y", "z"], "n": [30, 25, 14]})
    s = suppress_counts(t, count_columns=["n"], total_published=False)
    assert s.table["n"].to_list() == [30, 25, 14]  # nothing small: nothing hidden
    assert (s.n_primary, s.n_secondary) == (0, 0)


def test_protect_hides_a_count_whose_unpublished_complement_is_small():
    # entries: n, reoffenders, did-not-reoffend (never published); n = reoffenders + rest
    lines = [([1, 2], 0)]
    result = protect([40, 36, 4], lines, threshold=10, unpublished=[False, False, True])
    assert result.primary.tolist() == [False, False, True]
    assert result.hidden[2] and (result.hidden[0] or result.hidden[1])  # 36 of 40 would give the 4 away
    assert 2 not in recoverable(3, lines, result.hidden)
    large = protect([40, 20, 20], lines, threshold=10, unpublished=[False, False, True])
    assert large.hidden.tolist() == [False, False, True] and not large.secondary.any()


def test_protect_rejects_lines_that_do_not_add_up_and_hides_flagged_entries():
    with pytest.raises(ValueError, match="does not add up"):
        protect([10, 4, 5], [([1, 2], 0)])
    flagged = protect([30, 15, 15], [([1, 2], 0)], hide=[False, True, False])
    assert flagged.hidden.tolist() == [False, True, True]  # the flagged one and its complement
    assert recoverable(3, [([1, 2], 0)], flagged.hidden) == []
    assert recoverable(3, [([1, 2], 0)], [False, True, False]) == [1]
