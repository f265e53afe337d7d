"""Run R, the reference implementation, from a test: data in as CSV, results back as CSV.

``run_r(script, workdir, inputs)`` writes each input frame to ``workdir/NAME.csv``, runs the
script with ``Rscript --vanilla`` after a prelude that loads ``survival`` and defines

- ``input(NAME)``: read ``NAME.csv`` back as a data frame (strings stay strings);
- ``output(NAME, df)``: write a result data frame (15 significant digits, R's ``write.csv``),

and returns every ``output`` as a polars frame keyed by name. A missing Rscript or survival
package fails the test (never skips it): ``make test`` installs them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest

INSTALL_HINT = ("R and its survival package are the reference these tests check against; `make test` installs "
                "them (Debian package r-cran-survival: apt-get install r-cran-survival)")

PRELUDE = r"""
if (!requireNamespace("survival", quietly = TRUE)) {
  cat("R package 'survival' is not installed\n", file = stderr()); quit(status = 3)
}
suppressPackageStartupMessages(library(survival))
workdir <- commandArgs(trailingOnly = TRUE)[1]
input <- function(name) read.csv(file.path(workdir, paste0(name, ".csv")), stringsAsFactors = FALSE)
output <- function(name, df) write.csv(df, file.path(workdir, "out", paste0(name, ".csv")), row.names = FALSE)
"""


def run_r(script: str, workdir: Path, inputs: Mapping[str, pl.DataFrame] | None = None,
          timeout: float = 120) -> dict[str, pl.DataFrame]:
    """Run ``script`` (R code using ``input``/``output``) in ``workdir``; return its outputs."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.fail(f"Rscript not found on PATH. {INSTALL_HINT}", pytrace=False)
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (inputs or {}).items():
        frame.write_csv(workdir / f"{name}.csv", null_value="NA")
    path = workdir / "oracle.R"
    path.write_text(PRELUDE + script, encoding="utf-8")
    done = subprocess.run([rscript, "--vanilla", str(path), str(workdir)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode == 3:
        pytest.fail(f"{done.stderr.strip()}. {INSTALL_HINT}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"the R oracle script failed (exit {done.returncode}):\n{done.stderr}", pytrace=False)
    return {p.stem: pl.read_csv(p, null_values="NA", infer_schema_length=None) for p in sorted(out.glob("*.csv"))}
