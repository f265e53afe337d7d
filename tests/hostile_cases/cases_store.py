"""Writing outputs: ``--out`` never destroys what ij-eval did not create; faults of the machine are named;
published CSVs never run a formula in a spreadsheet.

Every refusal is exit 2 with the folder named and nothing written or lost anywhere in the workspace;
faults (a full disk, a read-only file system, permission denied) are injected at the write primitive
around the judged step and leave the previous store as it was, with no partial folder beside it.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from builders import MINIMAL_CONFIG, edit, valid_tables, write_csv

from hostile_cases.harness import PSEUDONYMISE, REPORT, RUN, Hostile, Outcome, Workspace

REPORT_TO = ("report", "{out}", "--quiet", "--out")
# the full report cannot be built from the tiny builders folder (its reoffending and EMMIE chapters fail on
# hidden counts: not this part), so what the report reads is checked on the chapter that prints quotes
RUN_SURVEYS = (*RUN, "--only", "overview", "experience")
ORDINARY_USER = os.geteuid() != 0


# --------------------------------------------------------------------------------------------------
# arranging

def _nothing(ws: Workspace) -> None:
    pass


def _manifest_in_data(ws: Workspace) -> None:
    (ws.data / "manifest.json").write_text('{"ij_eval_version": "0.1.0"}\n', encoding="utf-8")


def _unrelated_folder_with_a_manifest(ws: Workspace) -> None:
    ws.out.mkdir()
    (ws.out / "manifest.json").write_text('{"name": "my web app", "icons": []}\n', encoding="utf-8")
    (ws.out / "index.html").write_text("<p>my site</p>\n", encoding="utf-8")


def _store_without_marker(ws: Workspace) -> None:
    (ws.out / ".ij-eval-store").unlink()  # as written by an ij-eval before markers


def _manifest_id_edited(ws: Workspace) -> None:
    manifest = json.loads((ws.out / "manifest.json").read_text(encoding="utf-8"))
    manifest["store_id"] = "0" * 32
    (ws.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _notes_added_to_store(ws: Workspace) -> None:
    (ws.out / "my notes.txt").write_text("findings to discuss with the force\n", encoding="utf-8")


def _data_kept_inside_store(ws: Workspace) -> None:
    shutil.copytree(ws.data, ws.out / "data")


def _out_is_a_file(ws: Workspace) -> None:
    ws.out.write_text("not a folder\n", encoding="utf-8")


def _symlink_to_data(ws: Workspace) -> None:
    (ws.root / "link").symlink_to(ws.data, target_is_directory=True)


def _input_linked_from_out(ws: Workspace) -> None:
    shared = ws.root / "shared"
    shared.mkdir()
    (ws.data / "placements.csv").rename(shared / "placements.csv")
    (ws.data / "placements.csv").symlink_to(shared / "placements.csv")


def _config_elsewhere(ws: Workspace) -> None:
    (ws.root / "cfg").mkdir()
    (ws.root / "cfg" / "evaluation.toml").write_text(MINIMAL_CONFIG, encoding="utf-8")


def _interrupted_swap(ws: Workspace) -> None:
    """A run killed between the two renames of the fallback swap: --out missing, old store aside, new one staged."""
    ws.out.rename(ws.root / ".results.old-1a2b3c4d")
    partial = ws.root / ".results.partial-5e6f7a8b"
    partial.mkdir()
    (partial / "results.json").write_text("{}", encoding="utf-8")
    (partial / ".ij-eval-store").write_text(json.dumps({
        "ij_eval_store": 1, "kind": "results", "id": "f" * 32, "target": "results", "complete": False,
        "files": []}), encoding="utf-8")


def _foreign_leftover(ws: Workspace) -> None:
    folder = ws.root / ".results.partial-by-hand"
    folder.mkdir()
    (folder / "keep.txt").write_text("someone's\n", encoding="utf-8")


def _report_folder_by_hand(ws: Workspace) -> None:
    (ws.out / "report").mkdir()
    (ws.out / "report" / "minutes.docx").write_bytes(b"minutes of the steering group")


def _report_from_older_ij_eval(ws: Workspace) -> None:
    (ws.out / "report").mkdir()
    (ws.out / "report" / "report.html").write_text("<p>an older report</p>\n", encoding="utf-8")


def _unrelated_docs(ws: Workspace) -> None:
    (ws.root / "docs").mkdir()
    (ws.root / "docs" / "notes.md").write_text("mine\n", encoding="utf-8")


def _raw_copy(ws: Workspace) -> None:
    shutil.copytree(ws.data, ws.raw)


def _cells(cells: dict[tuple[str, str, int], str], config: str = "") -> Callable[[Workspace], None]:
    def arrange(ws: Workspace) -> None:
        tables = edit(valid_tables(), cells=cells)
        for table in {t for t, _, _ in cells}:
            write_csv(ws.data / f"{table}.csv", tables[table])
        if config:
            ws.add_config(config)
    return arrange


# --------------------------------------------------------------------------------------------------
# faults of the machine, injected around the judged step

def _os_error(number: int, path: object = None) -> OSError:
    return OSError(number, os.strerror(number), None if path is None else str(path))


@contextmanager
def _polars_disk_full(ws: Workspace) -> Iterator[None]:
    """polars' own error for a full disk (no errno attribute, no path) on any CSV written to a staged folder."""
    import polars as pl

    real = pl.DataFrame.write_csv

    def write_csv(self, file=None, *args, **kwargs):
        if isinstance(file, str | Path) and ".partial-" in str(file):
            raise OSError("No space left on device (os error 28)")
        return real(self, file, *args, **kwargs)

    with mock.patch.object(pl.DataFrame, "write_csv", write_csv):
        yield


