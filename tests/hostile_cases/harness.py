"""The hostile-input suite's harness: one case = one hostile input and the exact outcome it must get.

A :class:`Hostile` case arranges a hostile input in a fresh :class:`Workspace` (a valid data
folder from ``builders``, its config, a key, optionally a previous results store), runs one or
more ``ij-eval`` commands in-process, and asserts the outcome of the last:

- its exit code (0 success, 1 bad input, 2 config or environment, 3 internal error);
- every fragment of ``says`` appears in what it printed (the message and its location: file,
  column, row, setting), and no traceback does;
- ``writes="nothing"``: no file anywhere in the workspace was added, changed or removed (a
  previous store, the inputs, everything);
- ``writes="output"``: the inputs are unchanged (ij-eval's own leftovers beside the store,
  ``.results.*``, count as output), the output exists, and none of the
  ``never_published`` strings appears in any published file of it (the results store and the
  report, not the working files ``exclusions.csv``, ``manifest.json`` and the review file
  ``screening_review.csv``: :data:`ij_eval.publication.INTERNAL_FILES`).

A case may inject a fault of the machine (a full disk, a read-only file system) with ``during``: a
context manager active around the last step only.

Commands are argument lists with placeholders: ``{data}`` (the data folder), ``{out}`` (the
results store), ``{report}`` (the report folder), ``{raw}`` / ``{clean}`` (pseudonymise's input and
output), ``{config}`` (the config file), ``{ws}`` (the workspace root). Every step but the last
must exit 0.

Each ``cases_*.py`` module beside this one defines ``CASES``; ``tests/test_hostile_inputs.py``
collects them all.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from builders import MINIMAL_CONFIG, write_folder

from ij_eval.publication import INTERNAL_FILES

KEY = "k3y-for-tests-7a1f9c2e4b8d6053e1a2b3c4"  # a test key with enough entropy
# the store's working files (ij_eval.publication.INTERNAL_FILES: exclusions, manifest, the free-text screen's
# review file) and the store marker
INTERNAL = (*INTERNAL_FILES, "review.csv", ".ij-eval-store")


@dataclass
class Workspace:
    """A fresh workspace: ``data`` is a valid data folder with ``evaluation.toml``."""

    root: Path
    data: Path
    config_text: str = MINIMAL_CONFIG

    @property
    def out(self) -> Path:
        return self.root / "results"

    @property
    def report(self) -> Path:
        return self.root / "results" / "report"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def clean(self) -> Path:
        return self.root / "clean"

    @property
    def config(self) -> Path:
        return self.data / "evaluation.toml"

    def set_config(self, text: str) -> None:
        self.config_text = text
        self.config.write_text(text, encoding="utf-8")

    def add_config(self, text: str) -> None:
        """Append TOML to the config (a new section, or keys for the last section)."""
        self.set_config(self.config_text.rstrip("\n") + "\n\n" + text.strip("\n") + "\n")

    def placeholders(self) -> dict[str, str]:
        return {"data": str(self.data), "out": str(self.out), "report": str(self.report), "raw": str(self.raw),
                "clean": str(self.clean), "config": str(self.config), "ws": str(self.root)}


def new_workspace(root: Path) -> Workspace:
    data = write_folder(root, config=MINIMAL_CONFIG)
    return Workspace(root, data)


RUN = ("run", "{data}", "--out", "{out}", "--quiet")
VALIDATE = ("validate", "{data}")
REPORT = ("report", "{out}", "--quiet")
PSEUDONYMISE = ("pseudonymise", "{raw}", "{clean}")


@dataclass(frozen=True)
class Hostile:
    id: str
    category: str  # for the closing note's count by category
    arrange: Callable[[Workspace], None]
    steps: tuple[tuple[str, ...], ...]  # commands; the last is the one judged
    exit_code: int
    says: tuple[str, ...] = ()  # fragments of the output (message, file, column, row, setting)
    writes: Literal["nothing", "output"] = "nothing"
    never_published: tuple[str, ...] = ()  # must not appear in any published file of the output
    prior_store: bool = False  # build a results store at {out} first (it must survive a failure)
    check: Callable[[Workspace, Outcome], None] | None = None  # further assertions
    env: tuple[tuple[str, str], ...] = ()  # environment variables for the commands
    during: Callable[[Workspace], AbstractContextManager[object]] | None = None  # active around the last step
    # only (a fault the machine would cause, injected: a full disk, a read-only file system)


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    out: str
    err: str
    before: dict[str, str] = field(default_factory=dict)  # relative path -> sha256, before the last step
    after: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.out + self.err


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256), following no symlinks."""
    files = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            files[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return files


def published_files(out: Path) -> list[Path]:
    """The files of a results store (and its report) that are published: not the working files."""
    return [p for p in sorted(out.rglob("*")) if p.is_file() and p.name not in INTERNAL
            and not p.name.startswith(".")]


def copy_store(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)
