"""Write the evaluators' notebooks in this folder from the cell sources below.

The ``.ipynb`` files are generated, never edited by hand, and committed without outputs:

    .venv/bin/python notebooks/build_notebooks.py

``tests/test_notebooks.py`` runs each notebook top to bottom and checks that the committed files equal what
this script writes, so the two cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# Shared first code cell: the demo data folder (IJ_EVAL_DEMO_DATA, or fresh synthetic data in a temp folder).
DATA_CELL = '''\
import os
import tempfile
from pathlib import Path

import ij_eval
from ij_eval.synth import write_synthetic

# A temporary folder for everything this notebook writes; removed when the kernel stops.
workdir = tempfile.TemporaryDirectory(prefix="ij-eval-notebook-")
tmp = Path(workdir.name)

if os.environ.get("IJ_EVAL_DEMO_DATA"):
    folder = Path(os.environ["IJ_EVAL_DEMO_DATA"])
    print(f"Using the data folder in IJ_EVAL_DEMO_DATA: {folder}")
else:
    folder = tmp / "data"
    summary = write_synthetic(folder, scenario="default", scale=1)
    print(f"Synthetic data (scenario {summary.scenario!r}, seed {summary.seed}, scale {summary.scale}) in {folder}")

config = ij_eval.load_config(folder / "evaluation.toml")
print(f"{config.scheme.name} - {config.scheme.force}; scheme start {config.scheme.start}")
if config.scheme.synthetic:
    print("SYNTHETIC DATA — NOT REAL RESULTS")'''


def _cells(*items: tuple[str, str]) -> list:
    """Markdown ("md") and code ("py") cells with fixed ids, so the files are the same on every build."""
    cells = []
    for i, (kind, source) in enumerate(items):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"cell-{i:02d}"
        cells.append(cell)
    return cells


def _notebook(*items: tuple[str, str]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=_cells(*items))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def explore_data() -> nbformat.NotebookNode:
    return _notebook(
        ("md", """\
# 1. Explore an input folder

Validate a data folder the way `ij-eval validate` does and look at the referrals table with polars.

By default the notebook makes a fresh **synthetic** folder (`ij_eval.synth.write_synthetic`, scale 1) in a
temporary folder; set the environment variable `IJ_EVAL_DEMO_DATA` to a data folder (with its
`evaluation.toml`) to explore that instead. Nothing here is a published figure: the pipeline (`ij-eval run`)
stays the source of every number in the report."""),
        ("py", DATA_CELL),
        ("md", """\
## Validation

`validate_folder` checks every table against its schema in `data_schemas/` and every cross-table rule, and
collects all problems in one report (`load_tables` does the same but raises if there is any error)."""),
        ("py", """\
report = ij_eval.validate_folder(folder, config)
print(report.render())
assert report.ok, "the folder has validation errors: fix them before any analysis"
print()
for name, table in report.tables.items():
    print(f"{name:<20} {table.n_rows:>7,} rows  ({table.file})")"""),
        ("md", """\
## Referrals

Each row is one referral: to Immediate Justice (`cohort == "ij"`) or to the comparison cohort. The typed
frame keeps `__row`, the row number in the file, so any row can be traced back to the input."""),
        ("py", """\
import polars as pl

referrals = report.tables["referrals"].frame
print(referrals.schema)
referrals.head()"""),
        ("py", """\
# Referrals by cohort and IJ status (the comparison cohort has no status)
by_status = (
    referrals.group_by("cohort", pl.col("status").fill_null("(comparison)"))
    .agg(n=pl.len())
    .sort("cohort", "status")
)
by_status.pivot(on="cohort", index="status", values="n").fill_null(0)"""),
        ("py", """\
# Age groups at the offence, by cohort (children are 10-17)
age_group = (
    pl.when(pl.col("age") < 18).then(pl.lit("10-17"))
    .when(pl.col("age") < 25).then(pl.lit("18-24"))
    .when(pl.col("age") < 40).then(pl.lit("25-39"))
    .otherwise(pl.lit("40+"))
    .alias("age_group")
)
(
    referrals.group_by("cohort", age_group)
    .agg(n=pl.len())
    .with_columns(share=(pl.col("n") / pl.col("n").sum().over("cohort")).round(3))
    .sort("cohort", "age_group")
)"""),
        ("py", """\
