"""Output folders ij-eval owns: the store marker, what ``--out`` may replace, the crash-safe swap, recovery.

A results store (``run --out``), a report folder (``report --out``) and a pseudonymised folder are
each written complete into a hidden sibling ``.<name>.partial-<random>`` and only then put at
``out``. The rules:

- **The marker.** A folder written here carries ``.ij-eval-store`` (JSON: ``kind``, ``id``,
  ``target``, ``complete``, ``files``: every file ij-eval wrote in it). A results store's
  ``manifest.json`` records the same id as ``store_id``.
- **What may be replaced.** ``out`` must be absent, an empty folder, or a complete folder of the
  same kind whose marker matches (for a results store, the manifest's ``store_id``) and which holds
  no file the marker does not list (a nested folder with its own marker, such as ``report/``,
  answers for itself). Anything else is refused with :class:`OutputRefused`: a folder with no
  marker, a store written by an ij-eval older than markers (a ``manifest.json`` but no marker: it
  cannot be told apart from a folder a person filled, so the user is asked to check and delete it),
  files added by hand.
- **What is never touched.** ``out`` may not be, contain, or lie inside a protected path (the data
  folder, each input file, the config file), compared after resolving symlinks.
- **The swap.** On Linux, ``renameat2(RENAME_EXCHANGE)`` swaps the new folder and the old one in
  one atomic step, so at every instant ``out`` is the old complete folder or the new complete one;
  the old one is then removed, its marker last, so a half-removed folder is still known to be ours.
  Where the system cannot exchange two folders, two renames are used (``out`` →
  ``.<name>.old-<random>``, then new → ``out``) and a kill between them leaves ``out`` missing,
  which the next run repairs.
- **Recovery.** Before writing, leftovers beside ``out`` (``.<name>.partial-*``, ``.<name>.old-*``)
  are dealt with and reported in one line each: when ``out`` is missing, the newest complete old
  folder of ours is put back; every other leftover of ours is removed; a leftover without our
  marker is left alone and named; one still held by a running ij-eval (it keeps a lock on its
  folder) is skipped.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ij_eval.errors import EnvironmentProblem, OutputRefused
from ij_eval.io.faults import environment_problem, os_errno

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

MARKER = ".ij-eval-store"
MARKER_FORMAT = 1
MANIFEST = "manifest.json"
Say = Callable[[str], None]


class Kind(StrEnum):
    """What an output folder is."""

    RESULTS = "results"
    REPORT = "report"
    PSEUDONYMISED = "pseudonymised"

    @property
    def noun(self) -> str:
        return {"results": "an ij-eval results store", "report": "an ij-eval report folder",
                "pseudonymised": "a pseudonymised folder written by ij-eval"}[self.value]

    @property
    def short(self) -> str:
        return {"results": "results store", "report": "report", "pseudonymised": "pseudonymised folder"}[self.value]


@dataclass(frozen=True)
class Marker:
    """The contents of ``.ij-eval-store``: whose folder this is and every file written in it."""

    kind: Kind
    id: str
    target: str  # the name of the ``out`` it was written for (leftovers are matched on it)
    complete: bool = False
    files: tuple[str, ...] = ()

    def dumps(self) -> str:
        return json.dumps({"ij_eval_store": MARKER_FORMAT, "kind": self.kind.value, "id": self.id,
                           "target": self.target, "complete": self.complete, "files": list(self.files)},
                          indent=1) + "\n"


@dataclass(frozen=True)
class Protected:
    """A path an output folder must never be, contain, or (unless ``inside_ok``) lie inside."""

    what: str  # "the data folder", "the input file", "the config file", "the results store"
    path: Path
    inside_ok: bool = False


@dataclass(frozen=True)
class Staged:
    """A folder being written: ``path`` (hidden, beside ``out``) and the id its marker carries."""

    path: Path
    id: str
    out: Path


def notice(message: str) -> None:
    """One line on stderr, quiet or not: recovery is never silent."""
    print(f"ij-eval: {message}", file=sys.stderr, flush=True)


def _checkpoint(step: str) -> None:
    """Called between the steps of a write; tests replace it to kill or fail the process there."""


# ---------------------------------------------------------------------------------------------
# the marker


def read_marker(folder: Path) -> Marker | None:
    """The marker of ``folder``, or None when it has none (or an unreadable one: then it is not ours)."""
    path = folder / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = raw["files"]
        if raw.get("ij_eval_store") != MARKER_FORMAT or not isinstance(files, list):
            return None
        return Marker(Kind(raw["kind"]), str(raw["id"]), str(raw["target"]), raw["complete"] is True,
                      tuple(str(f) for f in files))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_marker(folder: Path, marker: Marker) -> None:
    tmp = folder / f"{MARKER}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(marker.dumps())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MARKER)


def _manifest_id(folder: Path) -> str | None:
    try:
        value = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("store_id")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _written_by_ij_eval(manifest: Path) -> bool:
    """Whether ``manifest`` is an ij-eval manifest (any version): JSON naming the ij-eval version."""
    try:
        return "ij_eval_version" in json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _files(folder: Path) -> tuple[str, ...]:
    """Every file under ``folder`` but the marker, as sorted relative POSIX paths."""
    found = []
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            rel = Path(dirpath, name).relative_to(folder).as_posix()
            if rel not in (MARKER, f"{MARKER}.tmp"):
                found.append(rel)
    return tuple(sorted(found))


def _unowned(folder: Path, marker: Marker) -> list[str]:
    """Files under ``folder`` its marker does not list; a nested folder with a marker answers for itself."""
    listed = set(marker.files)
    found: list[str] = []

    def walk(directory: Path, prefix: str) -> None:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                nested = read_marker(Path(entry.path))
                if nested is None:
                    walk(Path(entry.path), rel + "/")
                elif nested.complete:
                    found.extend(f"{rel}/{f}" for f in _unowned(Path(entry.path), nested))
                # an unfinished folder with our marker (a report being staged) is ours throughout
            elif rel not in listed and not (prefix == "" and entry.name in (MARKER, f"{MARKER}.tmp")):
                found.append(rel)

    walk(folder, "")
    return found


# ---------------------------------------------------------------------------------------------
# checks before anything is written


def resolve(out: str | Path, flag: str = "--out") -> Path:
    """``out`` as an absolute path with every symlink resolved."""
    try:
        return Path(out).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise EnvironmentProblem(f"{flag} {out} cannot be used: {exc}; choose another folder") from None


def _for(flag: str) -> str:
    """``for --out`` (or ``for OUT_DIR``); for a default folder, where to name another one."""
    return f"for {flag}" if flag.startswith("-") or flag.isupper() else "(name one with --out)"


def check_place(out: Path, flag: str = "--out") -> None:
    """The folder that holds ``out`` exists and can be written; ``out`` is not a file."""
    parent = out.parent
    if out.exists() and not out.is_dir():
        raise EnvironmentProblem(f"{flag} {out} is a file, not a folder; choose a folder {_for(flag)} "
                                 "(the file was left as it is)")
    if not parent.exists():
        raise EnvironmentProblem(f"{flag} {out} cannot be written: the folder that would hold it, {parent}, does "
                                 "not exist; create it first, or check the path (is a disk not mounted?); "
                                 "nothing was written")
    if not parent.is_dir():
        raise EnvironmentProblem(f"{flag} {out} cannot be written: {parent} is a file, not a folder; "
                                 "check the path; nothing was written")
    try:
        read_only = bool(os.statvfs(parent).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        read_only = False
    if read_only:
        raise EnvironmentProblem(f"{flag} {out} cannot be written: the file system holding {parent} is read-only; "
                                 "choose a folder on a disk you can write to; nothing was written")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise EnvironmentProblem(f"{flag} {out} cannot be written: permission denied in {parent}; choose a folder "
                                 "you can write to, or ask for write access to it; nothing was written")


def check_protected(out: Path, protected: Iterable[Protected], flag: str = "--out") -> None:
    """Refuse an ``out`` that is, contains or lies inside a protected path (both resolved)."""
    for item in protected:
        for path in dict.fromkeys((Path(item.path).absolute(), resolve(item.path, flag))):
            if out == path:
                raise OutputRefused(f"{flag} {out} is {item.what} {path}: ij-eval never writes over its inputs; "
                                    f"choose a new folder outside it {_for(flag)}")
            if path.is_relative_to(out):
                raise OutputRefused(f"{flag} {out} contains {item.what} {path}: writing there would replace it; "
                                    f"choose a folder {_for(flag)} that does not hold {item.what}")
            if out.is_relative_to(path) and not item.inside_ok and path.is_dir():
                raise OutputRefused(f"{flag} {out} is inside {item.what} {path}: ij-eval never writes among its "
                                    f"inputs; choose a folder outside {path} {_for(flag)}")


def refusal(out: Path, kind: Kind, flag: str = "--out", *, replace: bool = True) -> str | None:
    """Why ``out`` may not be replaced by a new folder of ``kind`` (None: it may)."""
    try:
        if not out.is_dir() or not any(out.iterdir()):
            return None
    except OSError as exc:
        raise environment_problem(exc, f"look inside {flag} {out}") from None
    if not replace:
        return (f"the output folder {out} is not empty; choose a new or empty folder (nothing is ever "
                "overwritten)")
    marker = read_marker(out)
    if marker is None:
        if kind is Kind.RESULTS and _written_by_ij_eval(out / MANIFEST):
            return (f"{flag} {out} looks like a results store written by an older ij-eval (it has {MANIFEST} "
                    f"but no {MARKER} marker), so ij-eval cannot tell that every file in it is its own and will "
                    "not replace it; check the folder, keep anything you need elsewhere, then delete it and run "
                    f"again (or choose another folder {_for(flag)})")
        older = (" (a report folder from an older ij-eval has no marker either: delete it and run again)"
                 if kind is Kind.REPORT else "")
        return (f"{flag} {out} is not empty and is not {kind.noun} (it has no {MARKER} marker), so ij-eval will "
                f"not replace it; choose a new or empty folder {_for(flag)}, or move its contents elsewhere{older}")
    if marker.kind is not kind:
        return f"{flag} {out} holds {marker.kind.noun}, not {kind.noun}; choose another folder {_for(flag)}"
    if not marker.complete:
        return (f"{flag} {out} is an unfinished folder of an interrupted ij-eval run (its {MARKER} marker says "
                f"incomplete); check it, then delete it or choose another folder {_for(flag)}")
    if kind is Kind.RESULTS and _manifest_id(out) != marker.id:
        return (f"{flag} {out} has an ij-eval marker whose id does not match the store_id in its {MANIFEST} "
                "(copied or edited by hand?), so ij-eval cannot tell it is the store it wrote and will not "
                f"replace it; check the folder, then delete it or choose another folder {_for(flag)}")
    try:
        foreign = _unowned(out, marker)
    except OSError as exc:
        raise environment_problem(exc, f"look inside {flag} {out}") from None
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        return (f"{flag} {out} is {kind.noun} but holds {len(foreign)} file{'s' if len(foreign) != 1 else ''} "
                f"ij-eval did not write ({shown}); replacing it would delete them, so move them out of it "
                f"(or choose another folder {_for(flag)})")
    return None


def prepare(out: str | Path, kind: Kind, *, protected: Sequence[Protected] = (), flag: str = "--out",
            replace: bool = True, say: Say = notice) -> Path:
    """Every check on ``out`` and recovery of leftovers beside it; the resolved ``out``.

    Raises :class:`OutputRefused` (not ours to replace, or an input) or :class:`EnvironmentProblem`
    (a file, a missing or unwritable parent, a read-only file system). Nothing is written but what
    recovery repairs.
    """
    out = resolve(out, flag)
    check_protected(out, protected, flag)
    check_place(out, flag)
    recover(out, kind, say)
    why = refusal(out, kind, flag, replace=replace)
    if why:
        raise OutputRefused(why)
    return out


# ---------------------------------------------------------------------------------------------
# recovery


def _lock(folder: Path) -> int | None:
    """Hold an exclusive lock on ``folder`` for as long as this process writes it."""
    if fcntl is None:  # pragma: no cover
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the lock


def _locked(folder: Path) -> bool:
    """Whether a live process (this one too) holds ``folder``'s lock."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def leftovers(out: Path) -> list[Path]:
    """The hidden ``.<name>.partial-*`` and ``.<name>.old-*`` entries beside ``out``."""
    prefixes = (f".{out.name}.partial-", f".{out.name}.old-")
    try:
        return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefixes))
    except OSError as exc:
        raise environment_problem(exc, f"look inside {out.parent}") from None


