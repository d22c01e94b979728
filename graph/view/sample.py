"""One sample laid out for reading and reviewing: its constraints with their checks, every
consistency round, every attempt and candidate with its checks and verdicts, its LLM
calls, and whatever else its final state holds - plus the review form's questions and the
review read back from the form.

What a reviewer marks is the kept response's judgement (the sample's `verdicts`): each
criterion decompose wrote, and each constraint only the LLM can judge, whose verdict is
the one on its fixed question among the criteria. Fields of the state this module does
not know (added by later versions) are shown as JSON, so nothing a sample holds is hidden.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from checkpoints.reviews import Judgement, ReviewError, review_row
from nodes.constraints.base import REGISTRY

# State keys laid out by the page; any other is shown as it is.
SHOWN = {
    "domain",
    "request",
    "scenario",
    "constraints",
    "dropped_constraints",
    "instruction",
    "consistency",
    "unresolved_conflict",
    "response",
    "responses",
    "criteria",
    "attempts",
    "llm_calls",
    "status",
    "reason",
    "malformed_reply",
    # a conversation's (laid out turn by turn, from the row's `turns` and `system`)
    "turn",
    "turns",
    "system",
    "scopes",
    "held",
}


def as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=None if _small(value) else 2)


def _small(value: object) -> bool:
    return len(json.dumps(value, ensure_ascii=False)) <= 100


def judged_question(constraint: dict[str, Any]) -> str | None:
    """The judge's question for a constraint only the LLM can check; None for the others
    (and for a type this version does not know)."""
    kind = REGISTRY.get(constraint["id"])
    return kind.question(constraint["kwargs"]) if kind and kind.question else None


def reviewable(row: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The verdicts a reviewer can mark: {"criteria": [...], "constraints": [...]}, each
    with its index, question and the judge's verdict. Empty when the kept response was
    never judged (a code check failed it first, or the judgement was unreadable)."""
    criteria, verdicts = row.get("criteria") or [], row.get("verdicts") or []
    if len(verdicts) != len(criteria):
        return {"criteria": [], "constraints": []}
    verdict = dict(zip(criteria, verdicts, strict=True))
    constraints = []
    for i, c in enumerate(row.get("constraints") or []):
        question = judged_question(c)
        if question in verdict:
            constraints.append({"index": i, "id": c["id"], "kwargs": c["kwargs"],
                                "question": question, "judge": verdict[question]})  # fmt: skip
    fixed = {c["question"] for c in constraints}
    return {
        "criteria": [
            {"index": i, "question": q, "judge": v}
            for i, (q, v) in enumerate(zip(criteria, verdicts, strict=True))
            if q not in fixed
        ],
        "constraints": constraints,
    }


def fingerprint(row: dict[str, Any]) -> str:
    """What a review is of: the response and its judgement. A form sent after the sample
    changed (a retried sample recorded again) is refused rather than misapplied."""
    judged = [row.get("response"), row.get("criteria"), row.get("verdicts")]
    return hashlib.sha256(json.dumps(judged).encode()).hexdigest()[:16]


def review_from_form(row: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The reviews row a submitted form asks for (ReviewError when it cannot be stored)."""
    if form.get("fingerprint") != fingerprint(row):
        raise ReviewError("the sample changed since its page was opened: reload it and review")
    marks = reviewable(row)

    def marked(kind: str) -> list[Judgement]:
        found = []
        for item in marks[kind]:
            mark = form.get(f"{kind}-{item['index']}", "")
            if mark in ("right", "wrong"):
                judgement = {k: v for k, v in item.items() if k != "index"}
                found.append(cast(Judgement, {**judgement, "right": mark == "right"}))
        return found

    return review_row(
        row["id"],
        form.get("reviewer", ""),
        form.get("decision", ""),
        marked("criteria"),
        marked("constraints"),
        form.get("note", "").strip(),
    )


def sample_page(row: dict[str, Any]) -> dict[str, Any]:
    """Everything the sample page shows, as plain values (text stays text: the template
    escapes it)."""
    state = row.get("state") or {}
    checks = {c["id"]: c for c in row.get("checks") or []}
    criteria = state.get("criteria") or row.get("criteria") or []
    return {
        "constraints": [
            {
                "id": c["id"],
                "kwargs": as_json(c["kwargs"]),
                "how": {k: as_json(v) for k, v in c.items() if k not in ("id", "kwargs")},
                "check": checks.get(c["id"]),
                "question": judged_question(c),
            }
            for c in row.get("constraints") or []
        ],
        "dropped": [
            {"id": c["id"], "kwargs": as_json(c["kwargs"])}
            for c in state.get("dropped_constraints") or []
        ],
        "consistency": state.get("consistency") or [],
        "criteria": criteria,
        "rounds": _rounds(state.get("attempts") or [], criteria),
        "calls": state.get("llm_calls") or [],
        "extra": {k: as_json(v) for k, v in state.items() if k not in SHOWN},
        "malformed_reply": state.get("malformed_reply", ""),
        "turns": [_turn(t) for t in row.get("turns") or []],
    }


SINCE = {"system": "system message", "from_now_on": "from now on", "turn": "this turn"}


def _turn(turn: dict[str, Any]) -> dict[str, Any]:
    """One turn of a conversation: its message, everything in force at it with the check
    on the kept answer, and the judge's verdicts."""
    checks = {c["id"]: c for c in turn["checks"]}
    own = {c["id"] for c in turn["constraints"]}
    return {
        "turn": turn["turn"],
        "user": turn["user"],
        "passed": turn["passed"],
        "reason": turn["reason"],
        "attempts": turn["attempts"],
        "response": turn["response"],
        "in_force": [
            {
                "id": c["id"],
                "kwargs": as_json(c["kwargs"]),
                "scope": SINCE[c["scope"]]
                + (f" (since turn {c['since']})" if c["scope"] == "from_now_on" else ""),
                "stated_here": c["id"] in own,
                "check": checks.get(c["id"]),
            }
            for c in turn["in_force"]
        ],
        "judged": list(zip(turn["criteria"], turn["verdicts"], strict=False)),
    }


def _rounds(attempts: list[dict], criteria: list[str]) -> list[dict[str, Any]]:
    """Attempts grouped by round, each candidate with its verdict per criterion."""
    rounds: dict[int, list[dict]] = {}
    for attempt in attempts:
        verdicts = attempt.get("verdicts") or []
        judged = list(zip(criteria, verdicts, strict=False)) if verdicts else []
        rounds.setdefault(attempt["attempt"], []).append({**attempt, "judged": judged})
    return [{"attempt": n, "candidates": found} for n, found in sorted(rounds.items())]
