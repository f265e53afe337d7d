"""``ij-eval pseudonymise IN_DIR OUT_DIR``: keyed-hash ids, keep only the allowed columns, leave the rest.

A force analyst runs this on the raw extracts before they leave the force. For every input table
recognised in ``IN_DIR`` (the same discovery as the validator):

- only the columns the table's schema defines, plus the covariates the config declares
  (``[reoffending] covariates``, referrals only), are written: every other column is dropped and
  named, with the reason, in the summary and the log (:mod:`ij_eval.privacy.columns` decides,
  as it does for ``validate``);
- person ids (``person_id``, or a spelling in :data:`~ij_eval.privacy.columns.PERSON_ID_ALIASES`,
  renamed) become ``p_`` + the first 16 hex characters (64 bits) of HMAC-SHA256(key, id), so one
  person gets one pseudonym in every table and every run with the same key, and nobody without
  the key can recompute or reverse it. Referral, response, offence and incident ids (often a
  force's own reference numbers) are hashed with the same key, prefixed ``r_``, ``s_``, ``o_``,
  ``i_`` and domain-separated from person ids, consistently in every table that holds them, so
  ``participant_survey.referral_id`` still finds its referral;
- ``age`` in whole years at the offence date (the referral date where that is blank) is derived
  from a date-of-birth column (any header that means one) when the table has no ``age``;
- text that can be published is scanned: a contact detail or official id in a structured column
  (a site, a funder) or a person id that is a name is refused (exit 1, nothing written); one in
  a free-text comment is replaced by ``[... removed]`` and counted in the log.

Only the tables, the data.police.uk files in ``police_uk/`` (open data) and ``evaluation.toml``
are written; every other file is left behind and listed with the reason. Everything is written
to a temporary folder beside ``OUT_DIR`` and renamed into place at the end, so a failure leaves
nothing half-written. The key is never written anywhere: not to the tables, the log, the summary
or an error message.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ij_eval import __version__
from ij_eval.errors import IJEvalError, InputError, Problem, ValidationFailed
from ij_eval.io.faults import with_path
from ij_eval.io.output_folder import Kind, Protected, staged_folder
from ij_eval.io.parse import Where, clean_text, located, parse_column
from ij_eval.io.tables import ROW, RawTable, find_table_files, read_options, read_raw
from ij_eval.privacy import columns as allow
from ij_eval.privacy.columns import IdentifierKind, IdKind, TextRole
from ij_eval.privacy.keys import MIN_KEY_BITS, MIN_KEY_LENGTH, key_strength
from ij_eval.schema import Column, TableSchema, load_schemas
from ij_eval.validation import POLICE_UK_DIR  # data.police.uk open data: no person data, copied through

KEY_ENV = "IJ_EVAL_PSEUDONYMISATION_KEY"
PSEUDONYM_HEX = 16  # 64 bits
LOG_FILE = "pseudonymisation_log.json"
CONFIG_FILE = "evaluation.toml"

#: Reference dates for a derived age, in order of preference per row.
AGE_AT: tuple[str, ...] = ("offence_date", "referral_date")
#: Tables in which an ``age`` column is derived from a date of birth.
AGE_TABLES: tuple[str, ...] = ("referrals", "offences")
#: The header of a data.police.uk street-level file: a file in ``police_uk/`` is copied only if
#: its columns are among these (it is then the published open data, not a force's own extract).
POLICE_UK_COLUMNS: frozenset[str] = frozenset({
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
    "LSOA name", "Crime type", "Last outcome category", "Context"})
_POLICE_UK_NEEDED = frozenset({"Month", "LSOA code", "Crime type"})

_KEY_HELP = (
    f"supply a secret, random key in the {KEY_ENV} environment variable or with --key-file FILE; "
    "make one with: python -c \"import secrets; print(secrets.token_hex(32))\" "
    "and keep it (the same key gives the same pseudonyms, so every extract of one evaluation needs it)"
)


@dataclass(frozen=True)
class DroppedColumn:
    """A column left out, and why. ``column`` and ``header`` are masked if they look like data."""

    column: str  # normalised name
    header: str  # as written in the file
    reason: str


@dataclass(frozen=True)
class TableResult:
    """What was done to one table. Holds column names and counts only, never a value."""

    name: str
    source: str  # input file name
    output: str  # output file name
    rows: int
    dropped: tuple[DroppedColumn, ...]
    pseudonymised: tuple[str, ...]
    derived: tuple[str, ...]
    notes: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()

    @property
    def dropped_columns(self) -> tuple[str, ...]:
        return tuple(d.column for d in self.dropped)


@dataclass(frozen=True)
class PseudonymisationResult:
    in_dir: Path
    out_dir: Path
    key_source: str  # where the key came from (never the key)
    key_fingerprint: str  # HMAC of a fixed text: tells two runs used the same key, reveals nothing of it
    tables: tuple[TableResult, ...]
    copied: tuple[str, ...] = ()
    not_copied: tuple[tuple[str, str], ...] = ()  # (file name, reason)
    kept_rule: str = "the schemas' columns"  # what was kept, naming the config the covariates came from

    @property
    def method(self) -> str:
        return (f"HMAC-SHA256, key from {self.key_source}, truncated to 64 bits "
                f"({PSEUDONYM_HEX} hex characters) and prefixed 'p_' (person), 'r_' (referral), "
                "'s_' (survey response), 'o_' (offence) or 'i_' (incident)")

    @property
    def log_path(self) -> Path:
        return self.out_dir / LOG_FILE

    def describe(self) -> str:
        lines = [f"Pseudonymised {len(self.tables)} table{'s' if len(self.tables) != 1 else ''} "
                 f"from {self.in_dir} into {self.out_dir}",
                 f"  method: {self.method}; key fingerprint {self.key_fingerprint}",
                 f"  kept: {self.kept_rule}; every other column is dropped"]
        for t in self.tables:
            parts = [f"{t.rows:,} row{'s' if t.rows != 1 else ''}"]
            if t.pseudonymised:
                parts.append("pseudonymised " + ", ".join(t.pseudonymised))
            if t.derived:
                parts.append("derived " + ", ".join(t.derived))
            if t.covariates:
                parts.append("kept covariates " + ", ".join(t.covariates))
            lines.append(f"  {t.source} -> {t.output}: " + "; ".join(parts))
            lines += [f"    dropped {d.header!r}: {d.reason}" for d in t.dropped]
            lines += [f"    note: {n}" for n in t.notes]
        if self.copied:
            lines.append("  copied unchanged: " + ", ".join(self.copied))
        for name, reason in self.not_copied:
            lines.append(f"  NOT copied: {name} ({reason})")
        lines.append(f"  log: {self.log_path}")
        return "\n".join(lines)

    def to_log(self) -> dict:
        return {
            "tool": f"ij-eval {__version__} pseudonymise",
            "method": self.method,
            "key_source": self.key_source,
            "key_fingerprint": self.key_fingerprint,
            "identifier_normalisation": "trimmed, upper case, a trailing '.0' removed from whole numbers",
            "columns_kept": self.kept_rule,
            "tables": {
                t.name: {
                    "source_file": t.source, "output_file": t.output, "rows": t.rows,
                    "pseudonymised_columns": list(t.pseudonymised), "dropped_columns": list(t.dropped_columns),
                    "dropped": [{"column": d.column, "header": d.header, "reason": d.reason} for d in t.dropped],
                    "covariates": list(t.covariates), "derived_columns": list(t.derived), "notes": list(t.notes),
                }
                for t in self.tables
            },
            "copied": list(self.copied),
            "not_copied": [{"file": n, "reason": r} for n, r in self.not_copied],
        }


# --- the key -------------------------------------------------------------------------------------

def load_key(key_file: str | Path | None = None) -> tuple[bytes, str]:
    """The key as bytes and a description of its source (never the key itself).

    A key shorter than 16 characters or weaker than :data:`~ij_eval.privacy.keys.MIN_KEY_BITS`
    bits (:func:`~ij_eval.privacy.keys.key_strength`) is refused, saying why.
    """
    if key_file is not None:
        path = Path(key_file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise IJEvalError(f"key file not found: {path}; {_KEY_HELP}") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise IJEvalError(f"cannot read key file {path}: {reason}; {_KEY_HELP}") from None
        key, source = text.strip(), "key file"
    else:
        key, source = os.environ.get(KEY_ENV, "").strip(), f"environment variable {KEY_ENV}"
    if not key:
        where = f"the key file {key_file} is empty" if key_file is not None else f"{KEY_ENV} is not set"
        raise IJEvalError(f"no pseudonymisation key: {where}; {_KEY_HELP}")
    strength = key_strength(key)
    if not strength.ok:
        raise IJEvalError(f"the pseudonymisation key from the {source} is refused: {strength.explain()}; "
                          f"{_KEY_HELP} (at least {MIN_KEY_LENGTH} characters and {MIN_KEY_BITS} bits)")
    return key.encode("utf-8"), source


def key_fingerprint(key: bytes) -> str:
    """A short check value: equal for equal keys, useless for recovering the key."""
    return hmac.new(key, b"ij-eval pseudonymisation key fingerprint", hashlib.sha256).hexdigest()[:8]


class Pseudonymiser:
    """Maps normalised ids to a prefix + 64-bit HMAC-SHA256, checking for collisions.

    Person ids are hashed as they are (so pseudonyms from earlier runs with the same key still
    match); every other kind of id is hashed after its kind's name, so a referral id equal to a
    person id gives an unrelated pseudonym.
    """

    def __init__(self, key: bytes):
        self._base = hmac.new(key, digestmod=hashlib.sha256)
        self._seen: dict[str, str] = {}  # pseudonym -> normalised identifier, for the collision check

    def pseudonym(self, identifier: str, kind: IdKind = IdKind.PERSON) -> str:
        h = self._base.copy()
        if kind is not IdKind.PERSON:
            h.update(kind.name.lower().encode("ascii") + b"\x1f")
        h.update(identifier.encode("utf-8"))
        return f"{kind.value}_" + h.hexdigest()[:PSEUDONYM_HEX]

    @staticmethod
    def normalise(s: pl.Series) -> pl.Series:
        """Trimmed, upper case, ``123.0`` -> ``123`` (spreadsheets); blank -> null."""
        text = s.cast(pl.String).str.strip_chars().str.to_uppercase().str.replace(r"^(\d+)\.0+$", "${1}")
        return text.replace("", None)

    def column(self, s: pl.Series, kind: IdKind = IdKind.PERSON) -> pl.Series:
        ids = self.normalise(s)
        unique = ids.drop_nulls().unique().to_list()
        pseudonyms = []
        for identifier in unique:
            p = self.pseudonym(identifier, kind)
            if self._seen.setdefault(p, identifier) != identifier:
                raise IJEvalError("two different identifiers gave the same 64-bit pseudonym "
                                  "(extremely unlikely); run again with a different key")
            pseudonyms.append(p)
        return ids.replace_strict(unique, pseudonyms, default=None, return_dtype=pl.String).alias(s.name)


# --- age from date of birth ----------------------------------------------------------------------

def _header(raw: RawTable, column: str) -> str:
    """The column's header as written in the file (for messages)."""
    return next((h for h, n in raw.renamed if n == column), column)


