"""Appraisal parameters: one value, its range and distribution, where it comes from, at what prices.

A money parameter is uprated from its own price year to the appraisal's with the GDP deflator and
keeps both values. The config's value wins over a published default (:mod:`ij_eval.vfm.reference`);
a parameter with neither is listed as missing, never defaulted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import polars as pl

from ij_eval.config import VFM_PARAMETERS, ParameterSpec, ValueForMoneyConfig
from ij_eval.vfm import reference
from ij_eval.vfm.deflator import Deflator, MissingDeflator

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Parameter:
    """``distribution``: "fixed"; "normal" (``sd``; ``low``/``high`` its 95% interval); "triangular"
    (``low``, peak ``value``, ``high``)."""

    key: str
    label: str
    value: float
    unit: str
    low: float | None = None
    high: float | None = None
    distribution: str = "fixed"
    sd: float | None = None
    source: str = ""
    grade: str = ""
    native_value: float | None = None
    native_price_year: str = ""
    uprating_factor: float | None = None
    used_by: str = ""

    @property
    def uncertain(self) -> bool:
        return self.distribution != "fixed"

    def at(self, value: float) -> Parameter:
        return replace(self, value=value)


def estimated(key: str, label: str, value: float, sd: float | None, unit: str, source: str, used_by: str
              ) -> Parameter:
    """A parameter estimated by this evaluation, normal with standard error ``sd`` (fixed without one)."""
    if sd is None or not sd > 0:
        return Parameter(key, label, value, unit, source=source, grade="ESTIMATED", used_by=used_by)
    return Parameter(key, label, value, unit, value - Z95 * sd, value + Z95 * sd, "normal", sd, source,
                     "ESTIMATED", used_by=used_by)


def from_spec(key: str, label: str, unit: str, spec: ParameterSpec | reference.Published, grade: str,
              price_year: str, deflator: Deflator, used_by: str) -> Parameter:
    """A parameter from the config or a published value, uprated to ``price_year`` if it is money.

    Raises :class:`MissingDeflator` when the deflator lacks a year, ``ValueError`` when a money value
    has no price year.
    """
    factor = 1.0
    if unit == "£" and any((spec.low, spec.value, spec.high)):  # zero is zero at any prices
        if not spec.price_year:
            raise ValueError(f"{key}: a money value needs its price_year (e.g. \"2019-20\")")
        factor = deflator.factor(spec.price_year, price_year)
    low = spec.low if spec.low is not None else spec.value
    high = spec.high if spec.high is not None else spec.value
    varies = high > low
    return Parameter(key, label, spec.value * factor, unit, low * factor, high * factor,
                     "triangular" if varies else "fixed", source=spec.source or "supplied in the evaluation config",
                     grade=grade, native_value=spec.value if unit == "£" else None,
                     native_price_year=spec.price_year if unit == "£" else "",
                     uprating_factor=factor if unit == "£" else None, used_by=used_by)


def resolve(keys: Iterable[tuple[str, str]], config: ValueForMoneyConfig, deflator: Deflator
            ) -> tuple[dict[str, Parameter], list[str]]:
    """The parameters ``(key, used_by)`` asks for, from the config or a published default; and the
    sentences naming what is missing."""
    found: dict[str, Parameter] = {}
    missing: list[str] = []
    for key, used_by in keys:
        label, unit = VFM_PARAMETERS[key]
        spec = config.parameter(key)
        default = (reference.national_living_wage(config.price_year) if key == "reparative_wage"
                   else reference.PARAMETERS.get(key))
        source, grade = (spec, "CONFIG") if spec is not None else (default, default.grade if default else "")
        if source is None:
            missing.append(f"{key} ({label}; [value_for_money.parameters], no verified default)")
            continue
        try:
            found[key] = from_spec(key, label, unit, source, grade, config.price_year, deflator, used_by)
        except (MissingDeflator, ValueError) as exc:
            missing.append(f"{key}: {exc}")
    return found, missing


COLUMNS = {"parameter": pl.String, "label": pl.String, "value": pl.Float64, "low": pl.Float64, "high": pl.Float64,
           "distribution": pl.String, "unit": pl.String, "native_value": pl.Float64,
           "native_price_year": pl.String, "uprating_factor": pl.Float64, "price_year": pl.String,
           "source": pl.String, "grade": pl.String, "used_by": pl.String}


def parameters_table(parameters: Sequence[Parameter], price_year: str) -> pl.DataFrame:
    """One row per parameter: value, range, distribution, source and price year (``vfm_parameters``)."""
    rows = [{"parameter": p.key, "label": p.label, "value": p.value,
             "low": p.low if p.low is not None else p.value, "high": p.high if p.high is not None else p.value,
             "distribution": p.distribution, "unit": p.unit, "native_value": p.native_value,
             "native_price_year": p.native_price_year or None, "uprating_factor": p.uprating_factor,
             "price_year": price_year if p.unit == "£" else None, "source": p.source, "grade": p.grade,
             "used_by": p.used_by} for p in parameters]
    return pl.DataFrame(rows, schema=COLUMNS)
