"""The HTML report and brief in a real browser (headless Chromium): they render, every image loads,
every internal link has a target, and every piece of text meets WCAG AA contrast as the browser
computes it, all under the pages' own Content-Security-Policy (which lets the check script, and
nothing else, run). Skipped when Chromium is missing, except on CI (CI set), where that is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import subprocess

import pytest
from test_report_render import demo_report, require_tool

CHECK_ID = "ij-browser-check"

# Runs on load: lists images that did not load, links to ids that do not exist, and text whose
# contrast with the background it sits on (the nearest ancestor with an opaque background) is
# below WCAG AA (4.5:1; 3:1 for large text), then writes the list into <pre id=CHECK_ID>.
CHECK_SCRIPT = """
<pre id="__CHECK_ID__" hidden></pre>
<script>
(function () {
  function rgb(value) {
    var m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    var p = m[1].split(',').map(function (x) { return parseFloat(x); });
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    var f = function (v) { v = v / 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function background(el) {
    for (var e = el; e; e = e.parentElement) {
      var c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.99) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  function check() {
    var out = [];
    document.querySelectorAll('img').forEach(function (img) {
      if (!img.complete || img.naturalWidth === 0) out.push('missing image: ' + (img.alt || img.src.slice(0, 80)));
    });
    document.querySelectorAll('a[href^="#"]').forEach(function (a) {
      var id = decodeURIComponent(a.getAttribute('href').slice(1));
      if (!document.getElementById(id)) out.push('broken link: #' + id);
    });
    var seen = {};
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var el = node.parentElement;
      if (!node.textContent.trim() || !el || el.id === '__CHECK_ID__' || el.closest('script, style')) continue;
      var style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      var fg = rgb(style.color), bg = background(el);
      var l1 = lum(fg), l2 = lum(bg);
      var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
      var large = size >= 24 || (bold && size >= 18.66);
      var key = style.color + ' on ' + JSON.stringify(bg);
      if (ratio < (large ? 3 : 4.5) && !seen[key]) {
        seen[key] = true;
        out.push('low contrast ' + ratio.toFixed(2) + ': ' + style.color + ' on ' + JSON.stringify(bg) +
                 ' at <' + el.tagName.toLowerCase() + ' class="' + el.className + '">' +
                 node.textContent.trim().slice(0, 40));
      }
    }
    document.getElementById('__CHECK_ID__').textContent = 'CHECKED ' + document.images.length + ' images\\n' +
      out.join('\\n');
  }
  if (document.readyState === 'complete') check(); else window.addEventListener('load', check);
})();
</script>
""".replace("__CHECK_ID__", CHECK_ID)


def allow_script(page: str, script: str) -> str:
    """The page with its Content-Security-Policy letting ``script`` (an inline script's text) run."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    allowed = page.replace("script-src 'none'", f"script-src 'sha256-{digest}'", 1)
    assert allowed != page, "the page has no Content-Security-Policy with script-src 'none'"
    return allowed


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    return demo_report(tmp_path_factory)


def chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    exe = require_tool("chromium")
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-extensions", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("name", ["report.html", "brief.html"])
def test_page_renders_in_chromium(built, name, tmp_path):
    import matplotlib.image

    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,2000", "--virtual-time-budget=5000",
             (built.report / name).as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000
    pixels = matplotlib.image.imread(shot)[:, :, :3]
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels.std() > 0.05, "the screenshot is blank"
    banner = pixels[:20, 400:880].reshape(-1, 3).mean(axis=0)
    assert banner[0] > banner[1] + 0.2, "the synthetic-data banner is not at the top of the page"
    inked = (pixels.mean(axis=2) < 0.5).mean()
    assert inked > 0.01, "the screenshot shows hardly any text"


@pytest.mark.parametrize("name", ["report.html", "brief.html"])
def test_no_missing_image_broken_link_or_low_contrast_text_in_chromium(built, name, tmp_path):
    page = (built.report / name).read_text(encoding="utf-8")
    assert page.count("</body>") == 1
    probe = tmp_path / name
    script = CHECK_SCRIPT.split("<script>")[1].split("</script>")[0]
    probe.write_text(allow_script(page, script).replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    result = chromium("--dump-dom", "--virtual-time-budget=10000", probe.as_uri())
    m = re.search(rf'<pre id="{CHECK_ID}"[^>]*>(.*?)</pre>', result.stdout, flags=re.S)
    assert m, f"chromium did not run the check: {result.stderr[-2000:]}"
    lines = html.unescape(m.group(1)).strip().splitlines()
    assert lines and lines[0].startswith("CHECKED "), lines
    n_images = int(lines[0].split()[1])
    expected = len(re.findall(r"<img\b", page))
    assert n_images == expected
    assert lines[1:] == []

