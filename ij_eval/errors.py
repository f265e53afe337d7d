"""Domain exceptions. Each says what was wrong, where, and how to fix it.

The CLI turns any :class:`IJEvalError` into a message on stderr and its class's exit code, never a
traceback: 1 for bad input data (:class:`InputError`, :class:`ValidationFailed`), 2 for the config
or the environment (:class:`ConfigError`, :class:`EnvironmentProblem`, :class:`OutputRefused`,
and the base class). Library code raises these; any other exception is a bug (exit 3, crash log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class IJEvalError(Exception):
    """Base class for every error caused by the user's data, config or environment."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One located problem found while reading or validating input.

    ``rows`` are 1-based row numbers as a person sees them in the file (for a CSV, the header is
    row 1 and the first record row 2; for a spreadsheet, the worksheet row).
    """

    level: str  # "error" or "warning"
    table: str
    file: str
    column: str
    rule: str
    n_rows: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    hint: str = ""

    def describe(self) -> str:
        where = f"{self.file}" + (f", column '{self.column}'" if self.column else "")
        text = f"{self.level.upper()}: {where}: {self.rule}"
        if self.n_rows:
            text += f" ({self.n_rows} row{'s' if self.n_rows != 1 else ''}"
            if self.rows:
                text += "; first at row " + ", ".join(str(r) for r in self.rows)
            if self.values:
                text += "; values " + ", ".join(repr(v) for v in self.values)
            text += ")"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text


class InputError(IJEvalError):
    """A located problem that stops reading a file (unreadable, empty, bad encoding); ``more`` are
    further problems found in the same file before reading stopped (all are in ``problems``)."""

    exit_code = 1

    def __init__(self, problem: Problem, *more: Problem):
        self.problem = problem
        self.problems = (problem, *more)
        super().__init__("\n".join(p.describe() for p in self.problems))


@dataclass
class ValidationFailed(IJEvalError):
    """Validation found errors; ``problems`` holds every problem found (errors and warnings)."""

    problems: Sequence[Problem] = field(default_factory=tuple)
    exit_code = 1

    def __str__(self) -> str:
        n = sum(p.level == "error" for p in self.problems)
        return f"validation found {n} error{'s' if n != 1 else ''}"


class ConfigError(IJEvalError):
    """The evaluation config is missing, unreadable or has an invalid setting."""


class EnvironmentProblem(IJEvalError):
    """The machine stopped the work: disk full, read-only file system, permission denied, a path
    that should be a folder is a file. The message says which path and what to do."""


class OutputRefused(IJEvalError):
    """An output location that writing would damage: not ours to replace, or an input folder."""


class IdentifiersPresent(IJEvalError):
    """A table still carries direct identifiers and must be pseudonymised first."""
