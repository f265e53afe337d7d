"""The data dictionary and blank CSV templates, generated from the input-table schemas.

``python -m ij_eval.dictionary`` rewrites ``data_schemas/DATA_DICTIONARY.md`` and
``data_schemas/templates/<table>.csv`` from ``data_schemas/*.yaml``; ``--check`` only reports
whether the checked-in files are up to date. ``ij-eval templates OUT_DIR`` writes the same files
to any folder. The output depends on the schemas alone (no dates, no paths), so it is stable.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping
from pathlib import Path

from ij_eval.schema import COLUMN_TYPES, Column, TableSchema, load_schemas, schema_dir

DICTIONARY_FILE = "DATA_DICTIONARY.md"
TEMPLATES_DIR = "templates"
REGENERATE = "python -m ij_eval.dictionary"

#: What to write for each column type: (how to write it, example), both as Markdown.
TYPE_HELP: dict[str, tuple[str, str]] = {
    "string": ("Any text. Leading and trailing spaces are trimmed.", "`R000123`"),
    "category": ("One of the values listed for the column. Case, spaces and dashes are forgiven: "
                 "`Community Resolution` reads as `community_resolution`.", "`community_resolution`"),
    "integer": ("A whole number; thousands commas are allowed.", "`1,250`"),
    "number": ("A number; decimals and thousands commas are allowed.", "`2.5`"),
    "money": ("An amount in pounds; a `£` sign and thousands commas are allowed.", "`£12,500.00`"),
    "boolean": ("true/false, yes/no, y/n, t/f or 1/0 (any case).", "`yes`"),
    "date": ("ISO `2024-03-31` or UK day-first `31/03/2024`.", "`2024-03-31`"),
    "datetime": ("`2024-03-31 14:30` or `31/03/2024 14:30` (seconds optional; a date alone means "
                 "midnight).", "`2024-03-31 14:30`"),
    "month": ("A month as `2024-03`; any date in the month is also accepted.", "`2024-03`"),
    "list": ("Several items in one cell, separated by semicolons.", "`E01019400;E01019401`"),
    "ordinal": ("A survey answer: one of the labels listed for the column, or its number 1..k in "
                "that order.", "`agree` or `4`"),
}


def _cell(text: object) -> str:
    """Text for one Markdown table cell: on one line, with pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    """An inline code span (widened if the text itself holds backticks)."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), "|" + "|".join("---" for _ in header) + "|", *(_row(r) for r in rows)]


def _number(x: float) -> str:
    return f"{x:g}"


def _required(col: Column) -> str:
    if col.required:
        return "yes"
    if col.required_when:
        return "when " + " or ".join(f"{other} = {value}" for other, value in col.required_when)
    return "no"


def _allowed(col: Column) -> str:
    """Allowed values, levels, range, format and uniqueness of a column, as one cell."""
    parts: list[str] = []
    if col.values:
        parts.append("one of: " + ", ".join(_code(v) for v in col.values))
    if col.levels:
        parts.append(", ".join(f"{i} = {_code(label)}" for i, label in enumerate(col.levels, 1)))
    if col.min is not None and col.max is not None:
        parts.append(f"{_number(col.min)} to {_number(col.max)}")
    elif col.min is not None:
        parts.append(f"at least {_number(col.min)}")
    elif col.max is not None:
        parts.append(f"at most {_number(col.max)}")
    if col.warn_min is not None:
        parts.append(f"warning below {_number(col.warn_min)}")
    if col.warn_max is not None:
        parts.append(f"warning above {_number(col.warn_max)}")
    if col.pattern:
        parts.append(("each item matches " if col.type == "list" else "matches ") + _code(col.pattern))
    if col.unique:
        parts.append("unique")
    return "; ".join(parts)


def _file_names(name: str) -> str:
    return f"{_code(name + '.csv')} (or {_code(name + '.xlsx')} / {_code(name + '.parquet')})"


def _key(schema: TableSchema) -> str:
    if not schema.primary_key:
        return "none"
    key = " + ".join(_code(k) for k in schema.primary_key)
    return key + (" (one row per combination)" if len(schema.primary_key) > 1 else " (one row per value)")


def _extra_columns(schema: TableSchema) -> str:
    if schema.extra_columns == "covariates":
        return ("may be used as model covariates by naming them in the config "
                "(`[reoffending] covariates = [...]`); any other extra column is ignored and listed "
                "in the validation report.")
    return "ignored and listed in the validation report."


_INTRO = """\
# Data dictionary: Immediate Justice evaluation input tables

