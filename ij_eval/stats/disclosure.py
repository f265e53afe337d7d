"""Statistical disclosure control for published count tables: primary and secondary suppression.

The rule (``[disclosure] threshold`` in the config, default 10):

- **Primary suppression.** Every count from 1 to ``threshold - 1`` is hidden. A zero is left
  alone by default (a structural zero reveals nothing about an individual); with
  ``suppress_zeros=True`` zeros are hidden too. A published total below the threshold is hidden
  in the same way.
- **Secondary suppression.** A table is a set of *lines*: each line is some cells and the total
  they add up to (a one-way table has one line per count column; a two-way table has one per row,
  one per column, and the margins themselves form two more lines, row totals and column totals
  both adding up to the grand total). A line with exactly one hidden entry gives that entry away
  by subtraction, so another entry of the line is hidden: the smallest non-zero unhidden cell
  (then a zero cell, and only as a last resort the line's total), ties broken by label order.
  This is repeated until no line has exactly one hidden entry. For two-way tables that is not
  always enough (a hidden cell can be pinned down by combining several rows and columns), so the
  full system of published totals is then solved: a hidden entry is exactly recoverable iff its
  unit vector lies in the row space of the constraint matrix restricted to the hidden entries,
  and while any is, another entry in its row or column is hidden and the whole loop repeats.
  Every step hides one more entry, so the loop ends (at worst with everything hidden, when
  nothing is recoverable).
- **Dependent figures.** Rates, percentages and confidence intervals built on a hidden count are
  hidden too (:func:`suppress_dependent`).

Hidden cells are returned as nulls; the report marks them ``[c]`` (:data:`MARKER`). Only exact
recovery is prevented: a hidden pair whose sum is published still bounds each of its cells by
that sum (interval disclosure is not assessed).

Example
-------
>>> import polars as pl
>>> t = pl.DataFrame({"area": ["A", "B", "C", "D"], "n": [3, 25, 14, 40]})
>>> s = suppress_counts(t, count_columns=["n"])
>>> s.table["n"].to_list(), s.flags["n"].to_list(), s.totals["n"]
([None, 25, None, 40], ['primary', '', 'secondary', ''], 82)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

MARKER = "[c]"  # how a hidden figure is shown in the report
PRIMARY = "primary"  # a count below the threshold
SECONDARY = "secondary"  # hidden so that a primary one cannot be worked out from a total
FLAG = "flag"  # the flag column in margin frames

_TOL = 1e-9


def rule_text(threshold: int = 10, *, suppress_zeros: bool = False) -> str:
    """The suppression rule in one or two plain-English sentences for the report."""
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    if suppress_zeros:
        which = f"Counts below {threshold} (including zero)"
    elif threshold == 1:
        return "No counts are hidden for disclosure control."
    elif threshold == 2:
        which = "Counts of 1"
    else:
        which = f"Counts from 1 to {threshold - 1}"
    return (f"{which} are not shown (marked {MARKER}); where one hidden count could be worked out from a total, "
            "another count in the same row or column is hidden too. Rates and percentages based on hidden counts "
            "are not shown.")


RULE_TEXT = rule_text(10)


@dataclass(frozen=True, eq=False)  # frames do not compare with ==
class Suppressed:
    """A table after suppression.

    Attributes
    ----------
    table : pl.DataFrame
        The input with every hidden count set to null (same columns, rows and order).
    flags : pl.DataFrame
        The input with each count column replaced by a string column: ``"primary"``,
        ``"secondary"`` or ``""`` (published).
    threshold : int
    n_primary, n_secondary : int
        Hidden entries by reason, counting totals and margins shown in the output.
    totals : dict
        One-way tables: each count column's total as it may be published (``None`` when hidden).
        Two-way tables: ``{count_column: grand total or None}``.
    row_totals, column_totals : pl.DataFrame or None
        Two-way tables only: the margins (label, total, ``flag``), nulls where hidden.
    grand_total_flag : str
        Two-way tables only: the grand total's flag.
    """

    table: pl.DataFrame
    flags: pl.DataFrame
    threshold: int
    n_primary: int
    n_secondary: int
    totals: dict[str, int | None]
    row_totals: pl.DataFrame | None = None
    column_totals: pl.DataFrame | None = None
    grand_total_flag: str = ""

    @property
    def n_suppressed(self) -> int:
        return self.n_primary + self.n_secondary

    @property
    def mask(self) -> pl.DataFrame:
        """``flags`` as booleans: True where a count is hidden (string columns other than flags kept)."""
        flagged = [c for c in self.flags.columns if self.table.schema[c] != self.flags.schema[c]]
        return self.flags.with_columns([(pl.col(c) != "").alias(c) for c in flagged])


# ---------------------------------------------------------------------------------------------
# The engine: entries (cells and totals) in lines, each line = members adding up to a total.


@dataclass(frozen=True)
class _Line:
    members: tuple[int, ...]
    total: int


def _is_small(values: np.ndarray, threshold: int, suppress_zeros: bool) -> np.ndarray:
    low = 0 if suppress_zeros else 1
    return (values >= low) & (values < threshold)


def _constraints(n: int, lines: Sequence[_Line]) -> np.ndarray:
    a = np.zeros((len(lines), n))
    for i, line in enumerate(lines):
        a[i, list(line.members)] = 1.0
        a[i, line.total] = -1.0
    return a


def _recoverable(n: int, lines: Sequence[_Line], hidden: np.ndarray) -> list[int]:
    """Hidden entries exactly determined by the published entries (in entry order)."""
    cols = np.flatnonzero(hidden)
    if cols.size == 0:
        return []
    a = _constraints(n, lines)[:, cols]
    if not np.any(a):
        return []
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(s > _TOL * max(1.0, s[0])))
    # squared length of each unit vector's projection onto the row space: 1 iff it lies in it
    proj = np.sum(vt[:rank] ** 2, axis=0)
    return [int(c) for c in cols[proj > 1 - 1e-7]]


def _protect(values: np.ndarray, lines: Sequence[_Line], primary: np.ndarray,
             forced: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Secondary suppression; returns (hidden, secondary).

    ``forced`` marks entries that are never published (an unpublished total, a complement such
    as "people who did not reoffend"): they are unknowns to a reader, but only those that are
    also ``primary`` (small) need protecting. An entry is protected when it is primary or was
    hidden as a secondary: no such entry may be exactly recoverable from the published ones.
    """
    n = values.size
    hidden = primary.copy()
    if forced is not None:
        hidden |= forced
    sensitive = primary.copy()
    secondary = np.zeros(n, dtype=bool)

    def pick(candidates: list[tuple[int, bool]]) -> int | None:
        # (entry, is a line total): members before totals, non-zero before zero, smallest, then label order
        free = [(is_total, values[e] == 0, values[e], e) for e, is_total in candidates if not hidden[e]]
        return min(free)[3] if free else None

    def hide(e: int) -> None:
        hidden[e] = True
        secondary[e] = True
        sensitive[e] = True

    while True:
        changed = False
        for line in lines:
            entries = [*line.members, line.total]
            unknown = [e for e in entries if hidden[e]]
            if len(unknown) == 1 and sensitive[unknown[0]]:
                e = pick([(m, False) for m in line.members] + [(line.total, True)])
                if e is not None:
                    hide(e)
                    changed = True
        if changed:
            continue
        exposed = [e for e in _recoverable(n, lines, hidden) if sensitive[e]]
        if not exposed:
            return hidden, secondary
        e0 = exposed[0]
        near = [(m, False) for ln in lines if e0 in ln.members or e0 == ln.total for m in ln.members]
        near += [(ln.total, True) for ln in lines if e0 in ln.members or e0 == ln.total]
        e = pick(near)
        if e is None:  # everything near is hidden: take the smallest free entry anywhere
            e = pick([(i, False) for i in range(n)])
        if e is None:  # pragma: no cover - all hidden means nothing is recoverable
            raise AssertionError("suppression did not converge")
        hide(e)


