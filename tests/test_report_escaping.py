"""Text from the data and the config is escaped for the format it enters, and the HTML pages run nothing.

Unit tests of :mod:`ij_eval.report.escape` through the real pandoc and typst (every hostile
string shows as itself in every place the chapters put text), of the page check and of the
Content-Security-Policy; then the report of an evaluation with a payload in every text field
(``hostile_cases/cases_escaping.py``) opened in headless Chromium: no payload runs, with the
pages' own policy and with it removed (so the escaping alone is proved), and each shows as text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess

import pypandoc
import pytest
import typst
from hostile_cases.cases_escaping import PAYLOADS, PageText, normalise, payload_store, pdf_text, squeeze
from test_report_browser import chromium

from ij_eval.errors import IJEvalError
from ij_eval.report import build_report
from ij_eval.report.escape import html_text, md_attr, md_text, plain, plot_text, typst_string
from ij_eval.report.render import (
    CSP_META,
    DIVS_FILTER,
    MARKDOWN,
    Document,
    check_page,
    content_security_policy,
    render_html,
    typst_source,
    with_csp,
)

HOSTILE = [
    "<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=1">', '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))", "![x](javascript:alert(1))", "<https://evil.example>", "`<b>x</b>`{=html}",
    "```{=html}", "[x]{onclick=alert(1)}", '<div onclick="x">d</div>', "<!-- hidden -->", "&lt;script&gt; &amp;",
    "#panic()", '#read("/etc/passwd")', "$x$", "$$x^2$$", r"\(x\)", "@fig-x", "[@sec-y]", "{{< env HOME >}}",
    "- item", "+ item", "1. one", "2) two", "(a) a", "iv. four", "# heading", "> quote", ": definition",
    "::: {.callout}", "| a | b |", "---", "***", "~~~", "Table: caption {#tbl-x}", "^sup^ ~sub~ ~~struck~~",
    "*em* _em_ **strong** __strong__", "back\\slash \\", "[c]", "\\[c\\]", "= heading", "/ term: definition",
    "<label>", "@label", "#set page(width: 1cm)", "#{panic()}", "$#panic()$", "// comment", "/* comment */",
    "-?soft", "a -- b --- c ... d", "it's \"quoted\"", "prior_offences and _x_ and x_", "=1+1", "@SUM(A1)",
    "tab\there\nnew line\r\n\u2028sep", "   leading space", "ends with two spaces  ", "-1.5 and x-2 and --3",
]
CONTEXTS = {  # where the chapters write a value: {} is the escaped value
    "paragraph": "{}\n", "sentence": "Before {} after.\n", "bullet": "- {}\n", "quote": "> {}\n>\n> — participant\n",
    "cell": "| A | B |\n|:--|--:|\n| {} | 1 |\n\n: Caption {} {{#tbl-ctx}}\n", "heading": "## {} {{#sec-ctx}}\n",
    "strong": "**{}** text\n", "link": "[{}](#sec-ctx)\n",
}


def _document(cases: list[str]) -> str:
    blocks = []
    for i, text in enumerate(cases):
        for name, template in CONTEXTS.items():
            body = (template.replace("{}", md_text(text)).replace("{{", "{").replace("}}", "}")
                    .replace("-ctx", f"-ctx{i}"))
            blocks.append(f"ZZSTART{i}{name.upper()}\n\n{body}\nZZEND{i}{name.upper()}\n")
    return "\n".join(blocks)


def _between(text: str, i: int, name: str) -> str:
    return text.split(f"ZZSTART{i}{name.upper()}")[1].split(f"ZZEND{i}{name.upper()}")[0]


def test_escaped_text_is_itself_in_html_wherever_it_is_written():
    page = pypandoc.convert_text(_document(HOSTILE), "html5", format=MARKDOWN,
                                 extra_args=["--wrap=none", f"--lua-filter={DIVS_FILTER}"])
    assert check_page(page) == []
    allowed = {"p", "ul", "li", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "h2", "strong", "a",
               "caption", "colgroup", "col", "div"}
    for i, text in enumerate(HOSTILE):
        for name in CONTEXTS:
            part = _between(page, i, name)
            tags = set(re.findall(r"<([a-z0-9]+)", part)) - allowed
            assert not tags, (text, name, tags, part)
            assert normalise(plain(text)) in normalise(PageText(part).text), (text, name, part)


def test_escaped_text_is_itself_in_the_pdf_wherever_it_is_written(tmp_path):
    source = pypandoc.convert_text(_document(HOSTILE), "typst", format=MARKDOWN,
                                   extra_args=["--wrap=none", f"--lua-filter={DIVS_FILTER}"])
    (tmp_path / "x.pdf").write_bytes(typst.compile(source.encode("utf-8"), format="pdf"))
    text = subprocess.run(["pdftotext", str(tmp_path / "x.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "root:x:0" not in text
    for i, value in enumerate(HOSTILE):
        for name in CONTEXTS:
            # a table caption and cell both hold it; everywhere else once
            assert squeeze(_between(text, i, name)).count(squeeze(plain(value))) >= 1, (value, name)


def test_md_text_keeps_ordinary_text_readable():
    for text in ("Home Office 2019/20: domestic burglary (SECONDHAND)", "prior_offences, Wheeler & Ratcliffe, 18+",
                 "50% it's \"quoted\" -- 2024-25"):
        assert md_text(text) == text
    assert md_text("[value_for_money] benefits") == r"\[value_for_money\] benefits"
    assert md_text("-0.05") == r"\-0.05" and md_text("2024. A year") == r"2024\. A year"
    assert md_text(None) == "" and md_text(12) == "12"
    assert md_text("a\n\n# b\tc") == r"a \# b c"


def test_attribute_html_typst_and_plot_text():
    assert md_attr('say "hi" \\ &amp;') == '"say \\"hi\\" \\\\ \\&amp;"'
    assert html_text('<a href="x">\'&</a>') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&lt;/a&gt;"
    assert typst_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'
    assert plot_text("$x$ \x00 long", 8) == "$x$ long" and plot_text("abcdefghij", 5) == "abcd…"


def test_alt_text_and_captions_from_the_store_are_text(tmp_path):
    import matplotlib.image
    import numpy as np

    (tmp_path / "figures").mkdir()
    matplotlib.image.imsave(tmp_path / "figures" / "f.png", np.zeros((4, 4)))
    alt, title = 'alt "><img src=x onerror=alert(1)> &amp; \\', "title <script>x</script> @fig-f [c]"
    markdown = f"# A {{#sec-a}}\n\n![{md_text(title)}](figures/f.png){{#fig-f fig-alt={md_attr(alt)}}}\n"
    page = render_html(Document(markdown, tmp_path, {"title": "T"}, False))
    img = re.search(r"<img [^>]*>", page).group(0)
    assert html.unescape(re.search(r'alt="([^"]*)"', img).group(1)) == alt
    assert "title &lt;script&gt;x&lt;/script&gt; @fig-f [c]" in page
    assert 'alt: "alt \\"><img src=x onerror=alert(1)> &amp; \\\\"' in typst_source(
        Document(markdown, tmp_path, {"title": "T"}, False))


def test_an_image_that_is_not_a_figure_of_the_store_is_dropped_for_its_description(tmp_path):
    markdown = ("# A {#sec-a}\n\nSee ![the file](/etc/passwd), ![up](../x.png) and "
                "![web](http://example.org/x.png).\n")
    doc = Document(markdown, tmp_path, {"title": "T"}, False)
    page = render_html(doc)
    assert "<img" not in page and "root:" not in page and "See the file, up and web." in page
    assert "#image(" not in typst_source(doc) and "passwd" not in typst_source(doc)


# --------------------------------------------------------------------------------------------------
# the page check and the Content-Security-Policy

@pytest.mark.parametrize(("fragment", "found"), [
    ("<script>x()</script>", "a <script> element"), ('<img src="x" onerror="x()">', "onerror= attribute"),
    ('<p style="color:red">x</p>', "a style= attribute"), ('<a href="javascript:x()">x</a>', "<a href="),
    ('<a href=" jav\tascript:x()">x</a>', "<a href="), ('<img src="http://example.org/x.png">', "<img src="),
    ("<iframe src=x></iframe>", "a <iframe> element"), ("<svg><script>x()</script></svg>", "a <svg> element"),
    ('<meta http-equiv="refresh" content="0;url=x">', "a <meta http-equiv>"), ("<form><input></form>", "a <form>"),
])
def test_page_check_finds_anything_active(fragment, found):
    problems = check_page(f"<html><body><p>ok</p>{fragment}</body></html>")
    assert any(found in p for p in problems), problems


def test_page_check_passes_a_plain_page():
    page = ('<html><head><meta http-equiv="Content-Security-Policy" content="x"><style>p{}</style></head><body>'
            '<a href="#x">a</a> <a href="https://example.org">b</a> <a href="report.pdf">c</a>'
            '<img src="data:image/png;base64,AAAA" alt="x"><p class="align-right">&lt;script&gt;</p></body></html>')
    assert check_page(page) == []


def test_policy_allows_only_the_pages_own_styles_by_hash():
    page = f"<html><head>{CSP_META}<style>\nbody {{ color: #111; }}\n</style></head><body></body></html>"
    out = with_csp(page)
    digest = base64.b64encode(hashlib.sha256(b"\nbody { color: #111; }\n").digest()).decode()
    assert f"style-src 'sha256-{digest}';" in out and "script-src 'none'" in out and "default-src 'none'" in out
    assert "img-src data:" in out and "unsafe" not in out
    assert content_security_policy([]).count("style-src 'none'") == 1
    with pytest.raises(IJEvalError, match="Content-Security-Policy"):
        with_csp("<html><head><style>x</style></head></html>")
    with pytest.raises(IJEvalError, match="Content-Security-Policy"):  # it must come before the styles
        with_csp(f"<html><head><style>x</style>{CSP_META}</head></html>")


def test_a_page_that_would_carry_markup_is_not_written(tmp_path, monkeypatch):
    import ij_eval.report.render as render

    monkeypatch.setattr(render, "MARKDOWN", "markdown-citations")  # raw HTML read through, as before
    with pytest.raises(IJEvalError, match="was not written: it would carry a <script> element"):
        render_html(Document("# A {#sec-a}\n\n<script>x()</script>\n", tmp_path, {"title": "T"}, False))


# --------------------------------------------------------------------------------------------------
# the report with a payload in every field, in headless Chromium

PROBE_ID, OUT_ID = "ij-probe", "ij-probe-out"
PROBE = """(function () {
  var violations = [];
  document.addEventListener('securitypolicyviolation', function (e) {
    violations.push(e.effectiveDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
  });
  function probe() {
    var active = [];
    document.querySelectorAll('*').forEach(function (el) {
      var tag = el.tagName.toLowerCase();
      if (tag === 'script' && el.id !== '__PROBE__') active.push('script');
      if (['svg', 'iframe', 'object', 'embed', 'form', 'math', 'base'].indexOf(tag) >= 0) active.push(tag);
      for (var i = 0; i < el.attributes.length; i++) {
        var a = el.attributes[i], v = a.value.replace(/\\s+/g, '').toLowerCase();
        if (a.name.indexOf('on') === 0 || a.name === 'style') active.push(tag + '[' + a.name + ']');
        if (v.indexOf('javascript:') === 0) active.push(tag + '[' + a.name + '=javascript:]');
      }
    });
    var out = document.createElement('pre');
    out.id = '__OUT__';
    var banner = document.querySelector('.synthetic-top');
    out.textContent = JSON.stringify({
      pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
      violations: violations, active: active, styles: document.querySelectorAll('style').length,
      display: getComputedStyle(document.body).display,
      styled: banner ? getComputedStyle(banner).backgroundColor : '',
      text: document.body.innerText,
      alts: Array.prototype.map.call(document.images, function (i) { return i.alt; })
    });
    document.body.appendChild(out);
  }
  window.addEventListener('load', function () { setTimeout(probe, 300); });
})();""".replace("__PROBE__", PROBE_ID).replace("__OUT__", OUT_ID)
PROBE_HASH = base64.b64encode(hashlib.sha256(PROBE.encode("utf-8")).digest()).decode()


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    store = tmp_path_factory.mktemp("escaping") / "results"
    shutil.copytree(payload_store(), store)
    build_report(store)  # the real publication gate
    return store / "report"


def _open(report, name: str, tmp_path, *, keep_policy: bool) -> dict:
    page = (report / name).read_text(encoding="utf-8")
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', page)
    assert meta and meta.start() < page.index("<style"), "the page has no Content-Security-Policy before its style"
    probe = f'<script id="{PROBE_ID}">{PROBE}</script>'
    if keep_policy:  # the page's own policy, letting the probe (and only it) run
        policy = meta.group(0).replace("script-src 'none'", f"script-src 'sha256-{PROBE_HASH}'")
        assert policy != meta.group(0)
        page = page[:meta.start()] + policy + probe + page[meta.end():]
    else:  # no policy at all: only the escaping stands between a payload and the browser
        page = page[:meta.start()] + probe + page[meta.end():]
    path = tmp_path / f"{'with' if keep_policy else 'without'}-policy-{name}"
    path.write_text(page, encoding="utf-8")
    result = chromium("--dump-dom", "--virtual-time-budget=10000", path.as_uri())
    m = re.search(rf'<pre id="{OUT_ID}">(.*?)</pre>', result.stdout, flags=re.S)
    assert m, f"chromium did not run the probe on {name}: {result.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


@pytest.mark.parametrize("keep_policy", [True, False], ids=["with-the-policy", "without-the-policy"])
@pytest.mark.parametrize("name", ["report.html", "brief.html", "index.html"])
def test_no_payload_runs_and_each_shows_as_text_in_chromium(hostile_report, name, keep_policy, tmp_path):
    seen = _open(hostile_report, name, tmp_path, keep_policy=keep_policy)
    assert seen["pwned"] is None, f"a payload ran: window.__pwned = {seen['pwned']}"
    assert seen["active"] == [], seen["active"]
    assert seen["styles"] == 1 and seen["display"] != "none"
    assert seen["styled"] not in ("", "rgba(0, 0, 0, 0)"), "the page's own stylesheet did not apply"
    if keep_policy:
        assert seen["violations"] == [], seen["violations"]  # nothing of ours (or theirs) needed what it forbids
    text, alts = normalise(seen["text"]), [normalise(a) for a in seen["alts"]]
    page = (hostile_report / name).read_text(encoding="utf-8")
    for payload in PAYLOADS.values():
        marker, want = payload.text[:5], normalise(payload.text)
        if marker in page:  # on this page: the reader sees all of it, as text (or as an image's alt text)
            assert want in text or any(want in a for a in alts), f"{payload.field}: not shown as its text in {name}"
        else:
            assert marker not in text, payload.field


def test_the_probe_sees_a_payload_that_runs(hostile_report, tmp_path):
    """A control: markup put into the page by hand runs without the policy, is blocked (and reported)
    with it, and the probe says so either way."""
    page = (hostile_report / "brief.html").read_text(encoding="utf-8")
    raw = '<img src="x" onerror="window.__pwned=\'control\'">'
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    (tampered / "brief.html").write_text(page.replace('<main id="content">', '<main id="content">' + raw, 1),
                                         encoding="utf-8")
    without = _open(tampered, "brief.html", tmp_path, keep_policy=False)
    assert without["pwned"] == "control" and "img[onerror]" in without["active"]
    with_policy = _open(tampered, "brief.html", tmp_path, keep_policy=True)
    assert with_policy["pwned"] is None and any("script-src" in v for v in with_policy["violations"])


def test_each_field_that_reaches_the_report_is_shown_or_withheld(hostile_report):
    pages = {n: (hostile_report / n).read_text(encoding="utf-8") for n in ("report.html", "brief.html")}
    visible = {n: PageText(p) for n, p in pages.items()}
    shown_somewhere = 0
    for payload in PAYLOADS.values():
        want = normalise(payload.text)
        places = [n for n, v in visible.items() if want in v.text or any(want in normalise(a) for a in v.alts)]
        anywhere = any(payload.text[:5] in p for p in pages.values())
        if payload.in_report:
            assert places or not anywhere, f"{payload.field}: neither shown as text nor withheld"
            shown_somewhere += bool(places)
        else:
            assert not anywhere, payload.field
    # A screen may withhold some fields; if it withheld most, these pages would no longer test the
    # escaping: give the payloads text the screen lets through.
    in_report = sum(p.in_report for p in PAYLOADS.values())
    assert shown_somewhere >= in_report // 2, f"only {shown_somewhere} of {in_report} payloads reach the pages"
    # the scheme's name, force and team are on both title pages
    for key in ("esc01", "esc02", "esc03"):
        assert normalise(PAYLOADS[key].text) in visible["brief.html"].text, key


def test_the_pdfs_show_the_payloads_as_text_and_ran_no_typst(hostile_report):
    report, brief = pdf_text(hostile_report / "report.pdf"), pdf_text(hostile_report / "brief.pdf")
    assert "root:x:0" not in report + brief
    shown_in_html = PageText((hostile_report / "report.html").read_text(encoding="utf-8")).text
    for payload in PAYLOADS.values():
        if normalise(payload.text) in shown_in_html:
            assert squeeze(payload.text) in squeeze(report), payload.field
    for key in ("esc01", "esc02", "esc03"):
        assert squeeze(PAYLOADS[key].text) in squeeze(brief), key
