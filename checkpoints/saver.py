"""The SQLite checkpointer of a run directory (`<run>/checkpoints.db`).

The runner's async path uses LangGraph's own `SqliteSaver`, with its async methods run on
one thread of its own: one thread hop per checkpoint operation. LangGraph's
`AsyncSqliteSaver` goes through aiosqlite, which hops threads for every statement, cursor
and commit (three to four per write), which costs a third more CPU per LLM call (figures in
the README's "Performance"). One thread also keeps SQLite's writes in order, as
aiosqlite's did.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, closing, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from checkpoints.sqlite import FAST_COMMITS

if TYPE_CHECKING:  # imported where used: LangGraph is slow to import
    from langgraph.checkpoint.sqlite import SqliteSaver

CHECKPOINTS_DB = "checkpoints.db"
META_THREAD = "meta"  # the meta graph's thread; every other thread is a sample
T = TypeVar("T")


def checkpoint_path(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir / CHECKPOINTS_DB


@contextmanager
def open_sqlite_checkpointer(run_dir: str | Path) -> Iterator[SqliteSaver]:
    """A synchronous saver of a run directory, for `graph.invoke` and for reading
    trajectories (`checkpoints.open_checkpointer` opens a run of either kind)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(checkpoint_path(run_dir))) as saver:
        saver.conn.executescript(FAST_COMMITS)
        yield saver


def _one_thread_saver_class() -> type:
    from langgraph.checkpoint.sqlite import SqliteSaver

    class OneThreadSqliteSaver(SqliteSaver):
        """`SqliteSaver` whose async methods run the sync ones on a single thread."""

        def __init__(self, conn: sqlite3.Connection, thread: ThreadPoolExecutor):
            super().__init__(conn)
            self.thread = thread

        async def _run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.thread, partial(call, *args, **kwargs))

        async def aget_tuple(self, config):
            return await self._run(self.get_tuple, config)

        async def alist(self, config, *, filter=None, before=None, limit=None):  # noqa: A002
            found = await self._run(
                lambda: list(self.list(config, filter=filter, before=before, limit=limit))
            )
            for checkpoint in found:
                yield checkpoint

        async def aput(self, config, checkpoint, metadata, new_versions):
            return await self._run(self.put, config, checkpoint, metadata, new_versions)

        async def aput_writes(self, config, writes: Sequence, task_id: str, task_path=""):
            return await self._run(self.put_writes, config, writes, task_id, task_path)

        async def adelete_thread(self, thread_id: str) -> None:
            return await self._run(self.delete_thread, thread_id)

        async def aget_delta_channel_history(self, *, config, channels):
            return await self._run(self.get_delta_channel_history, config=config, channels=channels)

    return OneThreadSqliteSaver


@asynccontextmanager
async def open_async_checkpointer(run_dir: str | Path) -> AsyncIterator[SqliteSaver]:
    """The saver the runner uses on LangGraph's async path."""
    path = checkpoint_path(run_dir)
    # The thread stops (its last writes done) before the connection closes: a run stopped
    # by an error leaves writes running there, and closing a connection another thread is
    # using can crash the process (seen once as SIGSEGV on a full disk).
    with (
        closing(sqlite3.connect(path, check_same_thread=False)) as conn,
        ThreadPoolExecutor(1, thread_name_prefix="checkpoints") as thread,
    ):
        saver = _one_thread_saver_class()(conn, thread)
        await saver._run(conn.executescript, FAST_COMMITS)
        await saver._run(saver.setup)
        yield saver
