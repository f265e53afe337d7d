"""The crash log: what a genuine internal error (a bug, not the user's data or config) leaves behind.

The command line prints one line naming the log and exits 3. The log is meant to be attached to a
bug report, so it holds what a developer needs and as little of the user's data as possible:

- the ij-eval version, the command line, Python and the platform;
- the traceback as code: for each frame its file, line, function and source line. Never the frame's
  local variables (they hold people's records);
- the exception's type and message, with anything that looks like a contact detail or an id
  (:mod:`ij_eval.privacy.detect`) replaced by its kind, cut to :data:`MAX_MESSAGE` characters.
  A message may still quote a value (a library naming the cell it choked on): the log says so.

It is written where no results store is ever published: ``$IJ_EVAL_CRASH_DIR`` if set, else the
user's cache folder (``~/.cache/ij-eval/`` on Linux), else the temporary folder; a folder inside any
of ``avoid`` (the data folder and the output folders of the command) is passed over. Each crash gets
its own file, readable by the user only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from ij_eval import __version__

CRASH_DIR_VARIABLE = "IJ_EVAL_CRASH_DIR"
MAX_MESSAGE = 2000  # characters of an exception's message kept in the log


def crash_dirs() -> list[Path]:
    """Where a crash log may go, in order of preference."""
    dirs = []
    if os.environ.get(CRASH_DIR_VARIABLE):
        dirs.append(Path(os.environ[CRASH_DIR_VARIABLE]))
    try:
        import platformdirs

        dirs.append(Path(platformdirs.user_cache_dir("ij-eval", appauthor=False)))
    except Exception:  # noqa: BLE001 - no home folder, or no platformdirs: fall through to the temp folder
        pass
    dirs.append(Path(tempfile.gettempdir()))
    return dirs


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    resolved = path.resolve()
    for folder in folders:
        try:
            resolved.relative_to(folder.resolve())
            return True
        except ValueError:
            continue
    return False


def screened_message(exc: BaseException) -> str:
    """The exception's message with contact details and ids replaced by their kind, cut to length."""
    from ij_eval.privacy.detect import find_identifiers

    text = str(exc)[:MAX_MESSAGE * 2]
    for finding in sorted(find_identifiers(text), key=lambda f: f.start, reverse=True):
        text = text[:finding.start] + f"<{finding.kind.name.lower()}>" + text[finding.end:]
    return text[:MAX_MESSAGE] + (" ..." if len(text) > MAX_MESSAGE else "")


def _frames(exc: BaseException) -> list[str]:
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def crash_report(exc: BaseException, argv: Sequence[str]) -> str:
    """The text of the crash log (no local variables; screened messages; the cause chain too)."""
    lines = [
        "ij-eval crash log: an internal error (a bug in ij-eval, not a problem with the data or config).",
        "Please send it with a bug report to the ij-eval developers. It holds no local variables or records, but an",
        "error message below may quote a value from the data or a path: read it before you share it.",
        "",
        f"time: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"ij-eval: {__version__}",
        "command: ij-eval " + " ".join(argv),
        f"python: {platform.python_version()} ({platform.python_implementation()})",
        f"platform: {platform.platform()}",
        "",
    ]
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for i, e in enumerate(reversed(chain)):
        if i:
            lines += ["", "During handling of the above exception, another exception occurred:", ""]
        lines += ["Traceback (most recent call last):", *_frames(e),
                  f"{type(e).__module__}.{type(e).__qualname__}: {screened_message(e)}"]
    return "\n".join(lines) + "\n"


def write_crash_log(exc: BaseException, argv: Sequence[str], *, avoid: Sequence[Path] = ()) -> Path | None:
    """Write the crash log in the first usable folder of :func:`crash_dirs` not inside ``avoid``.

    Returns the file written, or ``None`` when no folder would take it (the caller still reports
    the crash in one line).
    """
    text = crash_report(exc, argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for folder in crash_dirs():
        if _inside(folder, avoid):
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(100):
                path = folder / f"crash-{stamp}-{os.getpid()}{f'-{n}' if n else ''}.log"
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    continue
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                return path
        except OSError:
            continue
    return None


def report_crash(exc: BaseException, argv: Sequence[str], *, avoid: Sequence[Path] = ()) -> str:
    """The one line the command prints for an internal error (the log written, or why not)."""
    try:
        path = write_crash_log(exc, argv, avoid=avoid)
    except Exception:  # noqa: BLE001 - the crash report must not itself crash
        path = None
    what = f"internal error ({type(exc).__name__}): a bug in ij-eval, not a problem with your data or config"
    if path is None:
        return f"ij-eval: {what}; no crash log could be written; please report it to the ij-eval developers"
    return f"ij-eval: {what}; details in the crash log {path} (please send it with a bug report)"
