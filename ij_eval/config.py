"""The evaluation config: a typed, frozen object read and validated once from ``evaluation.toml``.

Every setting has its default here, in one place. Unknown sections or keys are errors (a typo
must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from ij_eval.errors import ConfigError

DateOrder = Literal["auto", "day-first"]
ComparisonKind = Literal["concurrent", "historical"]
Overdispersion = Literal["quasi-poisson", "negative-binomial"]
OutcomeMeasure = Literal["proven", "local"]
MatchingMethod = Literal["nearest", "ipw"]
MissingMonths = Literal["missing", "zero"]
Shares = tuple[tuple[str, float], ...]  # (category, share) pairs, from a TOML table category = share
HeaderRow = int | tuple[tuple[str, int], ...]  # one row for every workbook, or (table, row) pairs
EXCEL_MAX_ROW = 1_048_576


@dataclass(frozen=True)
class SchemeConfig:
    name: str = "Immediate Justice"
    force: str = ""
    start: dt.date | None = None
    evaluation_team: str = ""
    synthetic: bool = False  # demo data: every output is labelled synthetic


@dataclass(frozen=True)
class DataConfig:
    extract_date: dt.date | None = None  # dates after it are flagged
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    # "auto": slash dates are day-first, but a column whose values never show which part is the
    # day is refused; "day-first": read every slash date as dd/mm/yyyy without asking.
    date_order: DateOrder = "auto"
    # XLSX workbooks only. ``header_row``: the worksheet row (1-based) that holds the header, for
    # every workbook (``header_row = 3``) or by table (``header_row = { referrals = 3 }``, the others
    # on row 1); rows above it are ignored and every row number reported is a worksheet row.
    header_row: HeaderRow = 1
    # ``sheets``: the sheet to read, by table (``sheets = { referrals = "Extract" }``); by default the
    # sheet named like the table, else the first (the validation report says which was read).
    sheets: tuple[tuple[str, str], ...] = ()

    def header_row_of(self, table: str) -> int:
        """The worksheet row of ``table``'s header."""
        if isinstance(self.header_row, int):
            return self.header_row
        return dict(self.header_row).get(table, 1)

    def sheet_of(self, table: str) -> str | None:
        """The sheet the config names for ``table``, if any."""
        return dict(self.sheets).get(table)


@dataclass(frozen=True)
class ReoffendingConfig:
    follow_up_days: int = 365  # fixed window after the index (referral) date
    waiting_days: int = 182  # further time for an offence in the window to be proven (MoJ: 6 months)
    comparison: ComparisonKind = "concurrent"
    covariates: tuple[str, ...] = ("age", "sex", "prior_offences")
    # Disposals that make an offence "proven" in the MoJ sense, and those that mark entry to the
    # criminal justice system for first-time entrants (not community resolutions or Outcome 22).
    proven_disposals: tuple[str, ...] = (
        "charge", "conviction", "caution", "conditional_caution", "youth_caution", "youth_conditional_caution")
    entry_disposals: tuple[str, ...] = (
        "conviction", "caution", "conditional_caution", "youth_caution", "youth_conditional_caution")
    primary_measure: OutcomeMeasure = "proven"  # the measure behind the headline and adjusted effects
    matching: MatchingMethod = "nearest"  # propensity-score nearest neighbour, or "ipw"
    caliper_sd: float = 0.2  # caliper in standard deviations of the logit propensity score
    min_group_size: int = 20  # a group smaller than this is not analysed (reported as too small)


