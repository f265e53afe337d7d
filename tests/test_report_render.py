"""The built-in renderer: cross-references, the HTML and PDF of the report and the brief, and build_report.

A synthetic demo store is built once per session (:func:`demo_report`, shared with
``test_report_browser.py``). The publication check is patched to pass for these builds so the
rendering is tested on its own; its real call is exercised by the gate tests below and end to end
by ``test_pipeline.py``'s demo test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import ij_eval.publication as publication
from ij_eval.cli import main
from ij_eval.config import load_config
from ij_eval.errors import IJEvalError
from ij_eval.pipeline import run_pipeline
from ij_eval.report import REPORT_FILES, build_report
from ij_eval.report.render import (
    CSS,
    TYPST_TEMPLATE,
    Document,
    contrast_ratio,
    css_colour_pairs,
    render_html,
    render_pdf,
    resolve_crossrefs,
    typst_colour_pairs,
    typst_source,
)
from ij_eval.report.store import BANNER
from ij_eval.synth import write_synthetic

ON_CI = bool(os.environ.get("CI"))


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing here, fail when it is missing on CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (make system-packages installs it)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def gate_passing():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(publication, "check_store", lambda results_dir: [])
        mp.setattr(publication, "check_text", lambda text, where: [])
        yield


# --------------------------------------------------------------------------------------------------
# the demo store and its report, built once per session

@dataclass(frozen=True)
class Built:
    store: Path  # synthetic results store; its report is in store/"report"
    plain: Path  # the same store with results.json saying synthetic: false
    seconds: float  # time build_report took

    @property
    def report(self) -> Path:
        return self.store / "report"

    @property
    def plain_report(self) -> Path:
        return self.plain / "report"


_BUILT: dict[str, Built] = {}


def demo_report(tmp_path_factory) -> Built:
    if "demo" not in _BUILT:
        root = tmp_path_factory.mktemp("report_demo")
        data, store, plain = root / "data", root / "results", root / "plain"
        write_synthetic(data, seed=7, scale=1)
        run_pipeline(data, load_config(data / "evaluation.toml"), store)
        shutil.copytree(store, plain)
        results = json.loads((plain / "results.json").read_text(encoding="utf-8"))
        results["synthetic"] = False
        (plain / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
        with gate_passing():
            start = time.perf_counter()
            build_report(store)
            seconds = time.perf_counter() - start
            build_report(plain)
        _BUILT["demo"] = Built(store, plain, seconds)
    return _BUILT["demo"]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    return demo_report(tmp_path_factory)


# --------------------------------------------------------------------------------------------------
# a small fixture document exercising every construct

FIXTURE = """\
# Executive summary {#sec-summary}

::: {.synthetic-banner}
**SYNTHETIC DATA — NOT REAL RESULTS.** Built from synthetic demonstration data.
:::

Reoffending fell (@fig-km; @tbl-rates). Methods are in @sec-methods; the bare number is [-@fig-km],
and [@tbl-rates] is Quarto's bracketed form. Code `@fig-nothing` and mail team@example.org are left alone.

