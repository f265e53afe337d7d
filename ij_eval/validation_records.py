"""Checks across rows and tables about one person or one area: what no single row can show.

:func:`check_records` runs after the per-table checks of :mod:`ij_eval.validation` and returns
located :class:`~ij_eval.errors.Problem` s (the rows are file rows; the values shown are
pseudonymised person ids, referral or area ids, never more of a person than the problem needs).

About one person (``person_id`` across referrals, offences and surveys):

- **both cohorts**: the same person with an ``ij`` and a ``comparison`` referral (error).
- **two sexes**: one person recorded as two of female / male / other ("unknown" conflicts with
  nothing) (error).
- **ages that fit no one date of birth**: a whole-year ``age`` at a date puts the birth date in a
  one-year window; a person's referrals must leave some birth date in every window (error). The
  window is taken wide enough for an age recorded at the offence date *or* at the referral date,
  and for either convention for 29 February birthdays, so only what is certainly inconsistent is
  flagged.
- **date-of-birth-derived values** that contradict those windows: the participant survey's
  ``age_group`` (``child`` when certainly 18 or over at the survey date, ``adult`` when certainly
  under 18), and a declared ``birth_year`` covariate (two values for one person, or a year that
  the age rules out) (error).
- **offences before age 10**, the age of criminal responsibility in England and Wales: an offence
  dated before the earliest possible 10th birthday the person's referrals allow (error). The
  referral's own age is held to 10-110 by the schema.
- **duplicates**: offences identical in person, dates, type, disposal and proven under different
  ``offence_id`` s, and referrals identical in person, cohort, dates and offence type under
  different ``referral_id`` s; each copy would be counted again (warning, with counts).
- **surveys**: a participant or victim survey linked to a comparison-cohort referral (the surveys
  are about the IJ scheme), or dated before its referral (error).

About one area:

- **buffers**: a buffer whose ``parent_hotspot`` is itself or an area that is not a hotspot
  (error); a ``parent_hotspot`` on a hotspot or comparison area (warning: ignored); two areas
  with the same name (warning).
- **scheme activity outside the hotspots**: a referral's ``hotspot_id`` naming an area that is not
  a hotspot, or dated before that hotspot's ``intervention_start``; a placement in a comparison
  area's LSOA (warnings: a comparison area is meant to be untouched by the scheme).
- **months missing from asb_counts**: an area whose series has a gap, starts later or ends
  earlier than the others, or has no rows at all (warning naming the areas and months, and what
  ``[hotspots] missing_months`` does with them).
- **data.police.uk months without a file** (``police_uk/``): a warning naming the forces and
  months; those area-months are left out of the hotspot models, never taken as zero.

Every check is a polars expression over the typed tables (a national extract, ~185,000 referrals
and ~1,000,000 offences, is checked in about a second).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import polars as pl

from ij_eval.config import EvaluationConfig
from ij_eval.errors import Problem
from ij_eval.io.parse import SHOW
from ij_eval.io.tables import ROW

if TYPE_CHECKING:
    from ij_eval.io.police_uk import PoliceUkAsb
    from ij_eval.validation import Table

AGE_OF_CRIMINAL_RESPONSIBILITY = 10  # England and Wales (Children and Young Persons Act 1933, s.50)
ADULT_AGE = 18
#: Declared referral covariates read as a year of birth (checked per person and against the age).
BIRTH_YEAR_COLUMNS = ("birth_year", "year_of_birth")
#: Offence columns that make two rows "the same offence" (apart from offence_id).
OFFENCE_KEY = ("person_id", "offence_date", "offence_type", "disposal", "proven", "disposal_date")
#: Referral columns that make two rows "the same referral" (apart from referral_id).
REFERRAL_KEY = ("person_id", "cohort", "referral_date", "offence_date", "offence_type")
SHOW_AREAS = 10  # areas listed in a missing-months warning

Tables = Mapping[str, "Table"]


def _s(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _verb(n: int) -> str:
    return "repeats" if n == 1 else "repeat"


def _problem(level: str, table: Table, column: str, rule: str, hit: pl.DataFrame, shown: str | None,
             hint: str = "") -> Problem | None:
    """A problem for the rows of ``hit`` (file rows in ``__row``); ``shown``: the column whose
    distinct values, in row order, are quoted."""
    if hit.height == 0:
        return None
    hit = hit.sort(ROW)
    rows = tuple(int(r) for r in hit[ROW].head(SHOW))
    values: tuple[str, ...] = ()
    if shown is not None:
        values = tuple(str(v) for v in hit[shown].drop_nulls().unique(maintain_order=True).head(SHOW))
    return Problem(level, table.name, table.file, column, rule, hit.height, rows, values, hint)


# --------------------------------------------------------------------------------------------
# one person


def _people(referrals: Table) -> pl.DataFrame:
    """Referral rows with a person id, each with the window its age puts the birth date in.

    ``born_from``/``born_to``: the earliest and latest birth dates consistent with ``age`` whole
    years at the offence date (earliest) or at the referral date (latest), whichever the age was
    taken at.
    """
    age = pl.col("age")
    at_late = pl.coalesce("referral_date", "offence_date")
    return referrals.frame.filter(pl.col("person_id").is_not_null()).with_columns(
        born_from=pl.col("offence_date").dt.offset_by(pl.format("-{}y", age + 1)).dt.offset_by("1d"),
        born_to=at_late.dt.offset_by(pl.format("-{}y", age)),
    )


def _windows_conflict() -> pl.Expr:
    """Per person: no birth date lies in every referral's window.

    A window ending on 28 February is taken a day longer: systems that count a 29 February
    birthday on 28 February in other years give such a person their new age a day earlier.
    """
    latest = pl.col("born_to").min().over("person_id")
    leap = (latest.dt.month() == 2) & (latest.dt.day() == 28)
    latest = pl.when(leap).then(latest.dt.offset_by("1d")).otherwise(latest)
    return (pl.col("born_from").max().over("person_id") > latest).fill_null(False)


def _completed_years(born: pl.Expr, at: pl.Expr) -> pl.Expr:
    """Whole years from ``born`` to ``at`` (a 29 February birthday falls on 1 March in other years)."""
    def month_day(d: pl.Expr) -> pl.Expr:
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)

    return (at.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32)
            - (month_day(at) < month_day(born)).cast(pl.Int32))


def check_both_cohorts(referrals: Table) -> list[Problem]:
    r = referrals.frame.filter(pl.col("person_id").is_not_null() & pl.col("cohort").is_not_null())
    hit = r.filter(pl.col("cohort").n_unique().over("person_id") > 1)
    n = hit["person_id"].n_unique()
    p = _problem("error", referrals, "person_id, cohort",
                 f"the same person is in both the ij and the comparison cohort ({_s(n, 'person')})", hit,
                 "person_id", hint="a person is either referred to IJ or in the comparison cohort: keep each "
                 "person in one cohort (for a historical comparison, leave out the earlier record of anyone "
                 "later referred to IJ)")
    return [p] if p else []


def check_sex(referrals: Table) -> list[Problem]:
    known = referrals.frame.filter(pl.col("person_id").is_not_null() & pl.col("sex").is_not_null()
                                   & (pl.col("sex") != "unknown"))
    hit = known.filter(pl.col("sex").n_unique().over("person_id") > 1)
    n = hit["person_id"].n_unique()
    p = _problem("error", referrals, "person_id, sex",
                 f"one person is recorded with two different sexes ({_s(n, 'person')})", hit, "person_id",
                 hint="correct the sex in these rows, or the person_id if two people share one")
    return [p] if p else []


def check_ages(referrals: Table) -> list[Problem]:
    people = _people(referrals).filter(pl.col("born_from").is_not_null())
    hit = people.filter(_windows_conflict())
    if hit.height == 0:
        return []
    ages = (hit.sort(ROW).group_by("person_id", maintain_order=True)
            .agg(pl.col("age").cast(pl.String).str.join(", ").alias("ages")))
    hit = hit.join(ages, on="person_id", how="left").with_columns(
        shown=pl.format("{} (ages {})", "person_id", "ages"))
    n = hit["person_id"].n_unique()
    p = _problem("error", referrals, "person_id, age, offence_date",
                 f"one person's ages at different referrals fit no single date of birth ({_s(n, 'person')})",
                 hit, "shown", hint="age is the age in whole years at the offence date: correct the age or the "
                 "dates in these rows, or the person_id if two people share one")
    return [p] if p else []


def check_birth_year(referrals: Table) -> list[Problem]:
    """A declared birth-year covariate: one value per person, and one the age allows."""
    problems: list[Problem] = []
    for name in (c for c in referrals.covariates if c.lower() in BIRTH_YEAR_COLUMNS):
        year = pl.col(name).cast(pl.Float64, strict=False)
        people = _people(referrals).filter(year.is_not_null())
        two = people.filter(year.n_unique().over("person_id") > 1)
        p = _problem("error", referrals, f"person_id, {name}",
                     f"one person is recorded with two different years of birth "
                     f"({_s(two['person_id'].n_unique(), 'person')})", two, "person_id",
                     hint=f"correct {name} in these rows, or the person_id if two people share one")
        if p:
            problems.append(p)
        ruled_out = people.filter((year < pl.col("born_from").dt.year()) | (year > pl.col("born_to").dt.year()))
        p = _problem("error", referrals, f"{name}, age",
                     f"year of birth does not fit the age at the offence date ({_s(ruled_out.height, 'row')})",
                     ruled_out, "person_id", hint=f"correct {name} or age in these rows")
        if p:
            problems.append(p)
    return problems


def check_offences_before_ten(referrals: Table, offences: Table) -> list[Problem]:
    """Offences dated before the earliest possible 10th birthday the person's referrals allow."""
    people = _people(referrals).filter(pl.col("born_from").is_not_null())
    earliest = (people.filter(~_windows_conflict())  # conflicting ages are reported on their own
                .group_by("person_id").agg(pl.col("born_from").max())
                .select("person_id", tenth=pl.col("born_from").dt.offset_by(f"{AGE_OF_CRIMINAL_RESPONSIBILITY}y")))
    hit = (offences.frame.filter(pl.col("person_id").is_not_null() & pl.col("offence_date").is_not_null())
           .join(earliest, on="person_id", how="inner")
           .filter(pl.col("offence_date") < pl.col("tenth")))
    n = hit["person_id"].n_unique()
    p = _problem("error", offences, "offence_date",
                 f"offence dated before the person was {AGE_OF_CRIMINAL_RESPONSIBILITY} (the age of criminal "
                 f"responsibility), given the age on their referral ({_s(hit.height, 'offence')}, "
                 f"{_s(n, 'person')})", hit, "person_id",
                 hint="check the offence date and the person_id of these rows, and the age in "
                 f"{referrals.file}")
    return [p] if p else []


