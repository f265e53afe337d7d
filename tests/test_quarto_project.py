"""The Quarto report in reports/ (and the brief in reports/brief/), checked without the Quarto CLI.

What Quarto would do is done here by hand: the YAML is parsed and compared with the report outline,
every file it names must exist, and every ``.qmd`` is executed cell by cell as Quarto's Jupyter engine
would (one fresh namespace per document, the document's folder as working directory, ``echo: false``
and ``output: asis`` so the printed Markdown replaces the cell). The executed Markdown is then checked
(labels unique across the book, every cross-reference, image and linked file resolves, fenced divs
balanced), linted with panache, the offline Quarto linter, as are the sources, and compiled through
pandoc and Typst with the report's filter and include. Both against a full results store and against
one where a strand was skipped and another never ran. Nothing here depends on the chapters' prose.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pypandoc
import pytest
import typst
import yaml

from ij_eval.config import load_config
from ij_eval.pipeline import run_pipeline
from ij_eval.report import PublicationBlocked
from ij_eval.report.outline import CHAPTERS, title_page
from ij_eval.report.store import ResultsStore
from ij_eval.synth import write_synthetic

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
BRIEF = REPORTS / "brief"
PANACHE = Path(sys.executable).parent / "panache"
PANACHE_CONFIG = REPORTS / "panache.toml"

CELL_OPEN = re.compile(r"^(`{3,})\s*\{python([^}]*)\}\s*$")
LABEL = re.compile(r"\{#((?:fig|tbl|sec)-[A-Za-z0-9_-]+)")
REFERENCE = re.compile(r"(?<![\w@\\])@((?:fig|tbl|sec)-[A-Za-z0-9_-]*[A-Za-z0-9_])")
IMAGE = re.compile(r"!\[(?:\\.|[^\]\\])*\]\(([^)\s]+)")
LINK = re.compile(r"(?<![!\\])\[(?:\\.|[^\]\\])*\]\(([^)\s]+)")
DIV_FENCE = re.compile(r"^(:{3,})\s*(\S.*)?$")
FILE_VALUE = re.compile(r"^[\w./-]+\.(qmd|md|ipynb|css|scss|lua|typ|bib|csl|png|svg|jpg|yml|yaml|html|tex)$")


# ---------------------------------------------------------------------------------------------------
# reading the project


def _yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


BOOK = _yaml(REPORTS / "_quarto.yml")
BRIEF_YML = _yaml(BRIEF / "_quarto.yml")


def _split_front_matter(text: str) -> tuple[dict | None, str]:
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---\n", 4)
    assert end != -1, "front matter opened with --- is never closed"
    meta = yaml.safe_load(text[4:end]) or {}
    assert isinstance(meta, dict), "front matter is not a YAML mapping"
    return meta, text[end + 5:]


@dataclass
class Cell:
    options: dict
    code: str
    start: int  # line index of the opening fence
    end: int  # line index of the closing fence


def _cells(text: str) -> list[Cell]:
    """The ```{python} cells of a .qmd, with their ``#|`` options parsed as YAML."""
    lines, cells, i = text.split("\n"), [], 0
    while i < len(lines):
        m = CELL_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(1)
        j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == fence), None)
        assert j is not None, f"code cell opened at line {i + 1} is never closed"
        body = lines[i + 1:j]
        option_lines = [ln[3:] for ln in body if ln.startswith("#| ")]
        options = yaml.safe_load("\n".join(option_lines)) or {}
        code = "\n".join(ln for ln in body if not ln.startswith("#|"))
        cells.append(Cell(options, code, i, j))
        i = j + 1
    return cells


def _qmd_files() -> list[Path]:
    return sorted(REPORTS.rglob("*.qmd"))


def _rel(path: Path) -> str:
    return str(path.relative_to(REPORTS))


def _quarto_heading(chapter) -> str:
    """The heading a chapter's .qmd holds: the outline's title, without an appendix's 'Appendix: '
    prefix, since Quarto labels appendices 'Appendix A — ...' itself."""
    title = chapter.title
    if chapter.appendix and title.startswith("Appendix: "):
        title = title.removeprefix("Appendix: ")
        title = title[:1].upper() + title[1:]
    return title


def _file_values(node, key: str = "") -> list[str]:
    """Every string in a _quarto.yml that names a file (chapters, css, filters, includes, ...)."""
    if isinstance(node, dict):
        return [v for k, child in node.items() for v in _file_values(child, str(k))]
    if isinstance(node, list):
        return [v for child in node for v in _file_values(child, key)]
    if isinstance(node, str) and FILE_VALUE.match(node):
        return [node]
    return []


def _setup_module():
    spec = importlib.util.spec_from_file_location("_setup_under_test", REPORTS / "_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _panache(*paths: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    assert PANACHE.is_file(), f"{PANACHE} is missing: install the test extras (pip install -e '.[test]')"
    return subprocess.run([str(PANACHE), "lint", "--no-cache", "--no-color", "--config", str(PANACHE_CONFIG),
                           *map(str, paths)], capture_output=True, text=True, cwd=cwd, timeout=120)


# ---------------------------------------------------------------------------------------------------
# _quarto.yml files


def test_book_lists_the_outline_chapters_in_order_with_appendices_last():
    assert BOOK["project"]["type"] == "book"
    main = [f"{c.slug}.qmd" for c in CHAPTERS if not c.appendix]
    appendices = [f"{c.slug}.qmd" for c in CHAPTERS if c.appendix]
    assert BOOK["book"]["chapters"] == main
    assert BOOK["book"]["appendices"] == appendices
    assert main[0] == "index.qmd", "a Quarto book starts with index.qmd"
    flags = [c.appendix for c in CHAPTERS]
    assert flags == sorted(flags), "outline.CHAPTERS must list appendices last, as Quarto prints them"


@pytest.mark.parametrize("config", [BOOK, BRIEF_YML], ids=["book", "brief"])
def test_html_and_a_pdf_format_and_no_code_shown(config):
    formats = config["format"]
    assert "html" in formats
    assert {"typst", "pdf"} & set(formats), "no PDF-producing format (typst or pdf)"
    assert config["execute"]["echo"] is False
    assert config["jupyter"] == "python3"


def test_brief_is_its_own_project_rendering_brief_qmd():
    assert BRIEF_YML["project"]["type"] == "default"
    assert BRIEF_YML["project"]["render"] == ["brief.qmd"]


@pytest.mark.parametrize("yml", [REPORTS / "_quarto.yml", BRIEF / "_quarto.yml"], ids=_rel)
def test_every_file_the_yml_names_exists(yml):
    named = _file_values(_yaml(yml))
    assert named, f"{yml} names no file at all"
    missing = [n for n in named if not (yml.parent / n).is_file()]
    assert missing == [], f"{_rel(yml)} names files that do not exist: {missing}"


def test_no_orphan_qmd():
    listed = {REPORTS / f for f in BOOK["book"]["chapters"] + BOOK["book"]["appendices"]}
    listed |= {BRIEF / f for f in BRIEF_YML["project"]["render"]}
    on_disk = set(_qmd_files())
    assert sorted(map(_rel, on_disk - listed)) == [], "a .qmd that no _quarto.yml renders"
    assert sorted(map(_rel, listed - on_disk)) == [], "a listed .qmd that does not exist"


def test_output_and_copied_folders_are_gitignored():
    ignored = {ln.strip() for ln in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()}
    needed = {"reports/figures/", "reports/brief/figures/", f"reports/{BOOK['project']['output-dir']}/",
              f"reports/brief/{BRIEF_YML['project']['output-dir']}/", "reports/.quarto/", "reports/brief/.quarto/"}
    assert sorted(needed - ignored) == []


def test_default_store_is_where_make_demo_writes():
    demo_out = re.search(r"^DEMO_OUT \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert _setup_module().DEFAULT_STORE == ROOT / demo_out / "results"


# ---------------------------------------------------------------------------------------------------
# .qmd sources


@pytest.mark.parametrize("qmd", _qmd_files(), ids=_rel)
def test_qmd_front_matter_and_cell_options_parse(qmd):
    text = qmd.read_text(encoding="utf-8")
    _split_front_matter(text)
    cells = _cells(text)
    assert cells, f"{_rel(qmd)} has no python cell"
    for cell in cells:
        assert cell.options.get("output") == "asis", f"{_rel(qmd)}: every cell prints Markdown (#| output: asis)"
        assert "label" not in cell.options, (
            f"{_rel(qmd)}: a labelled cell's output is wrapped in a div, hiding its headings from the book")
        for line in cell.code.splitlines():
            assert not re.match(r"#+\s", line), (
                f"{_rel(qmd)}: {line!r}: Quarto before 1.9 takes a '# ' line in a cell for the chapter title")
        tree = ast.parse(cell.code)
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            assert isinstance(last.value, ast.Call) and getattr(last.value.func, "id", "") == "print", (
                f"{_rel(qmd)}: a cell ending in an expression would also show its value")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_chapter_qmd_holds_its_heading_and_prints_its_own_chapter(chapter):
    text = (REPORTS / f"{chapter.slug}.qmd").read_text(encoding="utf-8")
    meta, body = _split_front_matter(text)
    assert not (meta or {}).get("title"), "the chapter title is its heading; a front-matter title would repeat it"
    headings = [ln for ln in _outside_cells(body).splitlines() if re.match(r"#+\s", ln)]
    extra = " .unnumbered" if chapter.slug == "index" else ""
    assert headings == [f"# {_quarto_heading(chapter)} {{#sec-{chapter.slug}{extra}}}"], (
        "a chapter's .qmd holds exactly its outline heading (Quarto reads titles and numbers from the source)")
    calls = re.findall(r"chapter_markdown\(\s*[^,()]+(?:\(\))?\s*,\s*\"([^\"]+)\"\s*\)", text)
    assert calls == [chapter.slug]
    assert "chapter_body(chapter_markdown(" in text, "the heading is in the .qmd, so the cell prints the rest"


def _outside_cells(text: str) -> str:
    inside = {k for c in _cells(text) for k in range(c.start, c.end + 1)}
    return "\n".join(ln for k, ln in enumerate(text.split("\n")) if k not in inside)


def test_brief_qmd_prints_the_brief():
    text = (BRIEF / "brief.qmd").read_text(encoding="utf-8")
    assert "print(publishable(brief_markdown(" in text


def test_panache_lints_every_qmd_clean():
    result = _panache(*_qmd_files(), cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN = {
    "front-matter": ("broken.qmd", "---\ntitle: [unclosed\n---\n\n# Broken {#sec-broken}\n", "yaml-parse-error"),
    "reference": ("scheme.qmd", "\nSee @fig-nope.\n", "undefined-reference-label"),
    "fenced-div": ("broken.qmd", "# Broken {#sec-broken}\n\nText then ::: on one line.\n", "stray-fenced-div-markers"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_panache_fails_on_a_broken_qmd(name, tmp_path):
    copy = tmp_path / "reports"
    shutil.copytree(REPORTS, copy, ignore=shutil.ignore_patterns("_book", ".quarto", "figures", "_output"))
    file, text, rule = BROKEN[name]
    with (copy / file).open("a", encoding="utf-8") as f:
        f.write(text)
    result = _panache(*sorted(copy.rglob("*.qmd")), cwd=tmp_path)
    assert result.returncode != 0 and rule in result.stdout + result.stderr, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------------
# executing the cells as Quarto would


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    """A full synthetic store, and one where hotspots was skipped (no ASB counts) and reoffending never ran."""
    base = tmp_path_factory.mktemp("quarto-stores")
    data = base / "data"
    write_synthetic(data, seed=11, scale=1)
    config = load_config(data / "evaluation.toml")
    run_pipeline(data, config, base / "full")
    partial_data = base / "partial-data"
    shutil.copytree(data, partial_data)
    (partial_data / "asb_counts.csv").unlink()
    summary = run_pipeline(partial_data, config, base / "partial", only=("overview", "hotspots"))
    assert "hotspots" in summary.skipped and "reoffending" not in summary.ran
    return {"full": base / "full", "partial": base / "partial"}


@dataclass
class Executed:
    store: ResultsStore
    copy: Path  # the copy of reports/ the cells ran in
    outputs: dict[str, list[str]]  # .qmd (relative to reports/) -> what each cell printed
    markdown: dict[str, str]  # .qmd -> the document with each cell replaced by its output


def _execute(qmd: Path) -> list[str]:
    """Run a document's cells in order in one fresh namespace, in its folder, capturing stdout."""
    outputs, namespace = [], {"__name__": "__main__"}
    sys.modules.pop("_setup", None)  # each document has a kernel of its own
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(qmd.parent)
        mp.syspath_prepend("")  # as in a Jupyter kernel: the working directory comes first
        for cell in _cells(qmd.read_text(encoding="utf-8")):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(cell.code, f"{qmd.name} cell at line {cell.start + 1}", "exec"), namespace)
            outputs.append(buffer.getvalue())
    sys.modules.pop("_setup", None)
    return outputs


def _executed_markdown(text: str, outputs: list[str]) -> str:
    lines, cells, out, last = text.split("\n"), _cells(text), [], 0
    for cell, printed in zip(cells, outputs, strict=True):
        out += lines[last:cell.start] + ["", printed.rstrip("\n"), ""]
        last = cell.end + 1
    return "\n".join(out + lines[last:]).strip("\n") + "\n"


@pytest.fixture(scope="module", params=["full", "partial"])
def executed(request, stores, tmp_path_factory) -> Executed:
    copy = tmp_path_factory.mktemp(f"reports-{request.param}") / "reports"
    shutil.copytree(REPORTS, copy, ignore=shutil.ignore_patterns("_book", ".quarto", "figures", "_output"))
    outputs, markdown = {}, {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IJ_EVAL_RESULTS", str(stores[request.param]))
        mp.delenv("QUARTO_PROJECT_ROOT", raising=False)
        for qmd in sorted(copy.rglob("*.qmd")):
            key = str(qmd.relative_to(copy))
            outputs[key] = _execute(qmd)
            markdown[key] = _executed_markdown(qmd.read_text(encoding="utf-8"), outputs[key])
    return Executed(ResultsStore.open(stores[request.param]), copy, outputs, markdown)


def _book_keys() -> list[str]:
    return BOOK["book"]["chapters"] + BOOK["book"]["appendices"]


def test_every_cell_prints_markdown(executed):
    assert sorted(executed.outputs) == sorted(_rel(q) for q in _qmd_files())
    for key, outputs in executed.outputs.items():
        for i, printed in enumerate(outputs):
            assert printed.strip(), f"{key} cell {i + 1} printed nothing"


def test_every_chapter_carries_the_synthetic_banner(executed):
    assert executed.store.synthetic
    for key, text in executed.markdown.items():
        assert re.search(r"^::: ?\{\.synthetic-banner\}$", text, re.M), f"{key} has no synthetic-data banner"


def test_title_page_details_come_before_the_executive_summary(executed):
    text = executed.markdown["index.qmd"]
    summary = text.index("# Executive summary {#sec-index")
    fields = title_page(executed.store)
    for key in ("title", "force", "team", "date", "period"):  # the subtitle is static, in _quarto.yml
        value = fields.get(key)
        if value:
            assert text.find(value) != -1 and text.find(value) < summary, f"title page {key} {value!r}"


def test_labels_are_unique_across_the_book_and_every_reference_resolves(executed):
    labels: dict[str, str] = {}
    for key in _book_keys():
        for label in LABEL.findall(executed.markdown[key]):
            assert label not in labels, f"{label} is defined in {labels[label]} and again in {key}"
            labels[label] = key
    assert {f"sec-{c.slug}" for c in CHAPTERS} <= set(labels)
    for key in _book_keys():
        unresolved = sorted(set(REFERENCE.findall(executed.markdown[key])) - set(labels))
        assert unresolved == [], f"{key} refers to labels no chapter defines"
    brief = executed.markdown["brief/brief.qmd"]
    brief_labels = LABEL.findall(brief)
    assert len(brief_labels) == len(set(brief_labels))
    assert sorted(set(REFERENCE.findall(brief)) - set(brief_labels)) == [], "the brief refers outside itself"


def test_every_image_and_linked_file_resolves_from_the_document_folder(executed):
    for key, text in executed.markdown.items():
        folder = (executed.copy / key).parent
        for target in IMAGE.findall(text):
            if not re.match(r"^(https?:|data:)", target):
                assert (folder / target).is_file(), f"{key}: image {target} is missing"
        for target in LINK.findall(text):  # Quarto warns of, and publishes, a broken link to a missing file
            if not re.match(r"^(#|[a-z]+:)", target):
                assert (folder / target).exists(), f"{key}: link to {target}, which the report does not contain"
    store_figures = sorted(p.name for p in (executed.store.root / "figures").glob("*"))
    assert sorted(p.name for p in (executed.copy / "figures").glob("*")) == store_figures


def test_fenced_divs_are_balanced_in_every_output(executed):
    """An unclosed div is legal Markdown, so no linter objects, but in the single-file PDF it would swallow
    every later chapter."""
    for key, outputs in executed.outputs.items():
        for i, printed in enumerate(outputs):
            depth, in_code = 0, None
            for line in printed.splitlines():
                fence = re.match(r"^(`{3,}|~{3,})", line)
                if fence and (in_code is None or line.strip().startswith(in_code)):
                    in_code = None if in_code else fence.group(1)
                    continue
                m = None if in_code else DIV_FENCE.match(line)
                if m:
                    depth += 1 if m.group(2) else -1
                    assert depth >= 0, f"{key} cell {i + 1}: a ::: closes a div that is not open"
            assert depth == 0, f"{key} cell {i + 1} leaves {depth} fenced div(s) open"


