"""Technical appendices: models, diagnostics, data dictionary, exclusions, run manifest."""

from __future__ import annotations

import re

import polars as pl

from ij_eval.dictionary import DICTIONARY_FILE
from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import COUNT, NUMBER3, P_VALUE, RATIO, TEXT, frame_table, opening
from ij_eval.report.escape import md_text
from ij_eval.report.markdown import join, table, tbl_ref
from ij_eval.report.store import ResultsStore

ESTIMATES = {"term": ("Term", TEXT), "estimate": ("Estimate", NUMBER3), "std_error": ("SE", NUMBER3),
             "ci_lower": ("95% CI from", NUMBER3), "ci_upper": ("to", NUMBER3), "p_value": ("p", P_VALUE)}


def _section(store: ResultsStore, name: str, title: str, text: str, columns: dict, caption: str,
             where: pl.Expr | None = None) -> str:
    if not store.has_table(name):
        return ""
    frame = store.table(name)
    if where is not None:
        frame = frame.filter(where)
    label = name.replace("_", "-")
    return join(f"## {title} {{#sec-appendix-{label}}}\n", f"{text} ({tbl_ref(label)}).\n",
                frame_table(frame, columns, label=label, caption=caption))


def models(store: ResultsStore) -> str:
    parts = [opening(store, "Appendix: models", "models")]
    parts.append(_section(store, "reoffending_cox", "Cox model of time to reoffending",
                          "Cox proportional-hazards model adjusted for the declared covariates, Efron ties",
                          {**ESTIMATES, "hazard_ratio": ("Hazard ratio", RATIO)}, "Adjusted Cox model"))
    parts.append(_section(store, "reoffending_propensity", "Propensity-score model",
                          "Logistic regression of referral to IJ on the covariates, used for matching and "
                          "weighting", ESTIMATES, "Propensity-score model (log-odds)"))
    parts.append(_section(store, "reoffending_rmst", "Restricted mean survival time",
                          "Restricted mean time without reoffending up to the horizon, Greenwood-based variance",
                          {**ESTIMATES, "tau": ("Horizon (days)", COUNT)}, "Restricted mean survival time (days)"))
    parts.append(_section(store, "hotspots_its", "Interrupted time series by area",
                          "Level and slope changes at the start in each area (Poisson with overdispersion, "
                          "population offset, trend and seasonal terms)",
                          {"area_id": ("Area", TEXT), "role": ("Role", TEXT), "term": ("Term", TEXT),
                           "rate_ratio": ("Rate ratio", RATIO), "rr_ci_lower": ("95% CI from", RATIO),
                           "rr_ci_upper": ("to", RATIO), "p_value": ("p", P_VALUE)},
                          "Interrupted time series estimates by area", pl.col("term") == "level_change"))
    if len(parts) == 1:
        parts.append("No model tables are in this results store.\n")
    return join(*parts)


def diagnostics(store: ResultsStore) -> str:
    parts = [opening(store, "Appendix: diagnostics", "diagnostics")]
    parts.append(_section(store, "reoffending_ph_test", "Proportional hazards",
                          "Tests of the proportional-hazards assumption (Grambsch–Therneau, as R's cox.zph)",
                          {"term": ("Term", TEXT), "test_statistic": ("Chi-squared", NUMBER3), "df": ("df", COUNT),
                           "p_value": ("p", P_VALUE)}, "Proportional-hazards tests"))
    parts.append(_section(store, "reoffending_balance", "Covariate balance",
                          "Standardised mean differences before and after adjustment; below 0.1 is usually taken as "
                          "balanced",
                          {"covariate": ("Covariate", TEXT), "sample": ("Sample", TEXT), "smd": ("SMD", NUMBER3),
                           "variance_ratio": ("Variance ratio", RATIO)}, "Covariate balance"))
    parts.append(_section(store, "reoffending_matching", "Matching",
                          "People matched and unmatched within the caliper",
                          {"group": ("Group", TEXT), "n": ("People", COUNT), "matched": ("Matched", COUNT),
                           "unmatched": ("Unmatched", COUNT)}, "Matching summary"))
    if store.has_table("hotspots_its_diagnostics"):
        diag = (store.table("hotspots_its_diagnostics").group_by("area_id", "role", maintain_order=True)
                .agg(pl.col("dispersion").first(), pl.col("p_value").min().alias("min_p")))
        parts.append(join("## Interrupted time series residuals {#sec-its-diagnostics}\n",
                          "Overdispersion and the smallest Ljung–Box p-value for residual autocorrelation over lags "
                          f"1 to 12, by area ({tbl_ref('its-diagnostics')}).\n",
                          frame_table(diag, {"area_id": ("Area", TEXT), "role": ("Role", TEXT),
                                             "dispersion": ("Dispersion", RATIO),
                                             "min_p": ("Smallest Ljung–Box p", P_VALUE)},
                                      label="its-diagnostics", caption="Residual diagnostics by area")))
    if len(parts) == 1:
        parts.append("No diagnostics are in this results store.\n")
    return join(*parts)


