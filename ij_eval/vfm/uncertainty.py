"""How firm the answer is: Monte Carlo over every uncertain parameter, one-way sensitivity (the
tornado) and NPV across reoffending effects (the break-even chart)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ij_eval.vfm.model import Appraisal
from ij_eval.vfm.parameters import Parameter

PERCENTILES = (("p2_5", 2.5), ("p5", 5.0), ("p50", 50.0), ("p95", 95.0), ("p97_5", 97.5))
MEMORY_BUDGET = 2**30  # bytes the Monte Carlo may hold at once (1 GiB)


def bytes_per_draw(n_parameters: int, years: int, n_benefits: int) -> int:
    """Peak memory one Monte Carlo draw costs: a float per parameter, per benefit stream and year, for
    the yearly costs and one temporary per year, and a few per-draw results; measured with tracemalloc
    (2 to 100 years, every benefit: 8 x (parameters + 10 + (benefits + 2) x years) bytes within 8%),
    with a quarter more for safety."""
    return int(1.25 * 8 * (n_parameters + 10 + (n_benefits + 2) * years))


def max_draws(n_parameters: int, years: int, n_benefits: int, budget: int = MEMORY_BUDGET) -> int:
    """The most draws that fit in ``budget`` bytes for an appraisal of this size."""
    return budget // bytes_per_draw(n_parameters, years, n_benefits)


def base_values(parameters: Mapping[str, Parameter]) -> dict[str, float]:
    return {k: p.value for k, p in parameters.items()}


def draw(parameters: Mapping[str, Parameter], n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` draws of each parameter, in a fixed order from one seeded generator (same seed, same draws)."""
    rng = np.random.default_rng(seed)
    out = {}
    for key in sorted(parameters):
        p = parameters[key]
        if p.distribution == "normal":
            out[key] = rng.normal(p.value, p.sd, n)
        elif p.distribution == "triangular":
            out[key] = rng.triangular(p.low, p.value, p.high, n)
        else:
            out[key] = np.full(n, p.value)
    return out


@dataclass(frozen=True)
class MonteCarlo:
    npv: np.ndarray
    bcr: np.ndarray
    pv_costs: np.ndarray
    pv_benefits: np.ndarray
    reoffences_avoided: np.ndarray
    seed: int

    @property
    def probability_bcr_above_1(self) -> float:
        """Share of draws in which benefits exceed costs (a draw with no costs counts if NPV > 0)."""
        return float(np.mean(self.npv > 0))

    def interval(self, measure: str) -> tuple[float | None, float | None]:
        """The 95% interval of the finite draws (``None`` when no draw is finite, e.g. a BCR with no costs)."""
        values = getattr(self, measure)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None, None
        return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))

    def table(self) -> pl.DataFrame:
        """Mean, SD and percentiles of each measure over its finite draws (empty cells when none is finite)."""
        rows = []
        for measure in ("npv", "bcr", "pv_costs", "pv_benefits", "reoffences_avoided"):
            values = getattr(self, measure)
            values = values[np.isfinite(values)]
            if values.size == 0:
                rows.append({"measure": measure})
                continue
            rows.append({"measure": measure, "mean": float(values.mean()),
                         "sd": float(values.std(ddof=1)) if values.size > 1 else None,
                         **{name: float(np.percentile(values, q)) for name, q in PERCENTILES}})
        rows.append({"measure": "probability_bcr_above_1", "mean": self.probability_bcr_above_1})
        schema = {"measure": pl.String, "mean": pl.Float64, "sd": pl.Float64,
                  **{name: pl.Float64 for name, _ in PERCENTILES}}
        return pl.DataFrame(rows, schema=schema).with_columns(draws=pl.lit(len(self.npv), pl.Int64),
                                                              seed=pl.lit(self.seed, pl.Int64))


def monte_carlo(appraisal: Appraisal, parameters: Mapping[str, Parameter], n: int, seed: int) -> MonteCarlo:
    """``n`` seeded draws of every parameter, evaluated at once (at most :func:`max_draws`)."""
    limit = max_draws(len(parameters), appraisal.years, len(appraisal.benefits))
    if not 1 <= n <= limit:
        raise ValueError(f"{n} Monte Carlo draws: from 1 to {limit} fit in {MEMORY_BUDGET // 2**20} MiB here")
    result = appraisal.evaluate(draw(parameters, n, seed))
    return MonteCarlo(result.npv, result.bcr, result.pv_costs, result.pv_total_benefits, result.reoffences_avoided,
                      seed)


def one_way(appraisal: Appraisal, parameters: Mapping[str, Parameter]) -> pl.DataFrame:
    """NPV and BCR with each uncertain parameter at the low and the high end of its range, the rest at
    their values: the tornado, biggest swing first."""
    base = base_values(parameters)
    rows = []
    for key, p in parameters.items():
        if not p.uncertain:
            continue
        low, high = (appraisal.evaluate({**base, key: x}) for x in (p.low, p.high))
        rows.append({"parameter": key, "label": p.label, "unit": p.unit, "low": p.low, "high": p.high,
                     "npv_low": float(low.npv), "npv_high": float(high.npv), "bcr_low": float(low.bcr),
                     "bcr_high": float(high.bcr), "swing": abs(float(high.npv) - float(low.npv))})
    schema = {"parameter": pl.String, "label": pl.String, "unit": pl.String, "low": pl.Float64, "high": pl.Float64,
              "npv_low": pl.Float64, "npv_high": pl.Float64, "bcr_low": pl.Float64, "bcr_high": pl.Float64,
              "swing": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("swing", "parameter", descending=[True, False])


def effect_grid(appraisal: Appraisal, parameters: Mapping[str, Parameter], effects: Sequence[float]
                ) -> pl.DataFrame:
    """NPV and BCR across reductions in the reoffending rate, every other parameter at its value."""
    base = base_values(parameters)
    result = appraisal.evaluate({**base, "reoffending_effect": np.asarray(effects, dtype=float)})
    return pl.DataFrame({"effect": np.asarray(effects, dtype=float), "npv": result.npv, "bcr": result.bcr})
