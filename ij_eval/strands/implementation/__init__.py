"""Implementation strand: was Immediate Justice delivered as designed?

- ``funnel.py``: referred → contacted → work booked → started → completed, with every final
  status, overall and by month, route, outcome code, offence type and age group;
- ``timeliness.py``: hours from the police decision (the referral date) to first contact and to the
  start of work: shares within 48 hours (Wilson intervals), Kaplan-Meier medians with people still
  waiting censored, not dropped, and the Kaplan-Meier curve of time to start;
- ``dosage.py``: hours required and completed, workshops, restorative processes, placements and
  hours by activity and site;
- ``equality.py``: referral, completion and refusal by sex, age group, ethnicity and disability
  against the comparison cohort, and against the area population where ``[population]`` gives
  its make-up, Holm-adjusted.

Everything here is descriptive: it says what was delivered, not what it caused.
"""

from __future__ import annotations

from types import MappingProxyType

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.privacy.screen import Screen
from ij_eval.strands.base import FigureSpec, Headline, StrandResult, TableCell
from ij_eval.strands.implementation.common import SETTLED_DAYS, WINDOW_DAYS, extract_date, prepare, settled, wilson
from ij_eval.strands.implementation.dosage import activities, dosage, publishable_sites, sites
from ij_eval.strands.implementation.equality import equality, with_groups
from ij_eval.strands.implementation.funnel import funnel
from ij_eval.strands.implementation.timeliness import bands, km_start, timeliness

NAME = "implementation"
TITLE = "Implementation"
REQUIRES = ("referrals",)

_ALL = (("breakdown", "all"), ("group", "all"))


def _share_headline(table: pl.DataFrame, measure: str, method: str, caveat: str) -> Headline:
    row = table.filter((pl.col("measure") == measure) & (pl.col("breakdown") == "all")).row(0, named=True)
    return Headline(row["share"], method, n=row["n"], count=row["within_48h"], ci_lower=row["ci_lower"],
                    ci_upper=row["ci_upper"], caveat=caveat, unit="proportion",
                    source=TableCell("implementation_timeliness", (("measure", measure), *_ALL), "share"))


def _median_headline(table: pl.DataFrame, measure: str, method: str) -> Headline:
    row = table.filter((pl.col("measure") == measure) & (pl.col("breakdown") == "all")).row(0, named=True)
    return Headline(row["median_hours"], method, n=row["n"], ci_lower=row["median_ci_lower"],
                    ci_upper=row["median_ci_upper"], unit="hours",
                    caveat="people still waiting at the extract date are censored, not dropped",
                    source=TableCell("implementation_timeliness", (("measure", measure), *_ALL), "median_hours"))


def _count(value: int, method: str, unit: str, caveat: str = "") -> Headline:
    return Headline(value, method, n=value, unit=unit, caveat=caveat)


