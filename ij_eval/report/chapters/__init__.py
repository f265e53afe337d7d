"""Chapter content, each a function ``(ResultsStore) -> Markdown`` listed in :mod:`ij_eval.report.outline`."""

from ij_eval.report.chapters.appendices import data_dictionary, diagnostics, exclusions, manifest, models
from ij_eval.report.chapters.delivery import implementation
from ij_eval.report.chapters.economics import value_for_money
from ij_eval.report.chapters.front import data_methods, design, executive_summary, scheme, title_fields
from ij_eval.report.chapters.strands import hotspots, reoffending
from ij_eval.report.chapters.surveys import experience
from ij_eval.report.chapters.synthesis import conclusions, emmie, equality, limitations

__all__ = ["conclusions", "data_dictionary", "data_methods", "design", "diagnostics", "emmie", "equality",
           "exclusions", "executive_summary", "experience", "hotspots", "implementation", "limitations", "manifest",
           "models", "reoffending", "scheme", "title_fields", "value_for_money"]
