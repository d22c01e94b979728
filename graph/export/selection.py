"""Which samples an export takes: decided here, in one place, for every format.

`select` returns the rows to export and a Counter of what was left out, and why, which the
export's summary line prints. The rows are yielded as they are read (a run of 100k samples
is never held in memory at once), so the Counter is complete once they have been consumed.
The rules:

- only accepted samples are training data (every code check and every verdict passed);
- a sample a reviewer dropped is left out (`dropped_by_reviewer`), whoever else kept it;
- a sample the judge or a check rejected that a reviewer kept is not added silently: by
  default it is left out and counted (`kept_by_reviewer_not_added`); with
  `reviewer_kept="add"` it is exported with its kept response, as long as that response
  passed every code check (a code check is certain; a reviewer overrules the judge, not
  the checker: such samples are counted as `kept_by_reviewer_check_failed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Literal

Row = dict[str, Any]
ReviewerKept = Literal["leave-out", "add"]
REVIEWER_KEPT = ("leave-out", "add")


def select(
    rows: Iterable[Row],
    decisions: dict[str, str] | None = None,
    reviewer_kept: ReviewerKept = "leave-out",
) -> tuple[Iterator[Row], Counter]:
    """The rows to export, and what was left out by reason. `decisions` maps a sample id
    to its reviewers' verdict on it, keep or drop (`checkpoints.reviews.decisions_by_sample`)."""
    left_out: Counter = Counter()
    return _chosen(rows, decisions or {}, reviewer_kept, left_out), left_out


def _chosen(
    rows: Iterable[Row], decisions: dict[str, str], reviewer_kept: str, left_out: Counter
) -> Iterator[Row]:
    for row in rows:
        decision = decisions.get(row["id"], "")
        if decision == "drop":
            if row["status"] == "accepted":
                left_out["dropped_by_reviewer"] += 1
        elif row["status"] == "accepted":
            yield row
        elif decision == "keep":
            if reviewer_kept == "leave-out":
                left_out["kept_by_reviewer_not_added"] += 1
            elif _passes_code_checks(row):
                yield {**row, "status": "accepted", "reason": "kept_by_reviewer"}
            else:
                left_out["kept_by_reviewer_check_failed"] += 1


def _passes_code_checks(row: Row) -> bool:
    checks = row.get("checks") or []
    return bool(row.get("response")) and all(c["passed"] for c in checks if c["by"] == "code")


def describe(left_out: Counter) -> str:
    """The Counter in words, for the export's summary line ("" when nothing was)."""
    if not left_out:
        return ""
    parts = [f"{count} {reason}" for reason, count in left_out.most_common()]
    hint = " (--reviewer-kept add exports them)" if left_out["kept_by_reviewer_not_added"] else ""
    return f"left out: {', '.join(parts)}{hint}"
