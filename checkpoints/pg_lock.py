"""PostgreSQL advisory locks whose waiters hold no snapshot, so that no index build waits
for them.

`pg_advisory_lock` waits inside a statement, and a statement holds a snapshot.
LangGraph's migrations build their indexes with `CREATE INDEX CONCURRENTLY`, which waits
for every transaction with an older snapshot to end - a process waiting for the lock
that the index's builder holds among them. Neither goes on, and PostgreSQL's deadlock
detector does not see the cycle (the build waits on virtual transaction ids, not on a
lock). So a lock is taken with `pg_try_advisory_lock`, tried again after a short pause:
between two tries the waiter is idle, outside any transaction.

Locks are the session's: closing the connection releases them.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Any

PAUSE_FIRST_S = 0.02  # between two tries; doubles up to:
PAUSE_MAX_S = 0.5
TRY = "select pg_try_advisory_lock(%s) as held"


def lock_key(what: str) -> int:
    """The advisory lock's key for `what` (a name, e.g. "meta")."""
    return zlib.crc32(what.encode())


def _held(row: Any) -> bool:
    return bool(row["held"] if isinstance(row, dict) else row[0])


def acquire(conn: Any, what: str) -> None:
    """Hold the lock named `what` on `conn` (autocommit), waiting for it as long as it
    takes."""
    pause = PAUSE_FIRST_S
    while not _held(conn.execute(TRY, [lock_key(what)]).fetchone()):
        time.sleep(pause)
        pause = min(PAUSE_MAX_S, 2 * pause)


async def aacquire(conn: Any, what: str) -> None:
    """`acquire` on an async connection."""
    pause = PAUSE_FIRST_S
    while not _held(await (await conn.execute(TRY, [lock_key(what)])).fetchone()):
        await asyncio.sleep(pause)
        pause = min(PAUSE_MAX_S, 2 * pause)