def _dates(raw: RawTable, column: str, date_order: str, *, hide_values: bool) -> pl.Series:
    typed, problems = parse_column(raw.frame, Column(column, "date"), Where(raw.name, raw.file),
                                   date_order=date_order)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        p = errors[0]
        more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in this column)" \
            if len(errors) > 1 else ""
        raise InputError(Problem(
            "error", p.table, p.file, allow.shown_header(_header(raw, column)),
            f"{p.rule} - needed to derive age before the date of birth is dropped{more}",
            p.n_rows, p.rows, () if hide_values else p.values, p.hint,
        ))
    return typed


def age_in_years(dob: pl.Series, at: pl.Series) -> pl.Series:
    """Completed years from ``dob`` to ``at`` (a 29 February birthday falls on 1 March in other years)."""
    def month_day(c: str) -> pl.Expr:
        return pl.col(c).dt.month().cast(pl.Int32) * 100 + pl.col(c).dt.day().cast(pl.Int32)

    years = pl.col("at").dt.year().cast(pl.Int32) - pl.col("dob").dt.year().cast(pl.Int32)
    before_birthday = (month_day("at") < month_day("dob")).cast(pl.Int32)
    return pl.DataFrame({"dob": dob, "at": at}).select((years - before_birthday).alias("age"))["age"]


