"""Published values the appraisal may use without the config supplying them, each with its source.

Only values read in a retrievable source are here (``reference/costs_and_definitions.md``
and ``vfm_parameters.md`` grade them). Everything else (most unit costs of crime by offence type, the
cost of an ASB incident, case-file time, criminal-justice costs) has no default and must come from the
config: the run lists what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    value: float
    source: str
    grade: str  # VERIFIED | SECONDHAND | DEFAULT (a modelling choice, not a measured value)
    price_year: str = ""  # financial year of a money value's prices
    low: float | None = None
    high: float | None = None


_HEEKS = ("Heeks, Reed, Tafsiri & Prince (2018), The economic and social costs of crime, Home Office Research "
          "Report 99, Table 1, 2015/16 prices (as quoted in the South Wales Echo, 2 Aug 2019)")

# Home Office 2018 unit costs of crime that map onto an offence type without ambiguity. "violence",
# "vehicle" and "sexual" mix categories the report costs differently, and the report has no cost for
# crimes against society (ASB, public order, drugs): the config must give those.
UNIT_COSTS_OF_CRIME = {
    "criminal_damage": Published(1350, f"{_HEEKS}: criminal damage other than arson", "VERIFIED", "2015-16"),
    "robbery": Published(11320, f"{_HEEKS}: robbery", "VERIFIED", "2015-16"),
}

# National Living Wage from 1 April of each financial year: the rate for the oldest age band, and the
# 16-17 rate as the low end of the range (many people doing reparative work are children).
NATIONAL_LIVING_WAGE = {
    "2023-24": (10.42, 5.28, "National Living Wage from 1 April 2023 (23 and over; 16-17 rate £5.28)"),
    "2024-25": (11.44, 6.40, "National Living Wage from 1 April 2024 (21 and over; 16-17 rate £6.40)"),
    "2025-26": (12.21, 7.55, "National Living Wage from 1 April 2025 (21 and over; 16-17 rate £7.55)"),
    "2026-27": (12.71, 8.00, "National Living Wage from 1 April 2026 (21 and over; 16-17 rate £8.00)"),
}

PARAMETERS = {
    "optimism_bias": Published(
        0.0, "HM Treasury Supplementary Green Book Guidance, Optimism Bias, Table 2, outsourcing (operating "
        "expenditure): 0% lower bound, 41% upper bound. Costs here are outturn, so no uplift centrally",
        "VERIFIED", low=0.0, high=0.41),
    "deadweight": Published(
        0.0, "Modelling choice: the effects are measured against a comparison cohort and comparison areas, which "
        "already net off what would have happened anyway", "DEFAULT"),
    "attribution": Published(0.0, "Modelling choice: all of the measured effect is attributed to the scheme",
                             "DEFAULT"),
    "drop_off": Published(0.0, "Modelling choice: no drop-off within the years the effect is counted", "DEFAULT"),
    "officer_cost_per_hour": Published(
        36.51, "Home Office police 'on cost' per hour, sergeant and below, used in impact assessments (Hansard "
        "written answer, Mike Penning, 4 Dec 2014); price year not stated, taken as 2014-15", "VERIFIED", "2014-15"),
}


def national_living_wage(price_year: str) -> Published | None:
    """The National Living Wage of ``price_year`` as a parameter (range down to the 16-17 rate)."""
    if price_year not in NATIONAL_LIVING_WAGE:
        return None
    rate, youth, source = NATIONAL_LIVING_WAGE[price_year]
    return Published(rate, f"{source}; Low Pay Commission rates", "VERIFIED", price_year, low=youth, high=rate)
