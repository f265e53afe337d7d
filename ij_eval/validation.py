"""Validate a data folder against the schemas and cross-table rules, collecting every problem.

``validate_folder`` never raises for bad data (only :class:`~ij_eval.errors.EnvironmentProblem` for a
data folder that does not exist): it
returns a :class:`ValidationReport` whose ``render()`` is the one report a user sees.
``load_tables`` is the pipeline's entry: the same checks, raising
:class:`~ij_eval.errors.ValidationFailed` when any error is found.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.errors import EnvironmentProblem, InputError, Problem, ValidationFailed
from ij_eval.io.parse import Where, clean_text, located, parse_column, parse_covariate
from ij_eval.io.tables import ROW, RawTable, find_table_files, read_options, read_raw
from ij_eval.privacy import columns as allow
from ij_eval.schema import TableSchema, load_schemas
from ij_eval.validation_records import check_records

POLICE_UK_DIR = "police_uk"
_EARLIEST_PLAUSIBLE = dt.date(1990, 1, 1)
_POLARS_TYPE = {
    "string": pl.String, "category": pl.String, "integer": pl.Int64, "number": pl.Float64,
    "money": pl.Float64, "boolean": pl.Boolean, "date": pl.Date, "datetime": pl.Datetime("us"),
    "month": pl.Date, "list": pl.List(pl.String), "ordinal": pl.Int8,
}


@dataclass(frozen=True)
class Table:
    """A validated input table: typed columns in schema order, then declared covariates, then ``__row``."""

    name: str
    path: Path
    frame: pl.DataFrame
    encoding: str
    covariates: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def n_rows(self) -> int:
        return self.frame.height


@dataclass(frozen=True)
class ValidationReport:
    data_dir: Path
    problems: tuple[Problem, ...]
    tables: Mapping[str, Table] = field(default_factory=lambda: MappingProxyType({}))
    police_uk: object | None = None  # ij_eval.io.police_uk.PoliceUkAsb when a police_uk/ folder is supplied
    seconds: float = 0.0

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self) -> str:
        lines = [f"Validation of {self.data_dir}"]
        for t in self.tables.values():
            lines.append(f"  {t.file}: {t.n_rows:,} rows ({t.name}; {t.encoding})")
        if self.police_uk is not None:
            p = self.police_uk
            lines.append(f"  {POLICE_UK_DIR}/: {len(p.files)} data.police.uk files, {p.rows_read:,} rows, "
                         f"{p.rows_asb:,} anti-social behaviour")
        order = {"error": 0, "warning": 1, "info": 2}
        for problem in sorted(self.problems, key=lambda p: order[p.level]):
            lines.append(problem.describe())
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines.append(f"{n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}"
                     + (" - the data can be used" if self.ok else " - fix the errors and validate again"))
        return "\n".join(lines)


def _check_columns(raw: RawTable, schema: TableSchema, config: EvaluationConfig,
                   problems: list[Problem]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Header checks; return (covariates, ignored) or None if the table cannot be read further.

    Only the schema's columns and the declared covariates are accepted
    (:func:`ij_eval.privacy.columns.plan_columns`, the same allowlist ``pseudonymise`` keeps):
    a header that names a direct identifier is refused as one, any other column as undeclared.
    Nothing is ignored, so ``ignored`` is always empty.
    """
    where = Where(schema.name, raw.file)
    columns = raw.columns
    covariates = config.reoffending.covariates
    plan = allow.plan_columns(columns, schema, covariates, {n: h for h, n in raw.renamed})
    if plan.identifiers:
        declared = [d.column for d in plan.identifiers if d.declared]
        kinds = sorted({str(d.kind) for d in plan.identifiers})
        problems.append(Problem(
            "error", schema.name, raw.file, ", ".join(d.label for d in plan.identifiers),
            "direct identifier columns present (names, addresses, postcodes, dates of birth, phone numbers, "
            f"emails and official ids must not be supplied; found {', '.join(kinds)})",
            hint="run `ij-eval pseudonymise IN_DIR OUT_DIR` and use its output folder"
                 + (f", and remove {', '.join(declared)} from [reoffending] covariates" if declared else ""),
        ))
    missing = [c.name for c in schema.columns if c.required and c.name not in columns]
    if missing:
        problems.append(Problem("error", where.table, where.file, ", ".join(missing), "required column missing",
                                hint="add the column (see data_schemas/DATA_DICTIONARY.md)"))
    if plan.absent_covariates:
        problems.append(Problem(
            "error", where.table, where.file, ", ".join(plan.absent_covariates),
            "covariate declared in the config is not a column of this table",
            hint="add the column or remove it from [reoffending] covariates",
        ))
    if plan.undeclared:
        names = [d.label for d in plan.undeclared]
        problems.append(Problem(
            "error", where.table, where.file, ", ".join(names),
            "columns not in the schema" + (" and not declared as covariates"
                                           if schema.extra_columns == "covariates" else ""),
            hint=allow.undeclared_hint(schema, [d.column for d in plan.undeclared
                                                if d.shown == d.header], covariates),
        ))
    if raw.frame.height == 0:
        problems.append(Problem("error", where.table, where.file, "", "file has a header but no data rows",
                                hint="export the table again with its data, or remove the empty file"))
        return None
    if missing:
        return None
    return plan.covariates, ()