@dataclass(frozen=True)
class HotspotConfig:
    harmonics: int = 2  # pairs of Fourier terms for seasonality (k = 1..harmonics)
    season_period: int = 12  # periods per seasonal cycle (12 for months)
    overdispersion: Overdispersion = "quasi-poisson"
    newey_west_lags: int = 0  # > 0: autocorrelation-robust (Newey-West) errors with this many lags
    slope_change: bool = True  # interrupted time series also estimate a change in trend
    event_leads: int = 12  # periods before the start shown in the event study
    event_lags: int = 12  # periods after the start shown in the event study
    placebo_shift: int = 12  # the placebo start is this many periods before the real one
    # An area-month with no row in asb_counts (a gap inside an area's series, or months before its
    # first or after its last row while other areas have them): "missing" leaves it out of the
    # panel and the models; "zero" counts it as no ASB. The default is "missing": the schema asks
    # for one row per area and month (a month with no ASB is a row with count 0), so an absent row
    # is absent data, and zeros invented for lost months would read as a fall (or rise) in ASB.
    # Set "zero" when the extract leaves out months without ASB. Validation warns either way,
    # naming the areas and months. data.police.uk input is not affected: a month whose file is
    # present is complete (no row = no ASB), and a month with no file is always missing.
    missing_months: MissingMonths = "missing"


@dataclass(frozen=True)
class DisclosureConfig:
    threshold: int = 10


@dataclass(frozen=True)
class RunConfig:
    seed: int = 20231001


LOGIC_MODEL_MAX_CHARS = 80  # longest entry a logic model box can hold legibly


