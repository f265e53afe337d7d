"""Hostile text in every field that can reach the report: it is escaped for the format it enters and never runs.

One synthetic evaluation (scale 1) carries a different payload in each text field of the data and
the config (:data:`PAYLOADS`): script and event-handler HTML, Markdown links and images with
``javascript:`` addresses, raw ``{=html}`` spans, Typst code (``#panic``, ``#read``), maths, a
cross-reference, a Quarto shortcode. Its results store is built once (:func:`payload_store`) and
copied into each case's workspace; each case then builds the report and checks its own field:

- the raw markup never appears in the source of ``report.html``, ``brief.html`` or ``index.html``
  (where it would be live);
- the field is shown as text, exactly (its text, typographic quotes aside, is in the page's
  visible text or an image's alt text), or not at all (a screen withheld it: its marker is absent);
  never half;
- the PDFs compiled (a Typst payload that ran would stop them, or put the file it read in them).

``tests/test_report_escaping.py`` opens the same pages in headless Chromium.
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from hostile_cases.harness import REPORT, Hostile, Outcome, Workspace


@dataclass(frozen=True)
class Payload:
    id: str  # the case id after esc_
    field: str  # where it is put, in words
    text: str  # starts with a marker (escNN) that identifies it on the page
    in_report: bool  # whether the field reaches the report at all (some reach only a published table)
    raw: tuple[str, ...]  # raw markup from it that must never be in an HTML page's source


SCRIPT, IMG = "<script>window.__pwned", "<img src=x onerror"

PAYLOADS: dict[str, Payload] = {p.text[:5]: p for p in (
    Payload("scheme_name", "[scheme] name", "esc01 <script>window.__pwned=1</script> scheme", True, (SCRIPT,)),
    Payload("scheme_force", "[scheme] force", 'esc02 <img src=x onerror="window.__pwned=2"> force', True, (IMG,)),
    Payload("scheme_team", "[scheme] evaluation_team", 'esc03 "><svg onload=window.__pwned=3> team', True,
            ("<svg onload",)),
    Payload("logic_model", "[logic_model] inputs", r"esc04 <img src=x onerror=window.__pwned=4> $\undefined$ $x$",
            True, (IMG,)),
    Payload("placement_site", "placements site", "esc05 <script>window.__pwned=5</script> site", False, (SCRIPT,)),
    Payload("cost_funder", "costs funder",
            "esc06 [x](javascript:window.__pwned=6) <img src=x onerror=window.__pwned=6>", True,
            (IMG, 'href="javascript:')),
    Payload("cost_item", "costs item", "esc07 <script>window.__pwned=7</script> item", False, (SCRIPT,)),
    Payload("area_id", "areas area_id", "esc08 <script>window.__pwned=8</script>", True, (SCRIPT,)),
    Payload("area_name", "areas name", "esc09 <script>window.__pwned=9</script> area", False, (SCRIPT,)),
    Payload("participant_quote", "participant_survey comment (consented)",
            'esc10 <script>window.__pwned=10</script> <img src=x onerror="window.__pwned=10"> it was good', True,
            (SCRIPT, IMG)),
    Payload("victim_quote", "victim_survey comment (consented)",
            'esc11 `<b>raw</b>`{=html} #read("/etc/passwd") #panic("typst ran") {{< env HOME >}} thanks', True,
            ("<b>raw</b>",)),
    Payload("level_label", "declared covariate level label", 'esc12 "><svg onload=window.__pwned=12> $x^2$ level',
            True, ("<svg onload",)),
    Payload("parameter_source", "[value_for_money.parameters] source",
            "esc13 ![x](javascript:window.__pwned=13) @fig-overview-logic-model <style>body{display:none}</style>",
            True, ('src="javascript:', "<style>body")),
    Payload("unit_cost_source", "[value_for_money.unit_costs] source",
            'esc14 #panic("typst ran") $#panic()$ [@sec-index] <iframe src=javascript:window.__pwned=14>', True,
            ("<iframe",)),
    Payload("deflator_source", "[value_for_money] deflator_source",
            "esc15 <script>window.__pwned=15</script> deflators", False, (SCRIPT,)),
)}


# --------------------------------------------------------------------------------------------------
# the evaluation with the payloads, and its results store (built once per test session)

def _edit(folder: Path, table: str, edit: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    path = folder / f"{table}.csv"
    edit(pl.read_csv(path, infer_schema_length=0)).write_csv(path)


def _first(n: int, value: str, column: str) -> pl.Expr:
    return pl.when(pl.int_range(pl.len()) < n).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_payload_folder(data: Path) -> None:
    """The synthetic evaluation (seed 7, scale 1) with every payload in its field."""
    from ij_eval.synth import write_synthetic

    write_synthetic(data, seed=7, scale=1)
    p = {key: payload.text for key, payload in PAYLOADS.items()}
    _edit(data, "placements", lambda d: d.with_columns(_first(3, p["esc05"], "site")))
    _edit(data, "costs", lambda d: d.with_columns(
        pl.when(pl.col("funder") == "Home Office").then(pl.lit(p["esc06"])).otherwise(pl.col("funder"))
        .alias("funder"), _first(4, p["esc07"], "item")))
    hotspot = "HS02"
    for table, columns in (("areas", ("area_id", "parent_hotspot")), ("asb_counts", ("area_id",)),
                           ("community_survey", ("area_id",)), ("referrals", ("hotspot_id",))):
        _edit(data, table, lambda d, cs=columns: d.with_columns(pl.col(c).replace({hotspot: p["esc08"]})
                                                                for c in cs))
    _edit(data, "areas", lambda d: d.with_columns(
        pl.when(pl.col("area_id") == "HS01").then(pl.lit(p["esc09"])).otherwise(pl.col("name")).alias("name")))
    for survey, key in (("participant_survey", "esc10"), ("victim_survey", "esc11")):
        _edit(data, survey, lambda d, k=key: d.with_columns(
            pl.when(pl.col("consent_to_quote") == "true").then(pl.lit(p[k])).otherwise(pl.col("comment"))
            .alias("comment")))
    _edit(data, "referrals", lambda d: d.with_columns(
        housing=pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit(p["esc12"])).otherwise(pl.lit("rented"))))
    config = data / "evaluation.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in (
        ('name = "Immediate Justice (synthetic demo)"', f"name = {_toml(p['esc01'])}"),
        ('force = "Synthetic Constabulary (demo)"', f"force = {_toml(p['esc02'])}"),
        ('evaluation_team = "ij-eval synthetic data generator"', f"evaluation_team = {_toml(p['esc03'])}"),
        ('"Home Office funding"', _toml(p["esc04"])),
        ('"prior_offences"]', '"prior_offences", "housing"]'),
        ('source = "ILLUSTRATIVE assumption for the synthetic demo" }', f"source = {_toml(p['esc13'])} }}"),
        ('source = "Home Office 2019/20: domestic burglary (SECONDHAND)"', f"source = {_toml(p['esc14'])}"),
        ('deflator_source = "OBR forecast', f"deflator_source = {_toml(p['esc15'])[:-1]} OBR forecast"),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    config.write_text(text, encoding="utf-8")


_BUILT: dict[str, Path] = {}


def payload_store() -> Path:
    """The results store of the payload evaluation (``ij-eval run``), built once per session."""
    if "store" not in _BUILT:
        import contextlib
        import io

        from ij_eval.cli import main

        root = Path(tempfile.mkdtemp(prefix="ij_eval_escaping_"))
        atexit.register(shutil.rmtree, root, True)
        write_payload_folder(root / "data")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(["run", str(root / "data"), "--out", str(root / "results"), "--quiet"])
        assert code == 0, out.getvalue()
        _BUILT["store"] = root / "results"
    return _BUILT["store"]


def _copy_store(ws: Workspace) -> None:
    shutil.copytree(payload_store(), ws.out, symlinks=True)


# --------------------------------------------------------------------------------------------------
# reading a page: its visible text and its images' alt text

class PageText(HTMLParser):
    """The text a reader sees (not in <head>, <style> or <script>) and every image's alt text."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self._skip = 0
        self.parts: list[str] = []
        self.alts: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script", "title"):
            self._skip += 1
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return normalise(" ".join(self.parts))