def _derive_age(raw: RawTable, dob_col: str, date_order: str) -> tuple[pl.Series | None, list[str]]:
    """``age`` derived from ``dob_col``, or None when it cannot or need not be; plus notes."""
    notes: list[str] = []
    shown = allow.shown_header(_header(raw, dob_col))
    refs = [c for c in AGE_AT if c in raw.columns]
    if not refs:
        return None, [f"age not derived from {shown!r}: no {' or '.join(AGE_AT)} column to measure it at"]
    dob = _dates(raw, dob_col, date_order, hide_values=True)
    at = pl.Series("at", [None] * raw.frame.height, dtype=pl.Date)
    for c in refs:
        at = at.fill_null(_dates(raw, c, date_order, hide_values=False))
    age = age_in_years(dob, at)
    where = Where(raw.name, raw.file)
    p = located(raw.frame, age < 0, None, where, shown,
                f"date of birth is after the {' / '.join(refs)}",
                hint="correct the date of birth (or the offence date) in these rows")
    if p:
        raise InputError(p)
    if "age" in raw.columns:
        given = raw.frame["age"].cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "").cast(
            pl.Int64, strict=False)
        p = located(raw.frame, (given - age).abs() > 1, None, where, "age", "")
        if p:
            rows = ", ".join(str(r) for r in p.rows)
            notes.append(f"age kept as supplied, but it differs from the date of birth ({shown!r}) by more than "
                         f"a year in {p.n_rows} row{'s' if p.n_rows != 1 else ''} (first at row {rows})")
        return None, notes
    at_words = refs[0] + (f" ({refs[1]} where that is blank)" if len(refs) > 1 else "")
    notes.append(f"age derived from {shown!r} at the {at_words}")
    n_blank = int(age.null_count())
    if n_blank:
        notes.append(f"age left blank in {n_blank} row{'s' if n_blank != 1 else ''} without a date of birth "
                     f"or an {' / '.join(refs)}")
    return age.cast(pl.String).alias("age"), notes


