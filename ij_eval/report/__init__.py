"""The report built from a results store: the full report and the brief for chief officers, as HTML and PDF.

The chapter Markdown is written once (:mod:`ij_eval.report.outline`); Quarto prints it from
``reports/`` and the built-in renderer (:mod:`ij_eval.report.render`) turns it into
``<results>/report/``: ``report.html`` (one self-contained page), ``report.pdf`` (A4),
``brief.html``, ``brief.pdf`` (two pages at most) and ``index.html`` (links to the four).

Nothing is written unless the publication check passes and every output has been built. The report
folder is written like a results store (:mod:`ij_eval.io.output_folder`): staged beside it and
swapped in whole, so a failed or killed build leaves the previous report as it was; it may replace
only an earlier ij-eval report folder, and never the results store, the data folder or an input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ij_eval.errors import IJEvalError
from ij_eval.io import output_folder
from ij_eval.io.output_folder import Kind, Protected, staged_folder
from ij_eval.progress import Progress

if TYPE_CHECKING:
    from ij_eval.report.store import ResultsStore

REPORT_FILES = ("report.html", "report.pdf", "brief.html", "brief.pdf", "index.html")


class PublicationBlocked(IJEvalError):
    """The publication check found problems, so the report was not built."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        n = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the report was not built: the publication check found {n} "
                         f"problem{'s' if n != 1 else ''}:\n{lines}")


def _document_date(store) -> dt.date | None:
    """The date the PDF says it was made: the data extract date, so a rebuild is identical."""
    value = store.results.get("data", {}).get("extract_date")
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def build_outputs(results_dir: str | Path, progress: Progress | None = None) -> dict[str, bytes]:
    """Every report file's bytes, by file name, after the publication check (nothing is written)."""
    from ij_eval.publication import check_store, check_text
    from ij_eval.report.outline import brief_markdown, report_markdown, title_page
    from ij_eval.report.render import BRIEF_MAX_PAGES, Document, landing_page, render_html, render_pdf
    from ij_eval.report.store import ResultsStore

    progress = progress or Progress(quiet=True)
    store = ResultsStore.open(results_dir)
    with progress.stage("report_content", "report: writing the chapters from the results store"):
        fields = title_page(store)
        report_md, brief_md = report_markdown(store), brief_markdown(store)
    problems = [*check_store(store.root), *check_text(report_md, "report"), *check_text(brief_md, "brief"),
                *check_text("\n".join(str(v) for v in fields.values()), "title page")]
    if problems:
        raise PublicationBlocked(problems)

    date = _document_date(store)
    notice = store.not_for_publication
    report = Document(report_md, store.root, fields, store.synthetic, date=date, not_for_publication=notice)
    brief = Document(brief_md, store.root, fields, store.synthetic, brief=True, date=date, not_for_publication=notice)
    files: dict[str, bytes] = {}
    with progress.stage("report_html", "report: HTML (report and brief)"):
        files["report.html"] = render_html(report).encode("utf-8")
        files["brief.html"] = render_html(brief).encode("utf-8")
    with progress.stage("report_pdf", "report: PDF (report and brief)"):
        files["report.pdf"], report_pages = render_pdf(report)
        files["brief.pdf"], brief_pages = render_pdf(brief)
    if brief_pages > BRIEF_MAX_PAGES:
        raise IJEvalError(f"the brief for chief officers runs to {brief_pages} pages of A4; it must fit on "
                          f"{BRIEF_MAX_PAGES} (shorten ij_eval/report/brief.py)")
    progress.say(f"report: {report_pages} pages, brief: {brief_pages} page{'s' if brief_pages != 1 else ''}")
    files["index.html"] = landing_page(fields, store.synthetic, {
        "report.html": "Full report (HTML)", "report.pdf": f"Full report (PDF, {report_pages} pages)",
        "brief.html": "Brief for chief officers (HTML)",
        "brief.pdf": f"Brief for chief officers (PDF, {brief_pages} page{'s' if brief_pages != 1 else ''})",
    }, not_for_publication=notice).encode("utf-8")
    return {name: files[name] for name in REPORT_FILES}


def report_protected(store: ResultsStore) -> list[Protected]:
    """What a report folder must never be, contain or lie inside: the store itself (it may lie inside
    it), and the data folder, inputs and config the store's manifest names."""
    items = [Protected("the results store", store.root, inside_ok=True)]
    manifest = store.manifest
    data_dir = manifest.get("data_dir")
    if isinstance(data_dir, str) and data_dir:
        items.append(Protected("the data folder", Path(data_dir)))
        inputs = manifest.get("inputs")
        for entry in inputs.values() if isinstance(inputs, dict) else ():
            if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                items.append(Protected("the input file", Path(data_dir) / entry["file"]))
            if isinstance(entry, dict) and isinstance(entry.get("files"), dict):
                items += [Protected("the data.police.uk file", Path(data_dir) / f) for f in entry["files"]]
    config_file = manifest.get("config_file")
    if isinstance(config_file, str) and Path(config_file).is_file():
        items.append(Protected("the config file", Path(config_file)))
    return items


def write_atomically(out_dir: Path, files: Mapping[str, bytes], protected: Sequence[Protected] = (),
                     flag: str = "--out") -> list[Path]:
    """Write every file into a staged report folder that replaces ``out_dir`` whole, once complete."""
    with staged_folder(out_dir, Kind.REPORT, protected=protected, flag=flag) as staged:
        for name, data in files.items():
            (staged.path / name).write_bytes(data)
    return [Path(out_dir) / name for name in files]


def build_report(results_dir: str | Path, out_dir: str | Path | None = None,
                 progress: Progress | None = None) -> list[Path]:
    """Build the report and the brief (HTML and PDF) from a results store; return the files written.

    ``out_dir`` defaults to ``<results_dir>/report``. Raises :class:`IJEvalError` (nothing written)
    when ``results_dir`` is not a results store, ``out_dir`` may not be written (checked first:
    :class:`~ij_eval.errors.OutputRefused`, :class:`~ij_eval.errors.EnvironmentProblem`), the
    publication check finds a problem, the brief runs past two pages, or pandoc/typst fail.
    """
    from ij_eval.report.store import ResultsStore

    results_dir = Path(results_dir)
    store = ResultsStore.open(results_dir)
    out = Path(out_dir) if out_dir is not None else results_dir / "report"
    flag = "--out" if out_dir is not None else "the report folder"
    protected = report_protected(store)
    output_folder.prepare(out, Kind.REPORT, protected=protected, flag=flag)
    files = build_outputs(results_dir, progress)
    return write_atomically(out, files, protected, flag)
