"""Assemble the referrals table (IJ referrals and the comparison cohort) from the cohort and the
IJ journey."""

from __future__ import annotations

import numpy as np
import polars as pl

from ij_eval.synth.areas import Geography
from ij_eval.synth.people import Cohort
from ij_eval.synth.process import Journey
from ij_eval.synth.timeline import as_datetime64, minutes_as_datetime64


def _nullable(values: np.ndarray, blank: np.ndarray) -> pl.Series:
    return pl.Series(values).set(pl.Series(blank), None)


def _pad(ij_values: np.ndarray, n: int, fill) -> np.ndarray:
    """IJ-only values extended with ``fill`` for the comparison cohort."""
    out = np.full(n, fill, dtype=np.asarray(ij_values).dtype if not isinstance(fill, str) else object)
    out[: ij_values.size] = ij_values
    return out


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(n) + 1).astype(str), 7))


def referrals_frame(cohort: Cohort, journey: Journey, geo: Geography) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The table (sorted by referral date, then id), the person order used, and each person's
    referral_id (indexed like the cohort)."""
    n = cohort.n
    referral_id = np.empty(n, dtype=object)
    for mask, prefix in ((cohort.ij, "R"), (~cohort.ij, "C")):
        idx = np.flatnonzero(mask)
        idx = idx[np.lexsort((cohort.person_id[idx], cohort.referral_day[idx]))]
        referral_id[idx] = _ids(prefix, idx.size)
    referral_id = referral_id.astype(str)
    order = np.lexsort((referral_id, cohort.referral_day))

    status = _pad(journey.status.astype(object), n, "")
    contact = _pad(journey.contact_min, n, -1)
    booked = _pad(journey.booked_min, n, -1)
    start = _pad(journey.start_day, n, -1)
    required = _pad(journey.hours_required, n, -1)
    completed = _pad(journey.hours_completed, n, -1)
    placement = _pad(journey.placement, n, -1)
    width = max(3, len(str(int(journey.placement.max(initial=0)) + 1)))
    placement_id = np.char.add("PL", np.char.zfill((np.maximum(placement, 0) + 1).astype(str), width))
    workshop = _pad(journey.workshop, n, False)
    restorative = _pad(journey.restorative, n, False)
    comparison = ~cohort.ij

    frame = pl.DataFrame({
        "referral_id": referral_id,
        "person_id": cohort.person_id,
        "cohort": np.where(cohort.ij, "ij", "comparison"),
        "referral_date": as_datetime64(cohort.referral_day),
        "offence_date": as_datetime64(cohort.offence_day),
        "offence_type": cohort.offence_type,
        "route": cohort.route,
        "outcome_code": _nullable(cohort.outcome_code.astype("int64"), cohort.outcome_code == 0),
        "age": cohort.age.astype("int64"),
        "sex": cohort.sex,
        "ethnicity": cohort.ethnicity,
        "disability": cohort.disability,
        "prior_offences": cohort.prior.astype("int64"),
        "area_code": cohort.area_code,
        "hotspot_id": _nullable(geo.area_id[np.maximum(cohort.hotspot, 0)], cohort.hotspot < 0),
        "first_contact_at": _nullable(minutes_as_datetime64(np.maximum(contact, 0)), contact < 0),
        "work_booked_at": _nullable(minutes_as_datetime64(np.maximum(booked, 0)), booked < 0),
        "work_start_date": _nullable(as_datetime64(np.maximum(start, 0)), start < 0),
        "status": _nullable(status.astype(str), comparison),
        "hours_required": _nullable(required.astype("int64"), required < 0),
        "hours_completed": _nullable(completed.astype("int64"), completed < 0),
        "workshop_attended": _nullable(workshop.astype(bool), comparison),
        "restorative_justice": _nullable(restorative.astype(bool), comparison),
        "placement_id": _nullable(placement_id, placement < 0),
    })
    return frame[order], order, referral_id