# Referral dates by cohort (the config's analysis period is applied by the pipeline's intake)
print(f"analysis period: {config.data.period_start} to {config.data.period_end}")
referrals.group_by("cohort").agg(
    first=pl.col("referral_date").min(), last=pl.col("referral_date").max(), n=pl.len(),
    people=pl.col("person_id").n_unique(),
).sort("cohort")"""),
    )


def strands() -> nbformat.NotebookNode:
    return _notebook(
        ("md", """\
# 2. Run each strand through the library API

The pipeline runs the strands one after another and writes what they return to the results store. Here we call
them directly: each strand is a module with `run(inputs, config)` returning a `StrandResult` with headline
figures (`headlines`), tidy tables (`tables`), figure specs and notes; strands never write files.

The inputs are the validated tables, wrapped in `ij_eval.pipeline.Inputs`. The pipeline's intake step also
drops referrals outside the config's analysis period (listing them in `exclusions.csv`) and places
data.police.uk records in areas; the cell below reports how many referrals that would affect, so you know
whether these figures can differ from the published ones."""),
        ("py", DATA_CELL),
        ("py", """\
import polars as pl

from ij_eval.pipeline import Inputs
from ij_eval.strands import hotspots, overview, reoffending

report = ij_eval.load_tables(folder, config)  # raises ValidationFailed if the folder has errors
inputs = Inputs(report.tables)

dates = report.tables["referrals"].frame["referral_date"]
start, end = config.data.period_start, config.data.period_end
outside = ((dates < start).sum() if start else 0) + ((dates > end).sum() if end else 0)
print(f"analysis period {start} to {end}: {outside} referral(s) outside it (the pipeline would exclude them)")
if report.police_uk is not None:
    print("This folder has data.police.uk files: only the pipeline places them in areas (not used here).")


def headlines(result):
    \"\"\"The headline figures of a strand as one table.\"\"\"
    return pl.DataFrame([{"headline": name, **h.to_dict()} for name, h in result.headlines.items()])"""),
        ("md", """\
## Data overview (descriptive)

Counts only: how many referrals and people, by cohort, status and month. Nothing here says whether Immediate
Justice worked; it says what data every later figure rests on."""),
        ("py", """\
overview_result = overview.run(inputs, config)
print(list(overview_result.tables))
headlines(overview_result)"""),
        ("py", """overview_result.tables["overview_referrals"]"""),
        ("md", """\
## Reoffending (descriptive and causal)

The reoffending rates within the follow-up window and the Kaplan-Meier curves **describe** what happened to
each group: people who completed IJ may differ from the comparison cohort in ways that also affect
reoffending, so the raw difference and the unadjusted hazard ratio are labelled *descriptive*. The adjusted,
matched and weighted hazard ratios compare IJ with similar people in the comparison cohort; they can be read as
the **effect** of IJ only if no unmeasured difference between the groups (confounding) drives reoffending:
the `contrast` column says which is which, and the E-value says how strong such confounding would need to be
to explain the effect away."""),
        ("py", """\
reoffending_result = reoffending.run(inputs, config)
for note in reoffending_result.notes:
    print("-", note)
headlines(reoffending_result)"""),
        ("py", """\
reoffending_result.tables["reoffending_effects"].select(
    "term", "label", "estimate", "ci_lower", "ci_upper", "p_value", "scale", "contrast", "n"
)"""),
        ("md", """\
## ASB in hotspots (descriptive and causal)

The before/after counts and the share of ASB in hotspots are **descriptive**. The interrupted time series (ITS)
compares each area's ASB after IJ started with the trend and seasonality before it: a change may be IJ or
anything else that changed at the same time. The difference-in-differences (DiD) compares the change in
hotspots (and buffer areas, for displacement) with the change in comparison areas over the same months; it
estimates the **effect** of IJ if the areas would otherwise have followed parallel trends, which the event
study's pre-trend test checks. The stacked DiD is the headline; the two-way fixed effects estimate is shown for
comparison only."""),
        ("py", """\
hotspots_result = hotspots.run(inputs, config)
for note in hotspots_result.notes:
    print("-", note)
headlines(hotspots_result)"""),
        ("py", """\
# Interrupted time series: level and slope changes (pooled across areas, and for each area)
hotspots_result.tables["hotspots_its"].filter(pl.col("term") != "trend").select(
    "role", "area_id", "term", "rate_ratio", "rr_ci_lower", "rr_ci_upper"
).sort("role", "area_id", "term")"""),
        ("py", """\
