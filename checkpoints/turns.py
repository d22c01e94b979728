"""A conversation's turns, read from a sample's final state: what the `turns` column holds,
and what exports and statistics read.

A conversation's state keeps the turn being worked on in the top-level fields a
single-turn sample has (instruction, constraints, attempts, ...) and the turns verified
before it in `turns`, each a snapshot of those fields; `held` lists what was in force from
before a turn (the system message's constraints, and earlier ones asked for "from now on").
A single-turn sample has neither `turn` nor `system` in its state, and an empty `turns`
column. A conversation accepted without its last turn (--keep-prefix) says in `stopped`
which turn could not pass, and why.

One turn's record:

    turn         1, 2, ...
    user         the user message, as sent
    constraints  stated in that message: {"id", "kwargs", "scope"} (turn or from_now_on)
    stated       how each of them is stated (woven or appended), in the same order
    in_force     everything checked at that turn: {"id", "kwargs", "scope", "since"} - the
                 system's (since 0), earlier lasting ones, then the message's own
    criteria, checks, verdicts, response, attempts, reason
                 the kept attempt's (the first that passed, else the last): as a
                 single-turn sample's columns
    passed       whether the turn was verified
"""

from __future__ import annotations

import json
from typing import Any

# A turn's fields in the state (its snapshot in `turns` holds the same, and `turn`).
TURN_FIELDS = (
    "instruction",
    "constraints",
    "stated",
    "scopes",
    "held",
    "dropped_constraints",
    "consistency",
    "unresolved_conflict",
    "criteria",
    "restated_criteria",
    "attempts",
    "response",
)


def is_conversation(state: dict[str, Any]) -> bool:
    """A sample of a run with --turns above 1 or --system-constraints."""
    return "turn" in state or "system" in state


def turn_states(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every turn of a conversation's state, verified ones first and the one it ended on
    last, each with its per-turn fields; [] for a single-turn sample."""
    if not is_conversation(state):
        return []
    current = {k: state[k] for k in TURN_FIELDS if k in state}
    return [*state.get("turns", []), {**current, "turn": state.get("turn", 1)}]


def kept_attempt(attempts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The attempt a turn (or a single-turn sample) keeps: the first that passed, else the
    last one tried."""
    return next((a for a in attempts if a["passed"]), attempts[-1] if attempts else None)


def in_force(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """What a turn was checked against: what was held from before it, then its own."""
    scopes = turn.get("scopes") or {}
    own = [
        {**c, "scope": scopes.get(c["id"], "turn"), "since": turn["turn"]}
        for c in turn.get("constraints", [])
    ]
    return [*turn.get("held", []), *own]


def turn_record(turn: dict[str, Any]) -> dict[str, Any]:
    """One turn as the `turns` column holds it (see the module doc)."""
    kept = kept_attempt(turn.get("attempts", []))
    scopes = turn.get("scopes") or {}
    return {
        "turn": turn["turn"],
        "user": turn.get("instruction", ""),
        "constraints": [
            {**c, "scope": scopes.get(c["id"], "turn")} for c in turn.get("constraints", [])
        ],
        "stated": turn.get("stated", []),
        "in_force": in_force(turn),
        "dropped_constraints": turn.get("dropped_constraints", []),
        "unresolved_conflict": bool(turn.get("unresolved_conflict")),
        "criteria": turn.get("criteria", []),
        "attempts": kept["attempt"] if kept else 0,
        "checks": kept["checks"] if kept else [],
        "verdicts": kept["verdicts"] if kept else [],
        "response": kept["response"] if kept else "",
        "passed": bool(kept and kept["passed"]),
        "reason": kept["reason"] if kept else "",
    }


def turn_records(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The `turns` column of a sample: one record per turn it reached ([] for a
    single-turn sample). A turn it stopped at before any answer was judged carries the
    sample's reason."""
    records = [turn_record(t) for t in turn_states(state)]
    if records and not records[-1]["passed"] and not records[-1]["reason"]:
        ending = state.get("stopped") or state  # --keep-prefix keeps why it stopped
        records[-1]["reason"] = ending.get("reason") or ""
    return records


def kept_turns(records: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """The turns a sample keeps: an accepted conversation's verified ones (all of them, or
    with --keep-prefix those before the turn that could not pass); every turn it reached
    otherwise."""
    return [r for r in records if r["passed"]] if status == "accepted" else records


def conversation_columns(state: dict[str, Any], status: str) -> dict[str, Any]:
    """The samples columns of a conversation: `turns` and `system`, and the columns a
    single-turn sample has, read across the turns it keeps - the user messages and the
    answers each joined by a blank line (what curation and search read), every constraint
    stated (the system's first) and how, the rounds and dropped constraints of every turn,
    and the last kept turn's criteria, checks and verdicts."""
    records = turn_records(state)
    kept = kept_turns(records, status) or records[-1:]
    system = state.get("system") or {}
    last = kept[-1]
    constraints = [*system.get("constraints", [])]
    stated = [*system.get("stated", [])]
    for record in kept:
        constraints += [{"id": c["id"], "kwargs": c["kwargs"]} for c in record["constraints"]]
        stated += record["stated"]
    return {
        "system": system.get("text", ""),
        "turns": json.dumps(records),
        "instruction": "\n\n".join(r["user"] for r in kept),
        "response": "\n\n".join(r["response"] for r in kept),
        "constraints": json.dumps(constraints),
        "stated": json.dumps(stated),
        "dropped_constraints": json.dumps([c for r in records for c in r["dropped_constraints"]]),
        "criteria": json.dumps(last["criteria"]),
        "checks": json.dumps(last["checks"]),
        "verdicts": json.dumps(last["verdicts"]),
        "attempts": sum(r["attempts"] for r in records),
    }
