"""Human reviews of samples: the `reviews` table of a run, in SQLite or PostgreSQL.

A reviewer looks at a sample's kept response and marks each of the judge's verdicts
(criterion by criterion, and on each constraint only the LLM can judge) as right or wrong,
and the sample as keep or drop, with an optional note. One row per (sample, reviewer): a
reviewer who reviews a sample again replaces their review; several reviewers may review
one sample. Each marked verdict is stored with the question and what the judge said, so a
review means the same thing whatever later happens to the sample's row.

A review is written in a transaction of its own, one row, and never touches the tables a
run writes: that is why the viewer may save reviews while `decif run` holds the run's
write lock (the lock keeps two commands from making samples into one run; SQLite's own
locking serialises the single-row insert with the run's commits).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, Literal, TypedDict

REVIEW_COLUMNS: dict[str, type] = {
    "sample_id": str,
    "reviewer": str,
    "reviewed_at": float,
    "decision": str,  # keep | drop | "" (verdicts marked, no decision)
    "criteria": str,  # JSON list of Judgement
    "constraints": str,  # JSON list of Judgement, with the constraint's id and kwargs
    "note": str,
}
REVIEW_KEY = ("sample_id", "reviewer")
DECISIONS = ("keep", "drop")
Verdict = Literal["YES", "NO"]
MAX_NOTE = 4000
MAX_REVIEWER = 80

SQLITE_SCHEMA = f"""
create table if not exists reviews (
    {", ".join(REVIEW_COLUMNS)}, primary key ({", ".join(REVIEW_KEY)})
)
"""
_SQLITE_UPSERT = (
    f"insert or replace into reviews ({', '.join(REVIEW_COLUMNS)}) "
    f"values ({', '.join('?' for _ in REVIEW_COLUMNS)})"
)


class ReviewError(ValueError):
    """A review that cannot be stored as given (no reviewer, an unknown decision...)."""


class Judgement(TypedDict, total=False):
    question: str  # the criterion, or the LLM-judged constraint's question
    judge: Verdict  # what the judge said
    right: bool  # the reviewer's mark: the judge was right
    id: str  # a constraint's type (constraint judgements only)
    kwargs: dict[str, Any]


def human_verdict(judgement: Judgement) -> Verdict:
    """What the reviewer holds the answer to be: the judge's verdict, or its opposite."""
    if judgement["right"]:
        return judgement["judge"]
    return "NO" if judgement["judge"] == "YES" else "YES"


def review_row(
    sample_id: str,
    reviewer: str,
    decision: str,
    criteria: list[Judgement],
    constraints: list[Judgement],
    note: str = "",
) -> dict[str, Any]:
    """A reviews row (lists as JSON text), checked: a named reviewer, and something
    reviewed."""
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise ReviewError("give a reviewer name")
    if len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer name is longer than {MAX_REVIEWER} characters")
    if decision not in (*DECISIONS, ""):
        raise ReviewError(f"decision must be keep or drop, not {decision!r}")
    if not (decision or criteria or constraints):
        raise ReviewError("nothing to save: mark a verdict, or keep or drop the sample")
    if len(note) > MAX_NOTE:
        raise ReviewError(f"the note is longer than {MAX_NOTE} characters")
    return {
        "sample_id": sample_id,
        "reviewer": reviewer,
        "reviewed_at": time.time(),
        "decision": decision,
        "criteria": json.dumps(criteria, ensure_ascii=False),
        "constraints": json.dumps(constraints, ensure_ascii=False),
        "note": note,
    }


def decode_review(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "criteria": json.loads(row["criteria"] or "[]"),
        "constraints": json.loads(row["constraints"] or "[]"),
    }


def sample_decision(decisions: list[str]) -> str:
    """A sample's fate from its reviewers' decisions: dropped when any reviewer dropped
    it (a doubt is enough to keep a sample out of training data), kept when someone kept
    it and nobody dropped it, "" when nobody decided."""
    if "drop" in decisions:
        return "drop"
    return "keep" if "keep" in decisions else ""


# -- SQLite: the run's samples.db


def save_review_sqlite(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Write one review in a transaction of its own (creating the table the first time)."""
    with conn:
        conn.execute(SQLITE_SCHEMA)
        conn.execute(_SQLITE_UPSERT, [row[c] for c in REVIEW_COLUMNS])


def has_reviews(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "select 1 from sqlite_master where type = 'table' and name = 'reviews'"
    ).fetchone()
    return found is not None


def reviews_sqlite(conn: sqlite3.Connection, sample_id: str | None = None) -> list[dict]:
    """Reviews, oldest first: of one sample, or all."""
    if not has_reviews(conn):
        return []
    where, args = ("where sample_id = ?", [sample_id]) if sample_id else ("", [])
    cursor = conn.execute(
        f"select {', '.join(REVIEW_COLUMNS)} from reviews {where} order by reviewed_at", args
    )
    return [decode_review(dict(zip(REVIEW_COLUMNS, row, strict=True))) for row in cursor]


def decisions_by_sample(reviews: list[dict[str, Any]]) -> dict[str, str]:
    """sample id -> its fate (`sample_decision`), for the samples someone decided on."""
    decided: dict[str, list[str]] = {}
    for review in reviews:
        if review["decision"]:
            decided.setdefault(review["sample_id"], []).append(review["decision"])
    return {sample: sample_decision(found) for sample, found in decided.items()}
