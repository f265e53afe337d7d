"""The referral funnel: referred → contacted → work booked → started → completed, with each final
status (refused, did not complete, not suitable, in progress), overall and by month, route,
outcome code, offence type and age group."""

from __future__ import annotations

import polars as pl

from ij_eval.strands.implementation.common import STATUSES, wilson

STEPS = ("referred", "contacted", "work_booked", "started")
STAGES = (*STEPS, *STATUSES)  # "completed" is both the last step and a status: one row
STAGE_LABELS = {"referred": "Referred", "contacted": "Contacted", "work_booked": "Work booked",
                "started": "Work started", "completed": "Completed", "did_not_complete": "Did not complete",
                "refused": "Refused", "not_suitable": "Not suitable", "in_progress": "In progress"}
BREAKDOWNS = ("all", "month", "route", "outcome_code", "offence_type", "age_group")
SCHEMA = {"breakdown": pl.String, "group": pl.String, "stage": pl.String, "n": pl.Int64, "share": pl.Float64,
          "ci_lower": pl.Float64, "ci_upper": pl.Float64}


def _counts(part: pl.DataFrame) -> dict[str, int]:
    out = {"referred": part.height, "contacted": int(part["contacted"].sum()),
           "work_booked": int(part["work_booked"].sum()), "started": int(part["started"].sum())}
    out.update({s: int((part["status"] == s).sum()) for s in STATUSES})
    return out


def funnel(ij: pl.DataFrame) -> pl.DataFrame:
    """One row per breakdown, group and stage: people reaching it, and their share of those referred
    (Wilson interval). The statuses add up to ``referred`` in every group."""
    rows = []
    for breakdown in BREAKDOWNS:
        parts = [("all", ij)] if breakdown == "all" else [
            (str(key[0]), part) for key, part in ij.group_by(breakdown, maintain_order=True)]
        for group, part in sorted(parts, key=lambda p: p[0]):
            counts = _counts(part)
            for stage in STAGES:
                rows.append((breakdown, group, stage, counts[stage], *wilson(counts[stage], counts["referred"])))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def adds_up(table: pl.DataFrame) -> bool:
    """Whether, in every group, the statuses add up to the referrals (a check the tests use)."""
    wide = table.pivot(on="stage", index=["breakdown", "group"], values="n")
    return bool((wide.select(pl.sum_horizontal(*STATUSES)) .to_series() == wide["referred"]).all())
