"""The report built from a results store.

Until the report issue lands this writes a clearly marked placeholder page listing every
headline figure in ``results.json`` and every figure, so the demo shows the whole flow.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ij_eval.errors import IJEvalError


def _read_store(results: Path) -> tuple[dict, dict]:
    path = results / "results.json"
    if not path.is_file():
        raise IJEvalError(f"{results} is not a results store (no results.json); run `ij-eval run` first")
    figures = results / "figures.json"
    return (json.loads(path.read_text(encoding="utf-8")),
            json.loads(figures.read_text(encoding="utf-8")) if figures.is_file() else {})


def _number(value) -> str:
    """Three significant figures for fractions, whole numbers with separators."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 100):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def build_report(results: str | Path) -> list[Path]:
    """Write ``results/report/index.html`` (placeholder) and return the files written."""
    results = Path(results)
    data, figures = _read_store(results)
    esc = html.escape
    banner = (f'<p class="synthetic">{esc(data["synthetic_notice"])}</p>' if data.get("synthetic") else "")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(data['scheme']['name'])}: independent evaluation (placeholder)</title>",
        "<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto;line-height:1.5}"
        ".synthetic{background:#D55E00;color:#fff;padding:.5rem;font-weight:bold}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .5rem}</style></head><body>",
        banner,
        f"<h1>{esc(data['scheme']['name'])}: independent evaluation</h1>",
        f"<p>{esc(data['scheme'].get('force') or '')}</p>",
        "<p><strong>Placeholder report.</strong> The full report (chapters per strand, brief for chief "
        "officers, PDF) is built by a later release; this page lists the results store's headline figures.</p>",
    ]
    for name, strand in data["strands"].items():
        parts.append(f"<h2>{esc(name)}</h2>")
        if strand["status"] != "ran":
            parts.append(f"<p>{esc(strand['reason'])}</p>")
            continue
        parts.append("<table><tr><th>measure</th><th>estimate</th><th>95% interval</th><th>method</th>"
                     "<th>caveat</th></tr>")
        for key, h in strand["headlines"].items():
            interval = (f"{_number(h['ci_lower'])} to {_number(h['ci_upper'])}"
                        if h.get("ci_lower") is not None else "")
            parts.append(f"<tr><td>{esc(key)}</td><td>{esc(_number(h['estimate']))}</td><td>{esc(interval)}</td>"
                         f"<td>{esc(h['method'])}</td><td>{esc(h['caveat'])}</td></tr>")
        parts.append("</table>")
        for fig in strand["figures"]:
            meta = next((f for f in figures.values() if f["file"] == fig), {"alt_text": "", "title": fig})
            parts.append(f"<figure><img src='../{esc(fig)}' alt='{esc(meta['alt_text'])}' width='700'>"
                         f"<figcaption>{esc(meta['title'])}</figcaption></figure>")
    parts.append(banner + "</body></html>")
    out_dir = results / "report"
    out_dir.mkdir(exist_ok=True)
    page = out_dir / "index.html"
    page.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return [page]
