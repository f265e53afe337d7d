"""The hostile-input suite: every case in ``tests/hostile_cases/cases_*.py``, each with its exact outcome.

See :mod:`hostile_cases.harness` for what a case states and what is checked. The validation-level
cases of ``test_bad_input.py`` are part of the suite too (counted by :func:`test_suite_size`).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
from pathlib import Path

import hostile_cases
import pytest
from hostile_cases.harness import (
    KEY,
    RUN,
    Hostile,
    Outcome,
    Workspace,
    copy_store,
    new_workspace,
    published_files,
    snapshot,
)

from ij_eval.cli import main


def _cases() -> list[Hostile]:
    cases: list[Hostile] = []
    for module in pkgutil.iter_modules(hostile_cases.__path__):
        if module.name.startswith("cases_"):
            cases += importlib.import_module(f"hostile_cases.{module.name}").CASES
    return cases


CASES = _cases()


@pytest.fixture(scope="session")
def prior_store(tmp_path_factory) -> Path:
    """A results store built once from the valid folder, copied where a case needs a previous store."""
    ws = new_workspace(tmp_path_factory.mktemp("prior"))
    assert _run(ws, RUN).exit_code == 0
    return ws.out


def _argv(ws: Workspace, step: tuple[str, ...]) -> list[str]:
    return [a.format(**ws.placeholders()) for a in step]


def _run(ws: Workspace, step: tuple[str, ...], env: tuple[tuple[str, str], ...] = ()) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k, _ in env}
    os.environ.update(dict(env))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(_argv(ws, step))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Outcome(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Hostile, tmp_path, prior_store, monkeypatch):
    monkeypatch.setenv("IJ_EVAL_PSEUDONYMISATION_KEY", KEY)
    monkeypatch.setenv("IJ_EVAL_CRASH_DIR", str(tmp_path / "crash"))
    ws = new_workspace(tmp_path / "ws")
    if case.prior_store:
        copy_store(prior_store, ws.out)
    case.arrange(ws)
    for step in case.steps[:-1]:
        result = _run(ws, step, case.env)
        assert result.exit_code == 0, f"step {step} failed:\n{result.text}"
    before = snapshot(ws.root)
    with case.during(ws) if case.during is not None else contextlib.nullcontext():
        result = _run(ws, case.steps[-1], case.env)
    after = snapshot(ws.root)
    outcome = Outcome(result.exit_code, result.out, result.err, before, after)
    text = outcome.text
    assert "Traceback" not in text, text
    assert outcome.exit_code == case.exit_code, f"exit {outcome.exit_code}, expected {case.exit_code}:\n{text}"
    for fragment in case.says:
        assert fragment in text, f"{fragment!r} not in the output:\n{text}"
    if case.writes == "nothing":
        assert after == before, _changes(before, after)
    else:
        # the output and ij-eval's own leftovers beside it (.results.partial-*, .results.old-*) are output
        inputs = {p: h for p, h in before.items() if not p.startswith(("results/", "clean/", ".results.", ".clean."))}
        assert {p: after.get(p) for p in inputs} == inputs, _changes(inputs, after)
        for path in published_files(ws.out if ws.out.exists() else ws.clean):
            data = path.read_bytes()
            for secret in case.never_published:
                assert secret.encode() not in data, f"{secret!r} published in {path.relative_to(ws.root)}"
    if case.check is not None:
        case.check(ws, outcome)


def _changes(before: dict[str, str], after: dict[str, str]) -> str:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    return f"files added {added}, removed {removed}, changed {changed}"


def test_suite_size():
    """At least 120 hostile inputs, each id unique (the validation cases of test_bad_input count too)."""
    from test_bad_input import CASES as VALIDATION_CASES

    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert all(c.category for c in CASES)
    assert len(CASES) + len(VALIDATION_CASES) >= 120, (len(CASES), len(VALIDATION_CASES))