def _check_text_values(frame: pl.DataFrame, text: dict[str, pl.Series], schema: TableSchema, where: Where,
                       covariates: tuple[str, ...], problems: list[Problem]) -> None:
    """Contact details and official ids in text that can reach an output; person ids that are names."""
    text_covariates = tuple(c for c in covariates if frame[c].dtype == pl.String)
    roles = allow.text_columns(schema, text_covariates)
    scanned = pl.DataFrame([text[c] if c in text else frame[c] for c in roles]).with_columns(frame[ROW])
    for finding in allow.scan_values(scanned, roles):
        p = allow.value_problem(finding, scanned, where)
        if p:
            problems.append(p)


def _check_values(frame: pl.DataFrame, text: dict[str, pl.Series], schema: TableSchema, where: Where,
                  config: EvaluationConfig, problems: list[Problem]) -> None:
    """Required, range, pattern, uniqueness, date-plausibility and row-rule checks on typed values.

    ``text`` holds each column as written in the file (trimmed; null where blank): a value that
    failed to parse was already reported and is not "missing" too, and problems quote the file.
    """

    def add(p: Problem | None) -> None:
        if p:
            problems.append(p)

    extract = config.data.extract_date
    for col in schema.columns:
        s = frame[col.name]
        if col.required:
            add(located(frame, text[col.name].is_null(), None, where, col.name, "required value missing"))
        for other, value in col.required_when:
            add(located(frame, text[col.name].is_null() & (frame[other] == value), None, where, col.name,
                        f"required where {other} is {value!r}"))
        if col.type in ("integer", "number", "money"):
            for bound, level, op in ((col.min, "error", "lt"), (col.max, "error", "gt"),
                                     (col.warn_min, "warning", "lt"), (col.warn_max, "warning", "gt")):
                if bound is None:
                    continue
                mask = s < bound if op == "lt" else s > bound
                if level == "warning":  # values outside the hard range are errors already
                    mask = mask & s.is_between(col.min if col.min is not None else float("-inf"),
                                               col.max if col.max is not None else float("inf"))
                rule = (f"below the minimum of {bound:g}" if op == "lt" else f"above the maximum of {bound:g}")
                if level == "warning":
                    rule = "implausible value: " + rule.replace("minimum", "usual minimum").replace(
                        "maximum", "usual maximum")
                add(located(frame, mask, text[col.name], where, col.name, rule, level=level))
        if col.pattern:
            if col.type == "list":
                exploded = frame.select(ROW, col.name).explode(col.name).filter(pl.col(col.name).is_not_null())
                bad = ~exploded[col.name].str.contains(col.pattern)
                add(located(exploded, bad, exploded[col.name], where, col.name,
                            f"item does not match the expected format ({col.example or col.pattern})"))
            else:
                add(located(frame, ~s.str.contains(col.pattern), s, where, col.name,
                            f"does not match the expected format (e.g. {col.example or col.pattern})"))
        if col.unique:
            add(located(frame, s.is_not_null() & s.is_duplicated(), s, where, col.name,
                        "duplicate value (must be unique)"))
        if col.type in ("date", "datetime", "month"):
            day = s.dt.date() if col.type == "datetime" else s
            if extract is not None:
                add(located(frame, day > extract, s, where, col.name,
                            f"date after the data extract date ({extract.isoformat()})", level="warning"))
            add(located(frame, day < _EARLIEST_PLAUSIBLE, s, where, col.name,
                        "implausibly early date (before 1990)", level="warning"))
    key = list(schema.primary_key)
    if len(key) > 1 and not any(schema.column(k).unique for k in key):
        dup = frame.select(pl.struct(key).is_duplicated() & pl.all_horizontal(
            [pl.col(k).is_not_null() for k in key])).to_series()
        shown = frame.select(pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator=" / "))
        add(located(frame, dup, shown.to_series(), where, " + ".join(key),
                    "duplicate key (each combination must appear once)"))
    for rule in schema.rules:
        left, op, right = rule.parsed
        a, b = frame[left], frame[right]
        if op == "or":
            mask = a.is_null() & b.is_null()
            shown = None
        else:
            if a.dtype != b.dtype and a.dtype.is_temporal() and b.dtype.is_temporal():
                a = a.dt.date() if a.dtype == pl.Datetime else a
                b = b.dt.date() if b.dtype == pl.Datetime else b
            holds = {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b, "==": a == b, "!=": a != b}[op]
            mask = ~holds
            shown = pl.Series([f"{x} vs {y}" for x, y in zip(a, b, strict=True)]) if mask.fill_null(False).any() \
                else None
        add(located(frame, mask, shown, where, f"{left}, {right}", rule.message, level=rule.level,
                    hint=f"rule: {rule.check}"))


