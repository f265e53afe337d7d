"""Unit tests of the input-table schemas (``data_schemas/*.yaml``) and their loader."""

from __future__ import annotations

import re

import pytest
import yaml

from ij_eval.schema import COLUMN_TYPES, RowRule, TableSchema, load_schemas, parse_schema, schema_dir

SCHEMAS = load_schemas()
TEMPORAL = {"date", "datetime", "month"}
NUMERIC = {"integer", "number", "money"}


def _minimal(**column) -> dict:
    return {"name": "t", "primary_key": ["id"],
            "columns": [{"name": "id", "type": "string", "required": True}, column]}


def test_every_schema_file_loads() -> None:
    files = sorted(schema_dir().glob("*.yaml"))
    assert files, "no schema files found"
    assert len(SCHEMAS) == len(files)
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert raw["name"] == path.stem, f"{path.name} declares table {raw['name']!r}"
        schema = SCHEMAS[path.stem]
        assert isinstance(schema, TableSchema)
        assert schema.source == path.name
        assert schema.columns and schema.title and schema.description
        assert len(set(schema.column_names)) == len(schema.column_names), f"{path.name}: duplicate column"


def test_referrals_is_the_required_table_and_comes_first() -> None:
    assert next(iter(SCHEMAS)) == "referrals"
    assert [n for n, s in SCHEMAS.items() if s.required] == ["referrals"]
    assert SCHEMAS["referrals"].extra_columns == "covariates"
    assert all(s.extra_columns == "ignore" for n, s in SCHEMAS.items() if n != "referrals")


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_column_names_are_normalised(table: str) -> None:
    for name in SCHEMAS[table].column_names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), f"{table}.{name}"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_primary_key_columns_exist_and_are_required(table: str) -> None:
    schema = SCHEMAS[table]
    assert schema.primary_key, f"{table} has no primary key"
    for key in schema.primary_key:
        col = schema.column(key)  # raises KeyError if missing
        assert col.required, f"{table}.{key} is a key column but not required"
    if len(schema.primary_key) == 1:
        assert schema.column(schema.primary_key[0]).unique, f"{table}: single-column key not unique"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_references_name_existing_tables_and_columns(table: str) -> None:
    for col in SCHEMAS[table].columns:
        if not col.references:
            continue
        target_table, _, target_column = col.references.partition(".")
        assert target_table in SCHEMAS, f"{table}.{col.name} references unknown table {target_table!r}"
        assert target_column in SCHEMAS[target_table].column_names, (
            f"{table}.{col.name} references unknown column {col.references!r}")
        target = SCHEMAS[target_table].column(target_column)
        assert target.type == col.type == "string", f"{table}.{col.name} -> {col.references}: type mismatch"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_row_rules_parse_and_compare_like_with_like(table: str) -> None:
    schema = SCHEMAS[table]
    for rule in schema.rules:
        left, op, right = rule.parsed
        assert {left, right} <= set(schema.column_names), rule.check
        assert rule.level in ("error", "warning"), rule.check
        assert rule.message.strip(), rule.check
        if op != "or":
            kinds = {schema.column(left).type, schema.column(right).type}
            assert kinds <= TEMPORAL or kinds <= NUMERIC, f"{table}: {rule.check} compares {kinds}"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_required_when_names_a_category_column_and_an_allowed_value(table: str) -> None:
    schema = SCHEMAS[table]
    for col in schema.columns:
        for other, value in col.required_when:
            assert other in schema.column_names, f"{table}.{col.name}: required_when on unknown {other!r}"
            condition = schema.column(other)
            assert condition.type == "category", f"{table}.{col.name}: required_when on non-category {other}"
            assert value in condition.values, f"{table}.{col.name}: {value!r} not a value of {other}"
            assert not col.required, f"{table}.{col.name} is both required and required_when"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_column_attributes_fit_their_type(table: str) -> None:
    for col in SCHEMAS[table].columns:
        where = f"{table}.{col.name}"
        assert col.type in COLUMN_TYPES
        assert bool(col.values) == (col.type == "category"), f"{where}: values belong to categories"
        assert bool(col.levels) == (col.type == "ordinal"), f"{where}: levels belong to ordinals"
        # the parser lower-cases labels and turns spaces/dashes into underscores before matching,
        # so a value that is not already in that form could never match
        for value in col.values + col.levels:
            assert re.fullmatch(r"[a-z0-9_]+", value), f"{where}: value {value!r} is not normalised"
        assert len(set(col.values)) == len(col.values) and len(set(col.levels)) == len(col.levels), where
        bounds = (col.min, col.max, col.warn_min, col.warn_max)
        if any(b is not None for b in bounds):
            assert col.type in NUMERIC, f"{where}: range on a {col.type} column"
        if col.min is not None and col.max is not None:
            assert col.min <= col.max, where
        if col.warn_min is not None:
            assert (col.min is None or col.warn_min >= col.min) and (col.max is None or col.warn_min <= col.max)
        if col.warn_max is not None:
            assert (col.min is None or col.warn_max >= col.min) and (col.max is None or col.warn_max <= col.max)
        if col.pattern:
            assert col.type in ("string", "list"), f"{where}: pattern on a {col.type} column"
            regex = re.compile(col.pattern)
            if col.example:
                items = col.example.split(";") if col.type == "list" else [col.example]
                assert all(regex.search(i) for i in items), f"{where}: example does not match pattern"


