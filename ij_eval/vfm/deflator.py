"""GDP deflators: turning pounds of one financial year into pounds of another (real terms).

The shipped series (``data/gdp_deflator.csv``, HM Treasury "GDP deflators at market prices", ONS
L8GG; see ``data/README.md`` for its source, vintage and grade) is indexed by financial year
("2015-16"). A config may add years the series lacks (``[value_for_money.deflator]``, same base);
a year in neither is never interpolated: :class:`MissingDeflator` names it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

DATA_FILE = Path(__file__).parent / "data" / "gdp_deflator.csv"


class MissingDeflator(KeyError):
    """No deflator index for a financial year (neither shipped nor in the config)."""

    def __init__(self, year: str):
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return (f"no GDP deflator for {self.year}: add it to [value_for_money.deflator] as \"{self.year}\" = index "
                "(HM Treasury GDP deflators, on the shipped series' base); it is never interpolated")


def financial_year(date: dt.date) -> str:
    """The UK financial year (April to March) holding ``date``, as "2024-25"."""
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class Deflator:
    index: Mapping[str, float]  # financial year -> index
    sources: Mapping[str, str]  # financial year -> where the value comes from
    base: str  # e.g. "2024-25 = 100"

    def factor(self, from_year: str, to_year: str) -> float:
        """Multiply pounds of ``from_year`` by this to get pounds of ``to_year``."""
        for year in (from_year, to_year):
            if year not in self.index:
                raise MissingDeflator(year)
        return self.index[to_year] / self.index[from_year]

    def uprate(self, value: float, from_year: str, to_year: str) -> float:
        return value * self.factor(from_year, to_year)


def load_deflator(extra: Iterable[tuple[str, float]] = (), extra_source: str = "", path: Path = DATA_FILE
                  ) -> Deflator:
    """The shipped series, with ``extra`` (financial year, index) pairs from the config added."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    index = {r["financial_year"]: float(r["index"]) for r in rows}
    sources = {r["financial_year"]: f"{r['source']} ({r['vintage']}, {r['grade']})" for r in rows}
    for year, value in extra:
        index[year] = float(value)
        sources[year] = extra_source or "supplied in the evaluation config ([value_for_money.deflator])"
    return Deflator(MappingProxyType(index), MappingProxyType(sources), rows[0]["base"] if rows else "")
