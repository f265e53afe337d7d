"""Output folders: the marker, what may be replaced, the crash-safe swap (killed at every step), recovery, faults."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ij_eval.errors import EnvironmentProblem, OutputRefused
from ij_eval.io import output_folder as of
from ij_eval.io.output_folder import MARKER, Kind, Protected, prepare, read_marker, recover, staged_folder

OLD = {"a.txt": "old a", "sub/b.txt": "old b", "gone.txt": "only in the old"}
NEW = {"a.txt": "new a", "sub/b.txt": "new b", "c.txt": "only in the new"}


def write(out: Path, files: dict[str, str], kind: Kind = Kind.REPORT, **kwargs) -> None:
    with staged_folder(out, kind, say=kwargs.pop("say", lambda m: None), **kwargs) as staged:
        for rel, text in files.items():
            (staged.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged.path / rel).write_text(text)


def contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MARKER}


def everything(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def complete(folder: Path, files: dict[str, str]) -> bool:
    marker = read_marker(folder)
    return marker is not None and marker.complete and contents(folder) == files and set(marker.files) == set(files)


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------------------------------
# the marker and what may be replaced

def test_a_new_folder_carries_a_complete_marker_listing_every_file(tmp_path):
    out = tmp_path / "report"
    write(out, NEW)
    marker = read_marker(out)
    assert marker.kind is Kind.REPORT and marker.complete and marker.target == "report" and len(marker.id) == 32
    assert marker.files == ("a.txt", "c.txt", "sub/b.txt")
    assert contents(out) == NEW and hidden(tmp_path) == []


def test_a_folder_of_ours_is_replaced_whole(tmp_path):
    out = tmp_path / "report"
    write(out, OLD)
    first = read_marker(out).id
    write(out, NEW)
    assert complete(out, NEW) and read_marker(out).id != first
    assert hidden(tmp_path) == []


def test_an_empty_folder_may_be_used(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    write(out, NEW)
    assert complete(out, NEW) and hidden(tmp_path) == []


@pytest.mark.parametrize("arrange, says", [
    (lambda out: (out / "notes.txt").write_text("keep me"), "is not empty and is not an ij-eval report folder"),
    (lambda out: (out / "manifest.json").write_text("{}"), "no .ij-eval-store marker"),
])
def test_a_folder_without_our_marker_is_refused_and_left_alone(tmp_path, arrange, says):
    out = tmp_path / "report"
    out.mkdir()
    arrange(out)
    before = everything(tmp_path)
    with pytest.raises(OutputRefused, match=says) as info:
        write(out, NEW)
    assert str(out) in str(info.value)
    assert everything(tmp_path) == before and hidden(tmp_path) == []


def test_a_results_store_from_before_markers_is_refused_with_what_to_do(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "manifest.json").write_text('{"ij_eval_version": "0.1.0"}')
    (out / "results.json").write_text("{}")
    before = everything(tmp_path)
    with pytest.raises(OutputRefused) as info:
        write(out, NEW, Kind.RESULTS)
    message = str(info.value)
    assert f"--out {out} looks like a results store written by an older ij-eval" in message
    assert "check the folder, keep anything you need elsewhere, then delete it and run again" in message
    assert everything(tmp_path) == before


def _results_store(out: Path, files: dict[str, str]) -> str:
    with staged_folder(out, Kind.RESULTS, say=lambda m: None) as staged:
        for rel, text in files.items():
            (staged.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged.path / rel).write_text(text)
        (staged.path / "manifest.json").write_text(json.dumps({"store_id": staged.id}))
    return read_marker(out).id


def test_a_results_store_is_ours_only_when_its_manifest_has_the_markers_id(tmp_path):
    out = tmp_path / "results"
    _results_store(out, OLD)
    _results_store(out, NEW)  # ours: replaced
    assert contents(out) == {**NEW, "manifest.json": contents(out)["manifest.json"]}
    (out / "manifest.json").write_text(json.dumps({"store_id": "0" * 32}))
    before = everything(tmp_path)
    with pytest.raises(OutputRefused, match="marker whose id does not match the store_id in its manifest.json"):
        _results_store(out, OLD)
    assert everything(tmp_path) == before


def test_a_store_with_files_added_by_hand_is_refused_naming_them(tmp_path):
    out = tmp_path / "results"
    _results_store(out, OLD)
    (out / "my notes.txt").write_text("mine")
    (out / "data").mkdir()
    (out / "data" / "referrals.csv").write_text("referral_id\nR1\n")
    before = everything(tmp_path)
    with pytest.raises(OutputRefused) as info:
        _results_store(out, NEW)
    message = str(info.value)
    assert "holds 2 files ij-eval did not write (data/referrals.csv, my notes.txt)" in message
    assert "move them out of it" in message
    assert everything(tmp_path) == before


def test_a_report_folder_inside_a_store_is_ours_too(tmp_path):
    out = tmp_path / "results"
    _results_store(out, OLD)
    write(out / "report", {"report.html": "<p>old</p>"})
    _results_store(out, NEW)
    assert not (out / "report").exists() and hidden(tmp_path) == []


def test_a_folder_of_another_kind_is_refused(tmp_path):
    out = tmp_path / "results"
    _results_store(out, OLD)
    with pytest.raises(OutputRefused, match="holds an ij-eval results store, not an ij-eval report folder"):
        write(out, NEW, Kind.REPORT)


def test_a_copied_marker_does_not_make_a_folder_ours(tmp_path):
    out = tmp_path / "results"
    _results_store(out, OLD)
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.csv").write_text("x")
    (other / MARKER).write_bytes((out / MARKER).read_bytes())
    (other / "manifest.json").write_bytes((out / "manifest.json").read_bytes())
    with pytest.raises(OutputRefused, match=r"holds 1 file ij-eval did not write \(precious.csv\)"):
        _results_store(other, NEW)
    assert (other / "precious.csv").read_text() == "x"


# --------------------------------------------------------------------------------------------------
# protected paths

@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "referrals.csv").write_text("referral_id\nR1\n")
    return folder


@pytest.mark.parametrize("where, protect, says", [
    ("data", "folder", "is the data folder"),
    ("data/results", "folder", "is inside the data folder"),
    (".", "folder", "contains the data folder"),
    ("data/referrals.csv", "file", "is the input file"),
    (".", "file", "contains the input file"),
])
def test_out_may_not_be_in_or_around_the_data(tmp_path, data, where, protect, says):
    protected = (Protected("the data folder", data) if protect == "folder"
                 else Protected("the input file", data / "referrals.csv"))
    out = tmp_path / where
    before = everything(tmp_path)
    with pytest.raises(OutputRefused, match=says) as info:
        write(out, NEW, Kind.RESULTS, protected=[protected])
    assert str(info.value).startswith(f"--out {out.resolve()} {says} {protected.path}")
    assert everything(tmp_path) == before


def test_symlinks_are_resolved_before_comparing(tmp_path, data):
    link = tmp_path / "looks-elsewhere"
    link.symlink_to(data)
    with pytest.raises(OutputRefused, match="is the data folder"):
        write(link, NEW, Kind.RESULTS, protected=[Protected("the data folder", data)])
    # an input file that is a symlink into a folder: that folder may not be --out
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "offences.csv").write_text("offence_id\n")
    (data / "offences.csv").symlink_to(elsewhere / "offences.csv")
    with pytest.raises(OutputRefused, match="contains the input file"):
        write(elsewhere, NEW, Kind.RESULTS, protected=[Protected("the input file", data / "offences.csv")])
    assert (elsewhere / "offences.csv").read_text() == "offence_id\n"


def test_a_report_may_lie_inside_its_store_but_not_be_it(tmp_path):
    store = tmp_path / "results"
    _results_store(store, OLD)
    protected = [Protected("the results store", store, inside_ok=True)]
    write(store / "report", NEW, protected=protected)
    with pytest.raises(OutputRefused, match="is the results store"):
        write(store, NEW, protected=protected)
    with pytest.raises(OutputRefused, match="contains the results store"):
        write(tmp_path, NEW, protected=protected)


# --------------------------------------------------------------------------------------------------
# the place and the machine

def test_out_naming_a_file_is_an_environment_problem(tmp_path):
    out = tmp_path / "results"
    out.write_text("a file")
    with pytest.raises(EnvironmentProblem, match=f"--out {out} is a file, not a folder"):
        write(out, NEW)
    assert out.read_text() == "a file" and hidden(tmp_path) == []


def test_a_missing_parent_is_not_created(tmp_path):
    out = tmp_path / "unmounted" / "results"
    with pytest.raises(EnvironmentProblem, match=rf"the folder that would hold it, {tmp_path / 'unmounted'}, does "
                                                 r"not exist; create it first"):
        write(out, NEW)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(EnvironmentProblem, match="is a file, not a folder"):
        write(tmp_path / "file" / "results", NEW)


def _fail_with(number: int):
    def fail(*args, **kwargs):
        raise OSError(number, os.strerror(number), str(args[0]) if args else None)
    return fail


@pytest.mark.parametrize("number, says", [
    (errno.ENOSPC, "the disk is full (no space left on the device)"),
    (errno.EROFS, "the file system is read-only"),
    (errno.EACCES, "permission denied"),
    (errno.EDQUOT, "the disk quota is used up"),
])
def test_a_write_refused_by_the_machine_keeps_the_old_folder_and_leaves_nothing(tmp_path, number, says):
    out = tmp_path / "report"
    write(out, OLD)
    before = everything(tmp_path)
    with pytest.raises(EnvironmentProblem) as info:
        with staged_folder(out, Kind.REPORT, say=lambda m: None) as staged:
            (staged.path / "a.txt").write_text("half")
            _fail_with(number)(staged.path / "b.txt")
    message = str(info.value)
    assert message.startswith(f"could not write --out {out}: {says}")
    assert f"the previous report at {out} is unchanged" in message and ".partial-" in message
    assert everything(tmp_path) == before and hidden(tmp_path) == []


@pytest.mark.parametrize("primitive", ["mkdtemp", "exchange", "rename", "marker"])
def test_every_step_of_the_swap_turns_an_os_error_into_an_environment_problem(tmp_path, monkeypatch, primitive):
    out = tmp_path / "report"
    write(out, OLD)
    before = everything(tmp_path)
    if primitive == "mkdtemp":
        monkeypatch.setattr(of.tempfile, "mkdtemp", _fail_with(errno.EROFS))
    elif primitive == "exchange":
        monkeypatch.setattr(of, "exchange", _fail_with(errno.EIO))
    elif primitive == "rename":  # the two-rename fallback: putting the new folder at out fails once
        monkeypatch.setattr(of, "exchange", lambda a, b: False)
        real, failed = os.rename, []

        def rename(a, b):
            if Path(b) == out and ".partial-" in Path(a).name and not failed:
                failed.append(b)
                _fail_with(errno.EACCES)(b)
            real(a, b)

        monkeypatch.setattr(of.os, "rename", rename)
    else:
        monkeypatch.setattr(of, "_write_marker", _fail_with(errno.ENOSPC))
    with pytest.raises(EnvironmentProblem, match=f"the previous report at {out} is unchanged"):
        write(out, NEW)
    assert everything(tmp_path) == before and hidden(tmp_path) == []


@pytest.fixture
def world_readable():
    """A folder any user can reach (pytest's own are the owner's only), removed afterwards."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ij-eval-test-"))
    folder.chmod(0o755)
    yield folder
    for p in folder.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(folder)