<!-- Generated from data_schemas/*.yaml by `{regenerate}`. Do not edit by hand. -->

This dictionary describes the tables `ij-eval` reads to evaluate an Immediate Justice (IJ) scheme
for anti-social behaviour (ASB). It is generated from the schemas in `data_schemas/*.yaml`, which
are also what `ij-eval validate` checks the data against, so the two cannot disagree. A blank
template for each table (the header row only) is in `templates/<table>.csv`.

## How to supply the data

- **One folder, one file per table**, named after the table: `<table>.csv`, `<table>.xlsx` or
  `<table>.parquet` (for example `referrals.csv`). Supply each table once, in one format. Only
  the tables marked *required* must be present; the others enable further parts of the
  evaluation. An Excel workbook is read from the sheet named like the table, else its first
  sheet (`[data] sheets = {{ referrals = "Extract" }}` names another), with the header on row 1
  (blank rows above the table are skipped; `[data] header_row = {{ referrals = 3 }}` names another
  row, and row numbers in problems are then worksheet rows). Formulas are read as the results
  Excel saved with them; a formula with no saved result, or a cell showing an error such as
  `#DIV/0!`, is refused.
- **Column names** are matched ignoring case, surrounding spaces, and spaces or dashes versus
  underscores (`Referral ID` reads as `referral_id`). Columns may be in any order. Optional
  columns may be left out; required columns must be present and filled in. A name holding a
  character that cannot be seen (a zero-width or non-breaking space, a soft hyphen, a direction
  mark), a name used twice, and data under a blank name are refused.
- **Blank cells** mean unknown or not applicable. Spaces around values are trimmed.
- **CSV files** are separated by commas. **Encoding**: UTF-8 (with or without a byte-order mark,
  as Excel's "CSV UTF-8" writes it) or Windows-1252 (Excel's plain "CSV"); the encoding is
  detected. A file mixing the two, UTF-16 (Excel's "Unicode Text"), NUL bytes, old Mac line
  endings (a bare carriage return), quotes that never close and a cell over 1,048,576 characters
  are refused with the row.
- **Dates**: ISO `2024-03-31` or UK day-first `31/03/2024`. **Date-times**: `2024-03-31 14:30`
  or `31/03/2024 14:30`. US month-first dates, two-digit years and Excel serial day numbers
  (`45383`) are refused. A column of slash dates in which no day is above 12 could be read either
  way and is refused unless the config says `[data] date_order = "day-first"`.
- **Booleans**: true/false, yes/no, y/n or 1/0.
- **Survey answers (ordinal items)**: the label (for example `agree`) or its number 1..k in the
  listed order (for example `4`).
- **Money** may carry a `£` sign and thousands commas (`£12,500.00`). **Numbers** are plain
  decimals (`7.5`, `1,250`, `1e3`); a number a computer cannot hold exactly (beyond
  9,007,199,254,740,992, or £90,071,992,547,409.92 for money, or so small it would be read as 0)
  is refused, never rounded or read as infinity.
- **Lists** (for example the LSOA codes of an area) are written in one cell, separated by
  semicolons: `E01019400;E01019401`.
- **Personal data**: person identifiers (`person_id`) and the reference numbers `referral_id`,
  `response_id`, `offence_id` and `incident_id` must be pseudonymised with
  `ij-eval pseudonymise IN_DIR OUT_DIR` (a keyed hash) before the data are used. Names,
  addresses, postcodes, dates of birth, phone numbers and emails must not be supplied, nor other
  direct identifiers such as PNC, NHS or National Insurance numbers; a table holding such a column
  is refused, and so is a text value that holds an email address, a phone number, a postcode, a
  National Insurance, PNC or CRO number or a date of birth. Free-text comments must not name anyone.
- **Only these columns**: a table may hold only the columns listed here. Extra columns on
  `referrals` can be used as model covariates by declaring them in the config, for example
  `[reoffending] covariates = ["age", "sex", "prior_offences", "school_exclusions"]` (a covariate
  is numeric if every value is a number, otherwise a category). Any other column, on any table,
  is refused; `ij-eval pseudonymise` drops it.

## Column types

"""


def render_data_dictionary(schemas: Mapping[str, TableSchema] | None = None) -> str:
    """The Markdown data dictionary for ``schemas`` (default: every input-table schema)."""
    if schemas is None:
        schemas = load_schemas()
    lines = _INTRO.format(regenerate=REGENERATE).splitlines()
    lines += _table(["Type", "What to write", "Example"],
                    [[_code(t), TYPE_HELP[t][0], TYPE_HELP[t][1]] for t in COLUMN_TYPES])
    lines += ["", "## Tables", ""]
    lines += _table(
        ["Table", "Title", "File", "Required", "Key"],
        [[f"[{_code(s.name)}](#{s.name})", s.title, _code(s.name + ".csv"),
          "yes" if s.required else "no", " + ".join(_code(k) for k in s.primary_key)]
         for s in schemas.values()],
    )
    for schema in schemas.values():
        lines += ["", f'<a id="{schema.name}"></a>', "", f"## {schema.name}: {schema.title}", ""]
        if schema.description:
            lines += [" ".join(schema.description.split()), ""]
        lines += [
            f"- **File**: {_file_names(schema.name)}",
            f"- **Template**: [{_code(f'{TEMPLATES_DIR}/{schema.name}.csv')}]"
            f"({TEMPLATES_DIR}/{schema.name}.csv)",
            f"- **Required table**: {'yes' if schema.required else 'no'}",
            f"- **Key**: {_key(schema)}",
            f"- **Extra columns**: {_extra_columns(schema)}",
            "",
            "### Columns",
            "",
        ]
        lines += _table(
            ["Column", "Type", "Required", "Allowed values / range / format", "References",
             "Description", "Example"],
            [[_code(c.name), c.type, _required(c), _allowed(c),
              _code(c.references) if c.references else "", c.description,
              _code(c.example) if c.example else ""]
             for c in schema.columns],
        )
        if schema.rules:
            lines += ["", "### Row rules", "",
                      "A comparison such as `a >= b` is checked on each row where both values are "
                      "present; `a or b` means at least one of the two must be filled in.", ""]
            lines += _table(["Check", "Level", "Message"],
                            [[_code(r.check), r.level, r.message] for r in schema.rules])
    return "\n".join(lines) + "\n"


def render_template(schema: TableSchema) -> str:
    """A blank CSV template: the header row in schema column order, then a newline."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(schema.column_names)
    return buffer.getvalue()


def expected_files(out_dir_for_templates: str | Path, dictionary_path: str | Path,
                   schemas: Mapping[str, TableSchema] | None = None) -> dict[Path, str]:
    """Every generated file and its content: one template per table, then the dictionary."""
    if schemas is None:
        schemas = load_schemas()
    out = Path(out_dir_for_templates)
    files = {out / f"{name}.csv": render_template(schema) for name, schema in schemas.items()}
    files[Path(dictionary_path)] = render_data_dictionary(schemas)
    return files


def write_docs(out_dir_for_templates: str | Path, dictionary_path: str | Path) -> list[Path]:
    """Write ``<table>.csv`` templates into ``out_dir_for_templates`` and the dictionary; return the paths."""
    written = []
    for path, text in expected_files(out_dir_for_templates, dictionary_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps "\n" line endings on every platform, so the files are byte-stable.
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        written.append(path)
    return written


def stale_files(out_dir_for_templates: str | Path, dictionary_path: str | Path) -> list[Path]:
    """Generated files that are missing or differ from what the schemas produce now."""
    stale = []
    for path, text in expected_files(out_dir_for_templates, dictionary_path).items():
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=REGENERATE,
        description=f"Regenerate data_schemas/{DICTIONARY_FILE} and data_schemas/{TEMPLATES_DIR}/*.csv "
                    "from the schemas.",
    )
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated file is missing or out of date")
    args = parser.parse_args(argv)
    root = schema_dir()
    templates, dictionary = root / TEMPLATES_DIR, root / DICTIONARY_FILE
    if args.check:
        stale = stale_files(templates, dictionary)
        for path in stale:
            print(f"out of date: {path}")
        if stale:
            print(f"run `{REGENERATE}` to regenerate")
        return 1 if stale else 0
    for path in write_docs(templates, dictionary):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