def run(inputs, config: EvaluationConfig) -> StrandResult:
    referrals = inputs.frame("referrals")
    placements = inputs.frame("placements") if inputs.has("placements") else None
    extract = extract_date(referrals, config)
    ij = with_groups(prepare(referrals))
    notes: list[str] = []
    if ij.height == 0:
        return StrandResult(name=NAME, notes=("No Immediate Justice referrals in the data: nothing to describe.",))

    funnel_table = funnel(ij)
    timing = timeliness(ij, extract)
    time_bands = bands(ij, extract)
    km = km_start(ij, extract)
    dose = dosage(ij)
    site_table = sites(ij, placements)
    activity_table = activities(site_table)
    site_table, screened = publishable_sites(site_table, placements, config.publication.site_names,
                                             Screen.from_config(config))
    population = config.population.supplied()
    equal = equality(referrals, extract, population)

    final = settled(ij, extract)
    completed = int((final["status"] == "completed").sum())
    share, low, high = wilson(completed, final.height)
    started = ij.filter(pl.col("started"))
    hours = float(started["hours_completed"].fill_null(0).sum())
    n_places = placements.height if placements is not None else site_table.height
    used_places = int((site_table["people"] > 0).sum())
    headlines = {
        "referrals": _count(ij.height, "count of IJ referrals", "referrals"),
        "completed_share": Headline(
            share, f"completed / referrals made at least {SETTLED_DAYS} days before the extract with a final status; "
            "Wilson 95% interval", n=final.height, count=completed, ci_lower=low, ci_upper=high, unit="proportion",
            caveat=f"referrals made in the last {SETTLED_DAYS} days before the extract are left out (many are still "
            "in progress), as are older ones still in progress"),
        "contact_within_48h": _share_headline(
            timing, "contact", "first contact before midnight two days after the referral (decision) date; "
            "Wilson 95% interval", "referrals made at least two days before the extract; never contacted counts "
            "as not within 48 hours; measured from the start of the decision day, so it can only understate"),
        "start_within_48h": _share_headline(
            timing, "start", "work started on the decision day or the two days after; Wilson 95% interval",
            "people who could start (not refused or not suitable), referred at least two days before the extract; "
            "not yet started counts as not within 48 hours; work start is recorded as a date"),
        "median_hours_to_contact": _median_headline(
            timing, "contact", "Kaplan-Meier median hours from the decision date to first contact; interval where "
            "the 95% band crosses one half"),
        "median_hours_to_start": _median_headline(
            timing, "start", "Kaplan-Meier median hours (whole days x 24) from the decision date to the start of "
            "work; interval where the 95% band crosses one half"),
        "people_started": _count(started.height, "people whose reparative work started", "people"),
        "hours_completed": Headline(hours, "sum of hours_completed over people whose work started", n=started.height,
                                    unit="hours"),
        "workshops_attended": _count(int(started["workshop_attended"].fill_null(False).sum()),
                                     "people who attended the ASB awareness workshop", "people"),
        "restorative_processes": _count(int(started["restorative_justice"].fill_null(False).sum()),
                                        "people who took part in a restorative process", "people"),
        "placements": Headline(n_places, "rows of the placements table" if placements is not None
                               else "distinct placement_id among referrals", unit="placements",
                               caveat=f"{used_places} used as someone's main placement in these referrals"),
    }

    implied = ij.filter(pl.col("started") & pl.col("work_start_date").is_null())
    if implied.height:
        notes.append(f"{implied.height} referrals that completed or dropped out have no work start date; they are "
                     "counted as started in the funnel and left out of the time to start.")
    notes += [
        "The police decision is taken to be the referral date (the schema's date of the decision to refer). It has "
        "no time of day, so waits are measured from the start of that day: first contact within 48 hours can only be "
        "understated. Work start is recorded as a date, so it counts as within 48 hours when it is on the decision "
        "day or one of the two days after.",
        f"Timeliness rests on referrals made at least {WINDOW_DAYS} days before the extract date ({extract:%d %B %Y}). "
        "People not yet contacted or started by then count as not within 48 hours in the shares and are censored, "
        "not dropped, in the Kaplan-Meier medians. People who refused or were not suitable are left out of time to "
        "start: they leave the scheme rather than wait.",
        f"The completion rate is completed referrals over referrals made at least {SETTLED_DAYS} days before the "
        "extract date that have a final status: recent referrals that have already ended are mostly refusals and "
        "people found not suitable, so counting them would understate completion. The funnel shows everyone's status "
        "at the extract date. Intervals are Wilson 95% intervals.",
        "Equality: each group's share of referrals is compared with its share of the comparison cohort, and its "
        "completion and refusal rates with everyone else's (Fisher's exact tests, Holm-adjusted together). A "
        "difference is flagged only when it is both unlikely to be chance (adjusted p below 0.05) and large (at "
        "least 5 percentage points, and a ratio outside 0.8 to 1.25).",
    ]
    if population:
        untested = equal.filter(pl.col("characteristic").is_in([c for c, _ in population])
                                & pl.col("population_share").is_null()
                                & ~pl.col("group").is_in(["not recorded", "unknown"]))
        notes.append(
            "Equality against the area population: for " + ", ".join(c.replace("_", " ") for c, _ in population)
            + ", each group's share of the referrals with a recorded value is compared with its share of the area "
            "population given in the config (exact binomial tests, Wilson intervals, in the same Holm family as the "
            "other tests; the same flag rule)." + (" Recorded groups the config does not list, counted in the base "
            "but not tested: " + ", ".join(f"{r['characteristic'].replace('_', ' ')} {r['group']}"
                                            for r in untested.iter_rows(named=True)) + "." if untested.height else ""))
    if placements is None:
        notes.append("No placements table: sites and activities are not described, only placement ids.")
    flagged = equal.filter(pl.col("flag") != "")
    if flagged.height:
        notes.append("Equality differences flagged: " + "; ".join(
            f"{r['characteristic'].replace('_', ' ')} {r['group']}: {r['flag']}" for r in flagged.iter_rows(named=True))
            + ".")
    else:
        notes.append("No equality difference was both large and unlikely to be chance.")

    from ij_eval.plots.implementation import plot_funnel, plot_hours, plot_km_start, plot_monthly

    first, last = ij["referral_date"].min(), ij["referral_date"].max()
    all_funnel = funnel_table.filter(pl.col("breakdown") == "all")
    figures = (
        FigureSpec("implementation_funnel", "The referral funnel",
                   "Horizontal bar chart of the referral funnel: people referred, contacted, with work booked, with "
                   "work started and completed, then the number with each final status (did not complete, refused, "
                   "not suitable, still in progress).", all_funnel, plot_funnel),
        FigureSpec("implementation_monthly", "Referrals by month and status",
                   f"Stacked bar chart of Immediate Justice referrals each month from {first:%B %Y} to {last:%B %Y}, "
                   "each bar split by the referral's status at the extract date.",
                   funnel_table.filter(pl.col("breakdown") == "month"), plot_monthly),
        FigureSpec("implementation_km_start", "Time from the police decision to the start of work",
                   "Step chart of the share of people whose reparative work had started by each day after the "
                   "police decision, for everyone and for adults and children, with 95% intervals and a line at "
                   "two days (48 hours); people still waiting are censored.", km, plot_km_start),
        FigureSpec("implementation_hours", "Hours of reparative work by activity",
                   "Horizontal bar chart of the hours of reparative work completed by people referred, by "
                   "activity of their main placement.", activity_table, plot_hours),
    )
    tables = {
        "implementation_funnel": funnel_table, "implementation_timeliness": timing,
        "implementation_wait_bands": time_bands, "implementation_km_start": km, "implementation_dosage": dose,
        "implementation_activities": activity_table, "implementation_sites": site_table,
        "implementation_equality": equal,
    }
    return StrandResult(name=NAME, headlines=MappingProxyType(headlines), tables=MappingProxyType(tables),
                        figures=figures, notes=tuple(notes), screened=screened)
