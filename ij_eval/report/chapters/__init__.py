"""Chapter content (stubs while the chapters are being written)."""

from __future__ import annotations

from ij_eval.report.markdown import banner, heading, join
from ij_eval.report.numbers import date
from ij_eval.report.store import ResultsStore


def title_fields(store: ResultsStore) -> dict[str, str]:
    s, cfg = store.scheme, store.config.get("data", {})
    return {"title": f"{s.get('name', 'Immediate Justice')}: an independent evaluation",
            "force": s.get("force", ""), "team": s.get("evaluation_team", ""),
            "date": date(cfg.get("extract_date")),
            "period": f"{date(cfg.get('period_start'))} to {date(cfg.get('period_end'))}"}


def _stub(slug: str, title: str):
    def build(store: ResultsStore) -> str:
        return join(heading(title, f"sec-{slug}"), banner(store), "To be written.")
    return build


executive_summary = _stub("index", "Executive summary")
scheme = _stub("scheme", "The scheme and its logic model")
design = _stub("design", "Evaluation questions and design")
data_methods = _stub("data-methods", "Data and methods")
reoffending = _stub("reoffending", "Reoffending")
hotspots = _stub("hotspots", "Anti-social behaviour in the hotspots")
implementation = _stub("implementation", "Implementation")
experience = _stub("experience", "Participants and victims")
value_for_money = _stub("value-for-money", "Value for money")
equality = _stub("equality", "Equality")
emmie = _stub("emmie", "The evidence in EMMIE terms")
limitations = _stub("limitations", "Limitations")
conclusions = _stub("conclusions", "Conclusions and recommendations")
models = _stub("models", "Appendix: models")
diagnostics = _stub("diagnostics", "Appendix: diagnostics")
data_dictionary = _stub("data-dictionary", "Appendix: data dictionary")
exclusions = _stub("exclusions", "Appendix: exclusions")
manifest = _stub("manifest", "Appendix: run manifest")
