"""Input-table schemas, read from the YAML files in ``data_schemas/`` (the source of truth).

A schema is data: the validator, the data dictionary and the blank templates all derive from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

ColumnType = Literal[
    "string", "category", "integer", "number", "money", "boolean", "date", "datetime", "month",
    "list", "ordinal",
]
COLUMN_TYPES: tuple[str, ...] = ColumnType.__args__  # type: ignore[attr-defined]

#: Row-level rules are tiny expressions: ``a >= b`` (compared where both are present) or
#: ``a or b`` (at least one present).
_COMPARE = re.compile(r"^\s*(\w+)\s*(>=|<=|>|<|==|!=)\s*(\w+)\s*$")
_EITHER = re.compile(r"^\s*(\w+)\s+or\s+(\w+)\s*$")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    description: str = ""
    example: str = ""
    values: tuple[str, ...] = ()  # allowed values of a category
    levels: tuple[str, ...] = ()  # ordered labels of an ordinal (coded 1..len)
    min: float | None = None  # error outside [min, max]
    max: float | None = None
    warn_min: float | None = None  # warning outside [warn_min, warn_max]
    warn_max: float | None = None
    pattern: str | None = None  # regex each value (each list item) must match
    references: str | None = None  # "table.column" that must contain every value
    required_when: tuple[tuple[str, str], ...] = ()  # required where column == value
    free_text: bool = False  # a comment in a person's own words (contact details in it warn, not refuse)


@dataclass(frozen=True)
class RowRule:
    check: str
    level: Literal["error", "warning"]
    message: str

    @property
    def parsed(self) -> tuple[str, str, str]:
        """``(left, operator, right)``; operator ``or`` for an either-present rule."""
        if m := _COMPARE.match(self.check):
            return m.group(1), m.group(2), m.group(3)
        if m := _EITHER.match(self.check):
            return m.group(1), "or", m.group(2)
        raise ValueError(f"cannot parse rule {self.check!r}")


@dataclass(frozen=True)
class TableSchema:
    name: str
    title: str
    description: str
    required: bool
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()
    extra_columns: Literal["ignore", "covariates"] = "ignore"
    source: str = field(default="", compare=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def schema_dir() -> Path:
    """The ``data_schemas`` folder: the repository's own, or the copy shipped in the wheel."""
    repo = Path(__file__).resolve().parents[1] / "data_schemas"
    if repo.is_dir():
        return repo
    return Path(str(resources.files("ij_eval") / "data_schemas"))


def _column(raw: dict) -> Column:
    unknown = set(raw) - set(Column.__dataclass_fields__)
    if unknown:
        raise ValueError(f"column {raw.get('name')!r}: unknown schema keys {sorted(unknown)}")
    if raw["type"] not in COLUMN_TYPES:
        raise ValueError(f"column {raw['name']!r}: unknown type {raw['type']!r}")
    return Column(
        **{
            **raw,
            "values": tuple(str(v) for v in raw.get("values", ())),
            "levels": tuple(str(v) for v in raw.get("levels", ())),
            "example": str(raw.get("example", "")),
            "required_when": tuple((k, str(v)) for k, v in raw.get("required_when", {}).items()),
        }
    )


def parse_schema(raw: dict, source: str = "") -> TableSchema:
    columns = tuple(_column(c) for c in raw["columns"])
    rules = tuple(RowRule(**r) for r in raw.get("rules", ()))
    schema = TableSchema(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        description=" ".join(str(raw.get("description", "")).split()),
        required=bool(raw.get("required", False)),
        primary_key=tuple(raw.get("primary_key", ())),
        columns=columns,
        rules=rules,
        extra_columns=raw.get("extra_columns", "ignore"),
        source=source,
    )
    names = set(schema.column_names)
    for rule in rules:
        left, _, right = rule.parsed
        if not {left, right} <= names:
            raise ValueError(f"{schema.name}: rule {rule.check!r} names an unknown column")
    return schema


@cache
def load_schemas() -> dict[str, TableSchema]:
    """Every input-table schema, keyed by table name, in a stable order."""
    schemas = {}
    for path in sorted(schema_dir().glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        schemas[raw["name"]] = parse_schema(raw, source=path.name)
    order = ["referrals", "offences", "areas", "asb_counts", "asb_incidents",
             "participant_survey", "victim_survey", "placements", "costs", "community_survey"]
    return {n: schemas[n] for n in sorted(schemas, key=lambda n: (order + [n]).index(n))}