def check_survey_ages(referrals: Table, survey: Table) -> list[Problem]:
    """The survey's age group against the age the referral records, at the survey date."""
    windows = _people(referrals).unique("referral_id", keep="first").select(
        "referral_id", "born_from", "born_to", referral_age="age")
    s = (survey.frame.filter(pl.col("referral_id").is_not_null() & pl.col("age_group").is_not_null()
                             & pl.col("survey_date").is_not_null())
         .join(windows, on="referral_id", how="inner")
         .with_columns(youngest=_completed_years(pl.col("born_to"), pl.col("survey_date")),
                       oldest=_completed_years(pl.col("born_from"), pl.col("survey_date"))))
    hit = s.filter(((pl.col("age_group") == "child") & (pl.col("youngest") >= ADULT_AGE))
                   | ((pl.col("age_group") == "adult") & (pl.col("oldest") < ADULT_AGE)))
    hit = hit.with_columns(shown=pl.format("{} (age {} at referral {})", "age_group", "referral_age", "referral_id"))
    p = _problem("error", survey, "age_group",
                 f"age group contradicts the age recorded on the referral, at the survey date "
                 f"({_s(hit.height, 'response')})", hit, "shown",
                 hint=f"child is 10-17, adult 18 and over: correct age_group, the referral_id, or the age in "
                 f"{referrals.file}")
    return [p] if p else []


