"""The evaluation config: a typed, frozen object read and validated once from ``evaluation.toml``.

Every setting has its default here, in one place. Unknown sections or keys are errors (a typo
must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
Shares = tuple[tuple[str, float], ...]  # (category, share) pairs, from a TOML table category = share


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
    # Sections owned by strands not yet typed here are kept as read (sorted key/value pairs).
    value_for_money: tuple[tuple[str, Any], ...] = ()
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
            if isinstance(value, PopulationConfig):  # tables of category = share, as in the TOML
                out[f.name] = {k: dict(v) for k, v in value.supplied()}
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
        if not dataclasses.is_dataclass(section_type):
            sections[name] = tuple(sorted(body.items()))
            continue
        field_hints = get_type_hints(section_type)
        values = {}
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
