"""Hotspot strand: did ASB fall in the hotspots because of the scheme, and did it move next door?

``run`` builds the area x period panel (``panel.py``), then reports:

- descriptives: ASB before and after by area role, the hotspots' share, the monthly series
  (``descriptives.py``);
- interrupted time series per hotspot and pooled, and for buffers (``its.py``);
- with comparison areas: difference-in-differences with a staggered-adoption-robust (stacked)
  estimator beside the naive two-way fixed effects, an event study with a joint pre-trend test
  (``did.py``), displacement and diffusion (WDQ and WDD, ``displacement.py``), and robustness
  checks (placebo start, leaving one comparison area out; ``robustness.py``). Without comparison
  areas these are skipped with a notice and the ITS still runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.plots import hotspots as plots
from ij_eval.privacy.screen import Screen, Screened, Source
from ij_eval.strands.base import EXCLUSION_COLUMNS, FigureSpec, Headline, StrandResult, attempt, empty_exclusions
from ij_eval.strands.hotspots import descriptives, did, displacement, its, robustness
from ij_eval.strands.hotspots.panel import build_panel

NAME = "hotspots"
TITLE = "ASB in hotspots"
REQUIRES = ("areas", ("asb_counts", "asb_incidents"))
MAX_LEAVE_ONE_OUT = 25  # refits are about a second each at national scale
MAX_PLOTTED_HOTSPOTS = 20  # rows of the displacement figure that stay readable


def _publishable_ids(frames: dict[str, pl.DataFrame | None], screen: Screen
                     ) -> tuple[dict[str, pl.DataFrame | None], tuple[Screened, ...]]:
    """The frames with every area id (``areas.area_id`` and ``parent_hotspot``, the counts' and incidents'
    ``area_id``) through the free-text screen before the panel is built, so every table, figure and note
    shows a withheld id as "[withheld: ...] #1", #2 ... (still distinct: the analysis is unchanged)."""
    columns = {"areas": ("area_id", "parent_hotspot"), "counts": ("area_id",), "incidents": ("area_id",)}
    values = [v for name, frame in frames.items() if frame is not None for c in columns[name]
              if c in frame.columns for v in frame[c].cast(pl.String).to_list()]
    areas = frames["areas"]
    rows: dict[str, list[int]] = {}
    if "__row" in areas.columns:
        for v, r in areas.select(pl.col("area_id").cast(pl.String), "__row").iter_rows():
            rows.setdefault(v, []).append(r)
    mapping, listed = screen.labels(values, Source("areas", "area_id"), rows=rows, distinct=True)
    if all(k == v for k, v in mapping.items()):
        return frames, listed
    return {name: None if frame is None else frame.with_columns(
        pl.col(c).cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String)
        for c in columns[name] if c in frame.columns) for name, frame in frames.items()}, listed


def _panel(inputs, notes: list[str], config: EvaluationConfig, screen: Screen):
    counts = incidents = None
    if inputs.has("asb_counts"):
        counts = inputs.frame("asb_counts") if "asb_counts" in inputs.tables else inputs.asb_area_counts
    else:
        incidents = inputs.tables["asb_incidents"]
    frames, screened = _publishable_ids({"areas": inputs.frame("areas"), "counts": counts,
                                         "incidents": incidents.frame if incidents is not None else None}, screen)
    areas = frames["areas"]
    if counts is not None and "asb_counts" in inputs.tables:
        panel = build_panel(areas, counts=frames["counts"], missing_months=config.hotspots.missing_months)
        return panel, "asb_counts", empty_exclusions(), screened
    if counts is not None:
        # data.police.uk counts are zero-filled already in every month whose files are all present;
        # the months without a file are absent data, never zero (see io/police_uk.asb_by_area).
        panel = build_panel(areas, counts=frames["counts"], missing_months="missing")
        return panel, "data.police.uk files", empty_exclusions(), screened
    panel = build_panel(areas, incidents=frames["incidents"])
    unplaced = panel.unplaced
    exclusions = pl.DataFrame({
        "table": ["asb_incidents"] * unplaced.height, "file": [incidents.file] * unplaced.height,
        "row": unplaced["__row"], "record_id": unplaced["incident_id"].cast(pl.String),
        "stage": [NAME] * unplaced.height, "reason": unplaced["reason"], "n": [1] * unplaced.height,
    }, schema=EXCLUSION_COLUMNS)
    if unplaced.height:
        notes.append(f"{unplaced.height:,} ASB incidents could not be placed in an analysis area (listed in "
                     "exclusions.csv).")
    return panel, "asb_incidents", exclusions, screened


