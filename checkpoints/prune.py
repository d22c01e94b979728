"""Shrinking a run: the step-by-step checkpoints of finished samples.

Every step of every sample is a checkpoint holding the whole state, so the checkpoint
database grows with steps x state. What a finished sample needs afterwards is its row in
the samples table (with its final state: constraints, every consistency round, every
attempt and its checks, every LLM call) - that is what statistics and exports read, and
what a rerun looks at to skip it. Its step history only serves `decif inspect RUN ID`.
Pruning keeps each finished thread's last checkpoint (so the Python API's
`graph.get_state` still answers) and drops the rest; unfinished samples and those a rerun
retries (`llm_error`, `unfinished`) keep everything, since resuming needs it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from checkpoints.saver import CHECKPOINTS_DB
from checkpoints.store import SAMPLES_DB
from checkpoints.tables import RETRIED_REASONS


def run_size(run_dir: Path) -> int:
    """Bytes of the run's two databases, write-ahead logs included."""
    names = [CHECKPOINTS_DB, SAMPLES_DB]
    files = [run_dir / f"{n}{suffix}" for n in names for suffix in ("", "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


def finished_threads(run_dir: Path) -> list[str]:
    """Samples whose row is final: recorded, and not among the reasons a rerun retries."""
    with closing(sqlite3.connect(run_dir / SAMPLES_DB)) as db:
        marks = ", ".join("?" for _ in RETRIED_REASONS)
        sql = f"select id from samples where reason not in ({marks})"
        return [row[0] for row in db.execute(sql, RETRIED_REASONS)]


def prune(run_dir: Path) -> int:
    """Drop every checkpoint and write of finished samples but their last checkpoint,
    then VACUUM both databases; returns the number of checkpoints dropped."""
    threads = finished_threads(run_dir)
    with closing(sqlite3.connect(run_dir / CHECKPOINTS_DB)) as db:
        db.execute("create temp table finished (thread_id text primary key)")
        db.executemany("insert or ignore into finished values (?)", [(t,) for t in threads])
        with db:
            db.execute(
                """create temp table last as
                   select thread_id, checkpoint_ns, max(checkpoint_id) as checkpoint_id
                   from checkpoints where thread_id in (select thread_id from finished)
                   group by thread_id, checkpoint_ns"""
            )
            dropped = db.execute(
                """delete from checkpoints
                   where thread_id in (select thread_id from finished)
                   and (thread_id, checkpoint_ns, checkpoint_id) not in (select * from last)"""
            ).rowcount
            db.execute(
                """delete from writes
                   where thread_id in (select thread_id from finished)
                   and (thread_id, checkpoint_ns, checkpoint_id) not in (select * from last)"""
            )
        db.execute("pragma wal_checkpoint(truncate)")
        db.execute("vacuum")
    with closing(sqlite3.connect(run_dir / SAMPLES_DB)) as db:
        db.execute("pragma wal_checkpoint(truncate)")
        db.execute("vacuum")
    return dropped
