"""The SQLite checkpointer of a run directory (`<run>/checkpoints.db`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: LangGraph is slow to import
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

CHECKPOINTS_DB = "checkpoints.db"
META_THREAD = "meta"  # the meta graph's thread; every other thread is a sample


def checkpoint_path(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir / CHECKPOINTS_DB


# WAL without an fsync per commit: a killed process loses nothing committed (the OS has
# the pages), only a power cut could lose the last commits - and every step of every
# sample is a commit, so a synchronous fsync would make the disk the bottleneck.
FAST_COMMITS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"


@contextmanager
def open_checkpointer(run_dir: str | Path) -> Iterator[SqliteSaver]:
    """A synchronous saver, for `graph.invoke` and for reading trajectories."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(checkpoint_path(run_dir))) as saver:
        saver.conn.executescript(FAST_COMMITS)
        yield saver


@asynccontextmanager
async def open_async_checkpointer(run_dir: str | Path) -> AsyncIterator[AsyncSqliteSaver]:
    """The saver the runner uses on LangGraph's async path."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(str(checkpoint_path(run_dir))) as saver:
        await saver.conn.executescript(FAST_COMMITS)
        yield saver