def test_permission_denied_for_real(world_readable):
    """A parent folder without write permission, as an ordinary user (as root, through setpriv)."""
    parent = world_readable / "locked"
    parent.mkdir()
    write(parent / "report", OLD)
    parent.chmod(0o555)
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from ij_eval.errors import IJEvalError
        from ij_eval.io.output_folder import Kind, staged_folder
        try:
            with staged_folder(Path({str(parent / 'report')!r}), Kind.REPORT) as staged:
                (staged.path / "a.txt").write_text("new")
        except IJEvalError as exc:
            print(type(exc).__name__, exc)
            sys.exit(exc.exit_code)
        """)
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:  # root may write anywhere: drop to nobody for this one write
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        parent.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith("EnvironmentProblem ") and f"permission denied in {parent}" in done.stdout
    assert complete(parent / "report", OLD) and hidden(parent) == []


# --------------------------------------------------------------------------------------------------
# the swap, killed or failing at every step

KILL = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from ij_eval.io import output_folder as of
    out, step, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "fallback":
        of.exchange = lambda a, b: False
    def checkpoint(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    of._checkpoint = checkpoint
    with of.staged_folder(out, of.Kind.REPORT) as staged:
        for rel, text in {new!r}.items():
            (staged.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged.path / rel).write_text(text)
""").replace("{new!r}", repr(NEW))

