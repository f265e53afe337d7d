"""Dates as whole days since 1970-01-01 (int64 arrays), and months as a running month index."""

from __future__ import annotations

import datetime as dt

import numpy as np

_EPOCH = dt.date(1970, 1, 1)


def day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


def to_date(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(days))


def as_datetime64(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]")


def minutes_as_datetime64(minutes: np.ndarray) -> np.ndarray:
    return np.asarray(minutes, dtype="int64").astype("datetime64[m]").astype("datetime64[ms]")


def month_index(days: np.ndarray) -> np.ndarray:
    """Running month number (year * 12 + month - 1) of each day."""
    m = as_datetime64(days).astype("datetime64[M]").astype("int64")  # months since 1970-01
    return m + 1970 * 12


def calendar_month(days: np.ndarray) -> np.ndarray:
    """Calendar month 1..12 of each day."""
    return month_index(days) % 12 + 1


def month_start_day(month_idx: np.ndarray) -> np.ndarray:
    """First day (days since epoch) of each running month number."""
    m = np.asarray(month_idx, dtype="int64") - 1970 * 12
    return m.astype("datetime64[M]").astype("datetime64[D]").astype("int64")


def month_label(month_idx: np.ndarray) -> np.ndarray:
    """``YYYY-MM`` text of each running month number."""
    m = np.asarray(month_idx, dtype="int64")
    years, months = m // 12, m % 12 + 1
    return np.char.add(np.char.add(years.astype(str), "-"), np.char.zfill(months.astype(str), 2))
