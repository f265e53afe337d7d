"""Bad data through the command line: exit 1, the problem located, nothing written or lost."""

from __future__ import annotations

from builders import csv_text, edit, valid_tables

from hostile_cases.harness import RUN, VALIDATE, Hostile, Workspace


def _duplicate_referral(ws: Workspace) -> None:
    tables = edit(valid_tables(), cells={("referrals", "referral_id", 3): "R001"})
    (ws.data / "referrals.csv").write_text(csv_text(tables["referrals"]), encoding="utf-8")


CASES = [
    Hostile("run_on_bad_data_keeps_the_previous_store", "validation", _duplicate_referral, (RUN,), 1,
            says=("referrals.csv, column 'referral_id': duplicate value", "first at row 2, 5", "nothing was written"),
            prior_store=True),
    Hostile("validate_bad_data", "validation", _duplicate_referral, (VALIDATE,), 1,
            says=("referrals.csv, column 'referral_id': duplicate value",)),
]