# --- parse_schema ----------------------------------------------------------------------------

def test_parse_schema_minimal_defaults() -> None:
    schema = parse_schema(_minimal(name="flag", type="boolean"), source="t.yaml")
    assert schema.title == "t" and not schema.required and schema.extra_columns == "ignore"
    assert schema.column_names == ("id", "flag")
    assert schema.column("flag").type == "boolean"
    with pytest.raises(KeyError, match="nope"):
        schema.column("nope")


def test_parse_schema_normalises_values_and_required_when() -> None:
    raw = {"name": "t", "columns": [
        {"name": "kind", "type": "category", "values": ["a", 2]},
        {"name": "score", "type": "ordinal", "levels": ["low", "high"], "example": 1},
        {"name": "detail", "type": "string", "required_when": {"kind": 2}},
    ]}
    schema = parse_schema(raw)
    assert schema.column("kind").values == ("a", "2")
    assert schema.column("score").levels == ("low", "high")
    assert schema.column("score").example == "1"
    assert schema.column("detail").required_when == (("kind", "2"),)


def test_parse_schema_rejects_unknown_type_naming_the_column() -> None:
    with pytest.raises(ValueError, match=r"'mystery_col'.*unknown type 'text'"):
        parse_schema(_minimal(name="mystery_col", type="text"))


def test_parse_schema_rejects_unknown_key_naming_the_column() -> None:
    with pytest.raises(ValueError, match=r"'odd_col'.*unknown schema keys \['choices'\]"):
        parse_schema(_minimal(name="odd_col", type="category", choices=["a"]))


def test_parse_schema_rejects_rule_on_unknown_column() -> None:
    raw = _minimal(name="start", type="date")
    raw["rules"] = [{"check": "finish >= start", "level": "error", "message": "m"}]
    with pytest.raises(ValueError, match="finish >= start"):
        parse_schema(raw)


def test_parse_schema_rejects_unparsable_rule() -> None:
    raw = _minimal(name="start", type="date")
    raw["rules"] = [{"check": "start is recent", "level": "error", "message": "m"}]
    with pytest.raises(ValueError, match="cannot parse rule"):
        parse_schema(raw)


@pytest.mark.parametrize(("check", "parsed"), [
    ("a >= b", ("a", ">=", "b")),
    ("  a<b ", ("a", "<", "b")),
    ("a != b", ("a", "!=", "b")),
    ("area_id or lsoa_code", ("area_id", "or", "lsoa_code")),
])
def test_row_rule_parsing(check: str, parsed: tuple[str, str, str]) -> None:
    assert RowRule(check, "error", "m").parsed == parsed


def test_table_description_is_folded_to_one_line() -> None:
    raw = _minimal(name="x", type="string")
    raw["description"] = "first line\n  second   line\n"
    assert parse_schema(raw).description == "first line second line"