def _remove(folder: Path) -> None:
    """Remove a folder of ours, its marker last, so a removal cut short is still recognisably ours."""
    for entry in sorted(folder.iterdir()):
        if entry.name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        _checkpoint("removing")
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


def recover(out: Path, kind: Kind, say: Say = notice) -> None:
    """Put back the previous folder if an interrupted swap left ``out`` missing; remove our other leftovers.

    What was done is said in one line (nothing is said when there was nothing to do).
    """
    ours: list[tuple[Path, Marker]] = []
    foreign: list[str] = []
    busy: list[str] = []
    removed: list[str] = []
    for path in leftovers(out):
        if path.is_symlink() or not path.is_dir():
            foreign.append(path.name)
            continue
        if _locked(path):
            busy.append(path.name)
            continue
        marker = read_marker(path)
        try:
            if marker is None and not any(p.name != f"{MARKER}.tmp" for p in path.iterdir()):
                shutil.rmtree(path)  # a run killed as it began: an empty folder
                removed.append(path.name)
                continue
        except OSError as exc:
            raise environment_problem(exc, f"remove the leftover folder {path}", "") from None
        if marker is None or marker.kind is not kind or marker.target != out.name:
            foreign.append(path.name)
        else:
            ours.append((path, marker))
    said: list[str] = []
    restored = None
    if not out.exists() and not out.is_symlink():
        olds = [(p, m) for p, m in ours if m.complete and p.name.startswith(f".{out.name}.old-")]
        if olds:
            restored = max(olds, key=lambda pm: (pm[0] / MARKER).stat().st_mtime)[0]
            try:
                os.rename(restored, out)
            except OSError as exc:
                raise environment_problem(exc, f"put the previous folder {restored} back at {out}", "") from None
            said.append(f"recovered {kind.noun} at {out} from an interrupted run (it had been left at "
                        f"{restored.name})")
    for path, _ in ours:
        if path == restored:
            continue
        try:
            _remove(path)
        except OSError as exc:
            raise environment_problem(exc, f"remove the leftover folder {path} of an interrupted run", "") from None
        removed.append(path.name)
    if removed:
        said.append(f"removed {len(removed)} leftover folder{'s' if len(removed) != 1 else ''} of an interrupted "
                    f"ij-eval run beside {out}: {', '.join(removed)}")
    if foreign:
        said.append(f"left {', '.join(foreign)} beside {out} alone: not written by ij-eval for it (no matching "
                    f"{MARKER} marker); delete it yourself if it is not needed")
    if busy:
        said.append(f"left {', '.join(busy)} beside {out} alone: another ij-eval run is writing it")
    if said:
        say("; ".join(said))


