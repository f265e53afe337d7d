"""The contract every analysis strand follows.

A strand is a module with ``NAME``, ``TITLE``, ``REQUIRES`` (input tables it cannot run
without) and ``run(inputs, config) -> StrandResult``. It returns tidy tables, headline figures
and the plot data for its figures; it never writes files and never imports matplotlib.

Data too thin for an analysis (one group, too few periods, a model that cannot be fitted) is not
an error: the estimators raise ``ValueError`` (numpy's ``LinAlgError`` and lifelines'
``ConvergenceError`` are ValueErrors too) and the strand runs each section through
:func:`attempt`, which turns that into a note saying what was not estimated and why. A strand must
return a result or raise :class:`~ij_eval.errors.IJEvalError` on any valid input, however small
(``tests/test_strand_contract.py`` checks every strand on empty and degenerate inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import polars as pl

from ij_eval.privacy.screen import Screened

# One line per excluded input row (``n`` = 1), or per group of rows that have no row number of
# their own (aggregated data.police.uk records: ``row`` blank, ``n`` = how many).
EXCLUSION_COLUMNS = {"table": pl.String, "file": pl.String, "row": pl.Int64, "record_id": pl.String,
                     "stage": pl.String, "reason": pl.String, "n": pl.Int64}


def empty_exclusions() -> pl.DataFrame:
    return pl.DataFrame(schema=EXCLUSION_COLUMNS)


NOT_ESTIMABLE = (ValueError,)  # what an estimator raises when the data cannot support it
T = TypeVar("T")


def attempt(notes: list[str], what: str, section: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one section of a strand: its result, or ``None`` with the note "<what> not run: <why>"
    when the data cannot support it (too few groups, periods or events; a model that cannot be fitted)."""
    try:
        return section(*args, **kwargs)
    except NOT_ESTIMABLE as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        notes.append(f"{what} not run: {reason}")
        return None


@dataclass(frozen=True)
class TableCell:
    """Where a headline figure also appears: ``column`` of the row of ``table`` matching ``row``.

    Disclosure control hides the headline whenever that cell is hidden in the published table, so
    the headline can never give back a figure the table withholds.
    """

    table: str
    row: tuple[tuple[str, Any], ...]
    column: str


@dataclass(frozen=True)
class Headline:
    """One headline figure for ``results.json``.

    ``n`` is the number of people (or referrals) the figure rests on and ``count`` the numerator
    of a rate (e.g. reoffenders): disclosure control hides a figure whose ``n``, ``count`` or
    ``n - count`` is small (:mod:`ij_eval.publication`). ``source`` is not written to the store.
    """

    estimate: float | int | None
    method: str
    n: int | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    caveat: str = ""
    unit: str = ""
    count: int | None = None
    source: TableCell | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
                "n": self.n, "count": self.count, "method": self.method, "caveat": self.caveat, "unit": self.unit}


@dataclass(frozen=True)
class FigureSpec:
    """A figure to draw from plot data: ``plot(data, synthetic=...)`` returns a matplotlib Figure."""

    name: str
    title: str
    alt_text: str
    data: Any  # the plot data: a frame, or a tuple of frames
    plot: Callable[..., Any]


@dataclass(frozen=True)
class StrandResult:
    name: str
    headlines: Mapping[str, Headline] = field(default_factory=lambda: MappingProxyType({}))
    tables: Mapping[str, pl.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    figures: tuple[FigureSpec, ...] = ()
    exclusions: pl.DataFrame = field(default_factory=empty_exclusions)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # printed by the run as it happens (e.g. inputs the config must supply)
    # free text the strand's screen withheld or the evaluator approved (ij_eval.privacy.screen): the
    # pipeline lists them in the store's review file, a working file that is never published
    screened: tuple[Screened, ...] = ()
