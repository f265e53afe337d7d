"""How numbers from the results store are written in the report and the brief.

Every number in prose goes through one of these, so a test can re-derive each printed figure
from ``results.json`` with the same rounding.
"""

from __future__ import annotations

import datetime as dt

SUPPRESSED = "[c]"


def count(n: int | float | None, threshold: int = 1) -> str:
    """A whole number with thousands separators; ``[c]`` when hidden or below the threshold."""
    if n is None:
        return SUPPRESSED
    if 0 < n < threshold:
        return SUPPRESSED
    return f"{round(n):,}"


def percent(p: float | None, digits: int = 0) -> str:
    """A proportion as a percentage: 0.1834 -> '18%'."""
    return SUPPRESSED if p is None else f"{100 * p:.{digits}f}%"


def ratio(x: float | None) -> str:
    """A rate or hazard ratio to two decimals."""
    return SUPPRESSED if x is None else f"{x:.2f}"


def change(rr: float | None) -> str:
    """A ratio as a percentage change in words: 0.88 -> '12% lower', 1.05 -> '5% higher'.

    A change that rounds to zero keeps its direction ('0% higher'), so an interval reads right.
    """
    if rr is None:
        return SUPPRESSED
    return f"{abs(round(100 * (rr - 1)))}% {'lower' if rr < 1 else 'higher'}"


def reduction(rr: float | None) -> str:
    """A ratio below 1 as the percentage reduction: 0.705 -> '29%'."""
    return SUPPRESSED if rr is None else f"{round(100 * (1 - rr))}%"


def points(d: float | None, digits: int = 0) -> str:
    """A difference of two proportions in percentage points: -0.034 -> '-3'."""
    return SUPPRESSED if d is None else f"{100 * d:.{digits}f}"


def number(x: float | None, digits: int = 0) -> str:
    return SUPPRESSED if x is None else f"{x:,.{digits}f}"


def p_value(p: float | None) -> str:
    if p is None:
        return SUPPRESSED
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def date(value: str | dt.date | None) -> str:
    """An ISO date as '1 October 2023'."""
    if value is None:
        return "not stated"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%B %Y}"


def month(value: str | dt.date | None) -> str:
    """An ISO date as 'October 2023'."""
    if value is None:
        return "not stated"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d:%B %Y}"


MINUS = "\u2212"  # a real minus sign for money: −£339,851


def money(x: float | None) -> str:
    """Pounds: whole pounds with thousands commas ('£1,128,314'), to the penny under £100 ('£27.67', '£1.13'),
    in millions to one decimal from £10 million ('£12.3 million'); nothing is '£0'; a negative amount takes a
    real minus sign ('−£339,851'). ``[c]`` when hidden.
    """
    if x is None:
        return SUPPRESSED
    size = abs(x)
    if round(size, 2) == 0:
        return "£0"
    if round(size, 2) < 100:
        text = f"£{size:,.2f}"
    elif round(size) < 10_000_000:
        text = f"£{size:,.0f}"
    else:
        text = f"£{size / 1_000_000:,.1f} million"
    return MINUS + text if x < 0 else text