def normalise(text: str) -> str:
    """Text with runs of space as one space, typographic quotes, dashes and ellipses as typed, and no soft
    hyphens (where a PDF hyphenated a word)."""
    for typographic, typed in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'"),
                               ("\u2014", "---"), ("\u2013", "--"), ("\u2026", "..."), ("\u2212", "-"),
                               ("\u00ad", "")):
        text = text.replace(typographic, typed)
    return re.sub(r"\s+", " ", text).strip()


def shown(payload: Payload, page: str) -> str:
    """'text' (its whole text is visible), 'alt' (an image's alt text holds it), 'absent' (its marker
    is nowhere in the page), or 'broken' (the marker is there but not the whole text: it was read as
    markup)."""
    seen = PageText(page)
    want = normalise(payload.text)
    if want in seen.text:
        return "text"
    if any(want in normalise(alt) for alt in seen.alts):
        return "alt"
    if payload.text[:5] not in page:
        return "absent"
    return "broken"


def squeeze(text: str) -> str:
    """Normalised text without any space (to find a text however a PDF broke its lines)."""
    return re.sub(r"\s+", "", normalise(text))


def pdf_text(path: Path) -> str:
    return normalise(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                    check=True).stdout)


# --------------------------------------------------------------------------------------------------
# the cases

