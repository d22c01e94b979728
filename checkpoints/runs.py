"""Where a run lives: a directory of SQLite files (the embedded default), or a PostgreSQL
database that many workers on many machines share. `open_run(--run)` picks by the
spelling (`checkpoints.urls`): `postgresql://...` is a database, anything else a directory.

Both offer what the commands need: the samples store, LangGraph checkpointers (sync, for
`graph.invoke` and trajectories; async, for the runner), the run's config, a scope that
marks a command as writing, and a read-only SQLite view of the samples for statistics.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    closing,
    contextmanager,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checkpoints.config import RunFileError, read_config, save_config
from checkpoints.lock import LOCK_FILE, run_lock, waiting_lock
from checkpoints.pg_lock import aacquire, acquire
from checkpoints.protocols import Run, RunStore
from checkpoints.reconnect import Reconnector
from checkpoints.reviews import REVIEW_COLUMNS
from checkpoints.saver import CHECKPOINTS_DB, open_async_checkpointer, open_sqlite_checkpointer
from checkpoints.tables import META_TABLES, SAMPLE_COLUMNS
from checkpoints.urls import check_postgres_url, is_postgres, looks_like_url, redact, scrub

if TYPE_CHECKING:  # imported where used: LangGraph and psycopg are slow to import
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from checkpoints.postgres import PostgresStore

CURATE_LOCK_FILE = "curate.lock"


def open_run(spec: str | Path) -> Run:
    """The run `--run` names; `BadRunURL` for one that looks like a URL but is not a
    PostgreSQL URL libpq can read (it would otherwise become a directory of that name)."""
    text = str(spec)
    if is_postgres(text) or looks_like_url(text):
        check_postgres_url(text)
        return PostgresRun(text)
    return RunDir(Path(spec))


def open_checkpointer(spec: str | Path) -> AbstractContextManager[BaseCheckpointSaver]:
    """A synchronous saver, for `graph.invoke` and for reading trajectories: of a run
    directory, or of a run in PostgreSQL (`postgresql://...`)."""
    return open_run(spec).checkpointer()


def as_run(run: Run | str | Path) -> Run:
    """A run object for what the Python API may be given: a run, a directory, a URL."""
    return run if isinstance(run, RunDir | PostgresRun) else open_run(str(run))


class RunDir:
    """A run in a directory: `samples.db`, `checkpoints.db`, `config.json` and the write
    lock (one writing command at a time)."""

    shared = False  # one writer: the lock

    def __init__(self, path: Path):
        self.path = path

    def __str__(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return any((self.path / name).exists() for name in ("samples.db", CHECKPOINTS_DB))

    def store(self) -> RunStore:
        from checkpoints.store import SampleStore

        return SampleStore(self.path)

    def checkpointer(self) -> AbstractContextManager[BaseCheckpointSaver]:
        return open_sqlite_checkpointer(self.path)

    def async_checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
        return open_async_checkpointer(self.path)

    def read_config(self) -> dict[str, Any]:
        return read_config(self.path)

    def save_config(self, **sections: Any) -> None:
        save_config(self.path, **sections)

    @contextmanager
    def writing(self, command: str) -> Iterator[None]:
        """Create the directory and hold its write lock, before any model is loaded or
        server probed, so a run that cannot be written fails at once. A new directory
        that a failed start left with nothing in it is removed again."""
        created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            with run_lock(self.path, command):
                yield
        except BaseException:
            if created and [p.name for p in self.path.iterdir()] == [LOCK_FILE]:
                (self.path / LOCK_FILE).unlink()
                self.path.rmdir()
            raise

    @asynccontextmanager
    async def exclusive(self, what: str) -> AsyncIterator[None]:
        """Work only one process may do at a time: the write lock holds already."""
        yield

    def curating(self) -> AbstractContextManager[None]:
        """Curation, one process at a time (a second waits, then finds the work done). Not
        the write lock: curation writes only its own column and table, so a run can be
        curated and exported while `decif run` goes on."""
        return waiting_lock(self.path / CURATE_LOCK_FILE)

    @contextmanager
    def configuring(self) -> Iterator[None]:
        """Checking the config and writing it, with no other command between: the
        write lock holds already."""
        yield

    @contextmanager
    def samples_db(self) -> Iterator[sqlite3.Connection]:
        """The samples table, read-only: looking at a run never changes it."""
        path = self.path / "samples.db"
        if not path.exists():
            raise RunFileError(f"{self} holds no samples.db yet")
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            yield db


SETUP = "checkpoint tables"  # what creating LangGraph's tables is locked as


class PostgresRun:
    """A run in a PostgreSQL database: its tables, its config, LangGraph's checkpoint
    tables and the work queue, for any number of workers at once."""

    shared = True  # many writers: leases on the queue

    def __init__(self, url: str):
        self.url = url
        self._store: PostgresStore | None = None
        # how long its connections wait for a database that went away (--timeout)
        self.reconnector = Reconnector(url)

    def __str__(self) -> str:
        return redact(self.url)  # never the password

    def wait_for_database(self, seconds: float) -> None:
        self.reconnector.wait_s = seconds

    def exists(self) -> bool:
        return self.store().has_table("samples")

    def store(self) -> PostgresStore:
        """One store (one connection) per run object."""
        if self._store is None:
            from checkpoints.postgres import PostgresStore

            try:
                self._store = PostgresStore(self.url, self.reconnector)
            except Exception as err:  # psycopg.OperationalError and kin: cannot connect
                reason = scrub(" ".join(str(err).split()), self.url)  # one line, no password
                raise RunFileError(f"cannot open the run at {self}: {reason}") from None
        return self._store

    @contextmanager
    def checkpointer(self) -> Iterator[BaseCheckpointSaver]:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(self.url) as saver:
            # LangGraph's migrations are not safe to run from two processes at once
            with psycopg.connect(self.url, autocommit=True) as lock:
                acquire(lock, SETUP)
                saver.setup()
            yield saver

    @asynccontextmanager
    async def async_checkpointer(self) -> AsyncIterator[BaseCheckpointSaver]:
        from checkpoints.pg_saver import open_run_saver

        async with open_run_saver(self.url, self.reconnector) as saver:
            async with self.exclusive(SETUP):  # workers start together; see checkpointer()
                await saver.setup()
            yield saver

    def read_config(self) -> dict[str, Any]:
        return self.store().read_config()

    def save_config(self, **sections: Any) -> None:
        config = self.read_config()
        for name, value in sections.items():
            config[name] = value.to_dict() if hasattr(value, "to_dict") else value
        self.store().write_config(config)

    @contextmanager
    def writing(self, command: str) -> Iterator[None]:
        """Many commands may write at once: the queue's leases keep them apart."""
        self.store()
        yield

    def configuring(self) -> AbstractContextManager[None]:
        """Checking the config and writing it, with no other command between: two runs
        started at once with other settings must not both pass the check, then both
        write. Held while the command checks the settings, opens its backend (the model
        is checked too) and writes them."""
        return self._holding("config")

    @contextmanager
    def _holding(self, what: str) -> Iterator[None]:
        """The advisory lock named `what` (`checkpoints.pg_lock`), held on a connection of
        its own until the block ends."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            acquire(conn, what)
            yield

    @asynccontextmanager
    async def exclusive(self, what: str) -> AsyncIterator[None]:
        """Work only one process may do at a time (the meta stages): the others wait for a
        PostgreSQL advisory lock (`checkpoints.pg_lock`), on a connection of its own, then
        find the work done."""
        import asyncio

        import psycopg

        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        try:
            await aacquire(conn, what)
            yield
        finally:
            await asyncio.shield(conn.close())  # closing the session releases the lock

    def curating(self) -> AbstractContextManager[None]:
        """Curation, one process at a time: a PostgreSQL advisory lock."""
        return self._holding("curation")

    @contextmanager
    def samples_db(self) -> Iterator[sqlite3.Connection]:
        """The samples (the meta stages' costs, the reviews) copied into an in-memory SQLite
        database, so statistics are the same SQL on both kinds of run."""
        store = self.store()
        with closing(sqlite3.connect(":memory:")) as db:
            for name, columns in (
                ("samples", SAMPLE_COLUMNS),
                ("meta_llm_calls", META_TABLES["meta_llm_calls"][0]),
                ("reviews", REVIEW_COLUMNS),
            ):
                if not store.has_table(name):
                    continue
                db.execute(f"create table {name} ({', '.join(columns)})")
                rows = store.conn.execute(f"select {', '.join(columns)} from {name}")
                db.executemany(
                    f"insert into {name} values ({', '.join('?' for _ in columns)})",
                    ([row[c] for c in columns] for row in rows),
                )
            yield db
