"""A run's tables (`<run>/samples.db`): `samples`, one row per finished sample, kept or
not, and the meta stages' `domains`, `requests`, `scenarios` and `meta_calls`.

Sample rows are written as each sample finishes, so a killed run loses nothing it
finished; rejected and failed samples stay, with their reason, for inspection and
statistics.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checkpoints.config import RunFileError
from checkpoints.saver import FAST_COMMITS

SAMPLES_DB = "samples.db"
STATUSES = ("accepted", "rejected", "failed")  # every finished sample has one
# Failures a rerun tries again: not the model's doing. `unfinished` is a sample whose
# graph stopped without a final status (it should not happen; if it does, it is redone).
RETRIED_REASONS = ("llm_error", "unfinished")

_COLUMNS = {
    "id": str,
    "position": int,
    "domain": str,
    "request": str,
    "scenario": str,
    "status": str,
    "reason": str,
    "constraints": str,
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
}
_UPSERT = (
    f"insert or replace into samples ({', '.join(_COLUMNS)}) "
    f"values ({', '.join('?' for _ in _COLUMNS)})"
)
JSON_COLUMNS = ("constraints", "checks", "dropped_constraints", "criteria", "verdicts", "state")


def sample_row(sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict[str, Any]:
    """Flatten a final graph state into a samples row (lists as JSON text)."""
    attempts = state.get("attempts", [])
    # the response kept: the one that passed, else the last one tried
    chosen = next((a for a in attempts if a["passed"]), attempts[-1] if attempts else None)
    calls = state.get("llm_calls", [])
    status = state.get("status") or "failed"
    reason = state.get("reason") or ("llm_error" if error else "unfinished")
    return {
        **sample,
        "status": status,
        "reason": reason,
        "constraints": json.dumps(state.get("constraints", [])),
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
    }


class SampleStore:
    def __init__(self, run_dir: str | Path):
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(run_dir) / SAMPLES_DB
        import sqlite_utils  # here: it takes ~0.5 s to import, and --help needs none of it

        self.db = sqlite_utils.Database(self.path)
        try:
            self.samples = self.db.table("samples")  # reads the schema: the first read
            self.db.conn.executescript(FAST_COMMITS)  # a row per finished sample, many a second
            if not self.samples.exists():
                self.samples.create(_COLUMNS, pk="id")
                self.samples.create_index(["status", "reason"])
            for name, kind in _COLUMNS.items():  # a run made before a column was added
                if name not in self.samples.columns_dict:
                    self.samples.add_column(name, kind)
        except sqlite3.DatabaseError as err:
            raise RunFileError(
                f"{self.path} is not a usable SQLite database ({err}); restore it from a "
                "backup, or move it away to rebuild the table from the checkpoints by rerunning"
            ) from None

    def record(self, sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict:
        """Write a finished sample's row (replacing an earlier one of a retried sample):
        one prepared statement and a commit, many a second."""
        row = sample_row(sample, state, error)
        with self.db.conn:
            self.db.conn.execute(_UPSERT, [row.get(name) for name in _COLUMNS])
        return row

    def finished_ids(self) -> set[str]:
        """Samples a rerun skips: every recorded one but those failed by a transient error."""
        placeholders = ", ".join("?" for _ in RETRIED_REASONS)
        sql = f"select id from samples where reason not in ({placeholders})"
        return {row[0] for row in self.db.execute(sql, RETRIED_REASONS).fetchall()}

    def statuses(self) -> dict[str, str]:
        return dict(self.db.execute("select id, status from samples").fetchall())

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        where, args = ("status = ?", [status]) if status else (None, None)
        for row in self.samples.rows_where(where, args, order_by="position"):
            yield decode(row)

    def get(self, sample_id: str) -> dict[str, Any] | None:
        rows = list(self.samples.rows_where("id = ?", [sample_id]))
        return decode(rows[0]) if rows else None

    def counts(self) -> Counter:
        sql = "select status, count(*) from samples group by status"
        return Counter(dict(self.db.execute(sql).fetchall()))

    def save_meta(self, state: dict[str, Any]) -> None:
        """The meta graph's result as tables: domains, requests and scenarios (with their
        parent links), and one meta_calls row per list-generating call."""
        with self.db.conn:
            for name in ("domains", "requests", "scenarios", "meta_calls", "meta_llm_calls"):
                self.db[name].drop(ignore=True)
            text, number = str, int
            self.db["domains"].create({"position": number, "domain": text}, pk="position")
            self.db["domains"].insert_all(
                {"position": i, "domain": d} for i, d in enumerate(state["domains"])
            )
            columns = {"position": number, "domain": text, "request": text}
            self.db["requests"].create(columns, pk="position")
            self.db["requests"].insert_all(
                {"position": i, **r} for i, r in enumerate(state["requests"])
            )
            columns = {
                "id": text,
                "position": number,
                "domain": text,
                "request": text,
                "scenario": text,
            }
            self.db["scenarios"].create(columns, pk="id")
            self.db["scenarios"].insert_all(
                {"position": i, **s} for i, s in enumerate(state["scenarios"])
            )
            calls = [
                {
                    "stage": stage,
                    "task": json.dumps(b["key"]),
                    "kept": b["kept"],
                    "dropped": json.dumps(b["dropped"]),
                }
                for stage in ("domain", "request", "scenario")
                for b in state.get(f"{stage}_batches", [])
            ]
            columns = {"stage": text, "task": text, "kept": number, "dropped": text}
            self.db["meta_calls"].create(columns)
            self.db["meta_calls"].insert_all(calls)
            # what the meta stages cost: one row per LLM call, retried tries included
            columns = {
                "node": text,
                "prompt_tokens": number,
                "completion_tokens": number,
                "latency_s": float,
            }
            self.db["meta_llm_calls"].create(columns)
            self.db["meta_llm_calls"].insert_all(
                {k: call.get(k, 0) for k in columns} for call in state.get("llm_calls", [])
            )

    def meta_overview(self) -> dict[str, Any] | None:
        """The meta stages' result as domain -> request -> scenarios, and the items the
        list parser dropped, per stage and reason; None before any meta run."""
        if not self.db["scenarios"].exists():
            return None
        tree: dict[str, dict[str, list[str]]] = {}
        for row in self.db["domains"].rows_where(order_by="position"):
            tree[row["domain"]] = {}
        for row in self.db["requests"].rows_where(order_by="position"):
            tree.setdefault(row["domain"], {})[row["request"]] = []
        for row in self.db["scenarios"].rows_where(order_by="position"):
            tree[row["domain"]].setdefault(row["request"], []).append(row["scenario"])
        dropped: Counter = Counter()
        for call in self.db["meta_calls"].rows:
            for reason, count in json.loads(call["dropped"]).items():
                dropped[f"{call['stage']}: {reason}"] += count
        return {"tree": tree, "dropped": dict(dropped)}


def decode(row: dict[str, Any]) -> dict[str, Any]:
    return {k: json.loads(v) if k in JSON_COLUMNS and v else v for k, v in row.items()}
