"""The checkpointer of a run in PostgreSQL, as the runner and workers use it: LangGraph's
`AsyncPostgresSaver`, made to outlive two things its own does not.

- A restart of the database: each operation connects again and runs once more, within
  the run's wait (`checkpoints.reconnect`). LangGraph's writes are upserts, so one that
  committed just before the connection broke changes nothing the second time.
- A sample cancelled in the middle of writing its checkpoint (the run stopping on a lost
  backend, Ctrl-C): the write goes on in a task of its own and the saver waits for it
  before it closes the connection. Cut short, a write left psycopg's pipeline half
  open on the shared connection, and the close then failed to roll it back: a stray
  "error ignored in rollback ... connection not in pipeline mode" before the run's
  one-line error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from checkpoints.reconnect import Reconnector, connection_lost

T = TypeVar("T")


class RunSaver(AsyncPostgresSaver):
    """`AsyncPostgresSaver` over one connection that is replaced when it is lost."""

    def __init__(self, conn: AsyncConnection[DictRow], reconnector: Reconnector):
        super().__init__(conn=conn)
        self.reconnector = reconnector
        self._writing: set[asyncio.Future] = set()

    async def _surviving(self, operation: Callable[[], Awaitable[T]]) -> T:
        deadline = None
        while True:
            conn = self.conn
            try:
                return await operation()
            except Exception as err:
                if not connection_lost(err, conn):
                    raise
                deadline = deadline or self.reconnector.deadline()
                async with self.lock:  # one new connection, however many operations lost it
                    if self.conn is conn:
                        reconnect = lambda: connect(self.reconnector.url)  # noqa: E731
                        self.conn = await self.reconnector.aconnect(reconnect, deadline, err)

    async def _write(self, operation: Callable[[], Awaitable[T]]) -> T:
        write = asyncio.ensure_future(self._surviving(operation))
        self._writing.add(write)
        write.add_done_callback(self._writing.discard)
        return await asyncio.shield(write)

    async def finish_writes(self) -> None:
        """Wait for the writes under way, those of cancelled samples too."""
        await asyncio.gather(*self._writing, return_exceptions=True)

    async def aget_tuple(self, config: Any) -> Any:
        read = super().aget_tuple
        return await self._surviving(lambda: read(config))

    async def alist(
        self, config: Any, *, filter: Any = None, before: Any = None, limit: Any = None
    ) -> AsyncIterator[Any]:
        listing = super().alist

        async def read() -> list[Any]:
            return [c async for c in listing(config, filter=filter, before=before, limit=limit)]

        for checkpoint in await self._surviving(read):
            yield checkpoint

    async def aget_delta_channel_history(self, **kwargs: Any) -> Any:
        read = super().aget_delta_channel_history
        return await self._surviving(lambda: read(**kwargs))

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        put = super().aput
        return await self._write(lambda: put(config, checkpoint, metadata, new_versions))

    async def aput_writes(
        self, config: Any, writes: Sequence[Any], task_id: str, task_path: str = ""
    ) -> None:
        put = super().aput_writes
        return await self._write(lambda: put(config, writes, task_id, task_path))


async def connect(url: str) -> AsyncConnection[DictRow]:
    """A connection as LangGraph's own saver opens one."""
    return await AsyncConnection[DictRow].connect(
        url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    )


@asynccontextmanager
async def open_run_saver(url: str, reconnector: Reconnector) -> AsyncIterator[RunSaver]:
    """The saver, set up by the caller; on the way out its writes finish, then the
    connection closes (a plain close: nothing is left to roll back)."""
    saver = RunSaver(await connect(url), reconnector)
    try:
        yield saver
    finally:
        await asyncio.shield(saver.finish_writes())
        await saver.conn.close()
