"""``ij-eval pseudonymise IN_DIR OUT_DIR``: keyed-hash person identifiers, drop direct identifiers.

A force analyst runs this on the raw extracts before they leave the force. For every input table
recognised in ``IN_DIR`` (the same discovery as the validator):

- each person identifier column (``person_id`` and the spellings in :data:`PERSON_ID_COLUMNS`) is
  replaced by ``p_`` + the first 16 hex characters (64 bits) of HMAC-SHA256(key, identifier), so
  one person gets one pseudonym in every table and every run with the same key, and nobody
  without the key can recompute or reverse it;
- ``age`` in whole years at the offence date (the referral date where that is blank) is derived
  from a date-of-birth column when the table has no ``age`` already;
- every direct-identifier column (:func:`ij_eval.identifiers.direct_identifier_columns`) is
  dropped, except a column the table's own schema defines (``areas.name`` names a place).

Everything is written to a temporary folder beside ``OUT_DIR`` and renamed into place at the end,
so a failure leaves nothing half-written. The key is never written anywhere: not to the tables,
the log, the summary or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ij_eval import __version__
from ij_eval.errors import IJEvalError, InputError, Problem
from ij_eval.identifiers import direct_identifier_columns
from ij_eval.io.faults import with_path
from ij_eval.io.output_folder import Kind, Protected, staged_folder
from ij_eval.io.parse import Where, located, parse_column
from ij_eval.io.tables import RawTable, find_table_files, read_raw
from ij_eval.schema import Column, TableSchema, load_schemas
from ij_eval.validation import POLICE_UK_DIR  # data.police.uk open data: no person data, copied through

KEY_ENV = "IJ_EVAL_PSEUDONYMISATION_KEY"
MIN_KEY_LENGTH = 16
PSEUDONYM_HEX = 16  # 64 bits
LOG_FILE = "pseudonymisation_log.json"
CONFIG_FILE = "evaluation.toml"

#: Normalised column names holding a person identifier to be replaced by its pseudonym. None of
#: them is a direct identifier (a PNC number, for example, is dropped, not hashed).
PERSON_ID_COLUMNS: tuple[str, ...] = ("person_id", "person_ref", "nominal_id", "offender_id")
#: Date-of-birth spellings (all of them direct identifiers, so they are dropped after use).
DOB_COLUMNS: tuple[str, ...] = ("date_of_birth", "dob", "birth_date", "birthdate", "d_o_b")
#: Reference dates for a derived age, in order of preference per row.
AGE_AT: tuple[str, ...] = ("offence_date", "referral_date")
#: Tables in which an ``age`` column is derived from a date of birth.
AGE_TABLES: tuple[str, ...] = ("referrals", "offences")
#: Files that are not tables but are copied through (config and notes). Anything else that is not
#: a recognised table could hold personal data, so it is left behind and listed.
COPY_SUFFIXES: tuple[str, ...] = (".toml", ".yaml", ".yml", ".md", ".txt")

_KEY_HELP = (
    f"supply a secret key of at least {MIN_KEY_LENGTH} characters in the {KEY_ENV} environment variable "
    "or with --key-file FILE; make one with: python -c \"import secrets; print(secrets.token_hex(32))\" "
    "and keep it (the same key gives the same pseudonyms, so every extract of one evaluation needs it)"
)


@dataclass(frozen=True)
class TableResult:
    """What was done to one table. Holds column names and counts only, never a value."""

    name: str
    source: str  # input file name
    output: str  # output file name
    rows: int
    dropped: tuple[str, ...]
    pseudonymised: tuple[str, ...]
    derived: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PseudonymisationResult:
    in_dir: Path
    out_dir: Path
    key_source: str  # where the key came from (never the key)
    key_fingerprint: str  # HMAC of a fixed text: tells two runs used the same key, reveals nothing of it
    tables: tuple[TableResult, ...]
    copied: tuple[str, ...] = ()
    not_copied: tuple[tuple[str, str], ...] = ()  # (file name, reason)

    @property
    def method(self) -> str:
        return (f"HMAC-SHA256, key from {self.key_source}, truncated to 64 bits "
                f"({PSEUDONYM_HEX} hex characters) and prefixed 'p_'")

    @property
    def log_path(self) -> Path:
        return self.out_dir / LOG_FILE

    def describe(self) -> str:
        lines = [f"Pseudonymised {len(self.tables)} table{'s' if len(self.tables) != 1 else ''} "
                 f"from {self.in_dir} into {self.out_dir}",
                 f"  method: {self.method}; key fingerprint {self.key_fingerprint}"]
        for t in self.tables:
            parts = [f"{t.rows:,} row{'s' if t.rows != 1 else ''}"]
            if t.pseudonymised:
                parts.append("pseudonymised " + ", ".join(t.pseudonymised))
            if t.dropped:
                parts.append("dropped " + ", ".join(t.dropped))
            if t.derived:
                parts.append("derived " + ", ".join(t.derived))
            lines.append(f"  {t.source} -> {t.output}: " + "; ".join(parts))
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
            "tables": {
                t.name: {
                    "source_file": t.source, "output_file": t.output, "rows": t.rows,
                    "pseudonymised_columns": list(t.pseudonymised), "dropped_columns": list(t.dropped),
                    "derived_columns": list(t.derived), "notes": list(t.notes),
                }
                for t in self.tables
            },
            "copied": list(self.copied),
            "not_copied": [{"file": n, "reason": r} for n, r in self.not_copied],
        }


# --- the key -------------------------------------------------------------------------------------

def load_key(key_file: str | Path | None = None) -> tuple[bytes, str]:
    """The key as bytes and a description of its source (never the key itself)."""
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
    if len(key) < MIN_KEY_LENGTH:
        raise IJEvalError(f"the pseudonymisation key from the {source} is too short "
                          f"(fewer than {MIN_KEY_LENGTH} characters); {_KEY_HELP}")
    return key.encode("utf-8"), source


def key_fingerprint(key: bytes) -> str:
    """A short check value: equal for equal keys, useless for recovering the key."""
    return hmac.new(key, b"ij-eval pseudonymisation key fingerprint", hashlib.sha256).hexdigest()[:8]


class Pseudonymiser:
    """Maps normalised identifiers to ``p_`` + 64-bit HMAC-SHA256, checking for collisions."""

    def __init__(self, key: bytes):
        self._base = hmac.new(key, digestmod=hashlib.sha256)
        self._seen: dict[str, str] = {}  # pseudonym -> normalised identifier, for the collision check

    def pseudonym(self, identifier: str) -> str:
        h = self._base.copy()
        h.update(identifier.encode("utf-8"))
        return "p_" + h.hexdigest()[:PSEUDONYM_HEX]

    @staticmethod
    def normalise(s: pl.Series) -> pl.Series:
        """Trimmed, upper case, ``123.0`` -> ``123`` (spreadsheets); blank -> null."""
        text = s.cast(pl.String).str.strip_chars().str.to_uppercase().str.replace(r"^(\d+)\.0+$", "${1}")
        return text.replace("", None)

    def column(self, s: pl.Series) -> pl.Series:
        ids = self.normalise(s)
        unique = ids.drop_nulls().unique().to_list()
        pseudonyms = []
        for identifier in unique:
            p = self.pseudonym(identifier)
            if self._seen.setdefault(p, identifier) != identifier:
                raise IJEvalError("two different person identifiers gave the same 64-bit pseudonym "
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
            "error", p.table, p.file, _header(raw, column),
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
    refs = [c for c in AGE_AT if c in raw.columns]
    if not refs:
        return None, [f"age not derived: no {' or '.join(AGE_AT)} column to measure it at"]
    dob = _dates(raw, dob_col, date_order, hide_values=True)
    at = pl.Series("at", [None] * raw.frame.height, dtype=pl.Date)
    for c in refs:
        at = at.fill_null(_dates(raw, c, date_order, hide_values=False))
    age = age_in_years(dob, at)
    where = Where(raw.name, raw.file)
    p = located(raw.frame, age < 0, None, where, _header(raw, dob_col),
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
            notes.append(f"age kept as supplied, but it differs from the date of birth by more than a year "
                         f"in {p.n_rows} row{'s' if p.n_rows != 1 else ''} (first at row {rows})")
        return None, notes
    n_blank = int(age.null_count())
    if n_blank:
        notes.append(f"age left blank in {n_blank} row{'s' if n_blank != 1 else ''} without a date of birth "
                     f"or an {' / '.join(refs)}")
    return age.cast(pl.String).alias("age"), notes


# --- one table -----------------------------------------------------------------------------------

def _loose(column: str) -> str:
    """``d.o.b.`` -> ``dob``: a normalised header without punctuation, to catch more identifiers."""
    return re.sub(r"[^a-z0-9_]", "", column)


def _pseudonymise_table(raw: RawTable, schema: TableSchema, hasher: Pseudonymiser,
                        date_order: str) -> tuple[pl.DataFrame, TableResult]:
    columns = list(raw.columns)
    frame = raw.frame
    person = tuple(c for c in columns if c in PERSON_ID_COLUMNS)
    dropped = tuple(c for c in columns if c not in schema.column_names and c not in person
                    and (direct_identifier_columns([c]) or direct_identifier_columns([_loose(c)])))
    notes: list[str] = []
    derived: tuple[str, ...] = ()
    dobs = [c for c in columns if _loose(c) in DOB_COLUMNS and c in dropped]
    out_columns = [c for c in columns if c not in dropped]
    if dobs and raw.name in AGE_TABLES:
        if len(dobs) > 1:
            notes.append(f"more than one date-of-birth column; age uses {dobs[0]}")
        age, age_notes = _derive_age(raw, dobs[0], date_order)
        notes += age_notes
        if age is not None:
            frame = frame.with_columns(age)
            derived = ("age",)
            position = sum(1 for c in columns[:columns.index(dobs[0])] if c not in dropped)
            out_columns.insert(position, "age")
    elif dobs:
        notes.append("date of birth dropped; age is derived only in " + " and ".join(AGE_TABLES))
    frame = frame.with_columns([hasher.column(frame[c]) for c in person])
    result = TableResult(raw.name, raw.file, f"{raw.name}.csv", frame.height, dropped, person, derived,
                         tuple(notes))
    return frame.select(out_columns), result


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
                        date_order: str | None = None) -> PseudonymisationResult:
    """Pseudonymise every input table in ``in_dir`` into the new folder ``out_dir``.

    ``date_order`` ("auto" or "day-first") is how slash dates are read; by default it is taken
    from ``in_dir/evaluation.toml`` when there is one, as the validator would.
    """
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    _check_folders(in_dir, out_dir)
    key, key_source = load_key(key_file)
    if date_order is None:
        from ij_eval.config import load_config

        config = in_dir / CONFIG_FILE
        date_order = load_config(config).data.date_order if config.is_file() else "auto"
    schemas = load_schemas()
    found, problems, others = find_table_files(in_dir, list(schemas))
    if problems:
        raise InputError(problems[0])
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
        for name, schema in schemas.items():
            if name not in found:
                continue
            raw = read_raw(found[name], name)
            frame, result = _pseudonymise_table(raw, schema, hasher, date_order)
            try:
                frame.write_csv(tmp / result.output)
            except OSError as exc:  # polars gives neither the errno nor the path as attributes
                raise with_path(exc, tmp / result.output) from None
            results.append(result)
        copied: list[str] = []
        not_copied: list[tuple[str, str]] = []
        for path in others:
            if path.is_dir():
                if path.name == POLICE_UK_DIR:
                    shutil.copytree(path, tmp / path.name)
                    copied.append(path.name + "/")
                else:
                    not_copied.append((path.name + "/", "a folder other than police_uk/; check it and copy it by hand"))
            elif key_path is not None and path.resolve() == key_path:
                not_copied.append((path.name, "the key file"))
            elif path.name == LOG_FILE:
                not_copied.append((path.name, "an earlier pseudonymisation log"))
            elif path.suffix.lower() in COPY_SUFFIXES:
                if _holds_key(path, key):
                    not_copied.append((path.name, "it contains the pseudonymisation key"))
                else:
                    shutil.copy2(path, tmp / path.name)
                    copied.append(path.name)
            else:
                not_copied.append((path.name, "not a recognised input table, so it may hold personal data; "
                                              "check it and copy it by hand"))
        result = PseudonymisationResult(in_dir, out_dir, key_source, key_fingerprint(key), tuple(results),
                                        tuple(copied), tuple(not_copied))
        (tmp / LOG_FILE).write_text(json.dumps(result.to_log(), indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    return result