def data_dictionary(store: ResultsStore) -> str:
    """The dictionary of the input tables, as the store recorded it for the run."""
    path = store.root / DICTIONARY_FILE
    if not path.is_file():
        return join(opening(store, "Appendix: data dictionary", "data-dictionary"),
                    "This results store has no data dictionary; re-run the evaluation with this version of ij-eval.\n")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->\n?", "", text, flags=re.S)
    body = text.split("\n", 1)[1] if text.startswith("# ") else text
    # Quarto and Typst link to heading ids, not raw-HTML anchors; templates are not part of the report.
    body = re.sub(r'<a id="([^"]+)"></a>\n\n(#{2,} [^\n]+)',
                  lambda m: f"{m.group(2)} {{#table-{m.group(1).replace('_', '-')}}}", body)
    body = re.sub(r"\]\(#([a-z_]+)\)", lambda m: f"](#table-{m.group(1).replace('_', '-')})", body)
    body = re.sub(r"\[(`templates/[^`]+`)\]\(templates/[^)]+\)", r"\1", body)
    return join(opening(store, "Appendix: data dictionary", "data-dictionary"), body)


def exclusions(store: ResultsStore) -> str:
    parts = [opening(store, "Appendix: exclusions", "exclusions"),
             "Every input row the analysis did not use is listed, with its reason, in the evaluator's working file "
             "`exclusions.csv` (not published: it holds record numbers). Counts by reason:\n"]
    if store.has_table("exclusions_summary"):
        parts.append(frame_table(store.table("exclusions_summary"),
                                 {"table": ("Table", TEXT), "stage": ("Stage", TEXT), "reason": ("Reason", TEXT),
                                  "n": ("Rows", COUNT)}, label="exclusions", caption="Rows excluded, by reason",
                                 counts=["n"]))
    else:
        parts.append("This results store has no published summary of exclusions.\n")
    return join(*parts)


def manifest(store: ResultsStore) -> str:
    m = store.manifest
    if not m:
        return join(opening(store, "Appendix: run manifest", "manifest"), "This results store has no manifest.\n")
    threshold = store.results.get("disclosure", {}).get("threshold", 1)
    # Rows read only: rows used and excluded could give away a hidden count in the exclusions appendix.
    rows = [[md_text(name), md_text(i.get("file", "")), md_text(str(i.get("sha256", ""))[:16]),
             fmt.count(i.get("rows_read"), threshold)] for name, i in sorted(m.get("inputs", {}).items())]
    return join(
        opening(store, "Appendix: run manifest", "manifest"),
        f"Built by ij-eval {md_text(m.get('ij_eval_version', ''))} (Python {md_text(m.get('python', ''))}, polars "
        f"{md_text(m.get('polars', ''))}) with random seed {md_text(m.get('seed', ''))}. {tbl_ref('manifest')} "
        "identifies each input file by the start of "
        "its SHA-256 fingerprint, so the results can be traced to the exact data.\n",
        table(rows, ["Table", "File", "SHA-256 (first 16)", "Rows read"], label="manifest",
              caption="Inputs of this run", align="lllr"),
    )
