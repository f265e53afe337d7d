"""validate → intake → strands → disclosure control → results store, with the manifest.

One referral can be followed from here: ``load_tables`` reads and checks it, ``_intake`` keeps it
or lists it in exclusions with a reason, each strand uses the clean tables, disclosure control
(:mod:`ij_eval.publication`) makes every table, figure, headline and note publishable, and the store
writes them; the staged store must pass :func:`ij_eval.publication.check_store` before it replaces
the previous one.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import polars as pl

from ij_eval import __version__, publication
from ij_eval.config import EvaluationConfig
from ij_eval.dictionary import DICTIONARY_FILE
from ij_eval.errors import ConfigError, IJEvalError
from ij_eval.io import output_folder, store
from ij_eval.io.tables import ROW
from ij_eval.privacy.screen import (
    REVIEW_FILE,
    WITHHELD,
    Screen,
    Screened,
    Source,
    Verdict,
    approval_warnings,
    review_frame,
)
from ij_eval.progress import Progress
from ij_eval.publication import PublishedTable
from ij_eval.schema import schema_dir
from ij_eval.strands import STRANDS
from ij_eval.strands.base import EXCLUSION_COLUMNS, StrandResult, empty_exclusions
from ij_eval.validation import POLICE_UK_DIR, Table, ValidationReport, load_tables


@dataclass(frozen=True)
class Inputs:
    """The clean tables a strand receives (each frame keeps ``__row``, the file row number)."""

    tables: Mapping[str, Table]
    asb_area_counts: pl.DataFrame | None = None  # area_id, period, count from data.police.uk files
    results: Mapping[str, StrandResult] = field(default_factory=lambda: MappingProxyType({}))  # strands run so far

    def has(self, name: str | tuple[str, ...]) -> bool:
        """Whether a table is present; a tuple of names means any one of them."""
        if isinstance(name, tuple):
            return any(self.has(n) for n in name)
        return name in self.tables or (name == "asb_counts" and self.asb_area_counts is not None)

    def frame(self, name: str) -> pl.DataFrame:
        return self.tables[name].frame


@dataclass(frozen=True)
class RunSummary:
    out: Path
    ran: tuple[str, ...]
    skipped: Mapping[str, str]
    rows: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def _exclusions(table: Table, mask: pl.Series, stage: str, reason: str, key: str) -> pl.DataFrame:
    rows = table.frame.filter(mask)
    return pl.DataFrame({
        "table": [table.name] * rows.height, "file": [table.file] * rows.height, "row": rows[ROW],
        "record_id": rows[key].cast(pl.String), "stage": [stage] * rows.height,
        "reason": [reason] * rows.height, "n": [1] * rows.height,
    }, schema=EXCLUSION_COLUMNS)


def _intake(report: ValidationReport, config: EvaluationConfig) -> tuple[Inputs, pl.DataFrame, dict]:
    """Apply the analysis period and place data.police.uk records in areas; list what is left out."""
    tables = dict(report.tables)
    excluded = [empty_exclusions()]
    out_of_scope: dict[str, int] = {}
    start, end = config.data.period_start, config.data.period_end
    if start or end:
        referrals = tables["referrals"]
        date = referrals.frame["referral_date"]
        outside = pl.Series([False] * len(date))
        if start:
            outside = outside | (date < start)
        if end:
            outside = outside | (date > end)
        if referrals.frame.height and outside.all():
            first, last = date.min(), date.max()
            raise ConfigError(f"{config.source or 'config'}: [data] the analysis period ({start or '…'} to "
                              f"{end or '…'}) leaves no referral: all {len(date):,} referrals in {referrals.file} "
                              f"are dated outside it (from {first} to {last}); widen period_start / period_end")
        excluded.append(_exclusions(referrals, outside, "intake",
                                    f"referral date outside the analysis period ({start or '…'} to {end or '…'})",
                                    "referral_id"))
        tables["referrals"] = Table(referrals.name, referrals.path, referrals.frame.filter(~outside),
                                    referrals.encoding, referrals.covariates, referrals.ignored_columns)
    asb_area_counts = None
    if report.police_uk is not None:
        from ij_eval.io.police_uk import asb_by_area

        placed = asb_by_area(report.police_uk, tables["areas"].frame)
        asb_area_counts = placed.counts
        unplaced = placed.unplaced
        excluded.append(pl.DataFrame({
            "table": ["police_uk"] * unplaced.height, "file": [POLICE_UK_DIR] * unplaced.height,
            "row": pl.Series([None] * unplaced.height, dtype=pl.Int64),
            "record_id": (unplaced["lsoa_code"].fill_null("(none)") + " "
                          + unplaced["period"].dt.strftime("%Y-%m")),
            "stage": ["intake"] * unplaced.height, "reason": unplaced["reason"],
            "n": unplaced["count"].cast(pl.Int64),
        }, schema=EXCLUSION_COLUMNS))
        out_of_scope["police_uk"] = report.police_uk.rows_not_asb
    return Inputs(MappingProxyType(tables), asb_area_counts), pl.concat(excluded), out_of_scope


def _select(only: Sequence[str] | None, strands: Sequence[ModuleType]) -> list[ModuleType]:
    if not only:
        return list(strands)
    known = {s.NAME: s for s in strands}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise IJEvalError(f"unknown strand {', '.join(unknown)} (known: {', '.join(known)})")
    return [s for s in strands if s.NAME in only]


def _manifest_inputs(report: ValidationReport, exclusions: pl.DataFrame,
                     out_of_scope: dict[str, int]) -> dict[str, Any]:
    intake = exclusions.filter(pl.col("stage") == "intake").group_by("table").agg(pl.col("n").sum())
    excluded = dict(zip(intake["table"], intake["n"], strict=True))
    inputs: dict[str, Any] = {}
    for name, table in report.tables.items():
        read = table.n_rows
        n_excluded = int(excluded.get(name, 0))
        inputs[name] = {"file": table.file, "sha256": store.sha256(table.path), "encoding": table.encoding,
                        "rows_read": read, "rows_excluded": n_excluded, "rows_used": read - n_excluded,
                        "covariates": list(table.covariates), "ignored_columns": list(table.ignored_columns)}
    if report.police_uk is not None:
        p = report.police_uk
        n_excluded = int(excluded.get("police_uk", 0))
        inputs["police_uk"] = {
            "files": {str(Path(f).relative_to(report.data_dir)): store.sha256(Path(f)) for f in p.files},
            "rows_read": p.rows_read, "rows_out_of_scope": out_of_scope["police_uk"],
            "out_of_scope_reason": "not anti-social behaviour (Crime type is not 'Anti-social behaviour')",
            "rows_excluded": n_excluded, "rows_used": p.rows_asb - n_excluded,
        }
    return inputs


def run_pipeline(data_dir: str | Path, config: EvaluationConfig, out: str | Path, *,
                 only: Sequence[str] | None = None, progress: Progress | None = None,
                 strands: Sequence[ModuleType] = STRANDS) -> RunSummary:
    """Validate ``data_dir``, run each strand whose inputs are present and write the results store.

    ``out`` is checked before anything else (:func:`ij_eval.io.output_folder.prepare`): it must not
    be, contain or lie inside the data folder, an input file or the config file, and may replace
    only an earlier ij-eval store (:class:`~ij_eval.errors.OutputRefused`, or
    :class:`~ij_eval.errors.EnvironmentProblem` for a file, a missing parent or a read-only disk).
    """
    progress = progress or Progress(quiet=True)
    selected = _select(only, strands)
    output_folder.prepare(out, output_folder.Kind.RESULTS, protected=protected_inputs(data_dir, config))
    with progress.stage("validate", f"validating {data_dir}"):
        report = load_tables(data_dir, config)
    for w in report.warnings:
        progress.say(w.describe())
    with progress.stage("intake", "applying the analysis period and placing records in areas"):
        inputs, exclusions, out_of_scope = _intake(report, config)
    results: dict[str, StrandResult] = {}
    skipped: dict[str, str] = {}
    for strand in selected:
        missing = [" or ".join(t) if isinstance(t, tuple) else t for t in strand.REQUIRES if not inputs.has(t)]
        if missing:
            skipped[strand.NAME] = f"skipped: needs the {', '.join(missing)} table{'s' if len(missing) > 1 else ''}"
            progress.say(f"{strand.TITLE}: {skipped[strand.NAME]}")
            continue
        with progress.stage(f"strand:{strand.NAME}", f"{strand.TITLE} ..."):
            results[strand.NAME] = strand.run(replace(inputs, results=MappingProxyType(dict(results))), config)
        for warning in results[strand.NAME].warnings:
            progress.say(f"warning: {warning}")
    all_exclusions = pl.concat([exclusions] + [r.exclusions for r in results.values()]).sort(
        "stage", "table", "row", "record_id", "reason", nulls_last=True)
    inputs = _manifest_inputs(report, all_exclusions, out_of_scope)
    with progress.stage("write", f"writing the results store to {out}"):
        _write_store(Path(out), report, config, results, skipped, all_exclusions, inputs, progress,
                     protected_inputs(data_dir, config, report))
    progress.say(f"done: {len(results)} strand(s) ran, {len(skipped)} skipped; results in {out}")
    rows = {k: {kk: vv for kk, vv in v.items() if kk.startswith("rows_")} for k, v in inputs.items()}
    return RunSummary(Path(out), tuple(results), MappingProxyType(skipped), MappingProxyType(rows))


def protected_inputs(data_dir: str | Path, config: EvaluationConfig,
                     report: ValidationReport | None = None) -> list[output_folder.Protected]:
    """What a results store must never be, contain or lie inside: the data folder, the config, every input read."""
    Protected = output_folder.Protected
    items = [Protected("the data folder", Path(data_dir))]
    # files linked into the data folder from elsewhere, known before validation reads them
    for dirpath, dirnames, filenames in os.walk(data_dir):
        for name in (*dirnames, *filenames):
            if (path := Path(dirpath, name)).is_symlink():
                items.append(Protected("the input file" if path.is_file() else "the input folder", path))
    if config.source and Path(config.source).is_file():
        items.append(Protected("the config file", Path(config.source)))
    if report is not None:
        items += [Protected("the input file", table.path) for table in report.tables.values()]
        if report.police_uk is not None:
            items += [Protected("the data.police.uk file", Path(f)) for f in report.police_uk.files]
    return items


def exclusions_summary(exclusions: pl.DataFrame) -> pl.DataFrame:
    """Excluded input rows counted by table, stage and reason (the published form of exclusions.csv)."""
    return (exclusions.group_by("table", "stage", "reason").agg(pl.col("n").sum().cast(pl.Int64))
            .sort("table", "stage", "reason"))


def _publish(results: Mapping[str, StrandResult], exclusions: pl.DataFrame, threshold: int
             ) -> tuple[dict[str, PublishedTable], publication.Context]:
    """Every table as it may be published (raises for a table without a disclosure policy)."""
    raw: dict[str, pl.DataFrame] = {"exclusions_summary": exclusions_summary(exclusions)}
    for result in results.values():
        for name, frame in result.tables.items():
            if name in raw:
                raise IJEvalError(f"two strands return a table called {name!r}; table names must be unique")
            raw[name] = frame
    context = publication.Context(raw, threshold)
    return {name: context.published(name) for name in raw}, context


def _scheme_text(config: EvaluationConfig, screen: Screen) -> tuple[dict[str, Any], list[Screened]]:
    """The scheme, force and evaluation team names as results.json publishes them: through the free-text
    screen (the config is hostile too; a withheld name reads "[withheld: ...]"); and the items withheld."""
    published: dict[str, Any] = {}
    listed: list[Screened] = []
    for key, value in (("name", config.scheme.name), ("force", config.scheme.force),
                       ("evaluation_team", config.scheme.evaluation_team)):
        checked = screen.check(value, Source("config", f"[scheme] {key}"))
        published[key] = checked.published if value else value
        if checked.verdict is not Verdict.PUBLISH:
            listed.append(checked)
    return published, listed


def _write_review(staging: Path, items: Sequence[Screened], config: EvaluationConfig,
                  progress: Progress) -> dict[str, Any]:
    """Write the screen's review file (a working file, never published) and say what it holds."""
    frame = review_frame(items)
    store.write_table(staging / REVIEW_FILE, frame)
    warnings = approval_warnings(config.publication.approved, items)
    for w in warnings:
        progress.say(f"warning: {w}")
    approved = int((frame["status"] == "approved: published").sum())
    if frame.height:
        progress.say(f"free-text screen: {frame.height - approved} text(s) withheld as they may identify a person "
                     f"({int((frame['verdict'] == 'review').sum())} of them unsure), {approved} approved; listed in "
                     f"{REVIEW_FILE} in the results store (not published): approve one by its id in "
                     "[publication] approved")
    return {"review_file": REVIEW_FILE, "withheld": frame.height - approved, "approved": approved,
            "warnings": warnings}


