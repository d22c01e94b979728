"""Files decif rewrites are replaced whole, never half-written.

A kill (or a full disk) in the middle of a plain `write_text` leaves a truncated file
behind - an empty config.json made a run unusable. Writing a temporary file beside the
target and renaming it over the target is atomic on POSIX: readers see the old file or
the new one, never a mix.

The temporary file is created with the mode a plain `open` would give a new file (0666
less the umask), or, when it replaces a file, with that file's mode: a team sharing a
directory, or a training job running as another user, reads what decif writes as it reads
any other file there (`tempfile.mkstemp` would make every file 0600).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file to write ("w" text, "wb" bytes) that replaces `path` when the block ends
    without error, and is removed when it does not."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = _create_beside(path)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file in `path`'s directory, open for writing, with the mode
    `path` has, or the one the umask gives a new file (the kernel applies it)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    while True:
        temp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # another writer's temporary file: draw another name
            continue
        try:
            if mode is not None:
                os.fchmod(fd, mode)
        except OSError:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        return fd, temp


def write_atomic(path: str | Path, data: str | bytes) -> None:
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w") as file:
        file.write(data)
