"""What a run's tables hold, whatever database holds them: one `samples` row per finished
sample, and the meta stages' `domains`, `requests`, `scenarios`, `meta_calls` and
`meta_llm_calls`. The SQLite store and the PostgreSQL store write the same rows.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from checkpoints.turns import conversation_columns, is_conversation, kept_attempt

STATUSES = ("accepted", "rejected", "failed")  # every finished sample has one
# Failures a rerun tries again: not the model's doing. `internal_error` is a fault in
# decif outside any LLM call (a bug; the exception is in `error`); `unfinished`
# a sample whose graph stopped without a final status. Both should not happen; when they
# do, a rerun resumes them from their last checkpoint, so no finished LLM call is paid
# for again, and a fixed decif finishes them.
RETRIED_REASONS = ("llm_error", "internal_error", "unfinished")

SAMPLE_COLUMNS = {
    "id": str,
    "position": int,
    "domain": str,
    "request": str,
    "scenario": str,
    "status": str,
    "reason": str,
    "constraints": str,
    "stated": str,
    "persona": str,
    "checks": str,
    "dropped_constraints": str,
    "instruction": str,
    "response": str,
    "criteria": str,
    "verdicts": str,
    "attempts": int,
    "refine_rounds": int,
    "unresolved_conflict": int,
    "llm_calls": int,
    "prompt_tokens": int,
    "completion_tokens": int,
    "llm_seconds": float,
    "error": str,
    "state": str,
    "finished_at": float,
    "curation": str,  # what `decif curate` found (checkpoints/curation.py); NULL until then
    "system": str,  # a conversation's system message ("" or NULL: none)
    "turns": str,  # a conversation's turns (checkpoints/turns.py); [] or NULL: one turn
}
JSON_COLUMNS = (
    "constraints",
    "stated",
    "checks",
    "dropped_constraints",
    "criteria",
    "verdicts",
    "state",
    "curation",
    "turns",
)
# What curation reads of an accepted sample (not its state: a big run's states are large).
CURATION_INPUTS = (
    "id",
    "position",
    "instruction",
    "response",
    "constraints",
    "stated",
    "curation",
)


def sample_row(sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict[str, Any]:
    """Flatten a final graph state into a samples row (lists as JSON text)."""
    attempts = state.get("attempts", [])
    chosen = kept_attempt(attempts)  # the response kept: the one that passed, else the last
    calls = state.get("llm_calls", [])
    status = state.get("status") or "failed"
    reason = state.get("reason") or ("llm_error" if error else "unfinished")
    row = {
        **sample,
        "status": status,
        "reason": reason,
        "constraints": json.dumps(state.get("constraints", [])),
        "stated": json.dumps(state.get("stated", [])),
        "persona": state.get("persona", ""),
        "checks": json.dumps(chosen.get("checks", []) if chosen else []),
        "dropped_constraints": json.dumps(state.get("dropped_constraints", [])),
        "instruction": state.get("instruction", ""),
        "response": chosen["response"] if chosen else state.get("response", ""),
        "criteria": json.dumps(state.get("criteria", [])),
        "verdicts": json.dumps(chosen["verdicts"] if chosen else []),
        "attempts": attempts[-1]["attempt"] if attempts else 0,
        "refine_rounds": sum(1 for c in calls if c["node"] == "refine"),
        "unresolved_conflict": int(bool(state.get("unresolved_conflict"))),
        "llm_calls": len(calls),
        "prompt_tokens": sum(c["prompt_tokens"] for c in calls),
        "completion_tokens": sum(c["completion_tokens"] for c in calls),
        "llm_seconds": round(sum(c["latency_s"] for c in calls), 3),
        "error": error,
        "state": json.dumps(state),
        "finished_at": time.time(),
        "system": "",
        "turns": "[]",
    }
    return row | conversation_columns(state, status) if is_conversation(state) else row


def legacy_stated(constraints: str | None) -> str:
    """`stated` for a row written before decif recorded it: every constraint was appended,
    by the one sentence its type had then."""
    return json.dumps(
        [
            {"id": c["id"], "how": "appended", "why": "phrasing_appended", "style": "", "text": ""}
            for c in json.loads(constraints or "[]")
        ]
    )


def decode(row: dict[str, Any]) -> dict[str, Any]:
    return {k: json.loads(v) if k in JSON_COLUMNS and v else v for k, v in row.items()}


# The meta tables: columns (Python types) and primary key.
META_TABLES: dict[str, tuple[dict[str, type], str | None]] = {
    "domains": ({"position": int, "domain": str}, "position"),
    "requests": ({"position": int, "domain": str, "request": str}, "position"),
    "scenarios": (
        {"id": str, "position": int, "domain": str, "request": str, "scenario": str},
        "id",
    ),
    "meta_calls": ({"stage": str, "task": str, "kept": int, "dropped": str}, None),
    # what the meta stages cost: one row per LLM call, retried tries included
    "meta_llm_calls": (
        {"node": str, "prompt_tokens": int, "completion_tokens": int, "latency_s": float},
        None,
    ),
}


def meta_rows(state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The meta graph's final state as rows of the meta tables."""
    cost = META_TABLES["meta_llm_calls"][0]
    return {
        "domains": [{"position": i, "domain": d} for i, d in enumerate(state["domains"])],
        "requests": [{"position": i, **r} for i, r in enumerate(state["requests"])],
        "scenarios": [{"position": i, **s} for i, s in enumerate(state["scenarios"])],
        "meta_calls": [
            {
                "stage": stage,
                "task": json.dumps(b["key"]),
                "kept": b["kept"],
                "dropped": json.dumps(b["dropped"]),
            }
            for stage in ("domain", "request", "scenario")
            for b in state.get(f"{stage}_batches", [])
        ],
        "meta_llm_calls": [{k: c.get(k, 0) for k in cost} for c in state.get("llm_calls", [])],
    }


def meta_tree(
    domains: Iterable[dict], requests: Iterable[dict], scenarios: Iterable[dict], calls: Iterable
) -> dict[str, Any]:
    """domain -> request -> scenarios, and what the list parser dropped per stage and
    reason, from the meta tables' rows in position order."""
    tree: dict[str, dict[str, list[str]]] = {}
    for row in domains:
        tree[row["domain"]] = {}
    for row in requests:
        tree.setdefault(row["domain"], {})[row["request"]] = []
    for row in scenarios:
        tree.setdefault(row["domain"], {}).setdefault(row["request"], []).append(row["scenario"])
    dropped: Counter = Counter()
    for call in calls:
        for reason, count in json.loads(call["dropped"]).items():
            dropped[f"{call['stage']}: {reason}"] += count
    return {"tree": tree, "dropped": dict(dropped)}
