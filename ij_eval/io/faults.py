"""What the machine refused while writing, in words: an ``OSError`` becomes an :class:`EnvironmentProblem`.

A full disk, a read-only file system, a folder without write permission or a path that is a file
are not bugs and not bad data: the message says what happened, at which path, and what to do, and
the caller adds what was left unchanged (``the previous results store at ... is unchanged``).
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from ij_eval.errors import EnvironmentProblem

_OS_ERROR = re.compile(r"os error (\d+)")  # how polars (Rust) spells the errno in its OSError message

# errno -> (what happened, what to do)
_WORDS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full (no space left on the device)", "free some space on that disk, or choose a "
                                                                      "folder on another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or ask for a larger quota"),
    errno.EROFS: ("the file system is read-only", "choose a folder on a disk you can write to"),
    errno.EACCES: ("permission denied", "choose a folder you can write to, or ask for write access to it"),
    errno.EPERM: ("the operation is not permitted", "choose a folder you can write to, or ask for write access"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("the path is a folder where a file was expected", "check the path"),
    errno.ENOENT: ("a folder on the path does not exist (or was removed while writing)", "check the path"),
    errno.ENAMETOOLONG: ("the path is too long", "choose a shorter path"),
    errno.EIO: ("the disk reported an input/output error", "check the disk"),
    errno.EFBIG: ("a file is too large for the file system", "choose a folder on another disk"),
    errno.EBUSY: ("the folder is in use (a mount point?)", "choose another folder"),
    errno.ENOTEMPTY: ("a folder appeared there while writing", "check the folder and run again"),
    errno.EEXIST: ("a file appeared there while writing", "check the folder and run again"),
}


def os_errno(exc: OSError) -> int | None:
    """The error number of ``exc``, also when polars only gives it in the message."""
    if exc.errno is not None:
        return exc.errno
    found = _OS_ERROR.search(str(exc))
    return int(found.group(1)) if found else None


def with_path(exc: OSError, path: Path | str) -> OSError:
    """``exc`` as a plain OSError carrying its errno and ``path`` (polars' errors carry neither)."""
    if exc.errno is not None and exc.filename is not None:
        return exc
    number = os_errno(exc)
    if number is None:
        return exc
    return OSError(number, os.strerror(number), str(path))


def environment_problem(exc: OSError, doing: str, unchanged: str = "nothing was written") -> EnvironmentProblem:
    """``could not <doing>: <what happened> (<path>); <what to do>; <unchanged>``."""
    number = os_errno(exc)
    default = (exc.strerror or str(exc), "check the folder and run again")
    what, fix = _WORDS.get(number, default) if number is not None else default
    where = f" ({exc.filename})" if exc.filename else ""
    tail = f"; {unchanged}" if unchanged else ""
    return EnvironmentProblem(f"could not {doing}: {what}{where}; {fix}{tail}")
