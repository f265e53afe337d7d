"""The results store: the contract between the pipeline and the report.

    OUT/results.json     headline figures per strand
    OUT/tables/*.csv     tidy tables
    OUT/figures/*.png    figures, with alt text in figures.json
    OUT/exclusions.csv   every excluded row with its reason
    OUT/manifest.json    inputs (SHA-256, rows), config, version, seed, timings

Everything is written into a temporary sibling folder that replaces OUT only once complete, so a
failed run never leaves a half-written store that looks complete. Tables and results.json are
byte-identical for the same inputs and seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

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


def write_table(path: Path, frame: pl.DataFrame) -> None:
    """A tidy CSV: floats rounded to stable significant digits, dates ISO, nulls empty."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if floats:
        frame = frame.with_columns(
            pl.col(c).map_batches(lambda s: pl.Series(s.name, _round(s.to_list()), dtype=pl.Float64))
            for c in floats
        )
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    if nested:
        frame = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(";") for c in nested)
    frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d", null_value="")


def save_figure(fig, path: Path) -> None:
    """PNG without a timestamp or software stamp, so the same figure gives the same bytes."""
    fig.savefig(path, format="png", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)


@contextmanager
def staged_store(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it replaces ``out``, on failure it goes.

    ``out`` must be absent, empty, or a previous results store (it has a manifest.json):
    nothing else is ever deleted.
    """
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        from ij_eval.errors import IJEvalError

        raise IJEvalError(f"{out} is not empty and is not an ij-eval results store; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        (staging / "tables").mkdir()
        (staging / "figures").mkdir()
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    staging.rename(out)
    os.chmod(out, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