![Time to first reoffence \\[KM\\]](figures/km.png){#fig-km fig-alt="Kaplan-Meier curves of time to reoffence."}

| Measure | IJ | Comparison |
|:--|--:|--:|
| Reoffended within 12 months | 18% | 24% |
| Reoffences per person | 0.31 | 0.45 |

: Reoffending rates (see @fig-km) {#tbl-rates}

::: {.callout-note}
Matched on age, sex and prior offences.
:::

::: {.callout-warning}
## Read with care
Small numbers.
:::

::: {.callout-important title="Not causal"}
A descriptive comparison.
:::

# Data and methods {#sec-methods}

## Matching

![Balance](figures/balance.png){#fig-balance fig-alt="Love plot of standardised differences."}

See @fig-balance and @fig-km.

```
@fig-in-code stays as it is
```
"""

FIELDS = {"title": "Midshire IJ: an independent evaluation", "force": "Midshire Police",
          "team": "University of Somewhere", "date": "1 March 2025", "period": "1 October 2023 to 28 February 2025"}


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory) -> Path:
    import matplotlib.image

    root = tmp_path_factory.mktemp("fixture_store")
    (root / "figures").mkdir()
    gradient = np.linspace(0, 1, 120 * 200).reshape(120, 200)
    for name in ("km", "balance"):
        matplotlib.image.imsave(root / "figures" / f"{name}.png", gradient, cmap="viridis")
    return root


def fixture_doc(root: Path, *, synthetic: bool = True, brief: bool = False, markdown: str = FIXTURE) -> Document:
    return Document(markdown, root, FIELDS, synthetic, brief=brief)


# --------------------------------------------------------------------------------------------------
# cross-reference pre-pass

def test_figures_and_tables_are_numbered_in_document_order_with_prefixed_captions():
    resolved = resolve_crossrefs(FIXTURE)
    assert {k: v.name for k, v in resolved.labels.items()} == {
        "sec-summary": "Executive summary", "fig-km": "Figure 1", "tbl-rates": "Table 1",
        "sec-methods": "Data and methods", "fig-balance": "Figure 2"}
    md = resolved.markdown
    assert '![**Figure 1:** Time to first reoffence \\[KM\\]](figures/km.png){#fig-km alt="Kaplan-Meier' in md
    assert "![**Figure 2:** Balance](figures/balance.png){#fig-balance" in md
    assert ": **Table 1:** Reoffending rates (see [Figure 1](#fig-km)) {#tbl-rates}" in md
    assert "fig-alt" not in md
    assert resolved.images == {"figures/km.png": "Kaplan-Meier curves of time to reoffence.",
                               "figures/balance.png": "Love plot of standardised differences."}


def test_references_become_links_and_code_is_left_alone():
    md = resolve_crossrefs(FIXTURE).markdown
    assert "Reoffending fell ([Figure 1](#fig-km); [Table 1](#tbl-rates))." in md
    assert "Methods are in [Data and methods](#sec-methods)" in md
    assert "the bare number is [1](#fig-km)," in md
    assert "and [Table 1](#tbl-rates) is Quarto's" in md
    assert "See [Figure 2](#fig-balance) and [Figure 1](#fig-km)." in md
    assert "Code `@fig-nothing` and mail team@example.org are left alone." in md
    assert "@fig-in-code stays as it is" in md


def test_unknown_label_is_an_error_naming_it():
    with pytest.raises(IJEvalError, match=r"@fig-missing.*'fig-missing'.*fig-km"):
        resolve_crossrefs(FIXTURE + "\nAs @fig-missing shows.\n")
    with pytest.raises(IJEvalError, match="sec-nowhere"):
        resolve_crossrefs("# A {#sec-a}\n\nSee @sec-nowhere.\n")


def test_label_defined_twice_is_an_error():
    with pytest.raises(IJEvalError, match="'sec-a' twice"):
        resolve_crossrefs("# A {#sec-a}\n\n# B {#sec-a}\n")


def test_missing_figure_file_is_an_error(fixture_store):
    doc = fixture_doc(fixture_store, markdown="![Gone](figures/gone.png){#fig-gone}\n")
    with pytest.raises(IJEvalError, match="figures/gone.png is missing"):
        render_html(doc)


# --------------------------------------------------------------------------------------------------
# the fixture document as HTML and PDF

class Page(HTMLParser):
    """Tags with their attributes, headings in order, and text, from an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


def test_fixture_html_has_ids_alt_text_callouts_and_banner(fixture_store):
    page = render_html(fixture_doc(fixture_store))
    assert '<figure id="fig-km">' in page and '<figure id="fig-balance">' in page
    assert '<table id="tbl-rates">' in page
    assert "<figcaption><strong>Figure 1:</strong> Time to first reoffence [KM]</figcaption>" in page
    assert "<caption><strong>Table 1:</strong> Reoffending rates" in page
    imgs = Page(page).all("img")
    assert [i["alt"] for i in imgs] == ["Kaplan-Meier curves of time to reoffence.",
                                        "Love plot of standardised differences."]
    assert all(i["src"].startswith("data:image/png;base64,") for i in imgs)
    assert '<a href="#sec-methods">Data and methods</a>' in page
    for kind, title in (("note", "Note"), ("warning", "Read with care"), ("important", "Not causal")):
        assert re.search(rf'<div class="callout callout-{kind}" role="note">\s*<div class="callout-title">\s*'
                         rf"{title}\s*</div>", page), kind
    assert '<p class="synthetic-top" role="note">SYNTHETIC DATA — NOT REAL RESULTS</p>' in page
    assert '<div class="synthetic-banner" role="note">' in page
    assert '<html lang="en"' in page
    assert "<dt>Data period</dt><dd>1 October 2023 to 28 February 2025</dd>" in page


def test_fixture_typst_has_labels_links_alt_text_and_styled_divs(fixture_store):
    source = typst_source(fixture_doc(fixture_store))
    assert '#figure(image("/figures/km.png", alt: "Kaplan-Meier curves of time to reoffence.")' in source
    for label in ("<fig-km>", "<fig-balance>", "<tbl-rates>", "<sec-methods>"):
        assert label in source
    assert "#link(<fig-km>)[Figure 1]" in source
    assert '#ij-callout("warning", "Read with care")[' in source
    assert '#ij-callout("important", "Not causal")[' in source
    assert "#ij-banner[" in source
    assert "#let synthetic = true" in source


def test_fixture_pdf_compiles_with_typst_fonts_only(fixture_store):
    pdf, pages = render_pdf(fixture_doc(fixture_store))
    assert pdf.startswith(b"%PDF-") and pages >= 3  # title page, contents, two chapters
    brief_pdf, brief_pages = render_pdf(fixture_doc(fixture_store, brief=True))
    assert brief_pdf.startswith(b"%PDF-") and 1 <= brief_pages <= 2


def test_broken_internal_link_is_an_error(fixture_store):
    doc = fixture_doc(fixture_store, markdown="# A {#sec-a}\n\nSee [the table](#referrals).\n")
    with pytest.raises(IJEvalError, match="#referrals"):
        render_html(doc)


def test_an_anchor_is_an_empty_span_a_label_in_the_pdf_and_raw_html_is_text(fixture_store):
    """The renderer reads no raw HTML: an anchor is written ``[]{#x}`` (as the data dictionary's are turned
    into heading ids), and HTML in the Markdown shows as text."""
    doc = fixture_doc(fixture_store, markdown="# A {#sec-a}\n\nSee [x](#referrals).\n\n[]{#referrals}\n\n"
                                              "## referrals: Referrals\n\n<a id=raw></a> <b>bold</b>\n")
    page = render_html(doc)
    assert '<span id="referrals"></span>' in page
    assert "&lt;a id=raw&gt;&lt;/a&gt; &lt;b&gt;bold&lt;/b&gt;" in page and "<b>" not in page
    assert "<referrals>" in typst_source(doc)
    assert render_pdf(doc)[1] >= 1


def test_links_to_relative_files_keep_their_text_only(fixture_store):
    markdown = "# A {#sec-a}\n\nTemplate: [`templates/referrals.csv`](templates/referrals.csv).\n"
    doc = fixture_doc(fixture_store, markdown=markdown)
    page = render_html(doc)
    assert "Template: <code>templates/referrals.csv</code>." in page and 'href="templates' not in page
    assert '#link("templates' not in typst_source(doc)


# --------------------------------------------------------------------------------------------------
# colour contrast (WCAG 2.x AA: 4.5:1 for text)

def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#fff", "#767676") == pytest.approx(4.54, abs=0.01)


def test_every_css_text_background_pair_meets_wcag_aa():
    pairs = css_colour_pairs(CSS.read_text(encoding="utf-8"))
    assert len(pairs) > 30
    failing = [(where, fg, bg, round(contrast_ratio(fg, bg), 2)) for where, fg, bg in pairs
               if contrast_ratio(fg, bg) < 4.5]
    assert failing == []


def test_css_pairs_cover_rules_and_refuse_non_hex_colours():
    pairs = css_colour_pairs("body { color: #111111; background: #ffffff }\n.a { background: #eeeeee }\n"
                             ".b { color: #222222 }\n.c { color: #ffffff; background: #000000 }")
    assert ("body", "#111111", "#ffffff") in pairs
    assert (".c", "#ffffff", "#000000") in pairs
    assert {(fg, bg) for _, fg, bg in pairs} >= {("#222222", "#eeeeee"), ("#222222", "#ffffff"),
                                                ("#111111", "#eeeeee")}
    with pytest.raises(ValueError, match="not hex"):
        css_colour_pairs(".x { color: rgb(1, 2, 3) }")


def test_every_typst_text_background_pair_meets_wcag_aa():
    template = TYPST_TEMPLATE.read_text(encoding="utf-8")
    pairs = typst_colour_pairs(template)
    failing = [(name, round(contrast_ratio(fg, bg), 2)) for name, fg, bg in pairs if contrast_ratio(fg, bg) < 4.5]
    assert failing == []
    defined = set(re.findall(r'^#let ([\w-]+) = rgb\(', template, flags=re.M))
    listed = {n for name, _, _ in pairs for n in name.split(" on ")}
    decorative = {n.strip() for line in re.findall(r"^// decorative: (.*)$", template, flags=re.M)
                  for n in line.split(",")}
    assert defined - listed - decorative == set()


# --------------------------------------------------------------------------------------------------
# the demo store's report

def test_build_writes_report_brief_and_index(built):
    for name in REPORT_FILES:
        assert (built.report / name).is_file(), name
        assert (built.report / name).stat().st_size > 0
    assert (built.report / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert not list(built.report.glob(".*partial*"))
    index = (built.report / "index.html").read_text(encoding="utf-8")
    for name in ("report.html", "report.pdf", "brief.html", "brief.pdf"):
        assert f'href="{name}"' in index
    assert built.seconds < 60


@pytest.mark.parametrize("name", ["report.html", "brief.html"])
def test_html_is_self_contained(built, name):
    page = Page((built.report / name).read_text(encoding="utf-8"))
    for tag, attrs in page.tags:
        for attr in ("src", "href", "poster", "data"):
            value = attrs.get(attr)
            if value is not None and tag != "object":
                assert value.startswith(("#", "data:")), f"<{tag} {attr}={value[:80]!r}> is not self-contained"
    assert not page.all("script")
    assert not [a for a in page.all("link") if a.get("rel") == "stylesheet"]
    css = "".join(page.styles)
    assert css and not re.search(r"@import|url\((?!\s*['\"]?data:)", css)


@pytest.mark.parametrize("name", ["report.html", "brief.html"])
def test_html_images_have_alt_text_and_tables_have_header_cells(built, name):
    text = (built.report / name).read_text(encoding="utf-8")
    page = Page(text)
    for img in page.all("img"):
        assert img.get("alt", "").strip(), f"an image has no alt text: {img.get('src', '')[:60]}"
    tables = re.findall(r"<table\b.*?</table>", text, flags=re.S)
    for table in tables:
        assert "<th" in table, f"a table has no header cells: {table[:200]}"
    # each table scrolls inside a focusable region instead of overflowing the column
    wraps = re.findall(r'<div class="table-wrap" role="region" tabindex="0" aria-label="[^"]+">\s*<table', text)
    assert len(wraps) == len(tables)
    if name == "report.html":
        assert len(page.all("img")) >= 5 and len(tables) >= 5


@pytest.mark.parametrize("name", ["report.html", "brief.html"])
def test_html_has_one_h1_and_no_heading_level_jumps(built, name):
    levels = Page((built.report / name).read_text(encoding="utf-8")).headings
    assert levels.count(1) == 1 and levels[0] == 1
    jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert jumps == []


def test_report_html_has_title_page_contents_and_every_chapter(built):
    from ij_eval.report.outline import CHAPTERS

    text = (built.report / "report.html").read_text(encoding="utf-8")
    assert '<nav id="TOC" role="doc-toc"' in text
    assert '<p class="kicker">Independent evaluation</p>' in text
    for label in ("Force", "Evaluation team", "Date", "Data period"):
        assert f"<dt>{label}</dt>" in text
    for chapter in CHAPTERS:
        assert f'<h2 id="sec-{chapter.slug}">' in text, chapter.slug
        assert f'href="#sec-{chapter.slug}"' in text, chapter.slug


def test_synthetic_banner_present_only_for_synthetic_stores(built):
    for name in ("report.html", "brief.html", "index.html"):
        text = (built.report / name).read_text(encoding="utf-8")
        assert f'<p class="synthetic-top" role="note">{BANNER}</p>' in text, name
        plain = (built.plain_report / name).read_text(encoding="utf-8")
        assert "SYNTHETIC DATA" not in plain, name
        assert 'class="synthetic-top"' not in plain and 'class="synthetic-banner"' not in plain, name
    report = (built.report / "report.html").read_text(encoding="utf-8")
    from ij_eval.report.outline import CHAPTERS

    assert report.count('<div class="synthetic-banner" role="note">') >= len(CHAPTERS)


# --------------------------------------------------------------------------------------------------
# PDF (read with poppler's pdftoppm and pdftotext)

def pdf_pages_text(pdf: Path) -> list[str]:
    out = subprocess.run([require_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True,
                         text=True).stdout
    return out.split("\f")[:-1]


def pdf_page_images(pdf: Path, out: Path) -> list[np.ndarray]:
    import matplotlib.image

    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([require_tool("pdftoppm"), "-r", "50", "-png", str(pdf), str(out / "page")], check=True,
                   capture_output=True)
    return [matplotlib.image.imread(p) for p in sorted(out.glob("page-*.png"))]


@pytest.mark.parametrize("name", ["report.pdf", "brief.pdf"])
def test_pdf_pages_are_not_blank_and_carry_the_banner(built, name, tmp_path):
    pdf = built.report / name
    images = pdf_page_images(pdf, tmp_path)
    texts = pdf_pages_text(pdf)
    assert len(images) == len(texts) >= 1
    for i, image in enumerate(images, start=1):
        h = image.shape[0]
        body = image[int(0.12 * h):int(0.88 * h), :, :3]  # below the header, above the footer
        inked = (body.mean(axis=2) < 0.85).mean()
        assert inked > 0.0005, f"{name} page {i} is blank below the header ({inked:.4f} of pixels inked)"
        assert BANNER in " ".join(texts[i - 1].split()), f"{name} page {i} has no synthetic-data banner"
    if name == "brief.pdf":
        assert len(images) <= 2
    else:
        assert len(images) >= 10


def test_pdf_has_title_page_contents_captions_and_page_numbers(built):
    texts = pdf_pages_text(built.report / "report.pdf")
    first = " ".join(texts[0].split())
    assert "INDEPENDENT EVALUATION" in first and "Data period" in first and "Evaluation team" in first
    assert "Contents" in texts[1] and "Executive summary" in texts[1]
    everything = " ".join(" ".join(texts).split())
    assert re.search(r"Figure 1: \S", everything) and re.search(r"Table 1: \S", everything)
    n = len(texts)
    assert f"Full report (PDF, {n} pages)" in (built.report / "index.html").read_text(encoding="utf-8")
    for i in range(2, n + 1):
        assert f"Page {i} of {n}" in " ".join(texts[i - 1].split()), f"page {i} has no page number"


def test_non_synthetic_pdf_has_no_banner(built):
    for name in ("report.pdf", "brief.pdf"):
        assert not any("SYNTHETIC DATA" in page for page in pdf_pages_text(built.plain_report / name))


def test_brief_pdf_longer_than_two_pages_fails_the_build(built, tmp_path, monkeypatch):
    from ij_eval.report import outline

    long_brief = "# Brief {#sec-brief}\n\n" + "\n\n".join(["A paragraph of the brief that goes on. " * 12] * 40)
    monkeypatch.setattr(outline, "brief_markdown", lambda store: long_brief)
    out = tmp_path / "out"
    with gate_passing(), pytest.raises(IJEvalError, match=r"brief .* runs to \d+ pages of A4; it must fit on 2"):
        build_report(built.store, out)
    assert not out.exists()


# --------------------------------------------------------------------------------------------------
# determinism and failure safety

def test_same_store_gives_identical_html_and_pdf(built, tmp_path):
    with gate_passing():
        build_report(built.store, tmp_path / "again")
    for name in REPORT_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (built.report / name).read_bytes(), name
    assert pdf_pages_text(tmp_path / "again" / "report.pdf") == pdf_pages_text(built.report / "report.pdf")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_publication_problem_fails_the_build_and_keeps_the_previous_report(built, tmp_path, monkeypatch):
    store = tmp_path / "results"
    shutil.copytree(built.store, store)
    before = _snapshot(store / "report")
    monkeypatch.setattr(publication, "check_store",
                        lambda results_dir: ["tables/x.csv, column 'n', data row 2: 3 is below the threshold 10"])
    monkeypatch.setattr(publication, "check_text", lambda text, where: [])
    with pytest.raises(IJEvalError) as err:
        build_report(store)
    assert "publication check found 1 problem" in str(err.value) and "3 is below the threshold 10" in str(err.value)
    assert _snapshot(store / "report") == before


def test_publication_text_check_sees_the_report_and_brief(built, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(publication, "check_store", lambda results_dir: [])
    monkeypatch.setattr(publication, "check_text", lambda text, where: seen.append(where) or [f"{where}: bad"])
    with pytest.raises(IJEvalError, match="report: bad"):
        build_report(built.store, tmp_path / "out")
    assert {"report", "brief"} <= set(seen)
    assert not (tmp_path / "out").exists()


def test_missing_results_json_fails_and_writes_nothing(built, tmp_path):
    store = tmp_path / "results"
    shutil.copytree(built.store, store)
    (store / "results.json").unlink()
    before = _snapshot(store / "report")
    with pytest.raises(IJEvalError, match="not a results store"):
        build_report(store)
    assert _snapshot(store / "report") == before


def test_failure_while_rendering_keeps_the_previous_report(built, tmp_path, monkeypatch):
    import ij_eval.report.render as render

    store = tmp_path / "results"
    shutil.copytree(built.store, store)
    before = _snapshot(store / "report")

    def broken(doc):
        raise IJEvalError("typst could not compile the PDF: boom")

    monkeypatch.setattr(render, "render_pdf", broken)
    with gate_passing(), pytest.raises(IJEvalError, match="boom"):
        build_report(store)
    assert _snapshot(store / "report") == before


# --------------------------------------------------------------------------------------------------
# command line

def test_cli_report_lists_the_files_written(built, tmp_path, capsys):
    store = tmp_path / "results"
    shutil.copytree(built.store, store)
    shutil.rmtree(store / "report")
    with gate_passing():
        assert main(["report", str(store), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"wrote {store / 'report' / name}" for name in REPORT_FILES]
    assert err == ""


def test_cli_report_on_a_folder_that_is_not_a_store_exits_2_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("ij-eval: ") and "not a results store" in err
    assert "Traceback" not in err
    assert not (tmp_path / "report").exists()
