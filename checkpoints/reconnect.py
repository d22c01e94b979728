"""A run in PostgreSQL outlives a restart of its database.

When the server goes away (`pg_ctl restart -m fast` ends every session with
AdminShutdown, `-m immediate` drops them), psycopg marks the connection `broken`. The
run's store and its checkpointer then connect again, with a growing pause, until the
database answers or `wait_s` (the commands' `--timeout`, as for an endpoint) has passed
since the first failure, and run the operation again. Running one again is safe: every
write is an upsert, or an update guarded by the worker's lease, so one that was
committed just before the connection broke changes nothing the second time. (A claim
committed just before is the exception: the worker never sees those samples, and they
wait for their lease to lapse, as a dead worker's do.)

Past `wait_s`, `DatabaseUnavailable` stops the command with one line; any later
operation (a worker giving back its leases on the way out) tries once more, at once.
The first connection is not waited for: a mistyped host should fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from checkpoints.config import RunFileError
from checkpoints.urls import redact, scrub

T = TypeVar("T")
PAUSE_FIRST_S = 0.1  # between two tries to connect; doubles up to:
PAUSE_MAX_S = 2.0
WAIT_S = 120.0  # the commands' --timeout default


class DatabaseUnavailable(RunFileError):
    """The run's database went away and did not come back in time."""


def connection_lost(err: BaseException, conn: Any) -> bool:
    """Whether `err` says the connection is gone (rather than a statement failed)."""
    import psycopg

    return isinstance(err, psycopg.OperationalError) and (conn.broken or conn.closed)


class Reconnector:
    """How one run's connections come back: its URL, and how long to wait for it."""

    def __init__(self, url: str, wait_s: float = WAIT_S):
        self.url = url
        self.wait_s = wait_s
        self.gave_up = False
        logging.getLogger("psycopg").addFilter(quiet_lost_connections)  # once: a set

    def deadline(self) -> float:
        return time.monotonic() + (0.0 if self.gave_up else self.wait_s)

    def connect(self, open_connection: Callable[[], T], deadline: float, lost: Exception) -> T:
        """A new connection from `open_connection()`, tried until `deadline`."""
        import psycopg

        pause = PAUSE_FIRST_S
        while True:
            try:
                return open_connection()
            except psycopg.OperationalError as err:
                lost = err
            if time.monotonic() + pause > deadline:
                raise self._gone(lost)
            time.sleep(pause)
            pause = min(PAUSE_MAX_S, 2 * pause)

    async def aconnect(
        self, open_connection: Callable[[], Awaitable[T]], deadline: float, lost: Exception
    ) -> T:
        """`connect` for an async connection."""
        import psycopg

        pause = PAUSE_FIRST_S
        while True:
            try:
                return await open_connection()
            except psycopg.OperationalError as err:
                lost = err
            if time.monotonic() + pause > deadline:
                raise self._gone(lost)
            await asyncio.sleep(pause)
            pause = min(PAUSE_MAX_S, 2 * pause)

    def _gone(self, err: Exception) -> DatabaseUnavailable:
        self.gave_up = True
        reason = scrub(" ".join(str(err).split()), self.url)
        return DatabaseUnavailable(
            f"lost the run's database {redact(self.url)} and it did not come back within "
            f"{self.wait_s:g} s (--timeout): {reason}"
        )


_LOST = ("connection is lost", "connection is closed", "server closed the connection",
         "terminating connection")  # fmt: skip


def quiet_lost_connections(record: logging.LogRecord) -> bool:
    """psycopg warns ("error ignored in rollback ...", "error ignored terminating ...")
    when it cannot tidy up a transaction or pipeline whose connection is gone: here that
    is the failure decif reconnects after, so the warning would only be a stray line."""
    error = record.args[-1] if isinstance(record.args, tuple) and record.args else None
    lost = any(words in str(error) for words in _LOST)
    return not (str(record.msg).startswith("error ignored") and lost)


def reconnecting(method: Callable[..., T]) -> Callable[..., T]:
    """A method of a store (with `conn`, `reconnector` and `open_connection()`) that
    connects again and runs once more when its connection was lost."""

    @wraps(method)
    def run(store: Any, *args: Any, **kwargs: Any) -> T:
        deadline = None
        while True:
            conn = store.conn
            try:
                return method(store, *args, **kwargs)
            except Exception as err:
                if not connection_lost(err, conn):
                    raise
                deadline = deadline or store.reconnector.deadline()
                store.conn = store.reconnector.connect(store.open_connection, deadline, err)

    return run