def _copies(table: Table, key: list[str], id_column: str) -> pl.DataFrame:
    """Rows of a person that repeat an earlier row on ``key`` under another id, with ``shown`` =
    "<id> repeats <first id>"."""
    f = table.frame.filter(pl.col("person_id").is_not_null())
    first = pl.struct(key).is_first_distinct()
    return f.filter(~first).join(f.filter(first).select(*key, first=pl.col(id_column)),
                                 on=key, how="left", nulls_equal=True
                                 ).with_columns(shown=pl.format("{} repeats {}", id_column, "first"))


def check_duplicate_offences(offences: Table) -> list[Problem]:
    key = [c for c in OFFENCE_KEY if c in offences.frame.columns]
    copies = _copies(offences, key, "offence_id")
    if copies.height == 0:
        return []
    n = copies["person_id"].n_unique()
    p = _problem("warning", offences, ", ".join(key),
                 f"{_s(copies.height, 'offence')} {_verb(copies.height)} another row exactly under a different "
                 f"offence_id ({_s(n, 'person')}); each copy is counted as a further offence", copies, "shown",
                 hint="if these are the same offence exported twice, remove the copies; if they are separate "
                 "offences on the same day, nothing needs to change")
    return [p] if p else []


def check_duplicate_referrals(referrals: Table) -> list[Problem]:
    key = list(REFERRAL_KEY)
    copies = _copies(referrals, key, "referral_id")
    if copies.height == 0:
        return []
    n = copies["person_id"].n_unique()
    p = _problem("warning", referrals, ", ".join(key),
                 f"{_s(copies.height, 'referral')} {_verb(copies.height)} another referral of the same person "
                 f"(same cohort, dates and offence type) under a different referral_id ({_s(n, 'person')}); "
                 "each copy is counted as a further referral", copies, "shown",
                 hint="if these are one referral recorded twice, remove the copies")
    return [p] if p else []


