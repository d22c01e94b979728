"""One writer per run directory: an OS lock on `RUN/lock`, held while a command writes.

`flock` is released by the kernel when the holder exits, however it exits (kill -9
included), so a stale lock never blocks a rerun. The file holds the holder's pid and
command, so the second writer's error can name them. Readers (`inspect`, `stats`,
`export`) never take it: SQLite's WAL lets them read while a run writes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "lock"


class RunLocked(RuntimeError):
    """Another live process is writing to the run."""


@contextmanager
def run_lock(run_dir: str | Path, command: str = "") -> Iterator[None]:
    """Hold the run's write lock for the life of the block; RunLocked if it is held."""
    path = Path(run_dir) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise RunLocked(
                f"{run_dir} is being written by {holder}; wait for it to finish or stop it "
                "(inspect, stats and export work meanwhile)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{command or 'decif'} (pid {os.getpid()})\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def waiting_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the life of the block, waiting while another
    process holds it (work that two processes may both start, and the second then finds
    done: curation)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