# ---------------------------------------------------------------------------------------------
# the swap

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without renameat2 (glibc < 2.28)
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    fn.restype = ctypes.c_int
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one atomic step; False when the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # a file system (or kernel) that cannot exchange
    raise OSError(number, os.strerror(number), str(b))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(staging: Path, marker: Marker) -> None:
    """Flush every file to disk and mark the folder complete (or drop the marker when it must not stay)."""
    for rel in marker.files:
        with open(staging / rel, "rb") as fh:
            os.fsync(fh.fileno())
    _write_marker(staging, marker)
    for dirpath, _, _ in os.walk(staging):
        _fsync_dir(Path(dirpath))


def _swap(staging: Path, out: Path, say: Say) -> None:
    """Put the complete ``staging`` at ``out``; remove what was there (ours, checked)."""
    if not out.exists():
        os.rename(staging, out)
        _checkpoint("swapped")
        _fsync_dir(out.parent)
        return
    previous = read_marker(out)
    if previous is not None and previous.target != out.name:  # a store moved here by hand: it is ours now
        _write_marker(out, dataclasses.replace(previous, target=out.name))
    old_lock = None
    try:
        if exchange(staging, out):
            old = staging  # after the exchange the old folder is where the new one was staged
            _checkpoint("swapped")
        else:
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            try:
                old_lock = _lock(out)  # so that no other run "recovers" it while out is missing
            except OSError:
                old_lock = None
            os.rename(out, old)
            try:
                _checkpoint("aside")
                os.rename(staging, out)
            except BaseException:
                if not out.exists():
                    os.rename(old, out)
                raise
            _checkpoint("swapped")
        _fsync_dir(out.parent)
        try:
            if read_marker(old) is None and not any(old.iterdir()):
                old.rmdir()  # the empty folder that was at out
            else:
                _remove(old)
        except OSError as exc:
            say(f"the new folder is at {out}, but the previous one could not be removed from {old} "
                f"({exc.strerror}); the next run removes it, or delete it yourself")
    finally:
        _unlock(old_lock)


