"""The two-page brief for chief officers (stub while being written)."""

from __future__ import annotations

from ij_eval.report.markdown import banner, join
from ij_eval.report.store import ResultsStore


def brief(store: ResultsStore) -> str:
    return join(banner(store), "# Brief for chief officers {#sec-brief}\n", "To be written.")