def check_survey_links(referrals: Table, survey: Table) -> list[Problem]:
    """A survey response must belong to an IJ referral and come after it."""
    linked = survey.frame.filter(pl.col("referral_id").is_not_null()).join(
        referrals.frame.unique("referral_id", keep="first").select("referral_id", "cohort", "referral_date"),
        on="referral_id", how="inner")
    problems = []
    comparison = linked.filter(pl.col("cohort") == "comparison")
    p = _problem("error", survey, "referral_id",
                 f"survey response for a comparison-cohort referral ({_s(comparison.height, 'response')}); "
                 "the survey is about the IJ scheme", comparison, "referral_id",
                 hint=f"link the response to the person's IJ referral, or check the cohort in {referrals.file}")
    if p:
        problems.append(p)
    early = linked.filter(pl.col("survey_date") < pl.col("referral_date"))
    p = _problem("error", survey, "survey_date, referral_id",
                 f"survey dated before its referral's referral date ({_s(early.height, 'response')})", early,
                 "referral_id", hint="correct the survey date, or the referral_id it is linked to")
    if p:
        problems.append(p)
    return problems


# --------------------------------------------------------------------------------------------
# one area


def check_areas(areas: Table) -> list[Problem]:
    a = areas.frame
    problems: list[Problem | None] = []
    roles = a.select(parent_hotspot="area_id", parent_role="role").unique("parent_hotspot", keep="first")
    buffers = a.filter((pl.col("role") == "buffer") & pl.col("parent_hotspot").is_not_null()).join(
        roles, on="parent_hotspot", how="left")
    own = buffers.filter(pl.col("parent_hotspot") == pl.col("area_id"))
    problems.append(_problem("error", areas, "parent_hotspot", "buffer is its own parent hotspot", own, "area_id",
                             hint="give the area_id of the hotspot this buffer surrounds"))
    not_hot = buffers.filter((pl.col("parent_hotspot") != pl.col("area_id")) & pl.col("parent_role").is_not_null()
                             & (pl.col("parent_role") != "hotspot"))
    not_hot = not_hot.with_columns(shown=pl.format("{} -> {} ({})", "area_id", "parent_hotspot", "parent_role"))
    problems.append(_problem("error", areas, "parent_hotspot", "buffer's parent_hotspot is not a hotspot", not_hot,
                             "shown", hint="a buffer surrounds a hotspot: give a hotspot's area_id"))
    stray = a.filter((pl.col("role") != "buffer") & pl.col("parent_hotspot").is_not_null())
    problems.append(_problem("warning", areas, "parent_hotspot",
                             "parent_hotspot given for an area that is not a buffer (ignored)", stray, "area_id",
                             hint="only buffers have a parent hotspot: leave it blank, or check the role"))
    named = a.filter(pl.col("name").is_not_null()).with_columns(
        key=pl.col("name").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars())
    twice = named.filter(pl.col("key").is_duplicated()).with_columns(
        shown=pl.format("{} ({})", "area_id", "role"))
    problems.append(_problem("warning", areas, "name", "two or more areas have the same name", twice, "shown",
                             hint="check these are different areas (an area is one row, with one role)"))
    return [p for p in problems if p]