# --- one table -----------------------------------------------------------------------------------

def _rows(raw: RawTable, mask: pl.Series) -> str:
    n = int(mask.sum())
    first = ", ".join(str(r) for r in raw.frame[ROW].filter(mask).head(5))
    return f"{n} row{'s' if n != 1 else ''} (first at row {first})"


def _other_sheets(path: Path) -> int:
    """How many worksheets of an XLSX file are not read (0 for other formats)."""
    if path.suffix.lower() != ".xlsx":
        return 0
    import fastexcel

    return max(len(fastexcel.read_excel(str(path)).sheet_names) - 1, 0)  # read once already: it opens


def _person_alias(raw: RawTable, schema: TableSchema) -> str | None:
    """The column to use as ``person_id`` when the table spells it another way."""
    if "person_id" not in schema.column_names or "person_id" in raw.columns:
        return None
    return next((c for c in raw.columns if c in allow.PERSON_ID_ALIASES), None)


def _text_covariates(frame: pl.DataFrame, covariates: tuple[str, ...]) -> tuple[str, ...]:
    """The covariates that are text (as the validator types them: numeric only if every value is)."""
    out = []
    for c in covariates:
        text = clean_text(frame[c])
        number = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
        if number.null_count() != text.null_count():
            out.append(c)
    return tuple(out)


