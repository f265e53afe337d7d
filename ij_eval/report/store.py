"""Read-only access to a results store: the only thing the report reads.

The report never fits a model: every number, table and figure it shows comes from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from ij_eval.errors import IJEvalError
from ij_eval.io.store import read_back

BANNER = "SYNTHETIC DATA — NOT REAL RESULTS"


@dataclass(frozen=True)
class ResultsStore:
    """A results store on disk (``results.json``, ``tables/``, ``figures/``, ``manifest.json``)."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> ResultsStore:
        root = Path(root)
        if not (root / "results.json").is_file():
            raise IJEvalError(f"{root} is not a results store (no results.json); run `ij-eval run` first")
        return cls(root)

    @cached_property
    def results(self) -> dict[str, Any]:
        results = _read_json(self.root / "results.json")
        strands = results.get("strands") if isinstance(results, dict) else None
        if not isinstance(strands, dict) or not all(isinstance(v, dict) for v in strands.values()):
            raise IJEvalError(f"{self.root / 'results.json'} is not the results of an `ij-eval run` (no table of "
                              "strands); re-run `ij-eval run`")
        return results

    @cached_property
    def figures(self) -> dict[str, Any]:
        path = self.root / "figures.json"
        return _read_json(path) if path.is_file() else {}

    @cached_property
    def manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        return _read_json(path) if path.is_file() else {}

    @property
    def config(self) -> dict[str, Any]:
        """The evaluation config the store was built with (from the manifest)."""
        return self.manifest.get("config", {})

    @property
    def synthetic(self) -> bool:
        return bool(self.results.get("synthetic"))

    @property
    def not_for_publication(self) -> str:
        """The notice every output carries when the store is not for publication ("" when it may be
        published): a disclosure threshold below 10, set with a reason."""
        return str(self.results.get("not_for_publication_notice") or "")

    @property
    def scheme(self) -> dict[str, Any]:
        return self.results.get("scheme", {})

    def ran(self, strand: str) -> bool:
        return self.results["strands"].get(strand, {}).get("status") == "ran"

    def not_run_reason(self, strand: str) -> str:
        """Why a strand has no results (skipped with its reason, or not part of this release)."""
        entry = self.results["strands"].get(strand)
        if entry is None:
            return "not in this release of ij-eval"
        return entry.get("reason", "")

    def headline(self, strand: str, key: str) -> dict[str, Any] | None:
        """One headline of a strand that ran (``estimate``, ``ci_lower``, ``ci_upper``, ``n``, ...)."""
        if not self.ran(strand):
            return None
        return self.results["strands"][strand]["headlines"].get(key)

    def notes(self, strand: str) -> list[str]:
        return list(self.results["strands"].get(strand, {}).get("notes", []))

    def has_table(self, name: str) -> bool:
        return (self.root / "tables" / f"{name}.csv").is_file()

    def table(self, name: str) -> pl.DataFrame:
        """A table as the strand returned it (the quotes that keep formulas inert in a spreadsheet taken off)."""
        path = self.root / "tables" / f"{name}.csv"
        if not path.is_file():
            raise IJEvalError(f"results store {self.root} has no table {name!r} ({path} is missing)")
        return read_back(pl.read_csv(path, infer_schema_length=None))

    def figure(self, name: str) -> dict[str, Any] | None:
        """``file`` (relative to the store), ``title``, ``alt_text`` of a figure, or None."""
        meta = self.figures.get(name)
        if meta is None or not (self.root / meta["file"]).is_file():
            return None
        return meta


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IJEvalError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); re-run `ij-eval run`") from exc