@contextmanager
def _figure_disk_full(ws: Workspace) -> Iterator[None]:
    from matplotlib.figure import Figure

    with mock.patch.object(Figure, "savefig", side_effect=_os_error(errno.ENOSPC)):
        yield


def _mkdtemp_fails(number: int) -> Callable[[Workspace], mock._patch]:
    from ij_eval.io import output_folder

    return lambda ws: mock.patch.object(output_folder.tempfile, "mkdtemp", side_effect=_os_error(number, ws.root))


@contextmanager
def _read_only_file_system(ws: Workspace) -> Iterator[None]:
    """statvfs says what a read-only mount says (a read-only bind mount is not available to tests)."""
    real = os.statvfs

    class ReadOnly:
        def __init__(self, result):
            self._result = result
            self.f_flag = result.f_flag | os.ST_RDONLY

        def __getattr__(self, name):
            return getattr(self._result, name)

    with mock.patch.object(os, "statvfs", lambda path: ReadOnly(real(path))):
        yield


@contextmanager
def _no_write_permission(ws: Workspace) -> Iterator[None]:
    """As an ordinary user, a folder without write permission, for real; as root (who may write anywhere),
    what access(2) says to an ordinary user there."""
    ws.root.chmod(0o555)
    try:
        if ORDINARY_USER:
            yield
        else:
            real = os.access
            with mock.patch.object(os, "access", lambda p, mode, **kw: False if Path(p) == ws.root
                                   else real(p, mode, **kw)):
                yield
    finally:
        ws.root.chmod(0o755)


# --------------------------------------------------------------------------------------------------
# checks

def _says_path(*templates: str) -> Callable[[Workspace, Outcome], None]:
    """Each template, with {data} {out} {ws} {report} {raw} {clean} as resolved paths, appears in the output."""
    def check(ws: Workspace, outcome: Outcome) -> None:
        paths = {k: str(Path(v).resolve()) for k, v in ws.placeholders().items()}
        for template in templates:
            text = template.format(**paths)
            assert text in outcome.text, f"{text!r} not in:\n{outcome.text}"
        assert not [p for p in ws.root.iterdir() if ".partial-" in p.name or ".old-" in p.name], "leftover folder"
    return check


TRIGGERS = "=+-@\t\r"
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _csv_cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _published(table: str, column: str, *cells: str) -> Callable[[Workspace, Outcome], None]:
    """The table's column holds each cell exactly (quoted), and no cell of any CSV of the store can run."""
    def check(ws: Workspace, outcome: Outcome) -> None:
        rows = _csv_cells(ws.out / "tables" / f"{table}.csv")
        found = [r[column] for r in rows]
        for cell in cells:
            assert cell in found, (cell, found)
        for path in [*sorted((ws.out / "tables").glob("*.csv")), ws.out / "exclusions.csv"]:
            for row in _csv_cells(path):
                for name, value in row.items():
                    for cell in (name, value):
                        runs = cell[:1] in TRIGGERS and cell[:1] != "" and not _PLAIN_NUMBER.match(cell)
                        assert not runs, f"{path.name}, column {name!r}: {cell!r} would run as a formula"
    return check


