"""Hostile config values: each refused with the setting named, exit 2, nothing written."""

from __future__ import annotations

from hostile_cases.harness import RUN, Hostile, Workspace


def _unknown_key(ws: Workspace) -> None:
    ws.add_config("[run]\nseeed = 3")


CASES = [
    Hostile("config_unknown_key", "config", _unknown_key, (RUN,), 2,
            says=("unknown setting 'seeed' in [run]", "evaluation.toml"), prior_store=True),
]
