"""The evaluation config: a typed, frozen object read and validated once from ``evaluation.toml``.

Every setting has its default here, in one place, and every numeric or date setting its valid range
(:func:`setting`, :class:`Bounds`): a value outside it is refused with the range in the message, so
an absurd value never reaches an estimator (a negative seed, a trillion Monte Carlo draws). Unknown
sections or keys are errors (a typo must not silently fall back to a default). Text settings are
one line, without control characters, and of bounded length; lists are bounded too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
import unicodedata
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
NameStyle = Literal["codes", "screened"]
Shares = tuple[tuple[str, float], ...]  # (category, share) pairs, from a TOML table category = share
HeaderRow = int | tuple[tuple[str, int], ...]  # one row for every workbook, or (table, row) pairs
EXCEL_MAX_ROW = 1_048_576

FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2099, 12, 31)  # the range of every date setting
MAX_TEXT = 500  # characters of a text setting (a source, a reason), unless its field says fewer
MAX_NAME = 200  # characters of a name (the scheme, the force, the evaluation team)
MAX_LIST = 50  # entries of a list setting (unless its field says more)
MAX_APPROVED = 100_000  # ids approved for publication ([publication] approved)
MAX_SEED = 2**32 - 1  # numpy, R and most generators take a seed below 2**32
MAX_MONTE_CARLO_DRAWS = 1_000_000  # the memory a run may use also limits them (ij_eval.vfm.uncertainty)
PUBLICATION_THRESHOLD = 10  # the smallest count published without a stated reason (UK practice)


@dataclass(frozen=True)
class Bounds:
    """The valid range of a numeric setting: ``low <= value <= high`` (``low < value`` when ``low_open``)."""

    low: float
    high: float
    low_open: bool = False

    def holds(self, value: float) -> bool:
        return (value > self.low if self.low_open else value >= self.low) and value <= self.high

    def describe(self, whole: bool) -> str:
        if whole:
            return f"a whole number from {int(self.low)} to {int(self.high)}"
        low = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
        return f"a number {low} {'and at most' if self.low_open else 'to'} {self.high:g}"


def setting(default: Any, low: float, high: float, *, low_open: bool = False) -> Any:
    """A numeric setting with its default and its valid range."""
    return field(default=default, metadata={"bounds": Bounds(low, high, low_open)})


def text(default: str = "", max_chars: int = MAX_TEXT) -> Any:
    """A text setting of at most ``max_chars`` characters."""
    return field(default=default, metadata={"max_chars": max_chars})


@dataclass(frozen=True)
class SchemeConfig:
    name: str = text("Immediate Justice", MAX_NAME)
    force: str = text("", MAX_NAME)
    start: dt.date | None = None
    evaluation_team: str = text("", MAX_NAME)
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
    follow_up_days: int = setting(365, 1, 3650)  # fixed window after the index (referral) date
    # further time for an offence in the window to be proven (MoJ: 6 months)
    waiting_days: int = setting(182, 0, 3650)
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
    caliper_sd: float = setting(0.2, 0, 10, low_open=True)  # caliper in SDs of the logit propensity score
    min_group_size: int = setting(20, 2, 100_000)  # a group smaller than this is not analysed (reported as too small)


@dataclass(frozen=True)
class HotspotConfig:
    # pairs of Fourier terms for seasonality (k = 1..harmonics), fewer than season_period / 2
    harmonics: int = setting(2, 0, 26)
    season_period: int = setting(12, 2, 53)  # periods per seasonal cycle (12 for months, 52 for weeks)
    overdispersion: Overdispersion = "quasi-poisson"
    # > 0: autocorrelation-robust (Newey-West) errors with this many lags
    newey_west_lags: int = setting(0, 0, 60)
    slope_change: bool = True  # interrupted time series also estimate a change in trend
    event_leads: int = setting(12, 0, 120)  # periods before the start shown in the event study
    event_lags: int = setting(12, 0, 120)  # periods after the start shown in the event study
    placebo_shift: int = setting(12, 1, 120)  # the placebo start is this many periods before the real one
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
    """Disclosure control: counts below ``threshold`` are hidden. A threshold below 10 needs the
    ``reason`` (e.g. an agreed internal release), and every output then says on its first page that
    it is not for publication; ``threshold = 1`` switches suppression off."""

    threshold: int = setting(PUBLICATION_THRESHOLD, 1, 1000)
    reason: str = text("")

    @property
    def for_publication(self) -> bool:
        """Whether outputs may be published: the threshold is the publication standard or stricter."""
        return self.threshold >= PUBLICATION_THRESHOLD

    def notice(self) -> str:
        """The warning every output carries when it is not for publication ("" when it is)."""
        if self.for_publication:
            return ""
        return (f"NOT FOR PUBLICATION — disclosure threshold {self.threshold}, below {PUBLICATION_THRESHOLD}"
                + (": small counts are not suppressed" if self.threshold == 1 else ""))


@dataclass(frozen=True)
class RunConfig:
    seed: int = setting(20231001, 0, MAX_SEED)


@dataclass(frozen=True)
class PublicationConfig:
    """What free text may be published (``[publication]``). Every text from the data or the config that
    reaches an output passes the free-text screen (:mod:`ij_eval.privacy.screen`); what it withholds or is
    unsure of is listed, with an id, in the store's review file ``screening_review.csv`` (never published).

    ``approved``: ids from that file ("t-" and 8 hex characters) of items the evaluator checked and
    approves for publication as written (an id that matches nothing is a warning; contact details and ids
    are never published, approved or not). ``site_names``: "codes" publishes placement sites as "Site 1",
    "Site 2" ... (in placement_id order), "screened" publishes each site's description after the screen.
    ``funder_names``: "screened" (funders' names after the screen) or "codes" ("Funder A", "Funder B" ...
    in alphabetical order).

    The defaults: sites as codes, because a site description can point at a household (a victim's or a
    resident's garden, a street where work was done for one person) in ways no pattern catches, and the
    site table's content (activity, who suggested it, people, hours) does not need it; funders screened,
    because funders are normally public bodies (Home Office, PCC, council) whose names the value-for-money
    chapter is about, and the screen withholds a private person's name."""

    approved: tuple[str, ...] = field(default=(), metadata={"max_items": MAX_APPROVED})
    site_names: NameStyle = "codes"
    funder_names: NameStyle = "screened"


LOGIC_MODEL_MAX_CHARS = 80  # longest entry a logic model box can hold legibly
LOGIC_MODEL_MAX_ENTRIES = 12  # boxes a column of the logic model figure can hold legibly


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
# The largest value a parameter may take, by unit (beyond it a value is a typing slip, and sums overflow).
PARAMETER_LIMITS = {"share": 1.0, "hours": 1_000.0, "£": 1e9}
MAX_INDEX = 10_000  # a GDP deflator index value (the shipped series is about 100 in its base year)


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
    discount_rate: float = setting(0.035, 0, 0.5)  # the Green Book social time preference rate, years 0-30
    appraisal_years: int = setting(0, 0, 100)
    benefits: tuple[str, ...] = BENEFITS
    effect_term: str = text("matched_risk_difference", MAX_NAME)  # a term of the reoffending_effects table
    # years a referral's effect on reoffending lasts (1: the measured window)
    effect_years: int = setting(1, 1, 30)
    count_diffusion: bool = False  # count ASB falls in buffer areas (diffusion of benefit) as benefits
    out_of_court_routes: tuple[str, ...] = ("community_resolution", "outcome_22", "conditional_caution", "caution")
    monte_carlo_draws: int = setting(10_000, 100, MAX_MONTE_CARLO_DRAWS)
    parameters: Specs = ()
    unit_costs: Specs = ()
    deflator: tuple[tuple[str, float], ...] = ()
    deflator_source: str = text("")

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
    publication: PublicationConfig = field(default_factory=PublicationConfig)
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


def _finite(where: str, value: Any, what: str = "a number") -> float:
    """``value`` as a float: a TOML integer or float that is finite (TOML allows inf and nan)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected {what}, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ConfigError(f"{where}: expected {what}, got {value!r} (not a finite number)")
    return number


_CONTROL_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", "\x00": "NUL"}


def _one_line(where: str, value: str, max_chars: int) -> str:
    """Refuse text that is too long or holds control characters (a line break, a NUL, ...)."""
    if len(value) > max_chars:
        raise ConfigError(f"{where}: {len(value):,} characters; at most {max_chars} are allowed")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise ConfigError(f"{where}: contains the control character U+{ord(bad):04X} "
                          f"({_CONTROL_NAMES.get(bad) or unicodedata.name(bad, 'a control character')}); "
                          "write it as plain text on one line")
    return value


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
        return tuple(sorted((str(k), _finite(f"{where}.{k}", v, "a share between 0 and 1"))
                            for k, v in value.items()))
    if getattr(hint, "__origin__", None) is Literal:
        if value not in options:
            raise ConfigError(f"{where}: must be one of {', '.join(map(repr, options))}, got {value!r}")
        return value
    if getattr(hint, "__origin__", None) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of text values like [\"first\", \"second\"], "
                              f"got {_shown(value)}")
        return tuple(_one_line(f"{where} entry {i + 1}", v, MAX_TEXT) for i, v in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is float:
        return _finite(where, value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {_shown(value)}")
        return value
    return value


def _shown(value: Any) -> str:
    """A value for a message, cut short (a config may hold a huge list)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
        return _finite(f"{where} {key}", v)

    if not isinstance(value, dict):
        return ParameterSpec(number("value", value))
    unknown = sorted(set(value) - {f.name for f in dataclasses.fields(ParameterSpec)})
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(unknown)} (known: value, low, high, price_year, source)")
    if "value" not in value:
        raise ConfigError(f"{where}: needs a value, e.g. {{ value = 500, source = \"...\" }}")
    spec = ParameterSpec(number("value", value["value"]),
                         *(number(k, value[k]) if value.get(k) is not None else None for k in ("low", "high")),
                         *(_one_line(f"{where} {k}", _coerce(f"{where} {k}", str, value.get(k, "")), MAX_TEXT)
                           for k in ("price_year", "source")))
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
        if isinstance(index, bool) or not isinstance(index, int | float) or not 0 < index <= MAX_INDEX:
            raise ConfigError(f"{where} {year}: expected a positive index number (at most {MAX_INDEX}), "
                              f"got {index!r}")
    return tuple(sorted((str(k), float(v)) for k, v in body.items()))


