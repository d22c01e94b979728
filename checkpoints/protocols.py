"""What a run and its store offer, whichever kind they are: the interfaces the directory
run (SQLite) and the PostgreSQL run both implement, so the commands, the runner and the
statistics depend on these and not on either kind.

A shared run (PostgreSQL) adds the work queue that lets many workers share it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

if TYPE_CHECKING:  # LangGraph is slow to import; only the type is needed here
    from langgraph.checkpoint.base import BaseCheckpointSaver


class RunStore(Protocol):
    """A run's tables: `samples`, one row per finished sample, and the meta stages'."""

    def record(self, sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict:
        """Write a finished sample's row (replacing a retried sample's); returns it."""
        ...

    def finished_ids(self) -> set[str]:
        """Samples a rerun skips: every recorded one but those failed by a transient error."""
        ...

    def statuses(self) -> dict[str, str]: ...

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]: ...

    def get(self, sample_id: str) -> dict[str, Any] | None: ...

    def counts(self) -> Counter: ...

    def save_meta(self, state: dict[str, Any]) -> None:
        """The meta graph's result as the meta tables (replacing earlier ones)."""
        ...

    def meta_overview(self) -> dict[str, Any] | None:
        """Domain -> request -> scenarios, and what the list parser dropped; None before
        any meta run."""
        ...

    def save_review(self, row: dict[str, Any]) -> None:
        """A reviewer's review of a sample (replacing that reviewer's earlier one)."""
        ...

    def reviews(self, sample_id: str | None = None) -> list[dict[str, Any]]:
        """Every review, or those of one sample."""
        ...

    # curation (graph/curate/): what it reads, its stored signatures, its one write

    def curation_inputs(self) -> Iterator[dict[str, Any]]:
        """The accepted samples in position order, with only what curation reads."""
        ...

    def uncurated(self) -> int:
        """Accepted samples no curation has looked at yet."""
        ...

    def signatures(self) -> dict[str, tuple[str, bytes]]:
        """id -> (digest of what it was made from, MinHash signature) of every sample hashed."""
        ...

    def save_signatures(self, rows: list[tuple[str, str, bytes]]) -> None: ...

    def save_curation(self, records: dict[str, str | None]) -> None:
        """Every changed sample's curation record (JSON text), in one transaction."""
        ...


class WorkQueue(RunStore, Protocol):
    """The store of a shared run: its scenarios queued, claimed by workers with leases."""

    def enqueue(self, scenarios: list[dict[str, Any]]) -> None: ...

    def claim(self, worker: str, count: int, lease_s: float) -> list[dict[str, Any]]: ...

    def renew(self, worker: str, ids: list[str], lease_s: float) -> set[str]: ...

    def complete(
        self, worker: str, sample: dict[str, Any], state: dict[str, Any], error: str = ""
    ) -> dict | None:
        """Record a sample and mark it done, only while `worker` holds its lease."""
        ...

    def release(self, worker: str) -> None: ...

    def progress(self) -> dict[str, int]:
        """The queue's `total`, `done` and `open` counts."""
        ...


class Run(Protocol):
    """Where a run lives: its store, LangGraph checkpointers, its config, a scope that
    marks a command as writing, and a read-only SQLite view of the samples."""

    shared: bool  # many writers (leases on a work queue), or one (the write lock)

    def exists(self) -> bool: ...

    def store(self) -> RunStore: ...

    def checkpointer(self) -> AbstractContextManager[BaseCheckpointSaver]:
        """A synchronous saver: for `graph.invoke` and for reading trajectories."""
        ...

    def async_checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
        """The saver the runner uses on LangGraph's async path."""
        ...

    def read_config(self) -> dict[str, Any]: ...

    def save_config(self, **sections: Any) -> None: ...

    def writing(self, command: str) -> AbstractContextManager[None]:
        """The scope of a command that writes the run."""
        ...

    def exclusive(self, what: str) -> AbstractAsyncContextManager[None]:
        """Work only one process may do at a time (the meta stages)."""
        ...

    def configuring(self) -> AbstractContextManager[None]:
        """Checking the run's config and writing it, with no other command between."""
        ...

    def samples_db(self) -> AbstractContextManager[sqlite3.Connection]:
        """The samples as a read-only SQLite database, for statistics."""
        ...

    def curating(self) -> AbstractContextManager[None]:
        """Curation, one process at a time (not the write lock: a run is curated while
        it is written)."""
        ...


class SharedRun(Run, Protocol):
    """A run many workers share (PostgreSQL): its store is a work queue."""

    def store(self) -> WorkQueue: ...

    def wait_for_database(self, seconds: float) -> None:
        """How long its connections wait for a database that went away to come back."""
        ...


def is_shared(run: Run) -> TypeGuard[SharedRun]:
    return run.shared