def _scan(raw: RawTable, frame: pl.DataFrame, schema: TableSchema, covariates: tuple[str, ...],
          problems: list[Problem], notes: list[str]) -> pl.DataFrame:
    """Refuse identifiers in structured text and names as person ids; remove them from comments."""
    where = Where(raw.name, raw.file)
    roles = allow.text_columns(schema, _text_covariates(frame, covariates))
    for f in allow.scan_values(frame, {c: r for c, r in roles.items() if r is not TextRole.FREE_TEXT}):
        hashed = f.column in allow.PSEUDONYMISED and f.kind != allow.LOOKS_LIKE_A_NAME
        if hashed:
            notes.append(f"{f.column} values look like {f.kind} in {_rows(raw, f.mask)}; they were replaced "
                         "by pseudonyms like every other id, and nothing of them is kept")
            continue
        p = allow.value_problem(f, raw.frame, where, stage="pseudonymise")
        if p:
            problems.append(p)
    for column, role in roles.items():
        if role is not TextRole.FREE_TEXT or column not in frame.columns:
            continue
        redacted, mask, kinds = allow.redact_column(frame[column])
        if kinds:
            frame = frame.with_columns(redacted.alias(column))
            notes.append(f"{column}: removed {', '.join(str(k) for k in kinds)} from {_rows(raw, mask)} "
                         "(replaced by '[... removed]')")
    return frame


def _merged_ids(raw: RawTable, frame: pl.DataFrame, schema: TableSchema, problems: list[Problem]) -> None:
    """Distinct unique ids that become one after normalisation (``R1`` and ``r1``) are refused."""
    for column in allow.PSEUDONYMISED:
        if column not in frame.columns or column not in schema.column_names or not schema.column(column).unique:
            continue
        norm = Pseudonymiser.normalise(frame[column])
        clean = clean_text(frame[column])
        mask = norm.is_not_null() & norm.is_duplicated() & ~clean.is_duplicated()
        p = located(raw.frame, mask, None, Where(raw.name, raw.file), column,
                    "different ids become the same once trimmed and in upper case (ids are compared that way, "
                    "so that one id written two ways matches across tables)",
                    hint="make these ids distinct in the source data")
        if p:
            problems.append(p)


def _pseudonymise_table(raw: RawTable, schema: TableSchema, hasher: Pseudonymiser, date_order: str,
                        covariates: tuple[str, ...],
                        problems: list[Problem]) -> tuple[pl.DataFrame, TableResult]:
    frame = raw.frame
    notes: list[str] = []
    headers = {n: h for h, n in raw.renamed}
    alias = _person_alias(raw, schema)
    if alias is not None:
        frame = frame.rename({alias: "person_id"})
        headers["person_id"] = headers.get(alias, alias)
        notes.append(f"{alias} used as person_id")
        renamed = tuple((h, n) for h, n in raw.renamed if n != alias) + ((headers["person_id"], "person_id"),)
        raw = RawTable(raw.name, raw.path, frame, raw.encoding, renamed)
    columns = [c for c in frame.columns if c != ROW]
    plan = allow.plan_columns(columns, schema, covariates, headers)
    for c in plan.absent_covariates:
        notes.append(f"covariate {c!r} is declared in the config but is not a column of this table")
    dobs = [d.column for d in plan.identifiers if d.kind is IdentifierKind.DATE_OF_BIRTH]
    out_columns = list(plan.kept)
    derived: tuple[str, ...] = ()
    if dobs and raw.name in AGE_TABLES:
        if len(dobs) > 1:
            others = ", ".join(repr(allow.shown_header(headers.get(c, c))) for c in dobs[1:])
            notes.append(f"more than one date-of-birth column: age uses the first, the others ({others}) are dropped")
        age, age_notes = _derive_age(raw, dobs[0], date_order)
        notes += age_notes
        if age is not None:
            frame = frame.with_columns(age)
            derived = ("age",)
            position = sum(1 for c in columns[:columns.index(dobs[0])] if c in plan.kept)
            out_columns.insert(position, "age")
    elif dobs:
        notes.append("date of birth dropped; age is derived only in " + " and ".join(AGE_TABLES))
    others = _other_sheets(raw.path)
    if others:
        notes.append(f"the workbook has {others} other worksheet{'s' if others != 1 else ''}: only the first was "
                     "read and written, the others are left behind")
    frame = _scan(raw, frame, schema, plan.covariates, problems, notes)
    _merged_ids(raw, frame, schema, problems)
    hashed = tuple(c for c in out_columns if c in allow.PSEUDONYMISED)
    frame = frame.with_columns([hasher.column(frame[c], allow.PSEUDONYMISED[c]) for c in hashed])
    dropped = tuple(DroppedColumn(d.label, d.shown, d.reason) for d in plan.dropped)
    result = TableResult(raw.name, raw.file, f"{raw.name}.csv", frame.height, dropped, hashed, derived,
                         tuple(notes), plan.covariates)
    return frame.select(out_columns), result


