"""Parquet files, written whole or not at all.

pyarrow is an optional extra (`pip install 'decif[hf]'`): decif's own work never needs it,
and it is a large wheel. Callers decide what its absence means: the Hugging Face export
cannot be made without it, the RLVR export leaves out only its verl file.
"""

from __future__ import annotations

from pathlib import Path

from checkpoints.files import atomic_open

INSTALL = "pip install 'decif[hf]'"


class MissingExtra(RuntimeError):
    """An optional dependency this export needs is not installed."""


def have_pyarrow() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def write_parquet(path: Path, records: list[dict]) -> None:
    """One parquet file of `records` (a column per key), replacing `path` atomically."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra(f"writing {path} needs pyarrow: {INSTALL}") from None
    table = pa.Table.from_pylist(records)
    with atomic_open(path, "wb") as file:
        pq.write_table(table, file)