def _check_value_for_money(v: ValueForMoneyConfig, source: str) -> None:
    where = f"{source}: [value_for_money]"
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
    for table, specs in (("parameters", v.parameters), ("unit_costs", v.unit_costs)):
        for key, spec in specs:
            unit = VFM_PARAMETERS[key][1] if table == "parameters" else "£"
            bounds = [b for b in (spec.low, spec.value, spec.high) if b is not None]
            if unit == "share" and not all(0 <= b <= 1 for b in bounds):
                raise ConfigError(f"{where}.{table} {key}: a share must be between 0 and 1")
            if any(b < 0 for b in bounds):
                raise ConfigError(f"{where}.{table} {key}: must not be negative")
            if any(b > PARAMETER_LIMITS[unit] for b in bounds):
                raise ConfigError(f"{where}.{table} {key}: {max(bounds):g} is more than the largest value allowed "
                                  f"for a value in {unit} ({PARAMETER_LIMITS[unit]:g})")
            if spec.price_year:
                _check_financial_year(f"{where}.{table} {key} price_year", spec.price_year)
    _check_financial_year(f"{where} price_year", v.price_year)
    for year, _ in v.deflator:
        _check_financial_year(f"{where}.deflator {year}", year)


def _check_financial_year(where: str, year: str) -> None:
    """A financial year "2024-25" whose two years follow each other, within the range of dates."""
    m = FINANCIAL_YEAR.match(year)
    if not m:
        raise ConfigError(f"{where}: expected a financial year like \"2024-25\", got {year!r}")
    first, second = int(m.group(1)), int(m.group(2))
    if second != (first + 1) % 100 or not FIRST_DATE.year <= first < LAST_DATE.year:
        raise ConfigError(f"{where}: {year!r} is not a financial year from {FIRST_DATE.year}-"
                          f"{(FIRST_DATE.year + 1) % 100:02d} to {LAST_DATE.year - 1}-{LAST_DATE.year % 100:02d} "
                          "(the second year follows the first, e.g. \"2024-25\")")


