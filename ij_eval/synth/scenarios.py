"""Synthetic-data scenarios: calibration targets and the true effects built into the data.

Every target carries its source in a comment. "Midlands" is the first published pilot force and
"second force" the other one (see DESIGN.md); "assumed" marks a value no publication gives.
Volumes are per scale unit; ``write_synthetic(scale=K)`` multiplies them by K.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from types import MappingProxyType

from ij_eval.errors import ConfigError


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    calibrated_to: str = "midlands"  # which published figures calibration_table compares against

    # --- timeline --------------------------------------------------------------------------
    scheme_start: dt.date = dt.date(2023, 10, 1)  # Midlands: scheme live since October 2023
    extract_date: dt.date = dt.date(2025, 9, 30)  # assumed: a two-year extract
    records_start: dt.date = dt.date(2015, 1, 1)  # assumed: first date of the force's offence records
    asb_series_start: dt.date = dt.date(2019, 1, 1)  # assumed: monthly ASB panel from January 2019

    # --- referral volumes and who is referred -----------------------------------------------
    ij_referrals_per_year: float = 720.0  # Midlands: 720 referrals, October 2024 to the 2025 report
    # assumed: referrals follow ASB's summer peak (log amplitude); also brings Apr-Sep 2024
    # attendees near the Midlands' 359 (720 a year with 78% completing gives only about 300)
    referral_seasonality: float = 0.30
    adult_share: float = 238 / 359  # Midlands, Apr-Sep 2024: 238 adults and 121 young people
    hotspot_referral_share: float = 0.85  # Midlands: referrals "through ASB hotspot policing" (most)
    comparison_ratio: float = 2.0  # assumed: concurrent comparison cohort twice the IJ volume
    comparison_adult_share: float = 0.80  # assumed: older than IJ (confounding by age)
    ij_prior_mean: float = 0.8  # assumed: IJ takes low-level, mostly first or early offenders
    comparison_prior_mean: float = 2.6  # assumed: the comparison cohort has more priors (confounding)
    male_share: float = 0.74  # assumed: typical of ASB and low-level offending

    # --- IJ status at the extract date (shares of final statuses) ---------------------------
    completed_share: float = 0.78  # Midlands: 78% completed
    refused_share: float = 0.12  # assumed (brief); second force refused 65 of 352 (18%)
    did_not_complete_share: float = 0.06  # assumed
    not_suitable_share: float = 0.04  # assumed
    # Correlation between the latent reoffending risk and disengagement (refusal, drop-out):
    # tuned so refusers reoffend at the target rate.
    status_risk_correlation: float = 0.27

    # --- reoffending (time to first reoffence, proportional hazards) -------------------------
    ij_reoffending_12m: float = 0.21  # Midlands: 79% of participants did not reoffend
    refused_reoffending_12m: float = 0.33  # second force: 33% of the 65 refusers reoffended
    completed_reoffending_12m: float | None = None  # second force only: 88% did not reoffend
    hazard_ratio_ij: float = 0.75  # TRUE EFFECT: IJ referral (intention to treat) vs comparison
    weibull_shape: float = 0.8  # assumed: reoffending risk highest soon after the index date
    beta_age_per_10_years: float = -0.25  # assumed log-hazard per 10 years of age
    beta_male: float = 0.30  # assumed
    beta_log1p_prior: float = 0.55  # assumed, per unit of log(1 + prior_offences)
    beta_disability: float = 0.15  # assumed (disability = "yes")
    later_reoffence_rate: float = 1.2  # assumed: further offences a year after the first

    # --- delivery ---------------------------------------------------------------------------
    contact_within_48h: float = 0.85  # assumed (brief); Home Office aim of swift contact
    start_within_48h: float = 0.40  # assumed (brief): work starting within 48 hours is harder
    min_hours: int = 4  # Midlands and second force: minimum of four hours
    hours_extra_mean: float = 33.8  # Midlands: 12,888 hours / 359 attendees = 35.9 hours each
    hours_extra_shape: float = 2.0  # assumed spread of hours above the minimum
    workshop_share: float = 211 / 359  # Midlands: 211 workshops for 359 attendees (one each, assumed)
    restorative_share: float = 43 / 359  # Midlands: 43 restorative processes for 359 attendees
    placements: int = 64  # Midlands: 64 placements
    # suggested_by shares: councillor, community_group, council, police, partner, other
    suggested_by_weights: tuple[float, ...] = (0.35, 0.30, 0.15, 0.10, 0.07, 0.03)  # assumed

    # --- surveys ----------------------------------------------------------------------------
    participant_response_share: float = 0.60  # assumed (brief): 60% of completers respond
    # % agree or strongly agree. Midlands participant feedback:
    understand_asb_agree: float = 0.97  # 97% better understanding of ASB
    would_handle_differently_agree: float = 0.94  # 94% would handle things differently
    accept_responsibility_agree: float = 0.92  # 92% accepted responsibility
    workshop_beneficial_agree: float = 0.94  # 94% found the workshop beneficial
    overall_positive_agree: float = 0.91  # 91% positive overall
    consent_to_quote_share: float = 0.50  # assumed
    victim_responses: int = 25  # assumed small base
    victim_satisfied_share: float = 1.0  # Midlands: 100% of surveyed victims satisfied
    community_responses_per_area_wave: int = 30  # assumed

    # --- costs ------------------------------------------------------------------------------
    home_office_funding_gbp: float = 1_000_000.0  # Midlands: GBP 1m Home Office funding
    internal_staff_posts: int = 4  # Midlands: an internal team of four

    # --- hotspots (TRUE EFFECTS on monthly ASB counts) --------------------------------------
    hotspots: int = 10  # assumed: about ten hotspots
    comparison_areas: int = 10  # assumed
    rate_ratio_hotspot: float = 0.85  # TRUE EFFECT: level change at each hotspot's start
    rate_ratio_buffer: float = 0.95  # TRUE EFFECT: diffusion of benefit in the buffers
    asb_trend_per_year: float = -0.04  # assumed log change per year (declining ASB)
    seasonal_amplitude: float = 0.25  # assumed log amplitude, first harmonic, peak in July
    seasonal_amplitude_2: float = 0.05  # assumed second harmonic
    overdispersion_shape: float = 25.0  # assumed gamma-Poisson shape (variance mu + mu^2/shape)

    # --- community survey (TRUE EFFECTS, proportional-odds log-odds shift, hotspot x after) ---
    effect_confidence_police_asb: float = 0.40
    effect_feel_safe: float = 0.20
    effect_asb_is_a_problem: float = -0.30

    def __post_init__(self) -> None:
        shares = (self.completed_share + self.refused_share + self.did_not_complete_share
                  + self.not_suitable_share)
        if abs(shares - 1.0) > 1e-9:
            raise ValueError(f"scenario {self.name!r}: status shares add to {shares}, not 1")
        if len(self.suggested_by_weights) != 6:
            raise ValueError(f"scenario {self.name!r}: suggested_by_weights needs six values")


_DEFAULT = Scenario(
    name="default",
    description="A Midlands-like force calibrated to the first pilot's published figures; "
                "true IJ hazard ratio 0.75, hotspot rate ratio 0.85, buffer diffusion 0.95.",
)

_NULL = replace(
    _DEFAULT,
    name="null-effect",
    description="As the default, but every true effect is null (hazard and rate ratios 1.0, "
                "no change in public confidence), to check estimators do not invent effects.",
    hazard_ratio_ij=1.0,
    rate_ratio_hotspot=1.0,
    rate_ratio_buffer=1.0,
    effect_confidence_police_asb=0.0,
    effect_feel_safe=0.0,
    effect_asb_is_a_problem=0.0,
)

_SECOND = replace(
    _DEFAULT,
    name="second-force",
    calibrated_to="second_force",
    description="Calibrated to the second pilot force: 287 completed (minimum four hours), 65 "
                "refused of whom 33% reoffended, 88% of completers did not reoffend, 1,375 hours "
                "at 71 locations suggested by councillors and community groups.",
    ij_referrals_per_year=188.0,  # second force: 287 completed + 65 refused (+ others) in two years
    completed_share=0.755,  # second force: 287 completed ...
    refused_share=0.172,  # ... and 65 refused (287:65)
    did_not_complete_share=0.043,  # assumed
    not_suitable_share=0.030,  # assumed
    ij_reoffending_12m=0.166,  # implied by 12% of completers and 33% of refusers (+ assumed others)
    completed_reoffending_12m=0.12,  # second force: 88% of completers did not reoffend
    status_risk_correlation=0.40,
    hours_extra_mean=0.8,  # second force: 1,375 hours / 287 completers = 4.8 hours each
    hours_extra_shape=0.5,
    placements=71,  # second force: 71 locations
    suggested_by_weights=(0.5, 0.5, 0.0, 0.0, 0.0, 0.0),  # councillors and community groups
    victim_responses=10,  # assumed
)

SCENARIOS: MappingProxyType[str, Scenario] = MappingProxyType(
    {s.name: s for s in (_DEFAULT, _NULL, _SECOND)}
)


def get_scenario(scenario: str | Scenario) -> Scenario:
    """A scenario by name (or the scenario itself); unknown names are a :class:`ConfigError`."""
    if isinstance(scenario, Scenario):
        return scenario
    if scenario not in SCENARIOS:
        raise ConfigError(f"unknown synthetic scenario {scenario!r} "
                          f"(known: {', '.join(SCENARIOS)})")
    return SCENARIOS[scenario]
