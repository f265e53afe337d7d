"""The scheme's costs from the costs table: in real terms, by appraisal year, and summarised.

Each cost line is cash spent over its period: it is uprated from the financial year of its period's
midpoint to the price year (GDP deflator) and spread over the appraisal years in proportion to the
days of its period that fall in each.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ij_eval.vfm.deflator import Deflator, MissingDeflator, financial_year


def year_of(date: dt.date, base: dt.date) -> int:
    """Appraisal year holding ``date``: 0 for the 12 months from ``base``, 1 for the next 12, ..."""
    years = date.year - base.year - ((date.month, date.day) < (base.month, base.day))
    return max(years, 0)


def anniversary(base: dt.date, years: int) -> dt.date:
    try:
        return base.replace(year=base.year + years)
    except ValueError:  # 29 February
        return base.replace(year=base.year + years, day=28)


def spread(start: dt.date, end: dt.date, base: dt.date) -> dict[int, float]:
    """Share of the days from ``start`` to ``end`` (inclusive) in each appraisal year."""
    days = (end - start).days + 1
    shares: dict[int, float] = {}
    t = year_of(start, base)
    cursor = max(start, base)
    while cursor <= end:
        stop = min(end, anniversary(base, t + 1) - dt.timedelta(days=1))
        shares[t] = shares.get(t, 0.0) + ((stop - cursor).days + 1) / days
        cursor, t = stop + dt.timedelta(days=1), t + 1
    if start < base:  # days before the base date count in year 0
        before = (min(end, base - dt.timedelta(days=1)) - start).days + 1
        shares[0] = shares.get(0, 0.0) + before / days
    return shares


def real_costs(costs: pl.DataFrame, deflator: Deflator, price_year: str) -> tuple[pl.DataFrame, list[str]]:
    """The costs table with ``financial_year`` (of the period midpoint), ``uprating_factor`` and
    ``real_gbp``; and the deflator years it lacks (their lines get no real value)."""
    missing: list[str] = []
    factors = []
    years = []
    for start, end in costs.select("period_start", "period_end").iter_rows():
        year = financial_year(start + (end - start) / 2)
        years.append(year)
        try:
            factors.append(deflator.factor(year, price_year))
        except MissingDeflator as exc:
            factors.append(None)
            if str(exc) not in missing:
                missing.append(str(exc))
    return costs.with_columns(financial_year=pl.Series(years, dtype=pl.String),
                              uprating_factor=pl.Series(factors, dtype=pl.Float64)).with_columns(
        real_gbp=pl.col("amount_gbp") * pl.col("uprating_factor")), missing


def by_year(costs: pl.DataFrame, base: dt.date, years: int) -> np.ndarray:
    """Real costs in each appraisal year (``costs`` from :func:`real_costs`)."""
    out = np.zeros(years)
    for start, end, amount in costs.select("period_start", "period_end", "real_gbp").iter_rows():
        for t, share in spread(start, end, base).items():
            out[t] += amount * share
    return out


def last_year(costs: pl.DataFrame, base: dt.date) -> int:
    return max((year_of(end, base) for end in costs["period_end"]), default=0)


COLUMNS = {"breakdown": pl.String, "item": pl.String, "cash_gbp": pl.Float64, "real_gbp": pl.Float64,
           "present_value_gbp": pl.Float64, "share": pl.Float64, "note": pl.String}
PER_UNIT_COLUMNS = {"item": pl.String, "n": pl.Int64, "units": pl.Float64, "real_gbp": pl.Float64, "note": pl.String}


def cost_per_unit(total_real: float, units: dict[str, tuple[float, int, str]]) -> pl.DataFrame:
    """``vfm_cost_per_unit``: outturn cost per referral, completion, hour... ``units`` maps the item to
    (how many units, how many people that rests on, what the units are)."""
    rows = [{"item": item, "n": people, "units": count, "real_gbp": total_real / count if count else None,
             "note": f"outturn cost divided by the {what}"} for item, (count, people, what) in units.items()]
    return pl.DataFrame(rows, schema=PER_UNIT_COLUMNS)


def cost_summary(costs: pl.DataFrame, *, pv_costs: float, optimism_bias: float, year_labels: list[str],
                 yearly: np.ndarray, discount_factors: np.ndarray) -> pl.DataFrame:
    """``vfm_costs``: the total, by category, funder, cash or in kind and year, and the optimism-bias uplift."""
    total_cash = float(costs["amount_gbp"].sum())
    total_real = float(costs["real_gbp"].sum())
    rows = [{"breakdown": "total", "item": "all costs", "cash_gbp": total_cash, "real_gbp": total_real,
             "present_value_gbp": pv_costs / (1 + optimism_bias), "share": 1.0,
             "note": "outturn, before any optimism-bias uplift"}]
    kind = costs.with_columns(cash_in_kind=pl.when(pl.col("in_kind").fill_null(False)).then(pl.lit("in kind"))
                              .otherwise(pl.lit("cash")), funder=pl.col("funder").fill_null("not recorded"))
    for breakdown in ("category", "funder", "cash_in_kind"):
        grouped = kind.group_by(breakdown).agg(pl.col("amount_gbp").sum(), pl.col("real_gbp").sum()).sort(breakdown)
        rows += [{"breakdown": breakdown, "item": item, "cash_gbp": cash, "real_gbp": real,
                  "share": real / total_real if total_real else None, "note": ""}
                 for item, cash, real in grouped.iter_rows()]
    rows += [{"breakdown": "year", "item": label, "real_gbp": float(amount),
              "present_value_gbp": float(amount * factor), "share": float(amount) / total_real if total_real else None,
              "note": f"discount factor {factor:.4f}"}
             for label, amount, factor in zip(year_labels, yearly, discount_factors, strict=True)]
    rows.append({"breakdown": "optimism_bias", "item": f"uplift of {optimism_bias:.0%}",
                 "real_gbp": total_real * optimism_bias, "present_value_gbp": pv_costs - pv_costs / (1 + optimism_bias),
                 "note": "added to costs in the appraisal"})
    return pl.DataFrame(rows, schema=COLUMNS)