@dataclass(frozen=True, eq=False)
class Protection:
    """The result of :func:`protect`: boolean masks over the entries.

    ``hidden``: not shown (primary, secondary, or never published); ``primary``: small (including
    small unpublished entries, which are protected but never shown anyway); ``secondary``: hidden
    only so that a primary one cannot be worked out.
    """

    hidden: np.ndarray
    primary: np.ndarray
    secondary: np.ndarray


def protect(values: Sequence[int] | np.ndarray, lines: Sequence[tuple[Sequence[int], int]], *,
            threshold: int = 10, suppress_zeros: bool = False, unpublished: Sequence[bool] | np.ndarray | None = None,
            hide: Sequence[bool] | np.ndarray | None = None) -> Protection:
    """Primary and secondary suppression over any set of additive relations.

    The general engine behind :func:`suppress_counts` and :func:`suppress_two_way`, for tables
    with more structure (nested totals, a count and its complement, several count columns).

    Parameters
    ----------
    values : sequence of int
        Every entry: published cells, totals published here or elsewhere, and unpublished ones.
    lines : sequence of (members, total)
        Entry indices: ``sum(values[members]) == values[total]`` is known to a reader.
    threshold, suppress_zeros
        As for :func:`suppress_counts`.
    unpublished : sequence of bool, optional
        Entries never shown (e.g. a complement such as "did not reoffend" = n - reoffenders, or
        the part of a total not broken down): a small one is still protected.
    hide : sequence of bool, optional
        Entries to hide for another reason; treated as primary.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    vals = np.asarray(values, dtype=np.int64)
    if vals.size and vals.min() < 0:
        raise ValueError("counts must not be negative")
    built = []
    for members, total in lines:
        members = tuple(int(m) for m in members)
        if vals[list(members)].sum() != vals[total]:
            raise ValueError(f"line {members} -> {total} does not add up "
                             f"({vals[list(members)].sum()} != {vals[total]})")
        built.append(_Line(members, int(total)))
    primary = _is_small(vals, threshold, suppress_zeros)
    if hide is not None:
        primary |= np.asarray(hide, dtype=bool)
    forced = None if unpublished is None else np.asarray(unpublished, dtype=bool)
    hidden, secondary = _protect(vals, built, primary, forced)
    return Protection(hidden, primary, secondary)


def recoverable(n_entries: int, lines: Sequence[tuple[Sequence[int], int]],
                hidden: Sequence[bool] | np.ndarray) -> list[int]:
    """Hidden entries a reader can work out exactly from the published ones and the ``lines``."""
    built = [_Line(tuple(int(m) for m in members), int(total)) for members, total in lines]
    return _recoverable(n_entries, built, np.asarray(hidden, dtype=bool))


def _check_counts(table: pl.DataFrame, columns: Sequence[str]) -> None:
    for c in columns:
        if c not in table.columns:
            raise ValueError(f"count column {c!r} is not in the table (columns: {table.columns})")
        dtype = table.schema[c]
        if not dtype.is_integer():
            raise ValueError(f"count column {c!r} must hold whole numbers (got {dtype})")
        if table[c].null_count():
            raise ValueError(f"count column {c!r} has missing values; suppress a complete table")
        if table.height and table[c].min() < 0:
            raise ValueError(f"count column {c!r} has negative counts")


# ---------------------------------------------------------------------------------------------
# Public API


def suppress_counts(table: pl.DataFrame, *, count_columns: Sequence[str], threshold: int = 10,
                    suppress_zeros: bool = False, label_column: str | None = None,
                    total_label: object | None = None, total_published: bool = True) -> Suppressed:
    """Suppress small counts in a one-way table (rows are categories).

    Parameters
    ----------
    table : pl.DataFrame
        One row per category; optionally one total row (``label_column == total_label``).
    count_columns : sequence of str
        Integer count columns, each treated independently (each adds up to its own total).
    threshold : int
        Counts from 1 (0 with ``suppress_zeros``) to ``threshold - 1`` are hidden.
    suppress_zeros : bool
        Hide zero counts too.
    label_column, total_label : optional
        Identify the total row. Without one, each column's total is assumed to be published
        elsewhere (unless ``total_published=False``), and is hidden if below the threshold.
    total_published : bool
        Only without a total row: False when the column totals are not published anywhere, so
        no secondary suppression is needed.

    Returns
    -------
    Suppressed
        ``totals`` holds each column's total as it may be published (``None`` when hidden).
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    count_columns = list(count_columns)
    _check_counts(table, count_columns)
    if (label_column is None) != (total_label is None):
        raise ValueError("give both label_column and total_label to identify a total row, or neither")
    if label_column is not None:
        is_total = (table[label_column] == total_label).fill_null(False).to_numpy()
        if is_total.sum() != 1:
            raise ValueError(f"expected exactly one row with {label_column} == {total_label!r} "
                             f"(found {int(is_total.sum())})")
        total_row = int(np.flatnonzero(is_total)[0])
    else:
        total_row = None

    published, flag_cols, totals = [], [], {}
    n_primary = n_secondary = 0
    for c in count_columns:
        raw = table[c].to_numpy().astype(np.int64)
        if total_row is None:  # a virtual total entry at the end
            values = np.append(raw, raw.sum())
            members = tuple(range(raw.size))
            total_idx = raw.size
        else:
            values = raw
            members = tuple(i for i in range(raw.size) if i != total_row)
            total_idx = total_row
        primary = _is_small(values, threshold, suppress_zeros)
        forced = None
        if total_row is None and not total_published:
            primary[total_idx] = False
            forced = np.zeros(values.size, dtype=bool)
            forced[total_idx] = True
        hidden, secondary = _protect(values, [_Line(members, total_idx)], primary, forced)
        totals[c] = None if hidden[total_idx] else int(values[total_idx])
        hidden, primary, secondary = hidden[:raw.size], primary[:raw.size], secondary[:raw.size]
        n_primary += int(primary.sum())
        n_secondary += int(secondary.sum())
        published.append(pl.when(pl.Series(hidden)).then(None).otherwise(pl.col(c)).alias(c))
        flag_cols.append(pl.Series(c, np.where(primary, PRIMARY, np.where(secondary, SECONDARY, "")),
                                   dtype=pl.String))
    out = table.with_columns(published) if published else table
    flags = table.with_columns(flag_cols) if flag_cols else table
    return Suppressed(out, flags, threshold, n_primary, n_secondary, totals)