@dataclass(frozen=True)
class LogicModelConfig:
    """The scheme's logic model, drawn as a figure in the data overview: four columns read left to
    right (what goes in, what the scheme does, what it delivers, what it should change). Each column
    is a non-empty list of short phrases; describe your own scheme in ``[logic_model]``."""

    inputs: tuple[str, ...] = (
        "Home Office funding",
        "IJ team and coordinators",
        "Police officers' referrals",
        "Placement partners and supervisors",
    )
    activities: tuple[str, ...] = (
        "Referral after a community resolution, Outcome 22 or conditional caution",
        "Contact within 48 hours",
        "Reparative work in the community",
        "ASB awareness workshops",
        "Restorative justice with victims",
    )
    outputs: tuple[str, ...] = (
        "People referred",
        "People completing",
        "Hours of reparative work",
        "Placements and locations improved",
        "Workshops delivered",
        "Restorative processes",
    )
    outcomes: tuple[str, ...] = (
        "Less reoffending",
        "Less ASB in hotspots, without displacement",
        "Victims satisfied and heard",
        "Greater public confidence",
        "Value for money",
    )

    def columns(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``(column, entries)`` pairs in reading order: inputs, activities, outputs, outcomes."""
        return tuple((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))


SHARE_TOLERANCE = 0.01  # a characteristic's population shares must add up to 1 within this
AGE_GROUPS = ("adult", "child")  # the implementation strand's age groups (under 18 is a child)


@dataclass(frozen=True)
class PopulationConfig:
    """The make-up of the area population, optional: per characteristic a table of category → share
    (between 0 and 1, adding up to 1 within 0.01), e.g. ``[population.sex]`` ``female = 0.51``,
    ``male = 0.49``. Where given, the equality analysis also compares the make-up of IJ referrals
    with it. Categories are the referral schema's values (``age_group``: adult, child); "unknown"
    is not a category of the population."""

    sex: Shares = ()
    age_group: Shares = ()
    ethnicity: Shares = ()
    disability: Shares = ()

    def supplied(self) -> tuple[tuple[str, Shares], ...]:
        """``(characteristic, shares)`` for each characteristic the config gives."""
        return tuple((f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if getattr(self, f.name))


FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")  # "2024-25"
BENEFITS = ("reoffending", "officer_time", "criminal_justice", "reparative_work", "asb_hotspots")
# Parameters a config may set in [value_for_money.parameters]: key -> (what it is, unit).
VFM_PARAMETERS = {
    "optimism_bias": ("optimism bias uplift on costs", "share"),
    "deadweight": ("share of the outcome benefits that would have happened anyway", "share"),
    "attribution": ("share of the outcome benefits due to other interventions", "share"),
    "drop_off": ("share of the reoffending effect lost each year after the first", "share"),
    "case_file_hours": ("officer hours saved per case dealt with out of court", "hours"),
    "officer_cost_per_hour": ("cost of an officer hour", "£"),
    "charge_replaced_share": ("share of out-of-court IJ cases that would otherwise have been charged", "share"),
    "cj_cost_per_case": ("criminal-justice cost of a charged case", "£"),
    "reparative_wage": ("value of an hour of reparative work", "£"),
    "asb_cost_per_incident": ("cost of an ASB incident", "£"),
}


@dataclass(frozen=True)
class ParameterSpec:
    """One value-for-money parameter as the config gives it: a number, or a table
    ``{ value = 500, low = 250, high = 750, price_year = "2002-03", source = "..." }``. ``low`` and
    ``high`` bound the one-way sensitivity and the Monte Carlo range (triangular, peak at ``value``);
    without them the parameter is fixed. ``price_year`` (a financial year) is given for money values."""

    value: float
    low: float | None = None
    high: float | None = None
    price_year: str = ""
    source: str = ""


Specs = tuple[tuple[str, ParameterSpec], ...]


@dataclass(frozen=True)
class ValueForMoneyConfig:
    """The Green Book appraisal (``[value_for_money]``). Money is expressed at ``price_year``
    prices (a financial year, e.g. "2024-25") and discounted at ``discount_rate`` to year 0, the 12
    months from ``base_date`` (default the scheme start). ``appraisal_years`` 0 runs to the last year
    with a cost or a benefit. ``benefits`` lists the benefits valued (switch one off by leaving it
    out). Unit costs that could not be verified have no default: supply them in
    ``[value_for_money.parameters]`` and ``[value_for_money.unit_costs]`` (by offence type); the run
    names any that are missing. ``[value_for_money.deflator]`` adds GDP deflator index values
    (financial year = index, on the shipped series' base) for years the shipped series lacks."""

    price_year: str = "2024-25"
    base_date: dt.date | None = None
    discount_rate: float = 0.035  # the Green Book social time preference rate, years 0-30
    appraisal_years: int = 0
    benefits: tuple[str, ...] = BENEFITS
    effect_term: str = "matched_risk_difference"  # a term of the reoffending_effects table
    effect_years: int = 1  # years a referral's effect on reoffending lasts (1: the measured window)
    count_diffusion: bool = False  # count ASB falls in buffer areas (diffusion of benefit) as benefits
    out_of_court_routes: tuple[str, ...] = ("community_resolution", "outcome_22", "conditional_caution", "caution")
    monte_carlo_draws: int = 10_000
    parameters: Specs = ()
    unit_costs: Specs = ()
    deflator: tuple[tuple[str, float], ...] = ()
    deflator_source: str = ""

    def parameter(self, key: str) -> ParameterSpec | None:
        return dict(self.parameters).get(key)

    def unit_cost(self, offence_type: str) -> ParameterSpec | None:
        return dict(self.unit_costs).get(offence_type)


@dataclass(frozen=True)
class EvaluationConfig:
    scheme: SchemeConfig = field(default_factory=SchemeConfig)
    data: DataConfig = field(default_factory=DataConfig)
    reoffending: ReoffendingConfig = field(default_factory=ReoffendingConfig)
    hotspots: HotspotConfig = field(default_factory=HotspotConfig)
    disclosure: DisclosureConfig = field(default_factory=DisclosureConfig)
    run: RunConfig = field(default_factory=RunConfig)
    logic_model: LogicModelConfig = field(default_factory=LogicModelConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    value_for_money: ValueForMoneyConfig = field(default_factory=ValueForMoneyConfig)
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (dates as ISO strings) for the manifest."""

        def plain(v: Any) -> Any:
            if isinstance(v, dt.date):
                return v.isoformat()
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            return v

        out = {}
        for f in dataclasses.fields(self):
            if f.name == "source":
                continue
            value = getattr(self, f.name)
            if isinstance(value, DataConfig):  # per-table settings as tables, as in the TOML
                plain_section = {k: plain(v) for k, v in dataclasses.asdict(value).items()}
                plain_section["sheets"] = dict(value.sheets)
                if not isinstance(value.header_row, int):
                    plain_section["header_row"] = dict(value.header_row)
                out[f.name] = plain_section
            elif isinstance(value, PopulationConfig):  # tables of category = share, as in the TOML
                out[f.name] = {k: dict(v) for k, v in value.supplied()}
            elif isinstance(value, ValueForMoneyConfig):
                plain_section = {k: plain(v) for k, v in dataclasses.asdict(value).items()}
                for table in ("parameters", "unit_costs"):  # key = { value, low, ... } as in the TOML
                    plain_section[table] = {k: dataclasses.asdict(v) for k, v in getattr(value, table)}
                plain_section["deflator"] = dict(value.deflator)
                out[f.name] = plain_section
            elif dataclasses.is_dataclass(value):
                out[f.name] = {k: plain(v) for k, v in dataclasses.asdict(value).items()}
            else:
                out[f.name] = {k: plain(v) for k, v in value}
        return out


def _coerce(where: str, hint: Any, value: Any) -> Any:
    """Check ``value`` against a dataclass field's type hint; return it in the field's type."""
    options = get_args(hint)
    if hint is dt.date or dt.date in options:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a date like 2024-03-31, got {value!r}")
    if hint == Shares:
        if not isinstance(value, dict) or not value:
            raise ConfigError(f"{where}: expected a table of category = share, like {{ female = 0.51, male = 0.49 }}, "
                              f"got {value!r}")
        for category, share in value.items():
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise ConfigError(f"{where}.{category}: expected a share between 0 and 1, got {share!r}")
        return tuple(sorted((str(k), float(v)) for k, v in value.items()))
    if getattr(hint, "__origin__", None) is Literal:
        if value not in options:
            raise ConfigError(f"{where}: must be one of {', '.join(map(repr, options))}, got {value!r}")
        return value
    if getattr(hint, "__origin__", None) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of text values like [\"first\", \"second\"], got {value!r}")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    return value


def config_from_dict(raw: dict[str, Any], source: str = "<dict>") -> EvaluationConfig:
    hints = get_type_hints(EvaluationConfig)
    sections: dict[str, Any] = {}
    for name, body in raw.items():
        if name not in hints or name == "source":
            known = ", ".join(f.name for f in dataclasses.fields(EvaluationConfig) if f.name != "source")
            raise ConfigError(f"{source}: unknown section [{name}] (known sections: {known})")
        if not isinstance(body, dict):
            raise ConfigError(f"{source}: [{name}] must be a table of settings")
        section_type = hints[name]
        field_hints = get_type_hints(section_type)
        values = {}
        if section_type is DataConfig:
            body = dict(body)
            for key, parse in (("header_row", _header_row), ("sheets", _sheets)):
                if key in body:
                    values[key] = parse(f"{source}: [{name}] {key}", body.pop(key))
        if section_type is ValueForMoneyConfig:
            body = dict(body)
            for table, parse in (("parameters", _specs), ("unit_costs", _specs), ("deflator", _deflator)):
                if table in body:
                    values[table] = parse(f"{source}: [{name}.{table}]", body.pop(table))
        for key, value in body.items():
            if key not in field_hints:
                raise ConfigError(
                    f"{source}: unknown setting '{key}' in [{name}] "
                    f"(known: {', '.join(field_hints)})"
                )
            values[key] = _coerce(f"{source}: [{name}] {key}", field_hints[key], value)
        sections[name] = section_type(**values)
    config = EvaluationConfig(**sections, source=source)
    _check(config, source)
    return config


def _table_names() -> tuple[str, ...]:
    from ij_eval.schema import load_schemas

    return tuple(load_schemas())


def _row_number(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= EXCEL_MAX_ROW:
        raise ConfigError(f"{where}: expected a worksheet row number from 1 to {EXCEL_MAX_ROW:,}, got {value!r}")
    return value


def _per_table(where: str, value: Any, example: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: expected a table by table name, like {example}, got {value!r}")
    unknown = sorted(set(value) - set(_table_names()))
    if unknown:
        raise ConfigError(f"{where}: unknown table {', '.join(unknown)} (known: {', '.join(_table_names())})")
    return value


def _header_row(where: str, value: Any) -> HeaderRow:
    """``header_row = 3`` or ``header_row = { referrals = 3 }``."""
    if isinstance(value, dict):
        rows = _per_table(where, value, "{ referrals = 3 }")
        return tuple(sorted((k, _row_number(f"{where}.{k}", v)) for k, v in rows.items()))
    return _row_number(where, value)


def _sheets(where: str, value: Any) -> tuple[tuple[str, str], ...]:
    """``sheets = { referrals = "Extract" }``."""
    sheets = _per_table(where, value, '{ referrals = "Extract" }')
    for table, sheet in sheets.items():
        if not isinstance(sheet, str) or not sheet.strip():
            raise ConfigError(f"{where}.{table}: expected the name of a sheet, got {sheet!r}")
    return tuple(sorted(sheets.items()))


def _spec(where: str, value: Any) -> ParameterSpec:
    def number(key: str, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConfigError(f"{where} {key}: expected a number, got {v!r}")
        return float(v)

    if not isinstance(value, dict):
        return ParameterSpec(number("value", value))
    unknown = sorted(set(value) - {f.name for f in dataclasses.fields(ParameterSpec)})
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(unknown)} (known: value, low, high, price_year, source)")
    if "value" not in value:
        raise ConfigError(f"{where}: needs a value, e.g. {{ value = 500, source = \"...\" }}")
    spec = ParameterSpec(number("value", value["value"]),
                         *(number(k, value[k]) if value.get(k) is not None else None for k in ("low", "high")),
                         *(_coerce(f"{where} {k}", str, value.get(k, "")) for k in ("price_year", "source")))
    low = spec.low if spec.low is not None else spec.value
    high = spec.high if spec.high is not None else spec.value
    if not low <= spec.value <= high:
        raise ConfigError(f"{where}: low ({low:g}) <= value ({spec.value:g}) <= high ({high:g}) does not hold")
    if spec.price_year and not FINANCIAL_YEAR.match(spec.price_year):
        raise ConfigError(f"{where} price_year: expected a financial year like \"2019-20\", got {spec.price_year!r}")
    return spec


def _specs(where: str, body: Any) -> Specs:
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table of name = value or name = {{ value = ..., source = ... }}")
    return tuple(sorted((str(k), _spec(f"{where} {k}", v)) for k, v in body.items()))


def _deflator(where: str, body: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(body, dict) or not body:
        raise ConfigError(f"{where} must be a table of financial year = index, like {{ \"2025-26\" = 103.24 }}")
    for year, index in body.items():
        if not FINANCIAL_YEAR.match(str(year)):
            raise ConfigError(f"{where} {year}: expected a financial year like \"2025-26\"")
        if isinstance(index, bool) or not isinstance(index, int | float) or index <= 0:
            raise ConfigError(f"{where} {year}: expected a positive index number, got {index!r}")
    return tuple(sorted((str(k), float(v)) for k, v in body.items()))


def _check_value_for_money(v: ValueForMoneyConfig, source: str) -> None:
    where = f"{source}: [value_for_money]"
    if not FINANCIAL_YEAR.match(v.price_year):
        raise ConfigError(f"{where} price_year: expected a financial year like \"2024-25\", got {v.price_year!r}")
    if not 0 <= v.discount_rate < 1:
        raise ConfigError(f"{where} discount_rate: expected a rate between 0 and 1, like 0.035")
    if v.appraisal_years < 0 or v.effect_years < 1 or v.monte_carlo_draws < 1:
        raise ConfigError(f"{where}: appraisal_years must not be negative, effect_years and monte_carlo_draws "
                          "must be at least 1")
    unknown = sorted(set(v.benefits) - set(BENEFITS))
    if unknown:
        raise ConfigError(f"{where} benefits: unknown benefit {', '.join(unknown)} (known: {', '.join(BENEFITS)})")
    unknown = sorted(set(dict(v.parameters)) - set(VFM_PARAMETERS))
    if unknown:
        raise ConfigError(f"{where}.parameters: unknown parameter {', '.join(unknown)} "
                          f"(known: {', '.join(VFM_PARAMETERS)})")
    from ij_eval.schema import load_schemas

    schemas = load_schemas()
    offence_types = schemas["offences"].column("offence_type").values
    unknown = sorted(set(dict(v.unit_costs)) - set(offence_types))
    if unknown:
        raise ConfigError(f"{where}.unit_costs: unknown offence type {', '.join(unknown)} "
                          f"(known: {', '.join(offence_types)})")
    routes = schemas["referrals"].column("route").values
    unknown = sorted(set(v.out_of_court_routes) - set(routes))
    if unknown:
        raise ConfigError(f"{where} out_of_court_routes: unknown route {', '.join(unknown)} "
                          f"(known: {', '.join(routes)})")
    for key, spec in v.parameters:
        bounds = [b for b in (spec.low, spec.value, spec.high) if b is not None]
        if VFM_PARAMETERS[key][1] == "share" and not all(0 <= b <= 1 for b in bounds):
            raise ConfigError(f"{where}.parameters {key}: a share must be between 0 and 1")
        if any(b < 0 for b in bounds):
            raise ConfigError(f"{where}.parameters {key}: must not be negative")


def _check(config: EvaluationConfig, source: str) -> None:
    d = config.data
    if d.period_start and d.period_end and d.period_end < d.period_start:
        raise ConfigError(f"{source}: [data] period_end is before period_start")
    if config.disclosure.threshold < 1:
        raise ConfigError(f"{source}: [disclosure] threshold must be at least 1")
    if config.reoffending.follow_up_days < 1 or config.reoffending.waiting_days < 0:
        raise ConfigError(f"{source}: [reoffending] follow_up_days must be positive and waiting_days not negative")
    r = config.reoffending
    if r.caliper_sd <= 0 or r.min_group_size < 2:
        raise ConfigError(f"{source}: [reoffending] caliper_sd must be positive and min_group_size at least 2")
    from ij_eval.schema import load_schemas

    disposals = set(load_schemas()["offences"].column("disposal").values)
    for key in ("proven_disposals", "entry_disposals"):
        unknown = sorted(set(getattr(r, key)) - disposals)
        if unknown:
            raise ConfigError(f"{source}: [reoffending] {key}: unknown disposal {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(disposals))})")
    h = config.hotspots
    if min(h.newey_west_lags, h.event_leads, h.event_lags) < 0 or h.placebo_shift < 1 or h.season_period < 2:
        raise ConfigError(f"{source}: [hotspots] lags, leads and placebo_shift must not be negative "
                          "(placebo_shift at least 1) and season_period at least 2")
    if config.hotspots.harmonics < 0:
        raise ConfigError(f"{source}: [hotspots] harmonics must not be negative")
    _check_population(config.population, source, load_schemas()["referrals"])
    _check_value_for_money(config.value_for_money, source)
    for column, entries in config.logic_model.columns():
        if not entries:
            raise ConfigError(f"{source}: [logic_model] {column} is empty; a logic model column needs at least "
                              "one entry")
        for entry in entries:
            if not entry.strip():
                raise ConfigError(f"{source}: [logic_model] {column} has a blank entry")
            if len(entry) > LOGIC_MODEL_MAX_CHARS:
                raise ConfigError(f"{source}: [logic_model] {column}: entry {entry[:40]!r}... is {len(entry)} "
                                  f"characters; keep each entry to {LOGIC_MODEL_MAX_CHARS} or fewer so it fits "
                                  "its box")


def _check_population(population: PopulationConfig, source: str, referrals: Any) -> None:
    for characteristic, shares in population.supplied():
        where = f"{source}: [population] {characteristic}"
        known = AGE_GROUPS if characteristic == "age_group" else tuple(
            v for v in referrals.column(characteristic).values if v != "unknown")
        for category, share in shares:
            if category not in known:
                raise ConfigError(f"{where}.{category}: unknown category (known: {', '.join(known)})")
            if not 0 <= share <= 1:
                raise ConfigError(f"{where}.{category}: a share must be between 0 and 1, got {share}")
        total = sum(share for _, share in shares)
        if abs(total - 1) > SHARE_TOLERANCE:
            raise ConfigError(f"{where}: shares add up to {total:.4g}; they must add up to 1 "
                              f"(within {SHARE_TOLERANCE})")


def load_config(path: str | Path | None) -> EvaluationConfig:
    """Read ``evaluation.toml``; ``None`` gives the defaults."""
    if path is None:
        return EvaluationConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_dict(raw, source=str(path))