STEPS = {"exchange": ("staged", "written", "sealed", "swapped", "removing", "done"),
         "fallback": ("staged", "sealed", "aside", "swapped", "removing")}


@pytest.mark.parametrize("mode, step", [(m, s) for m, steps in STEPS.items() for s in steps])
def test_killed_at_any_step_the_old_or_the_new_folder_is_complete_and_the_next_run_recovers(tmp_path, mode, step):
    out = tmp_path / "report"
    write(out, OLD)
    done = subprocess.run([sys.executable, "-c", KILL, str(out), step, mode], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    if mode == "fallback" and step == "aside":  # the one window two renames cannot close
        assert not out.exists()
        assert [complete(p, OLD) for p in tmp_path.iterdir() if ".old-" in p.name] == [True]
    else:
        assert complete(out, OLD) or complete(out, NEW), contents(out)
        assert complete(out, NEW) == (step in ("swapped", "removing", "done"))
    said: list[str] = []
    recover(out, Kind.REPORT, said.append)
    assert complete(out, OLD) or complete(out, NEW)
    assert hidden(tmp_path) == []
    if step != "done":  # something was left beside out, and the user is told in one line
        assert len(said) == 1 and ("recovered an ij-eval report folder at" in said[0]
                                   or "leftover folder of an interrupted ij-eval run" in said[0]), said
    if mode == "fallback" and step == "aside":
        assert complete(out, OLD) and said[0].startswith(f"recovered an ij-eval report folder at {out}")
    write(out, NEW)  # and the next write goes through
    assert complete(out, NEW) and hidden(tmp_path) == []


@pytest.mark.parametrize("step", ["staged", "sealed", "swapped"])
def test_killed_while_writing_the_first_folder_leaves_nothing_that_looks_complete(tmp_path, step):
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-c", KILL, str(out), step, "exchange"], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert complete(out, NEW) if step == "swapped" else not out.exists()
    recover(out, Kind.REPORT, lambda m: None)
    assert hidden(tmp_path) == []


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
@pytest.mark.parametrize("step", ["staged", "written", "sealed", "aside", "swapped", "removing"])
def test_a_failure_at_any_step_leaves_a_complete_folder_and_nothing_beside_it(tmp_path, monkeypatch, mode, step):
    out = tmp_path / "report"
    write(out, OLD)
    if mode == "fallback":
        monkeypatch.setattr(of, "exchange", lambda a, b: False)

    def checkpoint(name):
        if name == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(of, "_checkpoint", checkpoint)
    try:
        write(out, NEW)
    except KeyboardInterrupt:
        pass
    assert complete(out, OLD) or complete(out, NEW)
    monkeypatch.setattr(of, "_checkpoint", lambda name: None)
    recover(out, Kind.REPORT, lambda m: None)
    assert hidden(tmp_path) == []


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ij_eval.io import output_folder as of
    out = Path(sys.argv[1])
    if sys.argv[2] == "fallback":
        of.exchange = lambda a, b: False
    print("ready", flush=True)
    for generation in range(10**6):
        with of.staged_folder(out, of.Kind.REPORT, say=lambda m: None) as staged:
            for name in ("a", "b", "c"):
                (staged.path / name).write_text(str(generation) * 1000)
""")


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_killed_at_random_instants_out_always_holds_one_complete_folder(tmp_path, mode):
    """A writer replacing its folder in a loop, killed at random times: never a mixed --out, and with the
    exchange never a missing one (with two renames, a missing one the next run restores)."""
    out = tmp_path / "report"
    write(out, {"a": "x", "b": "x", "c": "x"})
    rng = random.Random(13)
    for _ in range(6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(out), mode], stdout=subprocess.PIPE)
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 0.6))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        if mode == "fallback" and not out.exists():
            recover(out, Kind.REPORT, lambda m: None)
        marker = read_marker(out)
        files = contents(out)
        assert marker is not None and marker.complete and set(marker.files) == {"a", "b", "c"} == set(files)
        assert len(set(files.values())) == 1  # one generation, not a mixture
        recover(out, Kind.REPORT, lambda m: None)
        assert hidden(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# recovery

def test_recovery_leaves_what_is_not_ours_and_says_so(tmp_path):
    out = tmp_path / "report"
    write(out, OLD)
    theirs = tmp_path / ".report.partial-mine"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("someone's")
    empty = tmp_path / ".report.old-empty"
    empty.mkdir()
    said: list[str] = []
    prepare(out, Kind.REPORT, say=said.append)
    assert (theirs / "keep.txt").read_text() == "someone's" and not empty.exists()
    assert said == [f"removed 1 leftover folder of an interrupted ij-eval run beside {out}: .report.old-empty; "
                    f"left .report.partial-mine beside {out} alone: not written by ij-eval for it (no matching "
                    f"{MARKER} marker); delete it yourself if it is not needed"]


def test_recovery_skips_a_folder_another_run_is_writing(tmp_path):
    out = tmp_path / "report"
    said: list[str] = []
    with staged_folder(out, Kind.REPORT, say=lambda m: None) as staged:
        (staged.path / "a.txt").write_text("being written")
        recover(out, Kind.REPORT, said.append)  # as a second run would, while this one writes
        assert staged.path.is_dir()
    assert said == [f"left {staged.path.name} beside {out} alone: another ij-eval run is writing it"]
    assert complete(out, {"a.txt": "being written"})


def test_exchange_swaps_two_folders_in_one_step_on_linux(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert of.exchange(a, b) is sys.platform.startswith("linux")
    if sys.platform.startswith("linux"):
        assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


# --------------------------------------------------------------------------------------------------
# the report is written the same way

def _store_with_data(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "referrals.csv").write_text("referral_id\nR1\n")
    store = tmp_path / "results"
    with staged_folder(store, Kind.RESULTS, say=lambda m: None) as staged:
        (staged.path / "results.json").write_text(json.dumps({"strands": {}}))
        (staged.path / "manifest.json").write_text(json.dumps({
            "store_id": staged.id, "data_dir": str(data), "config_file": str(data / "evaluation.toml"),
            "inputs": {"referrals": {"file": "referrals.csv"}}}))
    return store, data


@pytest.mark.parametrize("where, says", [("data", "is the data folder"), ("data/report", "is inside the data folder"),
                                         ("results", "is the results store"), (".", "contains the results store")])
def test_report_out_is_refused_before_anything_is_built(tmp_path, monkeypatch, where, says):
    import ij_eval.report as report

    store, data = _store_with_data(tmp_path)
    monkeypatch.setattr(report, "build_outputs", lambda *a, **k: pytest.fail("built before checking --out"))
    before = everything(tmp_path)
    with pytest.raises(OutputRefused, match=f"--out {tmp_path / where if where != '.' else tmp_path} {says}"):
        report.build_report(store, tmp_path / where)
    assert everything(tmp_path) == before


def test_a_report_that_cannot_be_written_keeps_the_previous_one(tmp_path, monkeypatch):
    from ij_eval.report import write_atomically

    store, _ = _store_with_data(tmp_path)
    write_atomically(store / "report", {"report.html": b"old", "brief.html": b"old"})
    before = everything(tmp_path)
    real = Path.write_bytes

    def full(self, data):
        if ".partial-" in str(self) and self.name == "brief.html":
            raise _os_error_enospc(self)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(EnvironmentProblem) as info:
        write_atomically(store / "report", {"report.html": b"new", "brief.html": b"new"})
    assert str(info.value).startswith(f"could not write --out {store / 'report'}: the disk is full")
    assert f"the previous report at {store / 'report'} is unchanged" in str(info.value)
    assert everything(tmp_path) == before and hidden(store) == [MARKER]


def _os_error_enospc(path: Path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