# --- other files ---------------------------------------------------------------------------------

def _police_uk_header(path: Path) -> set[str] | None:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            return set(next(csv.reader(fh), []))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _copy_police_uk(folder: Path, target: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Copy the data.police.uk street-level files under ``folder``; list everything else."""
    copied: list[str] = []
    left: list[tuple[str, str]] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder.parent)
        if path.is_dir():
            continue
        header = _police_uk_header(path) if path.name.lower().endswith("-street.csv") and not path.is_symlink() \
            else None
        if any(part.startswith(".") for part in rel.parts):
            left.append((str(rel), "a hidden file"))
        elif header is None:
            left.append((str(rel), "not a data.police.uk street-level CSV ('*-street.csv'); check it and copy it "
                                   "by hand if it is open data"))
        elif not (_POLICE_UK_NEEDED <= header <= POLICE_UK_COLUMNS):
            left.append((str(rel), "its header is not that of a data.police.uk street-level file, so it may "
                                   "hold a force's own records; check it"))
        else:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / rel)
            copied.append(str(rel))
    return copied, left


# --- the folder ----------------------------------------------------------------------------------

def _check_folders(in_dir: Path, out_dir: Path) -> None:
    if not in_dir.is_dir():
        raise IJEvalError(f"input folder not found: {in_dir}")
    if out_dir == in_dir or out_dir.is_relative_to(in_dir):
        raise IJEvalError(f"the output folder {out_dir} must be outside the input folder {in_dir} "
                          "(the input is never changed)")
    if in_dir.is_relative_to(out_dir):
        raise IJEvalError(f"the output folder {out_dir} contains the input folder {in_dir}; it must be outside "
                          "the input folder (the input is never changed)")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise IJEvalError(f"the output {out_dir} exists and is not a folder; choose a new folder")
        if any(out_dir.iterdir()):
            raise IJEvalError(f"the output folder {out_dir} is not empty; choose a new or empty folder "
                              "(nothing is ever overwritten)")


def _holds_key(path: Path, key: bytes) -> bool:
    return key in path.read_bytes()


def pseudonymise_folder(in_dir: str | Path, out_dir: str | Path, *, key_file: str | Path | None = None,
                        date_order: str | None = None, config: str | Path | None = None) -> PseudonymisationResult:
    """Pseudonymise every input table in ``in_dir`` into the new folder ``out_dir``.

    ``config`` is the evaluation config whose ``[reoffending] covariates`` are kept (default:
    ``in_dir/evaluation.toml`` when there is one; without a config only the schemas' columns are
    kept). ``date_order`` ("auto" or "day-first") is how slash dates are read; by default the
    config's ``[data] date_order``, as the validator would.
    """
    from ij_eval.config import EvaluationConfig, load_config

    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    _check_folders(in_dir, out_dir)
    key, key_source = load_key(key_file)
    config_path = Path(config) if config is not None else in_dir / CONFIG_FILE
    if config is not None or config_path.is_file():
        settings = load_config(config_path)
        kept_rule = f"the schemas' columns and the covariates declared in {config_path} ([reoffending] covariates)"
    else:
        settings = EvaluationConfig()
        kept_rule = (f"the schemas' columns only (no {CONFIG_FILE} in the input folder and no --config, so no "
                     "covariates are declared)")
    date_order = date_order or settings.data.date_order
    covariates = tuple(settings.reoffending.covariates)
    data = settings.data  # also the workbooks' sheets and header rows
    schemas = load_schemas()
    found, found_problems, others = find_table_files(in_dir, list(schemas))
    if found_problems:
        raise InputError(found_problems[0])
    if not found:
        raise IJEvalError(f"no input tables found in {in_dir} (expected files such as referrals.csv, "
                          "offences.xlsx; see data_schemas/)")
    key_path = Path(key_file).resolve() if key_file is not None else None

    protected = [Protected("the input folder", in_dir)] + ([Protected("the key file", key_path)] if key_path else [])
    # staged beside out_dir and renamed into place when complete; disk full, read-only or permission
    # problems become an EnvironmentProblem naming the path, and nothing is left behind
    with staged_folder(out_dir, Kind.PSEUDONYMISED, protected=protected, flag="OUT_DIR", replace=False,
                       keep_marker=False, mode=None) as staged:
        tmp = staged.path
        hasher = Pseudonymiser(key)
        results = []
        problems: list[Problem] = []
        for name, schema in schemas.items():
            if name not in found:
                continue
            raw = read_raw(found[name], name, read_options(data, schema))
            frame, result = _pseudonymise_table(raw, schema, hasher, date_order, covariates, problems)
            try:
                frame.write_csv(tmp / result.output)
            except OSError as exc:  # polars gives neither the errno nor the path as attributes
                raise with_path(exc, tmp / result.output) from None
            results.append(result)
        if problems:
            raise ValidationFailed(problems)
        copied: list[str] = []
        not_copied: list[tuple[str, str]] = []
        hidden = [p for p in sorted(in_dir.iterdir()) if p.name.startswith(".")]
        for path in others + hidden:
            shown = path.name + ("/" if path.is_dir() else "")
            if path.name.startswith("."):
                not_copied.append((shown, "a hidden file or folder"))
            elif path.is_dir() and path.name == POLICE_UK_DIR and not path.is_symlink():
                files, left = _copy_police_uk(path, tmp)
                copied += files
                not_copied += left
            elif path.is_dir():
                not_copied.append((shown, f"a folder other than {POLICE_UK_DIR}/; check it and copy it by hand"))
            elif key_path is not None and path.resolve() == key_path:
                not_copied.append((shown, "the key file"))
            elif path.name == LOG_FILE:
                not_copied.append((shown, "an earlier pseudonymisation log"))
            elif path.name == CONFIG_FILE and path.is_file():
                if _holds_key(path, key):
                    not_copied.append((shown, "it contains the pseudonymisation key"))
                else:
                    shutil.copy2(path, tmp / path.name)
                    copied.append(shown)
            else:
                not_copied.append((shown, "not an input table, the config or data.police.uk data, so it may hold "
                                          "personal data (notes, other extracts); check it and copy it by hand "
                                          "if it is needed"))
        result = PseudonymisationResult(in_dir, out_dir, key_source, key_fingerprint(key), tuple(results),
                                        tuple(copied), tuple(not_copied), kept_rule)
        (tmp / LOG_FILE).write_text(json.dumps(result.to_log(), indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    return result
