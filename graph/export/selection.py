"""Which samples an export takes: decided here, in one place, for every format.

`select` returns the rows to export and a Counter of what was left out, and why, which the
export's summary line and the dataset card print; each left-out sample is counted once,
under the first rule that leaves it out. The rows are yielded as they are read (a run of
100k samples is never held in memory at once), so the Counter is complete once they have
been consumed. The rules:

- only accepted samples are training data (every code check and every verdict passed);
- a sample a reviewer dropped is left out (`dropped_by_reviewer`), whoever else kept it;
- a sample curation flagged is left out, by its reason (`contaminated:<NAME>`, else
  `near_duplicate`: `checkpoints.curation.reason`), unless `include_flagged`;
- a sample the judge or a check rejected that a reviewer kept is not added silently: by
  default it is left out and counted (`kept_by_reviewer_not_added`); with
  `reviewer_kept="add"` it is exported with its kept response, as long as that response
  passed every code check (a code check is certain; a reviewer overrules the judge, not
  the checker: such samples are counted as `kept_by_reviewer_check_failed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from checkpoints.curation import reason as curation_reason

Row = dict[str, Any]
ReviewerKept = Literal["leave-out", "add"]
REVIEWER_KEPT = ("leave-out", "add")


@dataclass(frozen=True)
class SelectOptions:
    # sample id -> its reviewers' verdict, keep or drop (`checkpoints.reviews.decisions_by_sample`)
    decisions: Mapping[str, str] = field(default_factory=dict)
    reviewer_kept: ReviewerKept = "leave-out"
    include_flagged: bool = False  # keep what curation flagged


def select(
    rows: Iterable[Row], options: SelectOptions | None = None
) -> tuple[Iterator[Row], Counter]:
    """The rows to export, and what was left out by reason."""
    left_out: Counter = Counter()
    return _chosen(rows, options or SelectOptions(), left_out), left_out


def _chosen(rows: Iterable[Row], options: SelectOptions, left_out: Counter) -> Iterator[Row]:
    for row in rows:
        decision = options.decisions.get(row["id"], "")
        flagged = None if options.include_flagged else curation_reason(row.get("curation"))
        if decision == "drop":
            if row["status"] == "accepted":
                left_out["dropped_by_reviewer"] += 1
        elif row["status"] == "accepted":
            if flagged:
                left_out[flagged] += 1
            else:
                yield row
        elif decision == "keep":
            if options.reviewer_kept == "leave-out":
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
    hints = []
    if left_out["kept_by_reviewer_not_added"]:
        hints.append("--reviewer-kept add exports them")
    if any(r.startswith(("near_duplicate", "contaminated:")) for r in left_out):
        hints.append("--include-flagged keeps what curation flagged")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"left out: {', '.join(parts)}{hint}"