def _report_store_reads(table: str, column: str, text: str) -> Callable[[Workspace, Outcome], None]:
    """What the report reads back is the original text, the quote taken off (and nothing else)."""
    def check(ws: Workspace, outcome: Outcome) -> None:
        from ij_eval.report.store import ResultsStore

        assert text in ResultsStore.open(ws.out).table(table)[column].to_list()
    return check


def _both(*checks: Callable[[Workspace, Outcome], None]) -> Callable[[Workspace, Outcome], None]:
    def check(ws: Workspace, outcome: Outcome) -> None:
        for c in checks:
            c(ws, outcome)
    return check


def _quote_shown_in_report(ws: Workspace, outcome: Outcome) -> None:
    """The report's quotes section prints the comment as the respondent wrote it, not the CSV's quoted cell."""
    from ij_eval.report.chapters.surveys import experience
    from ij_eval.report.store import ResultsStore

    assert "'=1+2" in (ws.out / "tables" / "survey_quotes.csv").read_text(encoding="utf-8")
    chapter = experience(ResultsStore.open(ws.out))
    assert "> =1+2\n" in chapter and "'=1+2" not in chapter


def _foreign_left(ws: Workspace, outcome: Outcome) -> None:
    assert (ws.root / ".results.partial-by-hand" / "keep.txt").read_text(encoding="utf-8") == "someone's\n"
    assert (ws.out / ".ij-eval-store").is_file()


def _recovered(ws: Workspace, outcome: Outcome) -> None:
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(".")] == []
    assert (ws.out / ".ij-eval-store").is_file() and (ws.out / "results.json").is_file()


SITE_FORMULAS = {("placements", "site", 0): "=1+2", ("placements", "site", 1): "+cmd"}
FUNDER_FORMULAS = {("costs", "funder", 0): "@SUM(A1:A2)", ("costs", "funder", 1): "-2+3"}
LOGIC_MODEL = '[logic_model]\ninputs = ["=1+2", "\\t@SUM(A1:A2)", "\\r-2+3", "-0.5"]'

