"""A Kaplan-Meier table (one row per event or censoring time) as it may be published: on a fixed
grid of times, with each group's curve left out where a handful of events stands behind a step.

Used for the implementation strand's time to start (days), where the reoffending strand's grid
(about monthly over a year) is far too coarse. The rule is the same as
:func:`ij_eval.publication.km_on_grid`: ``n_at_risk`` at a grid time counts people followed to that
time or beyond (a count, hidden below the threshold by the table's policy); the curve (and its
interval) at a grid point is left out where fewer than the threshold, but some, events separate it
from the previous point shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

#: Days after the decision at which time to start is published: daily for two weeks, then weekly
#: to eight weeks, then every four weeks.
START_GRID_DAYS = (*range(15), 21, 28, 35, 42, 49, 56)


def _grid(last: int, grid: Sequence[int]) -> list[int]:
    points = [g for g in grid if g <= last]
    step = grid[-1]
    while step + 28 <= last:
        step += 28
        points.append(step)
    return points


def km_on_fixed_grid(frame: pl.DataFrame, threshold: int, grid: Sequence[int] = START_GRID_DAYS,
                     value_columns: Sequence[str] = ("share_started", "ci_lower", "ci_upper")) -> pl.DataFrame:
    """``frame``: ``group, time, n_at_risk, n_events, n_censored`` and ``value_columns``; returns
    ``group, time, n_at_risk`` and the value columns at each grid time up to the group's last time."""
    out = []
    for (group,), part in frame.sort("time").group_by(["group"], maintain_order=True):
        t = part["time"].to_numpy()
        risk, events, censored = (part[c].to_numpy() for c in ("n_at_risk", "n_events", "n_censored"))
        values = [part[c].to_numpy() for c in value_columns]
        cum_events = np.cumsum(events)
        shown = 0
        for g in _grid(int(t.max()), grid):
            le = np.searchsorted(t, g, side="right") - 1
            ge = np.searchsorted(t, g, side="left")
            n_risk = int(risk[ge]) if ge < t.size else int(risk[-1] - events[-1] - censored[-1])
            to_date = int(cum_events[le]) if le >= 0 else 0
            row = [float(v[le]) for v in values] if le >= 0 else [0.0] * len(values)
            if 0 < to_date - shown < threshold:
                row = [None] * len(values)
            else:
                shown = to_date
            out.append((group, g, n_risk, *row))
    schema = {"group": pl.String, "time": pl.Int64, "n_at_risk": pl.Int64, **{c: pl.Float64 for c in value_columns}}
    return pl.DataFrame(out, schema=schema, orient="row")


def start_on_grid(frame: pl.DataFrame, threshold: int, context=None) -> pl.DataFrame:
    """The disclosure transform of ``implementation_km_start`` (see :mod:`ij_eval.publication`)."""
    return km_on_fixed_grid(frame, threshold)