def _typed_table(raw: RawTable, schema: TableSchema, config: EvaluationConfig,
                 problems: list[Problem]) -> Table | None:
    header = _check_columns(raw, schema, config, problems)
    if header is None:
        return None
    covariates, ignored = header
    where = Where(schema.name, raw.file)
    columns: list[pl.Series] = []
    text: dict[str, pl.Series] = {}
    for col in schema.columns:
        if col.name in raw.frame.columns:
            typed, found = parse_column(raw.frame, col, where, date_order=config.data.date_order)
            problems.extend(found)
            text[col.name] = clean_text(raw.frame[col.name])
        else:
            typed = pl.Series(col.name, [None] * raw.frame.height, dtype=_POLARS_TYPE[col.type])
            text[col.name] = pl.Series(col.name, [None] * raw.frame.height, dtype=pl.String)
        columns.append(typed)
    for c in covariates:  # numeric if every value is a number, otherwise text
        typed, found = parse_covariate(raw.frame, c, where)
        problems.extend(found)
        columns.append(typed)
    frame = pl.DataFrame(columns).with_columns(raw.frame[ROW])
    _check_values(frame, text, schema, where, config, problems)
    _check_text_values(frame, text, schema, where, covariates, problems)
    return Table(schema.name, raw.path, frame, raw.encoding, covariates, ignored)


def _check_references(tables: dict[str, Table], schemas: dict[str, TableSchema], rejected: set[str],
                      problems: list[Problem]) -> None:
    """Every referencing value must exist in its target (a rejected target's errors are reported already)."""
    for name, table in tables.items():
        for col in schemas[name].columns:
            if not col.references:
                continue
            target_table, target_column = col.references.split(".")
            where = Where(name, table.file)
            values = table.frame[col.name]
            if values.null_count() == len(values):
                continue
            if target_table in rejected:
                continue
            if target_table not in tables:
                problems.append(Problem(
                    "warning", name, table.file, col.name,
                    f"cannot check against {target_table}.{target_column}: no {target_table} table supplied",
                ))
                continue
            known = tables[target_table].frame[target_column].drop_nulls().unique()
            orphan = values.is_not_null() & ~values.is_in(known.implode())
            p = located(table.frame, orphan, values, where, col.name,
                        f"not found in {target_table}.{target_column}",
                        hint=f"every {col.name} must appear in {tables[target_table].file}")
            if p:
                problems.append(p)