CASES = [
    # ---- run --out: never the inputs
    Hostile("store_out_is_the_data_folder", "store", _manifest_in_data, (("run", "{data}", "--out", "{data}",
                                                                        "--quiet"),), 2,
            says=("is the data folder", "ij-eval never writes over its inputs"),
            check=_says_path("--out {data} is the data folder {data}")),
    Hostile("store_out_inside_the_data_folder", "store", _nothing,
            (("run", "{data}", "--out", "{data}/results", "--quiet"),), 2,
            says=("is inside the data folder", "ij-eval never writes among its inputs"),
            check=_says_path("--out {data}/results is inside the data folder {data}")),
    Hostile("store_data_folder_inside_out", "store", _nothing, (("run", "{data}", "--out", "{ws}", "--quiet"),), 2,
            says=("contains the data folder", "writing there would replace it"),
            check=_says_path("--out {ws} contains the data folder {data}")),
    Hostile("store_input_kept_inside_previous_store", "store", _data_kept_inside_store,
            (("run", "{out}/data", "--out", "{out}", "--quiet"),), 2, prior_store=True,
            says=("contains the data folder",), check=_says_path("--out {out} contains the data folder {out}/data")),
    Hostile("store_out_symlink_to_the_data_folder", "store", _symlink_to_data,
            (("run", "{data}", "--out", "{ws}/link", "--quiet"),), 2,
            says=("is the data folder",), check=_says_path("--out {data} is the data folder {data}")),
    Hostile("store_out_holds_an_input_linked_into_data", "store", _input_linked_from_out,
            (("run", "{data}", "--out", "{ws}/shared", "--quiet"),), 2,
            says=("contains the input file",),
            check=_says_path("--out {ws}/shared contains the input file {ws}/shared/placements.csv")),
    Hostile("store_out_holds_the_config_file", "store", _config_elsewhere,
            (("run", "{data}", "--config", "{ws}/cfg/evaluation.toml", "--out", "{ws}/cfg", "--quiet"),), 2,
            says=("contains the config file",),
            check=_says_path("--out {ws}/cfg contains the config file {ws}/cfg/evaluation.toml")),
    # ---- run --out: only a store of ours
    Hostile("store_unrelated_folder_with_a_manifest", "store", _unrelated_folder_with_a_manifest, (RUN,), 2,
            says=("is not empty and is not an ij-eval results store", "no .ij-eval-store marker",
                  "choose a new or empty folder for --out"),
            check=_says_path("--out {out} is not empty")),
    Hostile("store_from_before_markers", "store", _store_without_marker, (RUN,), 2, prior_store=True,
            says=("looks like a results store written by an older ij-eval", "then delete it and run again"),
            check=_says_path("--out {out} looks like")),
    Hostile("store_marker_does_not_match_manifest", "store", _manifest_id_edited, (RUN,), 2, prior_store=True,
            says=("marker whose id does not match the store_id in its manifest.json",),
            check=_says_path("--out {out} has an ij-eval marker")),
    Hostile("store_holds_files_added_by_hand", "store", _notes_added_to_store, (RUN,), 2, prior_store=True,
            says=("holds 1 file ij-eval did not write (my notes.txt)", "move them out of it"),
            check=_says_path("--out {out} is an ij-eval results store but holds")),
    # ---- run --out: the place and the machine
    Hostile("store_out_is_a_regular_file", "store", _out_is_a_file, (RUN,), 2,
            says=("is a file, not a folder", "the file was left as it is"),
            check=_says_path("--out {out} is a file, not a folder")),
    Hostile("store_parent_folder_missing", "store", _nothing,
            (("run", "{data}", "--out", "{ws}/unmounted/results", "--quiet"),), 2,
            says=("does not exist; create it first", "is a disk not mounted?", "nothing was written"),
            check=_says_path("the folder that would hold it, {ws}/unmounted, does not exist")),
    Hostile("store_parent_not_writable", "store", _nothing, (RUN,), 2, prior_store=True,
            during=_no_write_permission, says=("permission denied in",),
            check=_says_path("--out {out} cannot be written: permission denied in {ws}")),
    Hostile("store_read_only_file_system", "store", _nothing, (RUN,), 2, prior_store=True,
            during=_read_only_file_system, says=("is read-only", "choose a folder on a disk you can write to"),
            check=_says_path("the file system holding {ws} is read-only")),
    Hostile("store_read_only_at_write", "store", _nothing, (RUN,), 2, prior_store=True,
            during=_mkdtemp_fails(errno.EROFS), says=("the file system is read-only",),
            check=_says_path("could not create a folder beside {out}: the file system is read-only",
                             "the previous results store at {out} is unchanged")),
    Hostile("store_permission_denied_at_write", "store", _nothing, (RUN,), 2,
            during=_mkdtemp_fails(errno.EACCES), says=("permission denied", "nothing was written"),
            check=_says_path("could not create a folder beside {out}: permission denied")),
    Hostile("store_disk_full_writing_a_table", "store", _nothing, (RUN,), 2, prior_store=True,
            during=_polars_disk_full, says=("the disk is full (no space left on the device)", ".csv)"),
            check=_says_path("could not write --out {out}: the disk is full",
                             "the previous results store at {out} is unchanged")),
    Hostile("store_disk_full_writing_a_figure", "store", _nothing, (RUN,), 2,
            during=_figure_disk_full, says=("the disk is full", "nothing was written"),
            check=_says_path("could not write --out {out}: the disk is full")),
    # ---- recovery
    Hostile("store_interrupted_swap_recovered", "store", _interrupted_swap, (RUN,), 0, writes="output",
            prior_store=True,
            says=("recovered an ij-eval results store at", "(it had been left at .results.old-1a2b3c4d)",
                  "removed 1 leftover folder of an interrupted ij-eval run", ".results.partial-5e6f7a8b"),
            check=_recovered),
    Hostile("store_foreign_leftover_left_alone", "store", _foreign_leftover, (RUN,), 0, writes="output",
            says=(".results.partial-by-hand", "alone: not written by ij-eval"), check=_foreign_left),
    # ---- report --out
    Hostile("store_report_out_is_the_data_folder", "store", _nothing, (RUN, (*REPORT_TO, "{data}")), 2,
            says=("is the data folder",), check=_says_path("--out {data} is the data folder {data}")),
    Hostile("store_report_out_inside_the_data_folder", "store", _nothing, (RUN, (*REPORT_TO, "{data}/report")), 2,
            says=("is inside the data folder",),
            check=_says_path("--out {data}/report is inside the data folder {data}")),
    Hostile("store_report_out_is_the_store", "store", _nothing, ((*REPORT_TO, "{out}"),), 2, prior_store=True,
            says=("is the results store",), check=_says_path("--out {out} is the results store {out}")),
    Hostile("store_report_out_contains_the_store", "store", _nothing, ((*REPORT_TO, "{ws}"),), 2, prior_store=True,
            says=("contains the results store",), check=_says_path("--out {ws} contains the results store {out}")),
    Hostile("store_report_over_an_unrelated_folder", "store", _unrelated_docs, ((*REPORT_TO, "{ws}/docs"),), 2,
            prior_store=True, says=("is not empty and is not an ij-eval report folder",),
            check=_says_path("--out {ws}/docs is not empty")),
    Hostile("store_report_folder_made_by_hand", "store", _report_folder_by_hand, (REPORT,), 2, prior_store=True,
            says=("the report folder", "is not empty and is not an ij-eval report folder"),
            check=_says_path("the report folder {report} is not empty")),
    Hostile("store_report_folder_from_older_ij_eval", "store", _report_from_older_ij_eval, (REPORT,), 2,
            prior_store=True, says=("a report folder from an older ij-eval has no marker either",)),
    Hostile("store_report_out_is_a_file", "store", _unrelated_docs, ((*REPORT_TO, "{ws}/docs/notes.md"),), 2,
            prior_store=True, says=("is a file, not a folder",),
            check=_says_path("--out {ws}/docs/notes.md is a file, not a folder")),
    # ---- pseudonymise OUT_DIR
    Hostile("store_pseudonymise_out_contains_the_input", "store", _raw_copy, (("pseudonymise", "{raw}", "{ws}"),),
            2, says=("contains the input folder",), check=_says_path("{ws} contains the input folder {raw}")),
    Hostile("store_pseudonymise_disk_full", "store", _raw_copy, (PSEUDONYMISE,), 2, during=_polars_disk_full,
            says=("the disk is full", "nothing was written"), check=_says_path("could not write OUT_DIR {clean}")),
    Hostile("store_pseudonymise_read_only", "store", _raw_copy, (PSEUDONYMISE,), 2, during=_read_only_file_system,
            says=("is read-only",), check=_says_path("OUT_DIR {clean} cannot be written")),
    Hostile("store_pseudonymise_parent_missing", "store", _raw_copy, (("pseudonymise", "{raw}", "{ws}/no/clean"),),
            2, says=("does not exist; create it first",)),
    # ---- published CSVs: formulas inert, numbers numbers, the report reads the original text
    Hostile("csv_implementation_sites_formula", "csv", _cells(SITE_FORMULAS), (RUN,), 0, writes="output",
            check=_both(_published("implementation_sites", "site", "'=1+2", "'+cmd"),
                        _report_store_reads("implementation_sites", "site", "=1+2"))),
    Hostile("csv_vfm_costs_funder_formula", "csv", _cells(FUNDER_FORMULAS), (RUN,), 0, writes="output",
            check=_both(_published("vfm_costs", "item", "'@SUM(A1:A2)", "'-2+3"),
                        _report_store_reads("vfm_costs", "item", "@SUM(A1:A2)"))),
    Hostile("csv_logic_model_formula_tab_and_cr", "csv", _cells({}, LOGIC_MODEL), (RUN,), 0, writes="output",
            check=_both(_published("overview_logic_model", "entry", "'=1+2", "'\t@SUM(A1:A2)", "'\r-2+3", "-0.5"),
                        _report_store_reads("overview_logic_model", "entry", "\r-2+3"))),
    Hostile("csv_survey_quote_formula", "csv", _cells({("participant_survey", "comment", 0): "=1+2"}), (RUN,), 0,
            writes="output", check=_both(_published("survey_quotes", "quote", "'=1+2"),
                                         _report_store_reads("survey_quotes", "quote", "=1+2"))),
    Hostile("csv_text_already_quoted_round_trips", "csv", _cells({("placements", "site", 0): "'=1+2"}), (RUN,), 0,
            writes="output", check=_both(_published("implementation_sites", "site", "''=1+2"),
                                         _report_store_reads("implementation_sites", "site", "'=1+2"))),
    Hostile("csv_report_shows_the_text_not_the_quote", "csv",
            _cells({("participant_survey", "comment", 0): "=1+2"}), (RUN_SURVEYS,), 0, writes="output",
            check=_quote_shown_in_report),
]
