"""The report's outline: its chapters in order, each built from the results store.

This list is the one source both renderers follow. ``reports/_quarto.yml`` lists one
``<slug>.qmd`` per chapter in the same order (a test checks), and each ``.qmd`` prints
``chapter_markdown(store, "<slug>")``; the built-in renderer joins them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ij_eval.report import chapters
from ij_eval.report.store import ResultsStore


@dataclass(frozen=True)
class Chapter:
    slug: str  # the .qmd file stem and the section label sec-<slug>
    title: str
    build: Callable[[ResultsStore], str]  # Markdown starting with "# <title> {#sec-<slug>}"
    appendix: bool = False


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("index", "Executive summary", chapters.executive_summary),
    Chapter("scheme", "The scheme and its logic model", chapters.scheme),
    Chapter("design", "Evaluation questions and design", chapters.design),
    Chapter("data-methods", "Data and methods", chapters.data_methods),
    Chapter("reoffending", "Reoffending", chapters.reoffending),
    Chapter("hotspots", "Anti-social behaviour in the hotspots", chapters.hotspots),
    Chapter("implementation", "Implementation", chapters.implementation),
    Chapter("experience", "Participants and victims", chapters.experience),
    Chapter("value-for-money", "Value for money", chapters.value_for_money),
    Chapter("equality", "Equality", chapters.equality),
    Chapter("emmie", "The evidence in EMMIE terms", chapters.emmie),
    Chapter("limitations", "Limitations", chapters.limitations),
    Chapter("conclusions", "Conclusions and recommendations", chapters.conclusions),
    Chapter("models", "Appendix: models", chapters.models, appendix=True),
    Chapter("diagnostics", "Appendix: diagnostics", chapters.diagnostics, appendix=True),
    Chapter("data-dictionary", "Appendix: data dictionary", chapters.data_dictionary, appendix=True),
    Chapter("exclusions", "Appendix: exclusions", chapters.exclusions, appendix=True),
    Chapter("manifest", "Appendix: run manifest", chapters.manifest, appendix=True),
)


def chapter(slug: str) -> Chapter:
    for c in CHAPTERS:
        if c.slug == slug:
            return c
    raise KeyError(f"no report chapter {slug!r}; chapters are {', '.join(c.slug for c in CHAPTERS)}")


def chapter_markdown(store: ResultsStore | str, slug: str) -> str:
    """One chapter's Markdown (what a ``.qmd`` cell prints with ``output: asis``)."""
    store = store if isinstance(store, ResultsStore) else ResultsStore.open(store)
    return _absent_figures(store, _escape_suppressed(chapter(slug).build(store)))


def title_page(store: ResultsStore) -> dict[str, str]:
    """Title-page fields: title, subtitle, force, team, date, period (from the store)."""
    return chapters.title_fields(store)


def report_markdown(store: ResultsStore) -> str:
    """The whole report body, chapters in order (the built-in renderer's input)."""
    return _absent_figures(store, _escape_suppressed("\n".join(c.build(store) for c in CHAPTERS)))


def brief_markdown(store: ResultsStore) -> str:
    """The two-page brief for chief officers."""
    from ij_eval.report.brief import brief

    return _absent_figures(store, _escape_suppressed(brief(store)))


_SUPPRESSED = re.compile(r"(?<!\\)\[c\](?!\()")


def _escape_suppressed(markdown: str) -> str:
    """``[c]`` (a hidden figure) as literal text, not a Markdown reference link."""
    return _SUPPRESSED.sub(r"\\[c\\]", markdown)


_FIGURE_REF = re.compile(r"@fig-([A-Za-z0-9_-]+)")
ABSENT_FIGURE = "the figure (not drawn: these data could not support it)"


def _absent_figures(store: ResultsStore, markdown: str) -> str:
    """A reference to a figure the store does not have (its strand could not draw it from these data)
    as words, not a broken link: the chapter's notes say what could not be estimated."""
    present = {name.replace("_", "-") for name in store.figures if store.figure(name) is not None}
    return _FIGURE_REF.sub(lambda m: m.group(0) if m.group(1) in present else ABSENT_FIGURE, markdown)