# Difference-in-differences against the comparison areas
hotspots_result.tables["hotspots_did"]"""),
    )


def redraw_figure() -> nbformat.NotebookNode:
    return _notebook(
        ("md", """\
# 3. Re-draw a report figure from the results store

Every figure in the report is drawn from tables in the results store, so an evaluator can restyle a figure
without re-running any analysis. This notebook runs the pipeline once into a temporary results store (as
`ij-eval run` does), then re-draws the Kaplan-Meier figure from `tables/reoffending_km.csv` and
`tables/reoffending_at_risk.csv` alone."""),
        ("py", DATA_CELL),
        ("py", """\
import json

from ij_eval.pipeline import run_pipeline

store = tmp / "results"
summary = run_pipeline(folder, config, store)
print(f"ran: {', '.join(summary.ran)}; skipped: {dict(summary.skipped) or 'none'}")
print(sorted(p.name for p in (store / "tables").glob("reoffending_*.csv")))"""),
        ("md", """\
## Read the tables back

The store's CSVs are tidy tables; give polars the column types so nothing is guessed."""),
        ("py", """\
import polars as pl

km = pl.read_csv(store / "tables" / "reoffending_km.csv", schema_overrides={
    "group": pl.String, "time": pl.Int64, "n_at_risk": pl.Int64,
    "survival": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64, "sample": pl.String,
})
at_risk = pl.read_csv(store / "tables" / "reoffending_at_risk.csv", schema_overrides={
    "group": pl.String, "time": pl.Int64, "n_at_risk": pl.Int64, "sample": pl.String,
})
# The report's figure: the whole sample by IJ status and the comparison cohort ("ij_all" is everyone referred).
# The published curve is on a monthly grid with points hidden for disclosure control (blank survival) and no
# censoring counts: leave the hidden points out and draw no censoring ticks, as the pipeline does.
curves = km.filter((pl.col("sample") == "all") & (pl.col("group") != "ij_all") & pl.col("survival").is_not_null())
curves = curves.with_columns(n_censored=pl.lit(0))
risk = at_risk.filter(pl.col("sample") == "all")
print(curves["group"].unique(maintain_order=True).to_list())
risk.pivot(on="time", index="group", values="n_at_risk")"""),
        ("md", """\
## Re-draw and restyle

`ij_eval.plots.reoffending.plot_km` is the function the pipeline uses. Its arguments, matplotlib's
`rc_context` and the returned figure's axes are the places to change the style."""),
        ("py", """\
import matplotlib.pyplot as plt
from IPython.display import Image

from ij_eval.plots.reoffending import plot_km

results = json.loads((store / "results.json").read_text())
figures = json.loads((store / "figures.json").read_text())
print("Alt text in the store:", figures["reoffending_km"]["alt_text"])

with plt.rc_context({"font.size": 11, "axes.spines.top": False, "axes.spines.right": False}):
    fig = plot_km(curves, risk, synthetic=results["synthetic"], horizon=config.reoffending.follow_up_days,
                  ylabel="Not yet reoffended")
    fig.axes[0].set_title("Time to first reoffence by group", loc="left")
    path = tmp / "reoffending_km_restyled.png"
    fig.savefig(path, dpi=150)
plt.close(fig)
print(f"saved {path} ({path.stat().st_size:,} bytes)")
Image(filename=path)  # ij_eval.plots draws with matplotlib's Agg backend, so show the saved file"""),
    )