PAGES = ("report.html", "brief.html", "index.html")


def _check(keys: tuple[str, ...]) -> Callable[[Workspace, Outcome], None]:
    def check(ws: Workspace, outcome: Outcome) -> None:
        pages = {name: (ws.report / name).read_text(encoding="utf-8") for name in PAGES}
        pdfs = {name: pdf_text(ws.report / name) for name in ("report.pdf", "brief.pdf")}
        for name, text in pdfs.items():
            assert "root:x:0" not in text, f"a Typst payload read /etc/passwd into {name}"
        for key in keys:
            payload = PAYLOADS[key]
            for name, page in pages.items():
                for raw in payload.raw:
                    assert raw not in page, f"{payload.field}: raw {raw!r} in {name}"
            where = {name: shown(payload, page) for name, page in pages.items()}
            assert "broken" not in where.values(), f"{payload.field}: shown in part, read as markup: {where}"
            if payload.in_report:  # shown as text somewhere, or withheld everywhere
                assert {"text", "alt"} & set(where.values()) or set(where.values()) == {"absent"}, where
            else:
                assert set(where.values()) == {"absent"}, where
            for name, text in pdfs.items():
                if where[name.replace(".pdf", ".html")] == "text":  # the PDF shows it too, however its lines break
                    assert squeeze(payload.text) in squeeze(text), f"{payload.field}: not shown as text in {name}"

    return check


NOT_IN_REPORT = tuple(key for key, payload in PAYLOADS.items() if not payload.in_report)
CASES = [
    *(Hostile(f"esc_{payload.id}", "escaping", _copy_store, (REPORT,), 0, writes="output",
              never_published=("root:x:0:",), check=_check((key,)))
      for key, payload in PAYLOADS.items() if payload.in_report),
    # site and area names, cost items and the deflator source reach only published tables (or nothing)
    Hostile("esc_fields_outside_the_report", "escaping", _copy_store, (REPORT,), 0, writes="output",
            never_published=("root:x:0:",), check=_check(NOT_IN_REPORT)),
]
