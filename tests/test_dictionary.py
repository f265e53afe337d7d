"""The data dictionary and blank templates are generated from the schemas and cannot drift."""

from __future__ import annotations

import polars as pl
import pytest

from ij_eval.dictionary import (
    DICTIONARY_FILE,
    TEMPLATES_DIR,
    TYPE_HELP,
    expected_files,
    main,
    render_data_dictionary,
    render_template,
    stale_files,
    write_docs,
)
from ij_eval.schema import COLUMN_TYPES, load_schemas, parse_schema, schema_dir

SCHEMAS = load_schemas()
REGENERATE = "out of date: run `python -m ij_eval.dictionary` and commit the regenerated files"


def _section(text: str, table: str) -> str:
    """The part of the dictionary that documents ``table``."""
    start = text.index(f'<a id="{table}"></a>')
    end = text.find('<a id="', start + 1)
    return text[start:end if end != -1 else len(text)]


@pytest.fixture(scope="module")
def dictionary() -> str:
    return render_data_dictionary()


# --- the checked-in files --------------------------------------------------------------------

def test_checked_in_dictionary_is_current(dictionary: str) -> None:
    path = schema_dir() / DICTIONARY_FILE
    assert path.is_file(), f"{path} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == dictionary, f"{path} is {REGENERATE}"


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_checked_in_template_is_current(table: str) -> None:
    path = schema_dir() / TEMPLATES_DIR / f"{table}.csv"
    assert path.is_file(), f"{path} is missing: {REGENERATE}"
    assert path.read_bytes() == render_template(SCHEMAS[table]).encode("utf-8"), f"{path} is {REGENERATE}"


def test_no_stale_templates() -> None:
    on_disk = {p.stem for p in (schema_dir() / TEMPLATES_DIR).glob("*.csv")}
    extra = on_disk - set(SCHEMAS)
    assert not extra, f"templates without a schema (delete them): {sorted(extra)}"
    assert not stale_files(schema_dir() / TEMPLATES_DIR, schema_dir() / DICTIONARY_FILE), REGENERATE


# --- content ---------------------------------------------------------------------------------

def test_output_is_deterministic(dictionary: str) -> None:
    load_schemas.cache_clear()
    try:
        again = render_data_dictionary()
    finally:
        load_schemas.cache_clear()
    assert again == dictionary
    assert render_data_dictionary(SCHEMAS) == dictionary


def test_intro_explains_how_to_supply_data(dictionary: str) -> None:
    intro = dictionary[: dictionary.index("## Tables")]
    for needle in ("<table>.csv", "<table>.xlsx", "<table>.parquet", "UTF-8", "Windows-1252",
                   "2024-03-31", "31/03/2024", "2024-03-31 14:30", "31/03/2024 14:30", "yes/no",
                   "y/n", "1/0", "£", "thousands commas", "semicolons", "ij-eval pseudonymise",
                   "postcodes", "dates of birth", "phone numbers", "emails",
                   "[reoffending] covariates"):
        assert needle in intro, needle


def test_every_type_is_explained(dictionary: str) -> None:
    assert set(TYPE_HELP) == set(COLUMN_TYPES)
    for kind in COLUMN_TYPES:
        assert f"| `{kind}` |" in dictionary


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_every_table_and_column_is_documented(dictionary: str, table: str) -> None:
    schema = SCHEMAS[table]
    section = _section(dictionary, table)
    assert f"## {table}: {schema.title}" in section
    assert f"`{table}.csv`" in section
    assert f"**Required table**: {'yes' if schema.required else 'no'}" in section
    assert " + ".join(f"`{k}`" for k in schema.primary_key) in section
    for col in schema.columns:
        assert f"| `{col.name}` | {col.type} |" in section, col.name
        if col.references:
            assert f"`{col.references}`" in section
        for other, value in col.required_when:
            assert f"when {other} = {value}" in section
    for rule in schema.rules:
        assert f"| `{rule.check}` | {rule.level} | {rule.message} |" in section


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_every_category_value_and_level_is_documented(dictionary: str, table: str) -> None:
    section = _section(dictionary, table)
    for col in SCHEMAS[table].columns:
        row = next(line for line in section.splitlines() if line.startswith(f"| `{col.name}` |"))
        for value in col.values:
            assert f"`{value}`" in row, (col.name, value)
        for i, level in enumerate(col.levels, 1):
            assert f"{i} = `{level}`" in row, (col.name, level)


def test_status_is_required_for_ij_only(dictionary: str) -> None:
    row = next(line for line in _section(dictionary, "referrals").splitlines()
               if line.startswith("| `status` |"))
    assert "| when cohort = ij |" in row


def test_pipes_are_escaped_in_cells() -> None:
    schema = parse_schema({
        "name": "piped", "title": "A | B", "primary_key": ["code"],
        "columns": [{"name": "code", "type": "string", "required": True, "pattern": "^(a|b)$",
                     "description": "either a | b\n  over two lines"}],
        "rules": [{"check": "code or code", "level": "error", "message": "x | y"}],
    })
    text = render_data_dictionary({"piped": schema})
    section = _section(text, "piped")
    rows = [line for line in section.splitlines() if line.startswith("| `code` |")]
    assert len(rows) == 1
    row = rows[0]
    assert "`^(a\\|b)$`" in row and "either a \\| b over two lines" in row
    # every unescaped pipe is a cell border: 7 columns -> 8 borders
    assert row.replace("\\|", "").count("|") == 8
    assert "| `code or code` | error | x \\| y |" in section


# --- templates -------------------------------------------------------------------------------

@pytest.mark.parametrize("table", list(SCHEMAS))
def test_template_reads_back_with_schema_columns_and_no_rows(tmp_path, table: str) -> None:
    schema = SCHEMAS[table]
    text = render_template(schema)
    assert text == ",".join(schema.column_names) + "\n"
    path = tmp_path / f"{table}.csv"
    path.write_text(text, encoding="utf-8", newline="")
    frame = pl.read_csv(path)
    assert frame.columns == list(schema.column_names)
    assert frame.height == 0


def test_write_docs_writes_every_template_and_the_dictionary(tmp_path) -> None:
    templates, dictionary = tmp_path / "out" / "templates", tmp_path / "out" / "DATA_DICTIONARY.md"
    written = write_docs(templates, dictionary)
    assert set(written) == set(expected_files(templates, dictionary))
    assert {p.name for p in templates.iterdir()} == {f"{t}.csv" for t in SCHEMAS}
    assert dictionary.read_text(encoding="utf-8") == render_data_dictionary()
    assert b"\r\n" not in dictionary.read_bytes()
    assert stale_files(templates, dictionary) == []
    (templates / "referrals.csv").write_text("referral_id\n", encoding="utf-8")
    assert stale_files(templates, dictionary) == [templates / "referrals.csv"]


def test_check_mode_passes_on_the_repository(capsys) -> None:
    assert main(["--check"]) == 0, capsys.readouterr().out