def value_for_money() -> nbformat.NotebookNode:
    return _notebook(
        ("md", """\
# 4. Value for money: what if the assumptions change?

The value-for-money strand is a Green Book cost-benefit appraisal: it takes the scheme's costs, the effect on
reoffending and on hotspot ASB that the earlier strands estimated, and unit costs with their sources, and gives a
net present value (NPV) and a benefit-cost ratio (BCR) with Monte Carlo intervals. Here we run it through the
library and change assumptions to see how the answer moves. The published figures still come from
`ij-eval run` with the evaluation's own config; a what-if here is for exploring, not for publishing."""),
        ("py", DATA_CELL),
        ("py", """\
import dataclasses

import polars as pl

from ij_eval.config import ParameterSpec
from ij_eval.pipeline import Inputs
from ij_eval.strands import hotspots, reoffending, value_for_money

report = ij_eval.load_tables(folder, config)  # raises ValidationFailed if the folder has errors
tables = Inputs(report.tables)
# value for money reads the effects the earlier strands estimated
earlier = {"reoffending": reoffending.run(tables, config), "hotspots": hotspots.run(tables, config)}
inputs = Inputs(report.tables, results=earlier)


def appraise(config):
    \"\"\"NPV, BCR and the probability that benefits exceed costs under ``config``.\"\"\"
    result = value_for_money.run(inputs, config)
    h = result.headlines
    return result, {"npv": h["npv"].estimate, "npv_95": (h["npv"].ci_lower, h["npv"].ci_upper),
                    "bcr": h["bcr"].estimate, "bcr_95": (h["bcr"].ci_lower, h["bcr"].ci_upper),
                    "p_bcr_above_1": h["probability_bcr_above_1"].estimate}


central, answer = appraise(config)
for warning in central.warnings:
    print("warning:", warning)
answer"""),
        ("md", """\
Each benefit, how it was valued and what it is worth now (present value). A benefit the config does not give the
unit costs for is *not valued* (its note says what is missing), never valued at a made-up default."""),
        ("py", """\
central.tables["vfm_benefits"].select("label", "status", "quantity", "quantity_unit", "present_value_gbp", "note")"""),
        ("md", """\
Every parameter with its value, range, distribution, source, evidence grade and price year; then the one-way
sensitivity behind the tornado chart (each parameter at the ends of its range, the rest at their values)."""),
        ("py", """\
central.tables["vfm_parameters"].select("parameter", "value", "low", "high", "distribution", "grade", "source")"""),
        ("py", """\
central.tables["vfm_sensitivity"].select("label", "low", "high", "npv_low", "npv_high", "swing")"""),
        ("md", """\
## A more cautious appraisal

Suppose a quarter of the measured effects would have happened anyway (deadweight), costs overrun by 20%
(optimism bias, up to HM Treasury's 41% for outsourced services), and the reparative work is not counted as a
benefit at all. `dataclasses.replace` gives a changed copy of the (frozen) config."""),
        ("py", """\
v = config.value_for_money
parameters = {**dict(v.parameters),
              "deadweight": ParameterSpec(0.25, 0.0, 0.5, source="what-if: a quarter would have happened anyway"),
              "optimism_bias": ParameterSpec(0.2, 0.0, 0.41, source="what-if: HMT outsourcing range")}
cautious = dataclasses.replace(config, value_for_money=dataclasses.replace(
    v, parameters=tuple(sorted(parameters.items())),
    benefits=tuple(b for b in v.benefits if b != "reparative_work")))
cautious_result, cautious_answer = appraise(cautious)
pl.DataFrame([{"appraisal": "central", **answer}, {"appraisal": "cautious", **cautious_answer}])"""),
        ("md", """\
The break-even effect is the smallest fall in the reoffending rate (in proportion points) at which the benefits
equal the costs; compare it with the estimate and its interval."""),
        ("py", """\
for name, result in (("central", central), ("cautious", cautious_result)):
    effect, even = result.headlines["reoffending_effect"], result.headlines["break_even_effect"]
    print(f"{name}: estimated fall {effect.estimate:.3f} ({effect.ci_lower:.3f} to {effect.ci_upper:.3f}); "
          f"breaks even at {even.estimate:.3f}")"""),
        ("py", """\
# The tornado chart of the cautious appraisal, drawn by the same function as the report's
from ij_eval.plots.value_for_money import plot_tornado

plot_tornado(cautious_result.tables["vfm_sensitivity"].with_columns(npv_base=pl.lit(cautious_answer["npv"])),
             synthetic=config.scheme.synthetic)"""),
    )


NOTEBOOKS = {
    "01_explore_data.ipynb": explore_data,
    "02_strands.ipynb": strands,
    "03_redraw_figure.ipynb": redraw_figure,
    "04_value_for_money.ipynb": value_for_money,
}


def build() -> dict[str, str]:
    """File name -> the notebook's text as written to disk."""
    out = {}
    for name, make in NOTEBOOKS.items():
        nb = make()
        nbformat.validate(nb)
        out[name] = nbformat.writes(nb) + "\n"
    return out


def main() -> None:
    for name, text in build().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