def check_scheme_outside_hotspots(tables: Tables) -> list[Problem]:
    areas, referrals, placements = tables.get("areas"), tables.get("referrals"), tables.get("placements")
    if areas is None:
        return []
    problems: list[Problem | None] = []
    if referrals is not None:
        role = areas.frame.select(hotspot_id="area_id", area_role="role", start="intervention_start").unique(
            "hotspot_id", keep="first")
        r = referrals.frame.filter(pl.col("hotspot_id").is_not_null()).join(role, on="hotspot_id", how="inner")
        wrong = r.filter(pl.col("area_role") != "hotspot").with_columns(
            shown=pl.format("{} ({})", "hotspot_id", "area_role"))
        problems.append(_problem(
            "warning", referrals, "hotspot_id",
            f"referred through hotspot policing in an area that is not a hotspot ({_s(wrong.height, 'referral')}); "
            "a comparison or buffer area with IJ hotspot work is no longer an untouched comparison", wrong, "shown",
            hint=f"check hotspot_id, or the area's role in {areas.file}"))
        early = r.filter((pl.col("area_role") == "hotspot") & (pl.col("referral_date") < pl.col("start")))
        problems.append(_problem(
            "warning", referrals, "hotspot_id, referral_date",
            f"referred through a hotspot before its intervention_start ({_s(early.height, 'referral')})", early,
            "hotspot_id", hint=f"check the referral date, hotspot_id, or the hotspot's intervention_start in "
            f"{areas.file}"))
    if placements is not None:
        comparison = (areas.frame.filter(pl.col("role") == "comparison")
                      .select("area_id", area_code=pl.col("lsoa_codes")).explode("area_code").drop_nulls())
        inside = placements.frame.filter(pl.col("area_code").is_not_null()).join(
            comparison.unique("area_code", keep="first"), on="area_code", how="inner").with_columns(
            shown=pl.format("{} in {}", "placement_id", "area_id"))
        problems.append(_problem(
            "warning", placements, "area_code",
            f"reparation placement in a comparison area ({_s(inside.height, 'placement')}); visible work there "
            "may change ASB in an area meant to be untouched by the scheme", inside, "shown",
            hint="choose comparison areas without IJ activity, or note it as a limitation"))
    return [p for p in problems if p]


def _month_runs(missing: pl.DataFrame) -> pl.DataFrame:
    """``area_id, text`` with each area's missing months as runs: "2024-02", "2024-04 to 2024-06"."""
    index = pl.col("period").dt.year().cast(pl.Int64) * 12 + pl.col("period").dt.month().cast(pl.Int64)
    runs = (missing.sort("area_id", "period")
            .with_columns(run=index - pl.int_range(pl.len()).over("area_id"))
            .group_by("area_id", "run", maintain_order=True)
            .agg(pl.col("period").min().alias("a"), pl.col("period").max().alias("b"))
            .with_columns(text=pl.when(pl.col("a") == pl.col("b")).then(pl.col("a").dt.strftime("%Y-%m"))
                          .otherwise(pl.format("{} to {}", pl.col("a").dt.strftime("%Y-%m"),
                                               pl.col("b").dt.strftime("%Y-%m")))))
    return runs.group_by("area_id", maintain_order=True).agg(pl.col("text").str.join(", "))


def _listing(per_area: pl.DataFrame) -> str:
    shown = "; ".join(f"{a}: {t}" for a, t in per_area.head(SHOW_AREAS).iter_rows())
    more = per_area.height - SHOW_AREAS
    return shown + (f"; and {_s(more, 'more area')}" if more > 0 else "")