def _check_lsoa_overlap(tables: dict[str, Table], problems: list[Problem]) -> None:
    areas = tables.get("areas")
    if areas is None:
        return
    pairs = areas.frame.select(ROW, "area_id", lsoa=pl.col("lsoa_codes")).explode("lsoa").drop_nulls("lsoa")
    twice = pairs["lsoa"].is_duplicated()
    p = located(pairs, twice, pl.Series([f"{a}: {lsoa}" for a, lsoa in zip(pairs["area_id"], pairs["lsoa"],
                                                                            strict=True)]),
                Where("areas", areas.file), "lsoa_codes", "LSOA code listed in more than one area",
                hint="each LSOA can belong to one analysis area only")
    if p:
        problems.append(p)


def validate_folder(data_dir: str | Path, config: EvaluationConfig) -> ValidationReport:
    """Check every table in ``data_dir``, every cross-table rule and the checks across records about one
    person or one area (:mod:`ij_eval.validation_records`); collect all problems."""
    start = time.perf_counter()
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise EnvironmentProblem(f"data folder not found: {data_dir}")
    schemas = load_schemas()
    found, found_problems, others = find_table_files(data_dir, list(schemas))
    problems += found_problems
    tables: dict[str, Table] = {}
    for name, schema in schemas.items():
        if name not in found:
            if schema.required and not any(p.table == name for p in found_problems):
                problems.append(Problem("error", name, f"{name}.csv", "", "required table not found",
                                        hint=f"put {name}.csv (or .xlsx / .parquet) in {data_dir}"))
            continue
        try:
            raw = read_raw(found[name], name, read_options(config.data, schema))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(raw.notes)
        table = _typed_table(raw, schema, config, problems)
        if table is not None:
            tables[name] = table
    rejected = {p.table for p in problems if p.level == "error"} - set(tables)
    _check_references(tables, schemas, rejected, problems)
    _check_lsoa_overlap(tables, problems)
    police_uk = None
    unrecognised = [p for p in others if p.name != POLICE_UK_DIR and p.suffix.lower() not in (".toml", ".json",
                                                                                             ".txt", ".md")]
    if (data_dir / POLICE_UK_DIR).is_dir():
        from ij_eval.io.police_uk import asb_by_lsoa_month

        try:
            police_uk = asb_by_lsoa_month([data_dir / POLICE_UK_DIR])
        except InputError as exc:
            problems.append(exc.problem)
        if "areas" not in tables:
            problems.append(Problem("error", "areas", "areas.csv", "",
                                    "data.police.uk files need an areas table to place LSOAs in areas"))
    if unrecognised:
        problems.append(Problem("info", "", ", ".join(p.name for p in unrecognised), "",
                                "files not recognised as input tables were ignored"))
    for name in ("asb_counts", "asb_incidents"):
        if name in tables and "areas" not in tables:
            problems.append(Problem("error", "areas", "areas.csv", "", f"{name} needs an areas table"))
    problems += check_records(tables, config, police_uk, f"{POLICE_UK_DIR}/")
    return ValidationReport(data_dir, tuple(problems), MappingProxyType(tables), police_uk,
                            time.perf_counter() - start)


def load_tables(data_dir: str | Path, config: EvaluationConfig) -> ValidationReport:
    """Validate and return the report; raise :class:`ValidationFailed` if there is any error."""
    report = validate_folder(data_dir, config)
    if not report.ok:
        raise ValidationFailed(report.problems)
    return report


__all__ = ["Table", "ValidationReport", "validate_folder", "load_tables"]
