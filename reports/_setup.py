"""Shared setup for the Quarto report and brief: find the results store, make its figures reachable.

Every chapter's code cell imports this module and prints Markdown built by the package
(``ij_eval.report.outline.chapter_markdown``), the same content ``ij-eval report`` renders without
Quarto. Nothing here computes a result: the store is only read.

Which store: the ``IJ_EVAL_RESULTS`` environment variable, else ``../outputs/demo/results`` (where
``make demo`` writes). A relative ``IJ_EVAL_RESULTS`` is taken from the Quarto project folder
(``reports/``, or ``reports/brief/`` for the brief), which is also where Quarto reads an
``_environment`` or ``_environment.local`` file setting it (a value already in the shell wins).

Figures: the package writes image paths relative to the store (``figures/x.png``); the cell runs in
the document's folder, so the store's ``figures/`` is copied beside the document (gitignored) and
Quarto then copies the images it finds into its output like any other resource.

Publication: as ``ij-eval report`` does, the store must pass ``ij_eval.publication.check_store``
and every printed text ``check_text``; otherwise the cell raises and Quarto stops, publishing nothing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ij_eval.errors import IJEvalError
from ij_eval.publication import check_store, check_text
from ij_eval.report import PublicationBlocked
from ij_eval.report.escape import md_text
from ij_eval.report.store import ResultsStore

ENV_VAR = "IJ_EVAL_RESULTS"
HERE = Path(__file__).resolve().parent
DEFAULT_STORE = HERE.parent / "outputs" / "demo" / "results"
TITLE_PAGE_FIELDS = (("force", "Force"), ("team", "Evaluation team"), ("date", "Date"), ("period", "Data period"))
_HEADING = re.compile(r"# (.+?) \{#sec-[^}]+\}")


def store_path() -> Path:
    """The results store to read: ``IJ_EVAL_RESULTS`` (relative to the Quarto project) or the demo's."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return DEFAULT_STORE
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(os.environ.get("QUARTO_PROJECT_ROOT") or Path.cwd()) / path
    return path


def results_store(document_dir: str | Path | None = None) -> ResultsStore:
    """Open the store, refuse it if the publication check fails, copy its figures beside the document."""
    path = store_path()
    try:
        store = ResultsStore.open(path)
    except IJEvalError as exc:
        raise IJEvalError(f"{exc}. Set {ENV_VAR} to a results store (absolute, or relative to the Quarto "
                          f"project folder), or run `make demo` to write {DEFAULT_STORE}") from None
    problems = check_store(store.root)
    if problems:
        raise PublicationBlocked(problems)
    copy_figures(store, Path(document_dir) if document_dir is not None else Path.cwd())
    return store


def copy_figures(store: ResultsStore, document_dir: Path) -> None:
    """Make ``document_dir/figures`` an exact copy of the store's ``figures/`` (stale images removed)."""
    source, target = store.root / "figures", document_dir / "figures"
    if target.exists() and source.exists() and target.resolve() == source.resolve():
        return  # the store is the document folder itself
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if source.is_dir():
        shutil.copytree(source, target)


def publishable(markdown: str, where: str) -> str:
    """``markdown`` unchanged if the publication check finds nothing in it; otherwise an error."""
    problems = check_text(markdown, where)
    if problems:
        raise PublicationBlocked(problems)
    return markdown


def chapter_body(markdown: str) -> str:
    """A chapter, checked for publication, without its ``# Title {#sec-slug}`` first line.

    Quarto takes a book chapter's title, number and navigation entry from the heading in the
    source file (before any code runs), so each ``.qmd`` holds that heading and prints the rest.
    """
    first, _, rest = markdown.partition("\n")
    heading = _HEADING.fullmatch(first.strip())
    if not heading:
        raise ValueError(f"chapter Markdown must start with its '# Title {{#sec-slug}}' heading, not {first!r}")
    return publishable(rest.lstrip("\n"), f"chapter {heading.group(1)!r}")


def title_block(fields: dict[str, str]) -> str:
    """The title-page details (scheme, force, team, date, data period: text from the store) as a Markdown
    block, each value escaped so it shows as written."""
    lines = [f"- **{label}:** {md_text(fields[key])}" for key, label in TITLE_PAGE_FIELDS if fields.get(key)]
    title = f"**{md_text(fields['title'])}**\n\n" if fields.get("title") else ""
    return f"::: {{.report-details}}\n{title}" + "\n".join(lines) + "\n:::\n"
