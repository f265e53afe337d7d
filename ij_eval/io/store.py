"""The results store: the contract between the pipeline and the report.

    OUT/results.json     headline figures per strand
    OUT/tables/*.csv     tidy tables
    OUT/figures/*.png    figures, with alt text in figures.json
    OUT/exclusions.csv   every excluded row with its reason
    OUT/manifest.json    inputs (SHA-256, rows), config, version, seed, timings, store_id
    OUT/.ij-eval-store   the marker: this folder is an ij-eval store (its id, every file written)

Everything is written into a hidden sibling folder that replaces OUT only once complete
(:mod:`ij_eval.io.output_folder`: what may be replaced, the crash-safe swap, recovery), so a
failed run never leaves a half-written store that looks complete, and a folder ij-eval did not
write is never replaced. Tables and results.json are byte-identical for the same inputs and seed.

Every CSV is safe to open in a spreadsheet (OWASP's CSV-injection rule): a text cell, or a header,
that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so it
is shown as text, not run as a formula. Numbers stay numbers: numeric columns are never touched,
and a text cell that is wholly a plain decimal number (``-0.5``, ``+3``, ``1e-4``, as in a column of
estimates with ``[c]`` markers) is left as it is, since a spreadsheet reads it as that number and
nothing else. A cell that already begins with quotes before such a character gets one more, so
:func:`restore_formulas` (used by the report) gives back exactly the text that was written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from ij_eval.io.faults import with_path
from ij_eval.io.output_folder import Kind, Protected, Staged, staged_folder

FLOAT_DIGITS = 10  # significant digits kept in stored floats (stable across platforms)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_round(data), indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


FORMULA_START = "=+-@\t\r"  # what makes a spreadsheet read a cell as a formula (OWASP)
_NEEDS_QUOTE = r"^'*[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _needs_quote(text: str) -> bool:
    return re.match(_NEEDS_QUOTE, text) is not None and re.match(_PLAIN_NUMBER, text) is None


def neutralise_formulas(expr: pl.Expr) -> pl.Expr:
    """A text column with a ``'`` before every cell a spreadsheet would run as a formula."""
    return (pl.when(expr.str.contains(_NEEDS_QUOTE) & ~expr.str.contains(_PLAIN_NUMBER))
            .then(pl.lit("'") + expr).otherwise(expr))


def restore_formulas(expr: pl.Expr) -> pl.Expr:
    """The exact inverse of :func:`neutralise_formulas`: the text as it was before writing."""
    rest = expr.str.slice(1)
    return (pl.when(expr.str.starts_with("'") & rest.str.contains(_NEEDS_QUOTE) & ~rest.str.contains(_PLAIN_NUMBER))
            .then(rest).otherwise(expr))


def neutralise_name(name: str) -> str:
    return "'" + name if _needs_quote(name) else name


def restore_name(name: str) -> str:
    return name[1:] if name.startswith("'") and _needs_quote(name[1:]) else name


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell and header that would run as a formula quoted (see the module)."""
    text = [c for c, t in frame.schema.items() if t in (pl.String, pl.Categorical) or isinstance(t, pl.Enum)]
    if text:
        frame = frame.with_columns(neutralise_formulas(pl.col(c).cast(pl.String)).alias(c) for c in text)
    return frame.rename({c: neutralise_name(c) for c in frame.columns if _needs_quote(c)})


def read_back(frame: pl.DataFrame) -> pl.DataFrame:
    """A table read from a store's CSV with the quotes :func:`spreadsheet_safe` added taken off again."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if text:
        frame = frame.with_columns(restore_formulas(pl.col(c)).alias(c) for c in text)
    return frame.rename({c: restore_name(c) for c in frame.columns if restore_name(c) != c})


def write_table(path: Path, frame: pl.DataFrame) -> None:
    """A tidy CSV: floats rounded to stable significant digits, dates ISO, nulls empty, formulas quoted."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if floats:
        frame = frame.with_columns(
            pl.col(c).map_batches(lambda s: pl.Series(s.name, _round(s.to_list()), dtype=pl.Float64))
            for c in floats
        )
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    if nested:
        frame = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(";") for c in nested)
    frame = spreadsheet_safe(frame)
    try:
        frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d", null_value="")
    except OSError as exc:  # polars gives neither the errno nor the path as attributes
        raise with_path(exc, path) from None


def save_figure(fig, path: Path) -> None:
    """PNG without a timestamp or software stamp, so the same figure gives the same bytes."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, format="png", metadata={"Software": None})
    except OSError as exc:
        raise with_path(exc, path) from None
    finally:
        plt.close(fig)


@contextmanager
def staged_store(out: Path, protected: Sequence[Protected] = ()) -> Iterator[Staged]:
    """A staged results store (with ``tables/`` and ``figures/``) that replaces ``out`` when complete.

    ``out`` must be absent, empty, or an earlier ij-eval store with nothing added to it; it may not
    be, contain or lie inside a ``protected`` path (see :mod:`ij_eval.io.output_folder`).
    """
    with staged_folder(out, Kind.RESULTS, protected=protected, subfolders=("tables", "figures")) as staged:
        yield staged