def _check_ranges(config: EvaluationConfig, source: str) -> None:
    """Every setting within its range: numbers (:func:`setting`), dates, and text (:func:`text`)."""
    for section in dataclasses.fields(config):
        body = getattr(config, section.name)
        if not dataclasses.is_dataclass(body):
            continue
        hints = get_type_hints(type(body))
        for f in dataclasses.fields(body):
            value, where = getattr(body, f.name), f"{source}: [{section.name}] {f.name}"
            bounds = f.metadata.get("bounds")
            if bounds is not None and not bounds.holds(value):
                whole = hints[f.name] is int
                raise ConfigError(f"{where} must be {bounds.describe(whole)}, got {value if whole else f'{value:g}'}")
            if isinstance(value, dt.date) and not FIRST_DATE <= value <= LAST_DATE:
                raise ConfigError(f"{where} must be a date from {FIRST_DATE} to {LAST_DATE}, got {value}")
            if isinstance(value, str) and hints[f.name] is str:
                _one_line(where, value, f.metadata.get("max_chars", MAX_TEXT))
            if getattr(hints[f.name], "__origin__", None) is tuple and len(value) > f.metadata.get("max_items",
                                                                                                   MAX_LIST):
                raise ConfigError(f"{where}: {len(value):,} entries; at most {f.metadata.get('max_items', MAX_LIST)} "
                                  "are allowed")


