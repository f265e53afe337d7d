"""The crash log: one line and exit 3 for a bug; a log with the traceback as code, no locals, screened messages."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from ij_eval import crash
from ij_eval.cli import main
from ij_eval.errors import ConfigError


def _raise(exc: BaseException) -> BaseException:
    try:
        record = {"person_id": "P123", "name": "Kyle Smith"}  # a local the log must not show
        raise exc from KeyError(record["person_id"])
    except BaseException as caught:  # noqa: BLE001
        return caught


def test_report_has_the_traceback_as_code_and_no_locals():
    exc = _raise(RuntimeError("bad value for 07700 900123 and QQ 12 34 56 C"))
    text = crash.crash_report(exc, ["run", "data", "--out", "out"])
    assert "command: ij-eval run data --out out" in text and "ij-eval: 0.1.0" in text
    assert 'raise exc from KeyError(record["person_id"])' in text  # the source line, as code
    assert "builtins.RuntimeError: bad value for <phone> and <ni_number>" in text
    assert "builtins.KeyError: 'P123'" in text  # the cause's message is kept (it is the key)
    assert "Kyle Smith" not in text and "07700" not in text  # locals are never written


def test_messages_are_cut_short():
    text = crash.screened_message(ValueError("x" * 10_000))
    assert len(text) == crash.MAX_MESSAGE + len(" ...") and text.endswith(" ...")


def test_log_goes_to_the_crash_dir_readable_by_the_user_only(tmp_path, monkeypatch):
    monkeypatch.setenv(crash.CRASH_DIR_VARIABLE, str(tmp_path / "crashes"))
    path = crash.write_crash_log(_raise(RuntimeError("boom")), ["run"])
    assert path is not None and path.parent == tmp_path / "crashes" and path.name.startswith("crash-")
    assert os.stat(path).st_mode & 0o777 == 0o600
    second = crash.write_crash_log(_raise(RuntimeError("boom")), ["run"])
    assert second != path and second.is_file()  # never overwrites an earlier log


def test_a_crash_dir_inside_an_output_folder_is_passed_over(tmp_path, monkeypatch):
    monkeypatch.setenv(crash.CRASH_DIR_VARIABLE, str(tmp_path / "out" / "logs"))
    monkeypatch.setattr("platformdirs.user_cache_dir", lambda *a, **k: str(tmp_path / "cache"))
    path = crash.write_crash_log(_raise(RuntimeError("boom")), ["run"], avoid=[tmp_path / "out"])
    assert path is not None and path.parent == tmp_path / "cache"
    assert not (tmp_path / "out").exists()


def test_no_usable_folder_gives_none_and_a_line_saying_so(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(crash, "crash_dirs", lambda: [blocker])
    assert crash.write_crash_log(_raise(RuntimeError("boom")), ["run"]) is None
    line = crash.report_crash(_raise(RuntimeError("boom")), ["run"])
    assert line == ("ij-eval: internal error (RuntimeError): a bug in ij-eval, not a problem with your data or "
                    "config; no crash log could be written; please report it to the ij-eval developers")


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


@pytest.mark.parametrize(("exc", "code", "fragment"), [
    (RuntimeError("boom"), 3, "ij-eval: internal error (RuntimeError): a bug in ij-eval"),
    (TypeError("boom"), 3, "ij-eval: internal error (TypeError)"),
    (MemoryError(), 2, "ij-eval: the machine ran out of memory"),
    (ModuleNotFoundError("No module named 'zxcvbn'", name="zxcvbn"), 2,
     "ij-eval: the Python package 'zxcvbn' is not installed, so ij-eval is not installed completely"),
    (KeyboardInterrupt(), 130, "ij-eval: interrupted"),
    (ConfigError("a config problem"), 2, "ij-eval: a config problem"),
])
def test_the_command_line_turns_every_exception_into_one_line_and_a_code(tmp_path, monkeypatch, exc, code,
                                                                         fragment):
    monkeypatch.setenv(crash.CRASH_DIR_VARIABLE, str(tmp_path / "crash"))

    def templates(args):
        raise exc

    parser = __import__("ij_eval.cli", fromlist=["build_parser"]).build_parser
    monkeypatch.setattr("ij_eval.cli.build_parser", lambda: _with(parser(), templates))
    result, err = _cli(["templates", str(tmp_path / "t")])
    assert result == code and err.startswith(fragment) and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    logs = list((tmp_path / "crash").glob("crash-*.log")) if (tmp_path / "crash").exists() else []
    assert len(logs) == (1 if code == 3 else 0)


def _with(parser, func):
    """The parser with the templates command calling ``func``."""
    for action in parser._subparsers._group_actions:
        action.choices["templates"].set_defaults(func=func)
    return parser
