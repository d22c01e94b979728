"""A run's conversations, turn by turn: how many reached each turn and how many of those it
verified, and how often the constraints of each scope were followed - the system
message's, those asked for "from now on" (at their own turn, and at the later turns that
had to keep them), and those of one turn only. The last figure is the one multi-turn
evaluations measure: Multi-IF saw models forget earlier instructions as turns went on.

Read from the samples' final states: every attempt of every turn, each check given the
scope its constraint had at that turn. A run without conversations has none of this
(`None`), and pays nothing for it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from checkpoints.turns import in_force, turn_states

KEPT_PREFIX = "verified_prefix"  # the reason of a conversation kept without its last turn
# (scope, whether checked at the turn that stated it): how the figures are grouped
SCOPE_GROUPS = {
    ("system", False): "system message, every turn",
    ("from_now_on", True): "from now on, at the turn that asked",
    ("from_now_on", False): "from now on, at later turns",
    ("turn", True): "this turn only",
}


def conversation_figures(db: sqlite3.Connection) -> dict[str, Any] | None:
    """Per turn and per scope; None for a run without conversations."""
    columns = {row[1] for row in db.execute("pragma table_info(samples)")}
    if "turns" not in columns:
        return None
    sql = "select status, reason, turns, state from samples where turns like '[{%'"
    reached: Counter = Counter()
    verified: Counter = Counter()
    checked: Counter = Counter()
    passed: Counter = Counter()
    samples = kept_prefix = 0
    for status, reason, turns, state in db.execute(sql):
        samples += 1
        kept_prefix += status == "accepted" and reason == KEPT_PREFIX
        for record in json.loads(turns):
            reached[record["turn"]] += 1
            verified[record["turn"]] += record["passed"]
        for turn in turn_states(json.loads(state)):
            for group, ok in scoped_checks(turn):
                checked[group] += 1
                passed[group] += ok
    if not samples:
        return None
    return {
        "samples": samples,
        "kept_prefix": kept_prefix,
        "per_turn": [
            {
                "turn": t,
                "reached": reached[t],
                "verified": verified[t],
                "rate": _rate(verified[t], reached[t]),
            }
            for t in sorted(reached)
        ],
        "by_scope": [
            {
                "scope": name,
                "checked": checked[name],
                "passed": passed[name],
                "rate": _rate(passed[name], checked[name]),
            }
            for name in SCOPE_GROUPS.values()
            if checked[name]
        ],
    }


def scoped_checks(turn: dict[str, Any]) -> list[tuple[str, bool]]:
    """(scope group, passed) for every check of every attempt of one turn."""
    scopes = {c["id"]: (c["scope"], c["since"] == turn["turn"]) for c in in_force(turn)}
    return [
        (SCOPE_GROUPS[scopes[check["id"]]], bool(check["passed"]))
        for attempt in turn.get("attempts", [])
        for check in attempt.get("checks", [])
        if check["id"] in scopes
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