def _check(config: EvaluationConfig, source: str) -> None:
    _check_ranges(config, source)
    d = config.data
    if d.period_start and d.period_end and d.period_end < d.period_start:
        raise ConfigError(f"{source}: [data] period_end is before period_start")
    if d.extract_date and d.period_start and d.period_start > d.extract_date:
        raise ConfigError(f"{source}: [data] period_start ({d.period_start}) is after extract_date "
                          f"({d.extract_date}): the analysis period lies wholly after the data were extracted, "
                          "so it holds no data; check both dates")
    if d.extract_date and config.scheme.start and config.scheme.start > d.extract_date:
        raise ConfigError(f"{source}: [scheme] start ({config.scheme.start}) is after [data] extract_date "
                          f"({d.extract_date}): the data were extracted before the scheme began; check both dates")
    if not config.scheme.name.strip():
        raise ConfigError(f"{source}: [scheme] name is blank; give the scheme's name (it is the report's title)")
    _check_disclosure(config.disclosure, source)
    r = config.reoffending
    from ij_eval.schema import load_schemas

    disposals = set(load_schemas()["offences"].column("disposal").values)
    for key in ("proven_disposals", "entry_disposals"):
        unknown = sorted(set(getattr(r, key)) - disposals)
        if unknown:
            raise ConfigError(f"{source}: [reoffending] {key}: unknown disposal {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(disposals))})")
    h = config.hotspots
    if 2 * h.harmonics >= h.season_period:  # k = P/2 gives sin = 0 at every whole season: not identifiable
        raise ConfigError(f"{source}: [hotspots] harmonics must be less than half of season_period "
                          f"({h.season_period}): at most {(h.season_period - 1) // 2}, got {h.harmonics}")
    _check_population(config.population, source, load_schemas()["referrals"])
    _check_publication(config.publication, source)
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
        if len(entries) > LOGIC_MODEL_MAX_ENTRIES:
            raise ConfigError(f"{source}: [logic_model] {column} has {len(entries)} entries; at most "
                              f"{LOGIC_MODEL_MAX_ENTRIES} fit in a column of the figure")


def _check_disclosure(d: DisclosureConfig, source: str) -> None:
    """A threshold below the publication standard needs a stated reason (outputs are then marked)."""
    if not d.for_publication and not d.reason.strip():
        off = " (1 switches suppression off)" if d.threshold == 1 else ""
        raise ConfigError(
            f"{source}: [disclosure] threshold = {d.threshold} is below {PUBLICATION_THRESHOLD}{off}; a threshold "
            f"below {PUBLICATION_THRESHOLD} needs its reason in the config, e.g. [disclosure] reason = \"internal "
            "review by the evaluation team only\", and every output is then marked not for publication")


APPROVED_ID = re.compile(r"^t-[0-9a-f]{8}$")  # an item id of the review file (ij_eval.privacy.screen.item_id)


def _check_publication(publication: PublicationConfig, source: str) -> None:
    bad = [i for i in publication.approved if not APPROVED_ID.match(i)]
    if bad:
        raise ConfigError(f"{source}: [publication] approved: {', '.join(map(repr, bad[:5]))} "
                          f"{'is not an id' if len(bad) == 1 else 'are not ids'} of the review file; each is "
                          "\"t-\" and 8 lower-case hex characters, copied from the id column of screening_review.csv "
                          "in the results store")


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


MAX_CONFIG_BYTES = 1024 * 1024  # a config is a few kilobytes; a bigger file is not one


def load_config(path: str | Path | None) -> EvaluationConfig:
    """Read ``evaluation.toml``; ``None`` gives the defaults."""
    if path is None:
        return EvaluationConfig()
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder, not a file; pass the evaluation.toml inside it")
    if not path.is_file():
        what = "not a regular file" if path.exists() else "not found"
        raise ConfigError(f"config file {what}: {path}")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; an evaluation config "
                          "is a few kilobytes of TOML: check that it is the right file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the config "
                          "as UTF-8") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    return config_from_dict(raw, source=str(path))
