"""Calibration: each published (or assumed) target of a scenario against what the written CSVs
show. Computed from the files alone, so it checks what a user will actually read."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ij_eval.errors import ConfigError
from ij_eval.schema import load_schemas
from ij_eval.synth.scenarios import Scenario, get_scenario

AGREE_TOP = ["agree", "strongly_agree"]
SETTLED_DAYS = 150  # every referral this old has a final status
Tables = dict[str, pl.DataFrame]


def read_tables(out_dir: str | Path) -> Tables:
    """The CSVs of a synthetic folder, typed by their schemas (a small reader, independent of the
    validator, that only understands the generator's own formats)."""
    out_dir = Path(out_dir)
    tables: Tables = {}
    for name, schema in load_schemas().items():
        path = out_dir / f"{name}.csv"
        if not path.is_file():
            continue
        raw = pl.read_csv(path, infer_schema_length=0)
        exprs = []
        for col in schema.columns:
            c = pl.col(col.name)
            exprs.append({
                "date": c.str.to_date("%Y-%m-%d"),
                "datetime": c.str.to_datetime("%Y-%m-%d %H:%M", time_unit="us"),
                "integer": c.cast(pl.Int64),
                "number": c.cast(pl.Float64),
                "money": c.cast(pl.Float64),
                "boolean": c == "true",
            }.get(col.type, c))
        tables[name] = raw.select(exprs)
    return tables


def _ij(t: Tables) -> pl.DataFrame:
    return t["referrals"].filter(pl.col("cohort") == "ij")


def _extract(t: Tables) -> dt.date:
    return t["_extract"]["extract"][0]


def _reoffended_12m(t: Tables) -> pl.DataFrame:
    """Referrals with a full year of follow-up, with ``reoffended`` (any offence within 365 days)."""
    extract = _extract(t)
    people = t["referrals"].filter(pl.col("referral_date") <= extract - dt.timedelta(days=365))
    hits = (t["offences"].join(people.select("person_id", "referral_date"), on="person_id")
            .filter((pl.col("offence_date") > pl.col("referral_date"))
                    & (pl.col("offence_date") <= pl.col("referral_date") + pl.duration(days=365)))
            .select("person_id").unique())
    return people.with_columns(reoffended=pl.col("person_id").is_in(hits["person_id"].implode()))


def _reoffending_pct(t: Tables, cohort: str, status: str | None = None) -> float:
    df = _reoffended_12m(t).filter(pl.col("cohort") == cohort)
    if status:
        df = df.filter(pl.col("status") == status)
    return float(100 * df["reoffended"].mean())


def _attendees(t: Tables) -> pl.DataFrame:
    """IJ referrals whose work started April-September 2024 (the published reporting window)."""
    return _ij(t).filter(pl.col("work_start_date").is_between(dt.date(2024, 4, 1), dt.date(2024, 9, 30)))


def _status_pct(t: Tables, status: str) -> float:
    """Share of IJ referrals made over 150 days before the extract (all with a final status), so
    cases still open at the extract date (more often completers-to-be) do not bias it."""
    cutoff = _extract(t) - dt.timedelta(days=SETTLED_DAYS)
    settled = _ij(t).filter(pl.col("referral_date") < cutoff)
    return float(100 * (settled["status"] == status).mean())


def _item_pct(t: Tables, table: str, item: str) -> float:
    s = t[table][item].drop_nulls()
    return float(100 * s.is_in(AGREE_TOP).mean())


def _last_year_referrals(t: Tables) -> float:
    extract = _extract(t)
    return float(_ij(t).filter(pl.col("referral_date") > extract - dt.timedelta(days=365)).height)


def _late_in_progress(t: Tables) -> float:
    cutoff = _extract(t) - dt.timedelta(days=SETTLED_DAYS)
    return float(_ij(t).filter((pl.col("status") == "in_progress")
                               & (pl.col("referral_date") < cutoff)).height)


def _contact_48h(t: Tables) -> float:
    df = _ij(t).filter(pl.col("first_contact_at").is_not_null())
    gap = pl.col("first_contact_at") - pl.col("referral_date").cast(pl.Datetime("us"))
    return float(100 * df.select((gap < pl.duration(hours=48)).mean()).item())


def _start_48h(t: Tables) -> float:
    df = _ij(t).filter(pl.col("work_start_date").is_not_null())
    days = (pl.col("work_start_date") - pl.col("referral_date")).dt.total_days()
    return float(100 * df.select((days <= 2).mean()).item())


def _home_office(t: Tables) -> float:
    c = t["costs"]
    return float(c.filter((pl.col("funder") == "Home Office") & ~pl.col("in_kind"))["amount_gbp"].sum())


def _internal_posts(t: Tables) -> float:
    c = t["costs"].filter((pl.col("category") == "staff") & pl.col("item").str.starts_with("Internal team"))
    return float(c["item"].n_unique())


def _areas(t: Tables, role: str) -> float:
    return float((t["areas"]["role"] == role).sum())


@dataclass(frozen=True)
class Target:
    measure: str
    target: float
    tolerance: float  # absolute, in the measure's units, at scale 1
    source: str
    compute: Callable[[Tables], float]
    scales: bool = False  # a volume: target and tolerance multiply by the scale


def _midlands(s: Scenario) -> list[Target]:
    items = [
        Target(f"{label} (% agree or strongly agree)", 100 * getattr(s, f"{item}_agree"), 4.0,
               f"Midlands participant feedback: {round(100 * getattr(s, f'{item}_agree'))}%",
               lambda t, i=item: _item_pct(t, "participant_survey", i))
        for item, label in (("understand_asb", "Participants: better understanding of ASB"),
                            ("would_handle_differently", "Participants: would handle things differently"),
                            ("accept_responsibility", "Participants: accept responsibility"),
                            ("workshop_beneficial", "Participants: workshop beneficial"),
                            ("overall_positive", "Participants: positive overall"))
    ]
    return [
        Target("IJ referrals in the last 12 months of the extract", s.ij_referrals_per_year, 72,
               "Midlands: 720 referrals, October 2024 to the 2025 report", _last_year_referrals, True),
        Target("Comparison cohort per IJ referral", s.comparison_ratio, 0.15,
               "assumed (brief): about twice the IJ volume",
               lambda t: float((t["referrals"]["cohort"] == "comparison").sum() / _ij(t).height)),
        Target("IJ referrals through hotspot policing (% with hotspot_id)",
               100 * s.hotspot_referral_share, 4.0,
               "Midlands: referrals through ASB hotspot policing (share assumed)",
               lambda t: float(100 * _ij(t)["hotspot_id"].is_not_null().mean())),
        Target("IJ routes: community resolution (%)", 58.0, 5.0, "assumed (brief): most referrals",
               lambda t: float(100 * (_ij(t)["route"] == "community_resolution").mean())),
        Target("Completed (% of referrals made 150+ days before the extract)", 100 * s.completed_share, 4.0,
               "Midlands: 78% completed", lambda t: _status_pct(t, "completed")),
        Target("Refused (% of referrals made 150+ days before the extract)", 100 * s.refused_share, 3.0,
               "assumed (brief); second force refused 65 of 352", lambda t: _status_pct(t, "refused")),
        Target("In progress though referred over 150 days before the extract", 0.0, 0.0,
               "design: in_progress only near the extract date", _late_in_progress),
        Target("12-month reoffending, all IJ referrals (%)", 100 * s.ij_reoffending_12m, 3.0,
               "Midlands: 79% did not reoffend", lambda t: _reoffending_pct(t, "ij")),
        Target("12-month reoffending, refused (%)", 100 * s.refused_reoffending_12m, 9.0,
               "second force: 33% of refusers reoffended (small base)",
               lambda t: _reoffending_pct(t, "ij", "refused")),
        Target("First contact within 48 hours (% of contacted)", 100 * s.contact_within_48h, 4.0,
               "assumed (brief)", _contact_48h),
        Target("Work started within 48 hours (% of starters)", 100 * s.start_within_48h, 5.0,
               "assumed (brief); Home Office aim", _start_48h),
        Target("Attendees, work started Apr-Sep 2024", 359, 54,
               "Midlands: 238 adults and 121 young people, Apr-Sep 2024",
               lambda t: float(_attendees(t).height), True),
        Target("Adults (% of Apr-Sep 2024 attendees)", 100 * s.adult_share, 5.0,
               "Midlands: 238 adults, 121 young people",
               lambda t: float(100 * (_attendees(t)["age"] >= 18).mean())),
        Target("Hours completed by Apr-Sep 2024 attendees", 12_888, 1_933,
               "Midlands: 12,888 hours of community work, Apr-Sep 2024",
               lambda t: float(_attendees(t)["hours_completed"].sum()), True),
        Target("Hours per Apr-Sep 2024 attendee", 12_888 / 359, 3.6, "Midlands: 12,888 hours / 359",
               lambda t: float(_attendees(t)["hours_completed"].mean())),
        Target("Workshops per attendee (%)", 100 * s.workshop_share, 6.0,
               "Midlands: 211 workshops / 359 attendees (one per attendee assumed)",
               lambda t: float(100 * _attendees(t)["workshop_attended"].mean())),
        Target("Restorative processes per attendee (%)", 100 * s.restorative_share, 4.0,
               "Midlands: 43 restorative processes / 359 attendees",
               lambda t: float(100 * _attendees(t)["restorative_justice"].mean())),
        Target("Minimum hours required", s.min_hours, 0.0, "Midlands and second force: minimum four hours",
               lambda t: float(_ij(t)["hours_required"].min())),
        Target("Placements", s.placements, 0.0, "Midlands: 64 placements",
               lambda t: float(t["placements"].height), True),
        Target("Participant survey responses (% of completers)", 100 * s.participant_response_share, 5.0,
               "assumed (brief)",
               lambda t: float(100 * t["participant_survey"].height
                               / (_ij(t)["status"] == "completed").sum())),
        *items,
        Target("Participants consenting to quotation (%)", 100 * s.consent_to_quote_share, 6.0,
               "assumed (brief)", lambda t: float(100 * t["participant_survey"]["consent_to_quote"].mean())),
        Target("Victim survey responses", s.victim_responses, 0.0, "assumed (brief): small base",
               lambda t: float(t["victim_survey"].height), True),
        Target("Victims satisfied or very satisfied (%)", 100 * s.victim_satisfied_share, 0.0,
               "Midlands: 100% of surveyed victims satisfied",
               lambda t: float(100 * t["victim_survey"]["satisfied"].is_in(["satisfied", "very_satisfied"])
                               .mean())),
        Target("Home Office funding (GBP)", s.home_office_funding_gbp, 1.0, "Midlands: GBP 1m",
               _home_office, True),
        Target("Internal team posts", s.internal_staff_posts, 0.0, "Midlands: an internal team of four",
               _internal_posts),
        Target("Hotspots", s.hotspots, 0.0, "assumed (brief): about ten", lambda t: _areas(t, "hotspot"), True),
        Target("Comparison areas", s.comparison_areas, 0.0, "assumed (brief): about ten",
               lambda t: _areas(t, "comparison"), True),
    ]


def _second_force(s: Scenario) -> list[Target]:
    completers = 287
    return [
        Target("Completed", completers, 29, "second force: 287 completed a penalty",
               lambda t: float((_ij(t)["status"] == "completed").sum()), True),
        Target("Refused", 65, 12, "second force: 65 refused to engage",
               lambda t: float((_ij(t)["status"] == "refused").sum()), True),
        Target("12-month reoffending, completed (%)", 100 * (s.completed_reoffending_12m or 0), 5.0,
               "second force: 88% of completers did not reoffend (about 150 with a full year)",
               lambda t: _reoffending_pct(t, "ij", "completed")),
        Target("12-month reoffending, refused (%)", 100 * s.refused_reoffending_12m, 14.0,
               "second force: 33% of refusers reoffended (about 30 with a full year)",
               lambda t: _reoffending_pct(t, "ij", "refused")),
        Target("Hours completed by completers", 1_375, 140, "second force: 1,375 hours",
               lambda t: float(_ij(t).filter(pl.col("status") == "completed")["hours_completed"].sum()),
               True),
        Target("Minimum hours required", s.min_hours, 0.0, "second force: minimum of four hours",
               lambda t: float(_ij(t)["hours_required"].min())),
        Target("Placements (locations)", s.placements, 0.0, "second force: 71 locations",
               lambda t: float(t["placements"].height), True),
        Target("Placements suggested by councillors or community groups (%)", 100.0, 0.0,
               "second force: locations suggested by councillors and community groups",
               lambda t: float(100 * t["placements"]["suggested_by"]
                               .is_in(["councillor", "community_group"]).mean())),
    ]


def targets(scenario: str | Scenario) -> list[Target]:
    s = get_scenario(scenario)
    return _second_force(s) if s.calibrated_to == "second_force" else _midlands(s)


def _scale(out_dir: Path) -> int:
    truth = out_dir / "ground_truth.json"
    if not truth.is_file():
        raise ConfigError(f"{out_dir} has no ground_truth.json: is it a synthetic data folder?")
    return int(json.loads(truth.read_text(encoding="utf-8"))["scale"])


def calibration_table(out_dir: str | Path, scenario: str | Scenario = "default") -> pl.DataFrame:
    """Every calibration target of ``scenario`` against the figure the CSVs in ``out_dir`` give.

    Columns: measure, target, generated, source. Volume targets are multiplied by the folder's
    scale (read from ``ground_truth.json``).
    """
    out_dir = Path(out_dir)
    scale = _scale(out_dir)
    s = get_scenario(scenario)
    tables = read_tables(out_dir)
    tables["_extract"] = pl.DataFrame({"extract": [s.extract_date]})
    rows = [(t.measure, float(t.target * (scale if t.scales else 1)), round(t.compute(tables), 4), t.source)
            for t in targets(s)]
    return pl.DataFrame(rows, schema=["measure", "target", "generated", "source"], orient="row")


def tolerances(scenario: str | Scenario, scale: int = 1) -> dict[str, float]:
    """Absolute tolerance of each measure (volumes' tolerances grow with the scale)."""
    return {t.measure: float(t.tolerance * (scale if t.scales else 1)) for t in targets(scenario)}
