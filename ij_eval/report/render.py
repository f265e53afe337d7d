"""The built-in renderer: chapter Markdown -> one self-contained HTML file and an A4 PDF, without Quarto.

The chapter Markdown (:mod:`ij_eval.report.outline`) is written in Quarto's cross-reference syntax.
Quarto numbers the labels itself; here :func:`resolve_crossrefs` does it first, so pandoc only sees
plain Markdown:

- figures ``![Caption](figures/x.png){#fig-x fig-alt="..."}`` and captioned tables
  (``: Caption {#tbl-x}`` after a pipe table) are numbered in document order, their captions
  prefixed ("**Figure 3:** Caption"), and ``fig-alt`` becomes the image's ``alt``;
- ``@fig-x`` / ``@tbl-x`` become links ``[Figure 3](#fig-x)``, ``@sec-x`` a link with the section's
  title (Quarto's ``[-@fig-x]`` gives the bare number); an unknown label is an error.

HTML: pandoc with ``assets/report.html`` and ``assets/report.css``, images embedded as data URIs.
PDF: pandoc writes Typst with ``assets/report.typ``; the ``typst`` wheel compiles it with its own
fonts only. ``assets/divs.lua`` styles callouts and the synthetic-data banner in both.
The same Markdown and store give byte-identical HTML and PDF.

Data never becomes markup, in three layers. The chapters escape every value from the store where
they write it (:mod:`ij_eval.report.escape`). Pandoc reads the Markdown without raw HTML, raw
TeX, raw ``{=format}`` blocks, HTML-tag divs and spans and TeX maths (:data:`MARKDOWN`), and
``divs.lua`` writes every piece of text into the Typst source escaped, keeps only links within
the page or to http(s) and mailto addresses, and only images of the store's figures. Each HTML
page carries a strict Content-Security-Policy (no script at all, images only as data URIs, only its
own stylesheet, by hash), and :func:`check_page` refuses a page with a script, an embedded object,
an event-handler or style attribute or a ``javascript:`` address in it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import html.parser
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ij_eval import __version__
from ij_eval.errors import IJEvalError
from ij_eval.report.escape import html_text, md_attr, md_text, typst_string
from ij_eval.report.store import BANNER

ASSETS = Path(__file__).parent / "assets"
CSS = ASSETS / "report.css"
HTML_TEMPLATE = ASSETS / "report.html"
TYPST_TEMPLATE = ASSETS / "report.typ"
DIVS_FILTER = ASSETS / "divs.lua"

BRIEF_MAX_PAGES = 2
KINDS = {"fig": "Figure", "tbl": "Table", "sec": "Section"}
# pandoc's Markdown as Quarto writes it; `@` is never a citation here (cross-references are resolved first).
# Nothing raw: no HTML (nor HTML-tag divs and spans), TeX or `{=format}` passes through to the output.
MARKDOWN = ("markdown-citations-raw_html-native_divs-native_spans-markdown_in_html_blocks-raw_tex-latex_macros"
            "-raw_attribute-tex_math_dollars")


# --------------------------------------------------------------------------------------------------
# cross-references

@dataclass(frozen=True)
class Label:
    kind: str  # fig, tbl or sec
    number: int  # document order within its kind (sections too)
    title: str  # the section title, or the figure/table caption, as plain text

    @property
    def name(self) -> str:
        if self.kind == "sec":
            return self.title
        return f"{KINDS[self.kind]} {self.number}"


@dataclass(frozen=True)
class Resolved:
    """Markdown with cross-references resolved, its labels, and its figures' files and alt text."""

    markdown: str
    labels: dict[str, Label] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # path as written -> alt text


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+\{([^{}]*)\})?\s*$")
_FIGURE = re.compile(r"^!\[((?:\\.|[^\]\\])*)\]\(([^()\s]+)\)\{([^{}]*)\}\s*$")
_TABLE_CAPTION = re.compile(r"^(?:Table)?:\s+(.*?)\s*(?<!\\)\{([^{}]*)\}\s*$")  # not an escaped \{
_ATTR = re.compile(r'#([^\s#.="]+)|\.([^\s#.="]+)|([\w-]+)=("(?:\\.|[^"\\])*"|[^\s"]+)')
_LABEL = r"((?:fig|tbl|sec)-[A-Za-z0-9_]+(?:[-:.][A-Za-z0-9_]+)*)"
_BRACKET_REF = re.compile(r"\[(-?)@" + _LABEL + r"\]")
_REF = re.compile(r"(?<![\w@\\/])@" + _LABEL)
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def _attrs(text: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """``#id .class key=value key="value"`` -> (id, classes, [(key, raw value)])."""
    ident, classes, pairs = "", [], []
    for m in _ATTR.finditer(text):
        if m.group(1):
            ident = m.group(1)
        elif m.group(2):
            classes.append(m.group(2))
        else:
            pairs.append((m.group(3), m.group(4)))
    return ident, classes, pairs


def _format_attrs(ident: str, classes: list[str], pairs: list[tuple[str, str]]) -> str:
    parts = ([f"#{ident}"] if ident else []) + [f".{c}" for c in classes] + [f"{k}={v}" for k, v in pairs]
    return "{" + " ".join(parts) + "}"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _plain(markdown: str) -> str:
    """Inline Markdown as plain text (emphasis, code marks and escapes removed)."""
    text = re.sub(r"!?\[((?:\\.|[^\]\\])*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(?<!\\)[*_`]+", "", text)
    return re.sub(r"\\(.)", r"\1", text).strip()


def _escape_link_text(text: str) -> str:
    return md_text(text)


def _code_mask(lines: list[str]) -> list[bool]:
    """True for lines inside fenced code blocks (left alone by the pre-pass)."""
    mask, fence = [], None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            mask.append(True)
        elif fence is not None:
            mask.append(True)
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
        else:
            mask.append(False)
    return mask


def _collect(lines: list[str], code: list[bool]) -> dict[str, Label]:
    labels: dict[str, Label] = {}
    counts = {"fig": 0, "tbl": 0, "sec": 0}

    def add(label: str, kind: str, title: str) -> None:
        if label in labels:
            raise IJEvalError(f"the report defines the cross-reference label {label!r} twice; labels must be unique")
        counts[kind] += 1
        labels[label] = Label(kind, counts[kind], title)

    for line, is_code in zip(lines, code, strict=True):
        if is_code:
            continue
        if m := _FIGURE.match(line):
            ident = _attrs(m.group(3))[0]
            if ident.startswith("fig-"):
                add(ident, "fig", _plain(m.group(1)))
        elif m := _TABLE_CAPTION.match(line):
            ident = _attrs(m.group(2))[0]
            if ident.startswith("tbl-"):
                add(ident, "tbl", _plain(m.group(1)))
        elif (m := _HEADING.match(line)) and m.group(3):
            ident = _attrs(m.group(3))[0]
            if ident.startswith("sec-"):
                add(ident, "sec", _plain(m.group(2)))
    return labels


def _link(label: str, labels: dict[str, Label], bare: bool) -> str:
    target = labels.get(label)
    if target is None:
        known = ", ".join(sorted(k for k in labels if k.split("-")[0] == label.split("-")[0])) or "none"
        raise IJEvalError(f"the report refers to @{label}, but no {KINDS[label.split('-')[0]].lower()} has the "
                          f"label {label!r} (labels of that kind: {known})")
    text = str(target.number) if bare and target.kind != "sec" else target.name
    return f"[{_escape_link_text(text)}](#{label})"


def _resolve_refs(line: str, labels: dict[str, Label]) -> str:
    out, last = [], 0
    for m in _CODE_SPAN.finditer(line):  # leave inline code alone
        out.append(_refs_in_text(line[last:m.start()], labels))
        out.append(m.group(0))
        last = m.end()
    out.append(_refs_in_text(line[last:], labels))
    return "".join(out)


def _refs_in_text(text: str, labels: dict[str, Label]) -> str:
    text = _BRACKET_REF.sub(lambda m: _link(m.group(2), labels, bare=m.group(1) == "-"), text)
    return _REF.sub(lambda m: _link(m.group(1), labels, bare=False), text)


def resolve_crossrefs(markdown: str) -> Resolved:
    """Number figures and tables, prefix their captions, and turn ``@label`` into links.

    Raises :class:`IJEvalError` naming the label for a reference to an unknown label or a label
    defined twice.
    """
    lines = markdown.split("\n")
    code = _code_mask(lines)
    labels = _collect(lines, code)
    images: dict[str, str] = {}
    out: list[str] = []
    for line, is_code in zip(lines, code, strict=True):
        if is_code:
            out.append(line)
            continue
        if (m := _FIGURE.match(line)) and _attrs(m.group(3))[0] in labels:
            ident, classes, pairs = _attrs(m.group(3))
            keys = {k for k, _ in pairs}
            caption, path = m.group(1), m.group(2)
            fig_alt = next((v for k, v in pairs if k == "fig-alt"), None)
            pairs = [(k, v) for k, v in pairs if k != "fig-alt"]
            if "alt" not in keys:
                alt = _unquote(fig_alt) if fig_alt is not None else _plain(caption)
                pairs.insert(0, ("alt", md_attr(alt)))
            images.setdefault(path, _unquote(next(v for k, v in pairs if k == "alt")))
            label = labels[ident]
            caption = _resolve_refs(caption, labels)
            out.append(f"![**{label.name}:** {caption}]({path}){_format_attrs(ident, classes, pairs)}")
            continue
        if (m := _TABLE_CAPTION.match(line)) and _attrs(m.group(2))[0] in labels:
            ident = _attrs(m.group(2))[0]
            caption = _resolve_refs(m.group(1), labels)
            out.append(f": **{labels[ident].name}:** {caption} {{{m.group(2).strip()}}}")
            continue
        out.append(_resolve_refs(line, labels))
    return Resolved("\n".join(out), labels, images)


# --------------------------------------------------------------------------------------------------
# colour contrast (WCAG 2.x)

_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` (or ``#rgb``) colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _colour(value: str) -> str | None:
    m = _HEX.search(value)
    return m.group(0).lower() if m else None


def css_colour_pairs(css: str) -> list[tuple[str, str, str]]:
    """Every (where, text colour, background colour) pair a stylesheet can put on screen.

    A rule setting both ``color`` and a background gives that pair. A rule setting only ``color``
    is paired with the page background and every background set by a rule without its own text
    colour (text can sit on any of them); so is the page's text colour. Colours must be hex.
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = dict((k.strip().lower(), v.strip()) for k, _, v in
                     (d.partition(":") for d in body.split(";") if ":" in d))
        fg = decls.get("color")
        bg = decls.get("background-color", decls.get("background"))
        for value in (fg, bg):
            if value and not _colour(value) and value.split()[0] not in {"inherit", "none", "transparent",
                                                                        "currentcolor"}:
                raise ValueError(f"{selector.strip()}: colour {value!r} is not hex; the contrast check needs hex")
        rules.append((" ".join(selector.split()), fg and _colour(fg), bg and _colour(bg)))
    page = next(((fg, bg) for sel, fg, bg in rules if sel == "body"), ("#000000", "#ffffff"))
    surfaces = {page[1]} | {bg for _, fg, bg in rules if bg and not fg}
    pairs = []
    for selector, fg, bg in rules:
        if fg and bg:
            pairs.append((selector, fg, bg))
        elif fg:
            pairs += [(f"{selector} on {s}", fg, s) for s in sorted(surfaces)]
    pairs += [(f"body text on {s}", page[0], s) for s in sorted(surfaces)]
    return pairs


def typst_colour_pairs(template: str) -> list[tuple[str, str, str]]:
    """The (pair, text, background) colours listed on ``// contrast:`` lines of the Typst template."""
    colours = {name: value.lower() for name, value in re.findall(r'#let ([\w-]+) = rgb\("(#[0-9a-fA-F]{6})"\)',
                                                                 template)}
    pairs = []
    for line in re.findall(r"^// contrast: (.*)$", template, flags=re.M):
        for pair in line.split(","):
            fg, _, bg = (p.strip() for p in pair.partition(" on "))
            pairs.append((f"{fg} on {bg}", colours[fg], colours[bg]))
    return pairs


# --------------------------------------------------------------------------------------------------
# rendering

@dataclass(frozen=True)
class Document:
    """What one output needs: the chapter Markdown, the store folder its figure paths are relative to,
    the title-page fields, and whether it is synthetic and a brief."""

    markdown: str
    root: Path
    fields: Mapping[str, str]
    synthetic: bool
    brief: bool = False
    date: dt.date | None = None  # the PDF's creation date (fixed so the PDF is reproducible)
    not_for_publication: str = ""  # the notice of a store that is not for publication ("" when it may be)

    @property
    def top_banner(self) -> str:
        """The banner at the top of every page: synthetic data, not for publication, or both."""
        return " · ".join(t for t in (BANNER if self.synthetic else "", self.not_for_publication) if t)


def _pandoc(text: str, to: str, args: list[str]) -> str:
    import pypandoc

    try:
        return pypandoc.convert_text(text, to, format=MARKDOWN, extra_args=args)
    except (RuntimeError, OSError) as exc:
        raise IJEvalError(f"pandoc could not convert the report to {to}: {exc}") from exc


def _metadata(doc: Document) -> str:
    """A YAML metadata block (JSON strings are YAML) with the title-page fields. Pandoc reads each
    value as Markdown, so each (plain text) is escaped as Markdown first."""
    f = doc.fields
    meta = {"title": f.get("title", ""), "force": f.get("force", ""), "team": f.get("team", ""),
            "report-date": f.get("date", ""), "period": f.get("period", ""), "banner": BANNER,
            "ij-version": __version__, "top-banner": doc.top_banner, "restricted": doc.not_for_publication}
    lines = ["---"] + [f"{k}: {json.dumps(md_text(v), ensure_ascii=False)}" for k, v in meta.items() if v]
    lines += ["synthetic: true"] * doc.synthetic + ["brief: true"] * doc.brief
    return "\n".join(lines + ["---", "", ""])


def _prepare(doc: Document) -> Resolved:
    resolved = resolve_crossrefs(doc.markdown)
    for path in resolved.images:
        if re.match(r"^[a-z][\w+.-]*:", path) or path.startswith("/"):
            raise IJEvalError(f"figure {path!r}: figure paths must be relative to the results store")
        if not (doc.root / path).is_file():
            raise IJEvalError(f"figure file {path} is missing from the results store {doc.root}")
    return resolved


# --------------------------------------------------------------------------------------------------
# the HTML pages' Content-Security-Policy and the final check of a page

CSP_PLACEHOLDER = "ij-eval-content-security-policy"
QUOTED_NONE = "'none'"
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP_PLACEHOLDER}">'
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", flags=re.S | re.I)


def content_security_policy(styles: list[str]) -> str:
    """The policy of a page whose only active content is the given ``<style>`` elements: no script,
    no plugin, nothing loaded from anywhere (images are data URIs), those styles only (by hash)."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'"
                      for s in dict.fromkeys(styles))
    return ("default-src 'none'; script-src 'none'; object-src 'none'; "
            f"style-src {hashes or QUOTED_NONE}; img-src data:; base-uri 'none'; form-action 'none'")


def with_csp(page: str) -> str:
    """The page with its Content-Security-Policy filled in: the template's ``CSP_META``, which must
    come before any style, gets the hashes of the page's ``<style>`` elements as they are written."""
    at = page.find(CSP_META)
    first_style = _STYLE.search(page)
    if at < 0 or (first_style is not None and first_style.start() < at):
        raise IJEvalError("the HTML template has no Content-Security-Policy before its styles (ij-eval's "
                          f"assets/report.html must carry {CSP_META!r} in <head>)")
    policy = content_security_policy(_STYLE.findall(page))
    return page[:at] + CSP_META.replace(CSP_PLACEHOLDER, policy) + page[at + len(CSP_META):]  # quotes: only '


_ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "input",
                "button", "link", "svg", "math", "template", "portal"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcset"}
_SAFE_HREF = re.compile(r"^(?:#|https?://|mailto:|[\w-]+\.(?:html|pdf)$)", flags=re.I)  # or a file beside it
_SAFE_SRC = re.compile(r"^data:image/(?:png|jpeg|gif|webp);", flags=re.I)


class _PageCheck(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.problems.append(f"a <{tag}> element")
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() not in ("content-security-policy",)
                                 for k, v in attrs):
            self.problems.append("a <meta http-equiv> other than the Content-Security-Policy")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]+", "", value or "")
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"a {name}= attribute on <{tag}>")
            elif name in _URL_ATTRS and value:
                safe = _SAFE_SRC if name == "src" else _SAFE_HREF
                if not safe.match(value):
                    self.problems.append(f"<{tag} {name}={value[:40]!r}>")


def check_page(page: str) -> list[str]:
    """What in an HTML page could run or load something: scripts, embedded objects, forms, event-handler
    and style attributes, and addresses that are not within the page, http(s), mailto or data images."""
    checker = _PageCheck()
    checker.feed(page)
    checker.close()
    return sorted(set(checker.problems))


def _safe_page(page: str, what: str) -> str:
    page = with_csp(page)
    problems = check_page(page)
    if problems:
        raise IJEvalError(f"the {what} was not written: it would carry {'; '.join(problems[:5])}"
                          f"{' and more' if len(problems) > 5 else ''}, which the report never has (a bug in "
                          "ij-eval's escaping: please report it)")
    return page


def render_html(doc: Document) -> str:
    """One self-contained HTML page (CSS inline, images as data URIs, no external URL, no script),
    with its Content-Security-Policy."""
    resolved = _prepare(doc)
    args = ["--standalone", "--embed-resources", "--columns=100000", f"--template={HTML_TEMPLATE}", f"--css={CSS}",
            f"--resource-path={doc.root}", f"--lua-filter={DIVS_FILTER}", "--wrap=none",
            f"--variable=csp:{CSP_PLACEHOLDER}"]
    if not doc.brief:  # the title block holds the one <h1>; chapters become <h2>
        args += ["--shift-heading-level-by=1", "--toc", "--toc-depth=3"]
    page = _pandoc(_metadata(doc) + resolved.markdown, "html5", args)
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    broken = sorted({html.unescape(h) for h in re.findall(r'\shref="#([^"]*)"', page)} - ids)
    if broken:
        raise IJEvalError(f"the {'brief' if doc.brief else 'report'} links to "
                          f"{', '.join('#' + b for b in broken)}, which no heading, figure, table or anchor has as "
                          f"its id (write the id explicitly, e.g. '## Title {{#{broken[0]}}}')")
    return _safe_page(page, "brief" if doc.brief else "report")


def _typst_string(text: str) -> str:
    return typst_string(text)


def typst_source(doc: Document) -> str:
    """The Typst source of the PDF; image paths are rooted at the results store."""
    resolved = _prepare(doc)
    args = [f"--template={TYPST_TEMPLATE}", f"--lua-filter={DIVS_FILTER}", "--wrap=none", "--columns=100000"]
    if doc.fields.get("force"):
        args.append(f"--variable=doc-author:{_typst_string(doc.fields['force'])}")
    if doc.date is not None:
        d = doc.date
        args.append(f"--variable=doc-date:datetime(year: {d.year}, month: {d.month}, day: {d.day})")
    source = _pandoc(_metadata(doc) + resolved.markdown, "typst", args)

    def image(m: re.Match) -> str:
        path = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
        alt = resolved.images.get(path)
        out = f"image({_typst_string('/' + path)}"
        return out + (f", alt: {_typst_string(alt)}" if alt else "")

    return re.sub(r'(?<=[(#])image\("((?:\\.|[^"\\])*)"', image, source)  # figure(image(...)), #box(image(...))


def compile_pdf(source: str, root: Path) -> tuple[bytes, int]:
    """Compile Typst source (figure paths rooted at ``root``) to PDF bytes and count its pages."""
    import typst

    try:
        compiler = typst.Compiler(root=str(root), ignore_system_fonts=True)
        pdf = compiler.compile(source.encode("utf-8"), format="pdf")
        pages = compiler.compile(source.encode("utf-8"), format="png", ppi=4)
    except (RuntimeError, typst.TypstError) as exc:
        raise IJEvalError(f"typst could not compile the PDF: {exc}") from exc
    n = len(pages) if isinstance(pages, list) else 1
    return pdf, n


def render_pdf(doc: Document) -> tuple[bytes, int]:
    """The A4 PDF (bytes) and its number of pages."""
    return compile_pdf(typst_source(doc), doc.root)


def landing_page(fields: Mapping[str, str], synthetic: bool, files: Mapping[str, str],
                 not_for_publication: str = "") -> str:
    """``index.html``: the title and links to the report and the brief (HTML and PDF), with the same
    Content-Security-Policy as they carry."""
    esc = html_text
    css = CSS.read_text(encoding="utf-8")
    top = " · ".join(t for t in (BANNER if synthetic else "", not_for_publication) if t)
    banner = f'<p class="synthetic-top" role="note">{esc(top)}</p>\n' if top else ""
    items = "\n".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in files.items())
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{esc(fields[v])}</dd>" for k, v in
                   (("Force", "force"), ("Evaluation team", "team"), ("Date", "date"), ("Data period", "period"))
                   if fields.get(v))
    page = (f'<!DOCTYPE html>\n<html lang="en" xml:lang="en">\n<head>\n<meta charset="utf-8">\n{CSP_META}\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(fields.get('title', 'Report'))}</title>\n<style>\n{css}</style>\n</head>\n"
            f'<body class="report">\n{banner}<div class="page">\n<header class="title-page">\n'
            f'<p class="kicker">Independent evaluation</p>\n<h1>{esc(fields.get("title", ""))}</h1>\n'
            f'<dl class="title-meta">{meta}</dl>\n</header>\n<main id="content">\n'
            f'<ul class="downloads">\n{items}\n</ul>\n</main>\n</div>\n</body>\n</html>\n')
    return _safe_page(page, "landing page")
