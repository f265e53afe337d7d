"""Parse text columns into their schema types, reporting every value that does not parse.

Dates: ISO (``2024-03-31``, optionally with a time) and UK day-first (``31/03/2024``). A slash
column whose values never show which part is the day (every part 12 or less) is refused unless
the config says ``date_order = "day-first"``; a column that looks month-first (US) or mixes the
two is refused; Excel serial day numbers (``45383``) are refused rather than guessed.

Numbers: plain decimals with optional thousands commas and exponent, never NaN or infinity. A value
a computer number cannot hold exactly is refused rather than rounded: beyond 2^53
(9,007,199,254,740,992; so ``1e400``, which would be infinity, and ``1e308``, whose sums overflow),
beyond 2^53 pence for money (£90,071,992,547,409.92), and a non-zero value so small it would be 0.
Whole numbers above 2^53 are refused too, although Int64 holds them, because analyses do arithmetic
on them as floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ij_eval.errors import Problem
from ij_eval.io.tables import ROW
from ij_eval.schema import Column

SHOW = 5  # row numbers and values shown per problem

_TRUE = ["true", "t", "yes", "y", "1", "1.0"]
_FALSE = ["false", "f", "no", "n", "0", "0.0"]
_ISO = r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
_SLASH = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_SHORT_YEAR = r"^\d{1,2}[/-]\d{1,2}[/-]\d{2}(?:\s.*)?$"
_SERIAL = r"^\d{5}(?:\.\d+)?$"  # Excel day numbers for 1927-2173
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"  # no NaN, no infinity
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"  # commas only as thousands separators
_MONTH = r"^(\d{4})-(\d{2})$"
_WHOLE = r"^[+-]?\d+$"
_ZERO = r"^[+-]?(?:0+\.?0*|\.0+)(?:[eE][+-]?\d+)?$"
EXACT = 2**53  # the largest whole number a float (and so every analysis) holds exactly
MONEY_EXACT = EXACT / 100  # pounds held exactly to the penny
SHOW_CHARS = 60  # a value shown in a problem is cut to this many characters
# Characters that cannot be seen (format, control, private-use and unassigned code points, spaces
# other than the plain space, blank letters): in an identifier they make two ids that look the same differ.
INVISIBLE = (r"[\p{Cf}\p{Cc}\p{Co}\p{Cn}\p{Zl}\p{Zp}\x{00a0}\x{1680}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}"
             r"\x{115f}\x{1160}\x{3164}\x{ffa0}\x{2800}\x{034f}]")
# UTF-8 text decoded as Windows-1252 (or Latin-1) on its way here: "é" → "Ã©", "£" → "Â£", "’" → "â€™".
MOJIBAKE = r"[ÂÃ][\x{0080}-\x{00bf}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|â€|â‚¬"


@dataclass(frozen=True)
class Where:
    """Where a column came from, for locating problems."""

    table: str
    file: str


def located(frame: pl.DataFrame, mask: pl.Series, values: pl.Series | None, where: Where,
            column: str, rule: str, *, level: str = "error", hint: str = "") -> Problem | None:
    """A :class:`Problem` for the rows where ``mask`` is true (``None`` if there are none)."""
    mask = mask.fill_null(False)
    n = int(mask.sum())
    if n == 0:
        return None
    rows = tuple(int(r) for r in frame[ROW].filter(mask).head(SHOW))
    shown: tuple[str, ...] = ()
    if values is not None:
        shown = tuple("" if v is None else _cut(str(v)) for v in values.filter(mask).head(SHOW))
    return Problem(level, where.table, where.file, column, rule, n, rows, shown, hint)


def _cut(text: str) -> str:
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS - 1] + "…"


def null_where(s: pl.Series, mask: pl.Series) -> pl.Series:
    """``s`` with nulls where ``mask`` is true."""
    return pl.select(pl.when(mask.fill_null(False)).then(None).otherwise(s).alias(s.name)).to_series()


def _number(text: pl.Series) -> pl.Series:
    """Numeric text with thousands commas removed; null unless it is a plain finite number."""
    plain = null_where(text, text.str.contains(",") & ~text.str.contains(_THOUSANDS)).str.replace_all(",", "")
    return null_where(plain, ~plain.str.contains(_NUMBER))


def _inexact(plain: pl.Series, typed: pl.Series, limit: float) -> tuple[pl.Series, pl.Series]:
    """Masks of numbers beyond ``limit`` (infinity included) and of non-zero numbers read as 0."""
    too_large = typed.is_not_null() & (typed.abs() > limit)
    too_small = (typed == 0) & ~plain.str.contains(_ZERO)
    return too_large.fill_null(False), too_small.fill_null(False)


def _limit_problems(raw: pl.DataFrame, text: pl.Series, where: Where, column: str, too_large: pl.Series,
                    too_small: pl.Series, large_rule: str) -> list[Problem]:
    hint = "check the value: a number this size in an input table is a mistake (mistyped, pasted or a formula)"
    found = [located(raw, too_large, text, where, column, large_rule, hint=hint),
             located(raw, too_small, text, where, column, "number too small to hold: it would be read as 0",
                     hint=hint)]
    return [p for p in found if p]


def parse_number(raw: pl.DataFrame, text: pl.Series, where: Where, column: str, *, money: bool = False,
                 whole: bool = False, written: pl.Series | None = None) -> tuple[pl.Series, pl.Series, list[Problem]]:
    """Numbers from trimmed text: (typed, rows already reported, problems for values too large or small).

    ``typed`` is null where the text is not a plain number or was refused; the caller reports text
    that is not a number at all (``typed`` null, not reported). Problems quote ``written`` (the text
    as in the file, default ``text``).
    """
    plain = _number(text)
    if whole:
        digits = plain.str.replace(r"\.0*$", "")
        typed = digits.cast(pl.Int64, strict=False)
        too_large = (digits.str.contains(_WHOLE) & (typed.is_null() | (typed > EXACT) | (typed < -EXACT))).fill_null(
            False)
        too_small = pl.Series([False] * len(text))
        rule = f"whole number too large: beyond {EXACT:,} (2^53), the largest held exactly"
    else:
        typed = plain.cast(pl.Float64, strict=False)
        too_large, too_small = _inexact(plain, typed, MONEY_EXACT if money else EXACT)
        rule = (f"amount too large: beyond £{MONEY_EXACT:,.2f}, the largest held exactly to the penny" if money
                else f"number too large: beyond {EXACT:,} (2^53), the largest held exactly")
    refused = too_large | too_small
    return (null_where(typed, refused), refused,
            _limit_problems(raw, text if written is None else written, where, column, too_large, too_small, rule))


def clean_text(s: pl.Series) -> pl.Series:
    """Trim whitespace; empty strings become null."""
    s = s.cast(pl.String).str.strip_chars()
    return pl.Series(s.name, s, dtype=pl.String).replace("", None)


def _code(s: pl.Series) -> pl.Series:
    """Category and ordinal labels: lower case, spaces and dashes as underscores."""
    return s.str.to_lowercase().str.replace_all(r"[\s\-]+", "_").str.replace_all("'", "")


def _dates(s: pl.Series, column: Column, date_order: str) -> tuple[pl.Series, str, str]:
    """Parse a date/datetime column; return (typed, rule for bad values, hint) or a column rule."""
    iso = s.str.extract_groups(_ISO)
    slash = s.str.extract_groups(_SLASH)
    is_slash = slash.struct.field("1").is_not_null()
    first = slash.struct.field("1").cast(pl.Int32)
    second = slash.struct.field("2").cast(pl.Int32)
    day_first_evidence = bool((is_slash & (first > 12)).any())
    month_first_evidence = bool((is_slash & (second > 12) & (first <= 12)).any())
    column_rule = ""
    if is_slash.any():
        if day_first_evidence and month_first_evidence:
            column_rule = "mixes day-first (dd/mm/yyyy) and month-first (mm/dd/yyyy) dates"
        elif month_first_evidence:
            column_rule = "dates look month-first (US mm/dd/yyyy); UK day-first dd/mm/yyyy expected"
        elif not day_first_evidence and date_order != "day-first":
            column_rule = ("ambiguous dates: every dd/mm/yyyy value could also be read as mm/dd/yyyy "
                           "(no day above 12)")
    day = pl.when(is_slash).then(first).otherwise(iso.struct.field("3").cast(pl.Int32))
    month = pl.when(is_slash).then(second).otherwise(iso.struct.field("2").cast(pl.Int32))
    year = pl.when(is_slash).then(slash.struct.field("3")).otherwise(iso.struct.field("1"))
    hour = pl.when(is_slash).then(slash.struct.field("4")).otherwise(iso.struct.field("4"))
    minute = pl.when(is_slash).then(slash.struct.field("5")).otherwise(iso.struct.field("5"))
    second_ = pl.when(is_slash).then(slash.struct.field("6")).otherwise(iso.struct.field("6"))
    parts = pl.DataFrame({"s": s}).with_columns(
        y=year.cast(pl.Int32), m=month, d=day,
        H=hour.cast(pl.Int32).fill_null(0), M=minute.cast(pl.Int32).fill_null(0),
        S=second_.cast(pl.Int32).fill_null(0),
    )
    iso_text = pl.format(
        "{}-{}-{} {}:{}:{}",
        pl.col("y").cast(pl.String).str.zfill(4), pl.col("m").cast(pl.String).str.zfill(2),
        pl.col("d").cast(pl.String).str.zfill(2), pl.col("H").cast(pl.String).str.zfill(2),
        pl.col("M").cast(pl.String).str.zfill(2), pl.col("S").cast(pl.String).str.zfill(2),
    )
    typed = parts.select(iso_text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False).alias("t"))["t"]
    if column.type == "date":
        typed = typed.dt.date()
    return typed.alias(column.name), column_rule, ""


def parse_covariate(raw: pl.DataFrame, name: str, where: Where) -> tuple[pl.Series, list[Problem]]:
    """A declared extra covariate: numeric if every value is a plain number, otherwise text.

    A numeric covariate's values are held to the same limits as schema numbers.
    """
    text = clean_text(raw[name])
    typed, _, found = parse_number(raw, text, where, name)
    numeric = _number(text).null_count() == text.null_count()
    return (typed.alias(name), found) if numeric else (text, [])


def parse_column(raw: pl.DataFrame, column: Column, where: Where, *,
                 date_order: str = "auto") -> tuple[pl.Series, list[Problem]]:
    """Typed values of ``column`` (null where empty or unparsable) and the problems found."""
    text = clean_text(raw[column.name])
    problems: list[Problem] = []

    reported = pl.Series([False] * len(text))  # values refused already, not "not a number" too

    def bad(typed: pl.Series, rule: str, hint: str = "") -> None:
        p = located(raw, text.is_not_null() & typed.is_null() & ~reported, text, where, column.name, rule, hint=hint)
        if p:
            problems.append(p)

    kind = column.type
    if kind == "string":
        typed = text
        if column.unique or column.references or column.pattern or column.name.endswith("_id"):
            hidden = text.str.contains(INVISIBLE)
            p = located(raw, hidden, text, where, column.name,
                        "identifier holds an invisible character (a space that is not a plain space, a zero-width "
                        "or control character)", hint="retype the identifier: ids that look the same must be the same")
            if p:
                problems.append(p)
                typed = null_where(typed, hidden)
                reported = reported | hidden.fill_null(False)
        p = located(raw, text.str.contains(MOJIBAKE), text, where, column.name,
                    "text looks decoded twice (mojibake, such as 'Ã©' for 'é' or 'Â£' for '£')", level="warning",
                    hint="the file passed through a wrong encoding before it came here: export it again from the "
                         "source system as CSV UTF-8")
        if p:
            problems.append(p)
    elif kind == "category":
        typed = _code(text)
        allowed = pl.Series(list(column.values), dtype=pl.String)
        unknown = typed.is_not_null() & ~typed.is_in(allowed.implode())
        p = located(raw, unknown, text, where, column.name, "value not in the allowed list",
                    hint="use one of: " + ", ".join(column.values))
        if p:
            problems.append(p)
        typed = null_where(typed, unknown)
    elif kind == "ordinal":
        code = _code(text)
        labels = list(column.levels)
        by_label = code.replace_strict(labels, list(range(1, len(labels) + 1)), default=None,
                                       return_dtype=pl.Int8)
        by_number = code.str.replace(r"\.0+$", "").cast(pl.Int8, strict=False)
        by_number = null_where(by_number, ~by_number.is_between(1, len(labels)))
        typed = by_label.fill_null(by_number).alias(column.name)
        bad(typed, f"not one of the {len(labels)} answer levels",
            "use a label (" + ", ".join(labels) + f") or its number 1-{len(labels)}")
    elif kind == "integer":
        typed, reported, found = parse_number(raw, text, where, column.name, whole=True)
        problems += found
        bad(typed, "not a whole number")
    elif kind in ("number", "money"):
        num = text.str.replace(r"^£\s*", "").str.replace(r"^-£\s*", "-") if kind == "money" else text
        typed, reported, found = parse_number(raw, num, where, column.name, money=kind == "money", written=text)
        problems += found
        bad(typed, "not a number" if kind == "number" else "not an amount of money",
            "write amounts like 1250.50 or £1,250.50 (a comma only between thousands)" if kind == "money"
            else "write numbers like 7.5 or 1,250 (a comma only between thousands)")
    elif kind == "boolean":
        low = text.str.to_lowercase()
        typed = low.replace_strict(_TRUE + _FALSE, [True] * len(_TRUE) + [False] * len(_FALSE),
                                   default=None, return_dtype=pl.Boolean)
        bad(typed, "not true or false", "use true/false, yes/no, y/n or 1/0")
    elif kind in ("date", "datetime"):
        serial = text.str.contains(_SERIAL)
        short = text.str.contains(_SHORT_YEAR)
        for mask, rule, hint in (
            (serial, "looks like Excel serial day numbers, not dates",
             "format the column as dates in Excel (or write them as yyyy-mm-dd) before saving"),
            (short, "two-digit year", "write years in full: dd/mm/yyyy or yyyy-mm-dd"),
        ):
            p = located(raw, mask, text, where, column.name, rule, hint=hint)
            if p:
                problems.append(p)
        usable = null_where(text, serial | short)
        typed, column_rule, _ = _dates(usable, column, date_order)
        if column_rule:
            slashed = usable.str.contains("/")
            problems.append(located(
                raw, slashed, text, where, column.name, column_rule,
                hint='write dates as yyyy-mm-dd, or if they are day-first set [data] date_order = '
                     '"day-first" in the config' if "ambiguous" in column_rule
                else "write dates as dd/mm/yyyy or yyyy-mm-dd throughout",
            ))
            typed = null_where(typed, slashed)
        else:
            p = located(raw, usable.is_not_null() & typed.is_null(), text, where, column.name,
                        "not a valid date" if kind == "date" else "not a valid date and time",
                        hint="use yyyy-mm-dd or dd/mm/yyyy" + (" with an optional hh:mm" if kind == "datetime" else ""))
            if p:
                problems.append(p)
    elif kind == "month":
        month = text.str.extract_groups(_MONTH)
        as_month = (month.struct.field("1") + "-" + month.struct.field("2") + "-01").str.to_date(
            "%Y-%m-%d", strict=False)
        rest = null_where(text, as_month.is_not_null())
        dated, column_rule, _ = _dates(rest, Column(column.name, "date"), date_order)
        if column_rule:
            slashed = rest.str.contains("/")
            problems.append(located(raw, slashed, text, where, column.name, column_rule,
                                    hint="write months as yyyy-mm"))
            dated = null_where(dated, slashed)
            text = null_where(text, slashed)  # reported once, not again as "not a month"
        typed = as_month.fill_null(dated.dt.truncate("1mo")).alias(column.name)
        bad(typed, "not a month", "write months as yyyy-mm")
    elif kind == "list":
        typed = text.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != ""))
    else:  # pragma: no cover - schema.py rejects unknown types
        raise ValueError(kind)
    problems = [p for p in problems if p]
    return typed.alias(column.name), problems