def _write_store(out: Path, report: ValidationReport, config: EvaluationConfig,
                 results: Mapping[str, StrandResult], skipped: Mapping[str, str],
                 exclusions: pl.DataFrame, inputs: dict[str, Any], progress: Progress,
                 protected: Sequence[output_folder.Protected] = ()) -> None:
    from ij_eval.plots.style import label_not_for_publication

    synthetic = config.scheme.synthetic
    threshold = config.disclosure.threshold
    published, context = _publish(results, exclusions, threshold)
    figures: dict[str, Any] = {}
    strands_json: dict[str, Any] = {}
    suppressed: dict[str, Any] = {}
    hidden_totals: dict[str, list[str]] = {}
    headlines_hidden: dict[str, int] = {}
    notes_rewritten: dict[str, int] = {}
    scheme, config_text = _scheme_text(config, Screen.from_config(config))
    with store.staged_store(out, protected) as staged:
        staging = staged.path
        screening = _write_review(staging, [*config_text, *(s for r in results.values() for s in r.screened)],
                                  config, progress)
        for name, table in published.items():
            store.write_table(staging / "tables" / f"{name}.csv", table.frame)
            if not table.exempt:
                suppressed[name] = {"primary": table.n_primary, "secondary": table.n_secondary,
                                    "dependent": table.n_dependent}
            if table.hidden_totals:
                hidden_totals[name] = list(table.hidden_totals)
        for name, result in results.items():
            for spec in result.figures:
                data = publication.publish_figure_data(spec.name, spec.data, threshold, context)
                fig = spec.plot(data, synthetic=synthetic)
                label_not_for_publication(fig, config.disclosure.notice())
                store.save_figure(fig, staging / "figures" / f"{spec.name}.png")
                figures[spec.name] = {"file": f"figures/{spec.name}.png", "title": spec.title,
                                      "alt_text": spec.alt_text, "strand": name}
            headlines, n_hidden = {}, 0
            for key, h in result.headlines.items():
                headlines[key], hidden = publication.publish_headline(h, threshold, context)
                n_hidden += hidden
            notes, n_rewritten = publication.screen_notes(result.notes, threshold)
            strands_json[name] = {
                "status": "ran",
                "headlines": headlines,
                "tables": [f"tables/{t}.csv" for t in result.tables],
                "figures": [f"figures/{f.name}.png" for f in result.figures],
                "notes": notes,
            }
            headlines_hidden[name], notes_rewritten[name] = n_hidden, n_rewritten
        for name, reason in skipped.items():
            strands_json[name] = {"status": "skipped", "reason": reason}
        n_primary = sum(t.n_primary for t in published.values())
        n_secondary = sum(t.n_secondary for t in published.values())
        progress.say(f"disclosure control (threshold {threshold}): {n_primary} small count(s) hidden, "
                     f"{n_secondary} more so they cannot be worked out from totals, "
                     f"{sum(t.n_dependent for t in published.values())} dependent figure(s) hidden, "
                     f"{sum(headlines_hidden.values())} headline(s) hidden")
        store.write_table(staging / "exclusions.csv", exclusions)  # internal: row numbers and record ids
        # The dictionary of the schemas this run validated against, for the report's appendix.
        (staging / DICTIONARY_FILE).write_bytes((schema_dir() / DICTIONARY_FILE).read_bytes())
        store.write_json(staging / "figures.json", figures)
        store.write_json(staging / "results.json", {
            "ij_eval_version": __version__,
            "scheme": {**scheme, "start": config.scheme.start.isoformat() if config.scheme.start else None},
            "data": {k: (v.isoformat() if v else None) for k, v in (
                ("period_start", config.data.period_start), ("period_end", config.data.period_end),
                ("extract_date", config.data.extract_date))},
            "synthetic": synthetic,
            "synthetic_notice": "SYNTHETIC DATA — NOT REAL RESULTS" if synthetic else "",
            # a disclosure threshold below 10 (with its reason in the config): every output says so
            "not_for_publication": not config.disclosure.for_publication,
            "not_for_publication_notice": config.disclosure.notice(),
            "strands": strands_json,
            "disclosure": {
                "threshold": threshold,
                "reason": config.disclosure.reason if not config.disclosure.for_publication else "",
                "marker": publication.MARKER,
                "rule": " ".join(publication.rule_sentences(threshold)),
                "rules": publication.rule_sentences(threshold),
                "exempt": {n: p.exempt for n, p in published.items() if p.exempt},
                "suppressed": suppressed,
                "hidden_totals": hidden_totals,
                "headlines_hidden": headlines_hidden,
                "numbers_in_notes_rewritten": notes_rewritten,
                "text_withheld": screening["withheld"],
                "withheld_marker": WITHHELD,
                "not_published": list(publication.INTERNAL_FILES),
                "published_instead": {"exclusions.csv": "tables/exclusions_summary.csv"},
            },
        })
        store.write_json(staging / "manifest.json", {
            "ij_eval_version": __version__,
            "store_id": staged.id,  # the same id as the store's .ij-eval-store marker
            "python": platform.python_version(),
            "polars": pl.__version__,
            "data_dir": str(Path(report.data_dir).resolve()),
            "config_file": config.source,
            "config": config.to_dict(),
            "seed": config.run.seed,
            "inputs": inputs,
            "exclusions": {"rows": int(exclusions["n"].sum()),
                           "by_stage": {s: int(n) for s, n in exclusions.group_by("stage").agg(
                               pl.col("n").sum()).sort("stage").iter_rows()}},
            "validation": {"errors": len(report.errors), "warnings": len(report.warnings),
                           "problems": [p.describe() for p in report.problems]},
            "strands": {n: ("ran" if n in results else skipped[n]) for n in list(results) + list(skipped)},
            "screening": screening,
            "timings_seconds": dict(progress.timings),
        })
        problems = publication.check_store(staging)
        if problems:
            shown = "\n  ".join(problems[:50])
            more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
            raise IJEvalError(f"the results store failed the disclosure check, so it was not written "
                              f"(the previous store at {out} is unchanged):\n  {shown}{more}")