def suppress_two_way(table: pl.DataFrame, *, row_column: str, column_column: str, count_column: str,
                     threshold: int = 10, suppress_zeros: bool = False) -> Suppressed:
    """Suppress small counts in a two-way table whose row, column and grand totals are published.

    Parameters
    ----------
    table : pl.DataFrame
        Long format, one row per cell: every (row, column) pair exactly once.
    row_column, column_column : str
        The two category columns (labels must not be null; ties are broken by label order).
    count_column : str
        The integer count.
    threshold, suppress_zeros
        As for :func:`suppress_counts`.

    Returns
    -------
    Suppressed
        ``table``/``flags`` are the cells; ``row_totals`` and ``column_totals`` the margins
        (label, ``count_column``, ``flag``, sorted by label) and ``totals[count_column]`` the
        grand total, each null/``None`` where hidden. After suppression no hidden entry (cell or
        margin) can be worked out exactly from the published ones.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    _check_counts(table, [count_column])
    for c in (row_column, column_column):
        if c not in table.columns:
            raise ValueError(f"column {c!r} is not in the table")
        if table[c].null_count():
            raise ValueError(f"category column {c!r} has missing labels")
    if table.select(pl.struct(row_column, column_column).is_duplicated().any()).item():
        raise ValueError(f"each ({row_column}, {column_column}) pair must appear once")
    rows = table[row_column].unique().sort().to_list()
    cols = table[column_column].unique().sort().to_list()
    n_r, n_c = len(rows), len(cols)
    if table.height != n_r * n_c:
        raise ValueError(f"the table must have every ({row_column}, {column_column}) pair "
                         f"({n_r} x {n_c} = {n_r * n_c} cells, got {table.height})")
    r_of = {v: i for i, v in enumerate(rows)}
    c_of = {v: i for i, v in enumerate(cols)}
    cell_idx = np.array([r_of[r] * n_c + c_of[c] for r, c in zip(table[row_column], table[column_column],
                                                                   strict=True)], dtype=np.int64)

    # entries: cells r*C + c (label order), row totals, column totals, grand total
    n_cells = n_r * n_c
    grid = np.zeros(n_cells, dtype=np.int64)
    grid[cell_idx] = table[count_column].to_numpy()
    grid2 = grid.reshape(n_r, n_c)
    row_tot, col_tot = grid2.sum(axis=1), grid2.sum(axis=0)
    values = np.concatenate([grid, row_tot, col_tot, [grid.sum()]])
    rt0, ct0, gt = n_cells, n_cells + n_r, n_cells + n_r + n_c
    lines = ([_Line(tuple(r * n_c + c for c in range(n_c)), rt0 + r) for r in range(n_r)]
             + [_Line(tuple(r * n_c + c for r in range(n_r)), ct0 + c) for c in range(n_c)]
             + [_Line(tuple(rt0 + r for r in range(n_r)), gt), _Line(tuple(ct0 + c for c in range(n_c)), gt)])
    primary = _is_small(values, threshold, suppress_zeros)
    hidden, secondary = _protect(values, lines, primary)
    flag = np.where(primary, PRIMARY, np.where(secondary, SECONDARY, ""))

    out = table.with_columns(pl.when(pl.Series(hidden[cell_idx])).then(None).otherwise(pl.col(count_column))
                             .alias(count_column))
    flags = table.with_columns(pl.Series(count_column, flag[cell_idx], dtype=pl.String))
    dtype = table.schema[count_column]

    def margin(label: str, labels: list, start: int, n: int) -> pl.DataFrame:
        sl = slice(start, start + n)
        vals = [None if h else int(v) for h, v in zip(hidden[sl], values[sl], strict=True)]
        return pl.DataFrame({label: labels, count_column: pl.Series(vals, dtype=dtype),
                             FLAG: pl.Series(flag[sl].tolist(), dtype=pl.String)},
                            schema_overrides={label: table.schema[label]})

    return Suppressed(out, flags, threshold, int(primary.sum()), int(secondary.sum()),
                      {count_column: None if hidden[gt] else int(values[gt])},
                      row_totals=margin(row_column, rows, rt0, n_r),
                      column_totals=margin(column_column, cols, ct0, n_c),
                      grand_total_flag=str(flag[gt]))


def suppress_dependent(table: pl.DataFrame, *, count_column: str | Sequence[str], dependent_columns: Sequence[str],
                       suppressed_mask: pl.Series | Sequence[bool] | None = None) -> pl.DataFrame:
    """Null out figures (rates, percentages, CIs) computed from hidden counts.

    A row's ``dependent_columns`` are set to null where ``suppressed_mask`` is True or where any
    of ``count_column`` (one name or several, e.g. numerator and denominator) is null, so the
    published table from :func:`suppress_counts` can be passed without a mask.
    """
    counts = [count_column] if isinstance(count_column, str) else list(count_column)
    missing = [c for c in [*counts, *dependent_columns] if c not in table.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    hide = pl.any_horizontal([pl.col(c).is_null() for c in counts]) if counts else pl.lit(False)
    if suppressed_mask is not None:
        mask = pl.Series(list(suppressed_mask) if not isinstance(suppressed_mask, pl.Series) else suppressed_mask,
                         dtype=pl.Boolean)
        if mask.len() != table.height:
            raise ValueError(f"suppressed_mask has {mask.len()} values for {table.height} rows")
        if mask.null_count():
            raise ValueError("suppressed_mask has missing values")
        hide = hide | pl.lit(mask)
    return table.with_columns([pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in dependent_columns])


def check_published(frame: pl.DataFrame, *, count_columns: Sequence[str], threshold: int = 10,
                    suppress_zeros: bool = False) -> list[str]:
    """Problems in a table about to be published: counts below the threshold that are not hidden.

    Returns one message per offending cell (an empty list means the table passes). Nulls are
    hidden counts and pass. This checks primary suppression only; secondary suppression is
    guaranteed by the ``suppress_*`` functions.
    """
    problems = []
    for c in count_columns:
        if c not in frame.columns:
            problems.append(f"count column {c!r} is missing")
            continue
        values = frame[c].to_list()
        for i, v in enumerate(values):
            if v is None:
                continue
            if (0 < v < threshold) or (suppress_zeros and v == 0):
                problems.append(f"row {i + 1}: {c} = {v} is below the disclosure threshold {threshold} "
                                "and is not suppressed")
    return problems