def test_a_chapter_prints_no_heading_of_level_one(executed):
    """In a Quarto book every level-one heading starts a chapter: inside one, sections are ## and below."""
    for key in _book_keys():
        for i, printed in enumerate(executed.outputs[key]):
            body = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", printed, flags=re.M | re.S)
            assert not re.findall(r"^# ", body, re.M), f"{key} cell {i + 1} prints a level-one heading"


def test_executed_markdown_lints_clean(executed, tmp_path):
    out = tmp_path / "executed"
    for key, text in executed.markdown.items():
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        (out / key).write_text(text, encoding="utf-8")
    shutil.copy(REPORTS / "_quarto.yml", out / "_quarto.yml")
    shutil.copy(BRIEF / "_quarto.yml", out / "brief" / "_quarto.yml")
    result = _panache(*sorted(out.rglob("*.qmd")), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _to_typst(markdown: str, reader: str = "markdown") -> str:
    return pypandoc.convert_text(markdown, "typst", format=reader,
                                 extra_args=["--lua-filter", str(REPORTS / "synthetic-banner.lua")])


def _typst_compiles(markdown: str, root: Path, tmp_path: Path) -> None:
    """Pandoc (with the report's Lua filter) to Typst, the report's Typst include first, compiled.

    Not Quarto's own Typst pipeline (its template, cross-references and callouts), but the same pandoc
    writer and Typst compiler: it proves the filter and include are valid Typst and catches Markdown
    Typst cannot compile, such as a link to an anchor only raw HTML defines."""
    body = _to_typst(markdown, "markdown-citations")
    source = (REPORTS / "synthetic-banner.typ").read_text(encoding="utf-8") + "\n" + body
    (tmp_path / "document.typ").write_text(source, encoding="utf-8")
    try:
        typst.Compiler(root=str(root), ignore_system_fonts=True).compile(source.encode("utf-8"), format="pdf")
    except (RuntimeError, typst.TypstError) as exc:
        pytest.fail(f"Typst cannot compile it ({tmp_path / 'document.typ'}): {exc}")


def test_the_book_and_the_brief_compile_through_typst(executed, tmp_path):
    assert "#synthetic-banner[" in _to_typst("::: {.synthetic-banner}\nx\n:::\n")
    book = "\n\n".join(executed.markdown[key] for key in _book_keys())
    (tmp_path / "book").mkdir()
    _typst_compiles(book, executed.copy, tmp_path / "book")
    (tmp_path / "brief").mkdir()
    _typst_compiles(executed.markdown["brief/brief.qmd"], executed.copy / "brief", tmp_path / "brief")


# ---------------------------------------------------------------------------------------------------
# the setup module and the styles


def test_chapter_body_drops_the_heading_and_refuses_a_chapter_without_one():
    setup = _setup_module()
    assert setup.chapter_body("# Title {#sec-x}\n\nBody.\n") == "Body.\n"
    with pytest.raises(ValueError, match="heading"):
        setup.chapter_body("Body without a heading.\n")


def test_nothing_is_printed_that_the_publication_check_refuses(stores, tmp_path):
    setup = _setup_module()
    with pytest.raises(PublicationBlocked, match="looks like"):
        setup.chapter_body("# Title {#sec-x}\n\nWrite to someone@example.org.\n")
    with pytest.raises(PublicationBlocked, match="brief"):
        setup.publishable("Call 01632 960123 today.\n", "brief")
    leaky = tmp_path / "store"
    shutil.copytree(stores["full"], leaky)
    results = json.loads((leaky / "results.json").read_text(encoding="utf-8"))
    results["strands"]["overview"].setdefault("notes", []).append("Contact someone@example.org.")
    (leaky / "results.json").write_text(json.dumps(results), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IJ_EVAL_RESULTS", str(leaky))
        with pytest.raises(PublicationBlocked):
            setup.results_store(tmp_path)
    assert not (tmp_path / "figures").exists(), "a refused store's figures must not be copied"


def test_store_path_env_var_relative_to_the_quarto_project(monkeypatch, tmp_path):
    setup = _setup_module()
    monkeypatch.delenv("IJ_EVAL_RESULTS", raising=False)
    assert setup.store_path() == setup.DEFAULT_STORE
    monkeypatch.setenv("IJ_EVAL_RESULTS", "stores/a")
    monkeypatch.setenv("QUARTO_PROJECT_ROOT", str(tmp_path))
    assert setup.store_path() == tmp_path / "stores" / "a"
    monkeypatch.setenv("IJ_EVAL_RESULTS", str(tmp_path / "absolute"))
    assert setup.store_path() == tmp_path / "absolute"
    monkeypatch.setenv("IJ_EVAL_RESULTS", str(tmp_path / "nothing-here"))
    with pytest.raises(Exception, match="IJ_EVAL_RESULTS"):
        setup.results_store(tmp_path)


def test_copy_figures_mirrors_the_store(tmp_path):
    setup = _setup_module()
    store = tmp_path / "store"
    (store / "figures").mkdir(parents=True)
    (store / "figures" / "a.png").write_bytes(b"a")
    doc = tmp_path / "doc"
    (doc / "figures").mkdir(parents=True)
    (doc / "figures" / "stale.png").write_bytes(b"old")
    setup.copy_figures(ResultsStore(store), doc)
    assert sorted(p.name for p in (doc / "figures").iterdir()) == ["a.png"]
    setup.copy_figures(ResultsStore(store), store)  # the store as its own document folder: left alone
    assert (store / "figures" / "a.png").is_file()


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lo, hi = sorted([luminance(a), luminance(b)])
    return (hi + 0.05) / (lo + 0.05)


def test_banner_colours_meet_wcag_aa():
    css = (REPORTS / "styles.css").read_text(encoding="utf-8")
    rule = re.search(r"^\.synthetic-banner \{([^}]*)\}", css, re.M).group(1)
    fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", rule).group(1)
    bg = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6})", rule).group(1)
    assert _contrast(fg, bg) >= 4.5
    typ = (REPORTS / "synthetic-banner.typ").read_text(encoding="utf-8")
    banner = typ[typ.index("#let synthetic-banner"):]
    fill = re.search(r'block\([^)]*fill: rgb\("(#[0-9a-fA-F]{6})"\)', banner).group(1)
    text_fill = re.search(r'text\(fill: rgb\("(#[0-9a-fA-F]{6})"\)', banner).group(1)
    assert _contrast(fill, text_fill) >= 4.5