def _most_influential(panel: pl.DataFrame, notes: list[str]) -> list[str]:
    """The comparison areas left out one at a time: all of them, or the ones with most ASB when many."""
    totals = (panel.filter(pl.col("role") == "comparison").group_by("area_id").agg(pl.col("count").sum())
              .sort("count", "area_id", descending=[True, False]))
    if totals.height > MAX_LEAVE_ONE_OUT:
        notes.append(f"Leave-one-out: the {MAX_LEAVE_ONE_OUT} comparison areas with the most ASB (of "
                     f"{totals.height}) are left out in turn; each of the others carries less weight.")
    return totals["area_id"].head(MAX_LEAVE_ONE_OUT).sort().to_list()


def _rr(row: dict, method: str, caveat: str = "") -> Headline:
    return Headline(row["rate_ratio"], method, ci_lower=row["rr_ci_lower"], ci_upper=row["rr_ci_upper"],
                    caveat=caveat, unit="rate ratio")


@dataclass
class _Out:
    """What the sections of the strand add to, in the order they run."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    headlines: dict[str, Headline] = field(default_factory=dict)
    figures: list[FigureSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def attempt(self, what: str, section, *args) -> None:
        """Run one section; data that cannot support it (too short, too few areas) becomes a note."""
        attempt(self.notes, what, section, self, *args)


def _its(out: _Out, panel: pl.DataFrame, h, role: str) -> None:
    table, fits = its.its_by_area(panel, h, roles=(role,))
    out.notes.extend(fits.notes)
    out.tables[f"its_{role}"] = table.with_columns(role=pl.lit(role))
    for area, fit in fits.items():
        tag = {"area_id": pl.lit(area), "role": pl.lit(role)}
        out.tables[f"itsdiag_{role}_{area}"] = fit.autocorrelation.with_columns(
            **tag, dispersion=pl.lit(fit.dispersion), dispersion_kind=pl.lit(fit.dispersion_kind),
            note=pl.lit(fit.autocorrelation_note))
        out.tables[f"itsfit_{role}_{area}"] = fit.fitted.with_columns(**tag)
    if its.POOLED not in fits:
        return
    out.headlines[f"its_{role}_level_change"] = _rr(
        fits[its.POOLED].term("level_change"),
        f"interrupted time series pooled over {role} areas: rate ratio for the level change",
        "seasonality, trend and population offset adjusted; no comparison areas involved")
    if role == "hotspot":
        out.figures.append(FigureSpec(
            "hotspots_counterfactual", "Hotspot ASB: observed and expected without the scheme",
            "Chart of monthly ASB in the hotspots: observed counts, the fitted interrupted time series and "
            "the counterfactual (what the model expects without the scheme) with its 95% band.",
            fits[its.POOLED].fitted, plots.plot_counterfactual))


def _did(out: _Out, panel: pl.DataFrame, h, role: str) -> None:
    result = did.fit_did(panel, treated_role=role)
    out.notes.extend(result.notes)
    out.tables[f"did_{role}"] = result.table.with_columns(role=pl.lit(role))
    out.headlines[f"did_{role}"] = _rr(result.headline, f"difference-in-differences, {role} vs comparison areas: "
                                       + result.headline["method"])
    study = did.event_study(panel, leads=h.event_leads, lags=h.event_lags, treated_role=role)
    out.tables[f"event_study_{role}"] = study.table.with_columns(role=pl.lit(role))
    out.headlines[f"pretrend_{role}"] = Headline(study.pretrend.p_value,
                                                 "joint test of the event study's pre-period coefficients",
                                                 caveat=study.pretrend.sentence, unit="p-value")
    if role == "hotspot":
        out.figures.append(FigureSpec(
            "hotspots_event_study", "Event study: hotspots against comparison areas",
            "Chart of rate ratios with 95% intervals for each month before and after IJ hotspot work started, "
            "relative to the month before the start; " + study.pretrend.sentence, study.table,
            plots.plot_event_study))


def _robustness(out: _Out, panel: pl.DataFrame, h) -> None:
    out.tables["hotspots_robustness_placebo"] = robustness.placebo(panel, shift=h.placebo_shift, fit=did.fit_did)
    out.tables["hotspots_robustness_leave_one_out"] = robustness.leave_one_out(
        panel, fit=did.fit_did, areas=_most_influential(panel, out.notes))


def _displacement(out: _Out, panel: pl.DataFrame) -> None:
    moved = displacement.displacement_table(panel)
    out.tables["hotspots_displacement"] = moved
    total = moved.filter(pl.col("area_id") == "total")
    if total.height:
        row = total.row(0, named=True)
        out.headlines["wdq_total"] = Headline(row["wdq"], "weighted displacement quotient, all hotspots",
                                              caveat=row["reading"])
    hotspot_rows = moved.filter(pl.col("area_id") != "total")
    shown = moved
    if hotspot_rows.height > MAX_PLOTTED_HOTSPOTS:
        largest = hotspot_rows.sort("rb", "area_id", descending=[True, False]).head(MAX_PLOTTED_HOTSPOTS)
        shown = pl.concat([largest.sort("area_id"), moved.filter(pl.col("area_id") == "total")])
        out.notes.append(f"The displacement figure shows the {MAX_PLOTTED_HOTSPOTS} hotspots with the most ASB "
                         f"before the start (of {hotspot_rows.height}) and the total; the table has them all.")
    out.figures.append(FigureSpec(
        "hotspots_displacement", "Displacement or diffusion around each hotspot",
        "Chart of the change in ASB in each hotspot and in its buffer area relative to the comparison areas, "
        "with the weighted displacement quotient and its reading.", shown, plots.plot_displacement))


def _stack(out: _Out, prefix: str, name: str) -> None:
    """Gather the per-role tables ``prefix_<role>`` into one results-store table."""
    parts = [out.tables.pop(k) for k in sorted(out.tables) if k.startswith(prefix + "_")]
    if parts:
        out.tables[name] = pl.concat(parts, how="diagonal_relaxed")


def run(inputs, config: EvaluationConfig) -> StrandResult:
    h = config.hotspots
    out = _Out()
    built, source, exclusions, screened = _panel(inputs, out.notes, config, Screen.from_config(config))
    panel = built.frame
    out.notes.extend(built.notes)
    roles = set(panel["role"].unique().to_list())
    out.tables.update({"hotspots_panel": panel,
                       "hotspots_before_after": descriptives.before_after(panel, config.scheme.start),
                       "hotspots_share": descriptives.hotspot_share(panel)})
    starts = panel["intervention_start"].drop_nulls()
    out.figures.append(FigureSpec(
        "hotspots_series", "ASB per month by area type",
        f"Line chart of ASB incidents per month ({source}) in hotspots, buffer areas and comparison areas, "
        "with the period in which IJ hotspot work started marked.",
        descriptives.monthly_series(panel),
        lambda data, *, synthetic=False: plots.plot_series(
            data, synthetic=synthetic, intervention=(starts.min(), starts.max()) if starts.len() else None)))
    treated = [r for r in ("hotspot", "buffer") if r in roles]
    for role in treated:
        out.attempt(f"Interrupted time series for {role} areas", _its, panel, h, role)
    if "comparison" not in roles:
        out.notes.append("No comparison areas: difference-in-differences, the event study, displacement tests and "
                         "robustness checks were skipped; only the interrupted time series ran.")
    else:
        for role in treated:
            out.attempt(f"Difference-in-differences for {role} areas", _did, panel, h, role)
        if "hotspot" in roles:
            out.attempt("Robustness checks", _robustness, panel, h)
        if {"hotspot", "buffer"} <= roles:
            out.attempt("Displacement measures", _displacement, panel)
    _stack(out, "its", "hotspots_its")
    _stack(out, "itsdiag", "hotspots_its_diagnostics")
    _stack(out, "itsfit", "hotspots_its_counterfactual")
    _stack(out, "did", "hotspots_did")
    _stack(out, "event_study", "hotspots_event_study")
    if config.scheme.synthetic:
        out.notes.append("Synthetic data: these figures illustrate the method and describe no real area.")
    out.notes.append(f"ASB source: {source}; {panel['area_id'].n_unique()} areas, "
                     f"{panel['period'].n_unique()} periods.")
    if panel.height and panel.height < panel["area_id"].n_unique() * (panel["time"].max() - panel["time"].min() + 1):
        out.notes.append("Some area-months have no ASB data and are left out (missing, not zero): the models use the "
                         "area-months present, and the monthly series and yearly shares add up only those.")
    return StrandResult(NAME, MappingProxyType(out.headlines), MappingProxyType(dict(sorted(out.tables.items()))),
                        tuple(out.figures), exclusions, tuple(dict.fromkeys(out.notes)),  # each note once
                        screened=screened)