def check_asb_months(areas: Table, counts: Table, config: EvaluationConfig) -> list[Problem]:
    """Area-months without a row in asb_counts, between the first and last month of any area."""
    mode = config.hotspots.missing_months
    # An area with a row whose period is blank or unreadable (an error already) cannot be judged.
    unjudged = counts.frame.filter(pl.col("period").is_null()).select("area_id").drop_nulls().unique()
    known = areas.frame.select("area_id").drop_nulls().unique().join(unjudged, on="area_id", how="anti")
    have = (counts.frame.select("area_id", "period").drop_nulls().unique()
            .join(known, on="area_id", how="semi"))  # unknown areas are reported as not found in areas
    if have.height == 0:
        return []
    first, last = have["period"].min(), have["period"].max()
    span = pl.DataFrame({"period": pl.date_range(first, last, "1mo", eager=True)})
    with_rows = have.select("area_id").unique().sort("area_id")
    missing = with_rows.join(span, how="cross").join(have, on=["area_id", "period"], how="anti")
    problems = []
    setting = f'[hotspots] missing_months = "{mode}"'
    what = ("left out of the hotspot panel and models, not counted as zero" if mode == "missing"
            else "counted as zero ASB")
    if missing.height:
        per_area = _month_runs(missing)
        one_month = missing.height == 1
        rule = (f"{_s(missing.height, 'area-month')} in {_s(per_area.height, 'area')} "
                f"{'has' if one_month else 'have'} no row between {first:%Y-%m} and {last:%Y-%m} "
                f"({_listing(per_area)}); {'it is' if one_month else 'they are'} {what} ({setting})")
        hint = ('add a row with count 0 for each month without ASB; if the extract leaves such months out, set '
                '[hotspots] missing_months = "zero"' if mode == "missing" else
                'if these months were lost from the extract rather than months without ASB, supply them or set '
                '[hotspots] missing_months = "missing"')
        problems.append(Problem("warning", counts.name, counts.file, "area_id, period", rule, hint=hint))
    absent = known.join(with_rows, on="area_id", how="anti").sort("area_id")["area_id"].to_list()
    if absent:
        listed = ", ".join(absent[:SHOW_AREAS]) + (f" and {_s(len(absent) - SHOW_AREAS, 'more')}"
                                                   if len(absent) > SHOW_AREAS else "")
        fate = ("left out of the hotspot panel" if mode == "missing"
                else "counted as zero ASB in every month")
        problems.append(Problem(
            "warning", counts.name, counts.file, "area_id",
            f"{_s(len(absent), 'area')} of {areas.file} {'has' if len(absent) == 1 else 'have'} no rows at all "
            f"({listed}); {'it is' if len(absent) == 1 else 'they are'} {fate} ({setting})",
            hint=f"add their monthly counts, or remove them from {areas.file}"))
    return problems


def check_police_uk_months(police_uk: PoliceUkAsb, folder: str) -> list[Problem]:
    gaps = police_uk.months_without_file
    if not gaps:
        return []
    per_force = _month_runs(pl.DataFrame(
        [(force, m) for force, months in gaps.items() for m in months], schema={"area_id": pl.String,
                                                                               "period": pl.Date}, orient="row"))
    n = sum(len(m) for m in gaps.values())
    return [Problem(
        "warning", "police_uk", folder, "",
        f"{_s(n, 'force-month')} between the first and last month of the files {'has' if n == 1 else 'have'} no "
        "street-level file "
        f"({_listing(per_force)}); a month without a file is not a month without ASB: in those months only the "
        "areas with ASB rows have a count, and the others are left out of the hotspot panel and models",
        hint="download the missing months from data.police.uk (some forces did not publish every month)")]


# --------------------------------------------------------------------------------------------


def _if(tables: Tables, *names: str) -> tuple[Table, ...] | None:
    found = tuple(tables.get(n) for n in names)
    return None if any(t is None for t in found) else found  # type: ignore[return-value]


def check_records(tables: Tables, config: EvaluationConfig, police_uk: PoliceUkAsb | None = None,
                  police_uk_folder: str = "police_uk/") -> list[Problem]:
    """Every check across rows and tables, on the tables present (see the module docstring)."""
    checks: list[tuple[tuple[str, ...], Callable[..., list[Problem]]]] = [
        (("referrals",), check_both_cohorts),
        (("referrals",), check_sex),
        (("referrals",), check_ages),
        (("referrals",), check_birth_year),
        (("referrals",), check_duplicate_referrals),
        (("referrals", "offences"), check_offences_before_ten),
        (("offences",), check_duplicate_offences),
        (("referrals", "participant_survey"), check_survey_ages),
        (("referrals", "participant_survey"), check_survey_links),
        (("referrals", "victim_survey"), check_survey_links),
        (("areas",), check_areas),
    ]
    problems: list[Problem] = []
    for names, check in checks:
        found = _if(tables, *names)
        if found is not None:
            problems += check(*found)
    problems += check_scheme_outside_hotspots(tables)
    found = _if(tables, "areas", "asb_counts")
    if found is not None:
        problems += check_asb_months(*found, config)
    if police_uk is not None:
        problems += check_police_uk_months(police_uk, police_uk_folder)
    return problems


__all__ = ["AGE_OF_CRIMINAL_RESPONSIBILITY", "check_records"]