@contextmanager
def staged_folder(out: str | Path, kind: Kind, *, protected: Sequence[Protected] = (), flag: str = "--out",
                  subfolders: Sequence[str] = (), replace: bool = True, keep_marker: bool = True,
                  mode: int | None = 0o755, say: Say = notice) -> Iterator[Staged]:
    """Yield a hidden folder beside ``out`` to write into; when the block ends it replaces ``out``.

    Everything :func:`prepare` checks is checked first (and checked again just before the swap).
    If the block raises, the staged folder is removed and ``out`` is untouched; an ``OSError``
    (disk full, read-only, permission) becomes an :class:`EnvironmentProblem` saying what and
    where. ``keep_marker=False`` drops the marker from the finished folder (a pseudonymised
    folder is read again as input and holds only data); ``mode`` is the finished folder's
    permissions (None keeps the owner-only ones it is created with).
    """
    out = prepare(out, kind, protected=protected, flag=flag, replace=replace, say=say)
    unchanged = (f"the previous {kind.short} at {out} is unchanged" if out.is_dir() and any(out.iterdir())
                 else "nothing was written")
    store_id = uuid.uuid4().hex
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    except OSError as exc:
        raise environment_problem(exc, f"create a folder beside {out}", unchanged) from None
    lock = None
    swapped = False
    try:
        lock = _lock(staging)
        _write_marker(staging, Marker(kind, store_id, out.name))
        _checkpoint("staged")
        for name in subfolders:
            (staging / name).mkdir()
        yield Staged(staging, store_id, out)
        _checkpoint("written")
        why = refusal(out, kind, flag, replace=replace) if out.exists() else None  # changed meanwhile?
        if why:
            raise OutputRefused(why)
        marker = Marker(kind, store_id, out.name, True, _files(staging))
        _seal(staging, marker)
        if not keep_marker:
            (staging / MARKER).unlink()
        if mode is not None:
            os.chmod(staging, mode)
        _checkpoint("sealed")
        _swap(staging, out, say)
        swapped = True
        _checkpoint("done")
    except OSError as exc:
        _discard(staging, swapped, say)
        if not _environmental(exc, out):
            raise
        raise environment_problem(exc, f"write {flag} {out}", unchanged) from None
    except BaseException:
        _discard(staging, swapped, say)
        raise
    finally:
        _unlock(lock)


# what the machine, not a bug, causes wherever it happens; the rest only on the way to ``out``
_ENVIRONMENTAL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG,
                  errno.ENAMETOOLONG, errno.EMFILE, errno.ENFILE}


def _environmental(exc: OSError, out: Path) -> bool:
    if os_errno(exc) in _ENVIRONMENTAL:
        return True
    filename = exc.filename
    return filename is not None and Path(os.fsdecode(filename)).absolute().is_relative_to(out.parent)


def _discard(staging: Path, swapped: bool, say: Say) -> None:
    if swapped or not staging.exists():
        return
    try:
        shutil.rmtree(staging)
    except OSError as exc:
        say(f"could not remove the unfinished folder {staging} ({exc.strerror}); the next run removes it, "
            "or delete it yourself")
