"""Where a run's state lives: the LangGraph checkpointer and the samples table.

The names are loaded on first use: LangGraph's saver and sqlite-utils take most of a
second to import, which `decif --help` and the constants' users should not pay.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "SampleStore": "checkpoints.store",
    "open_async_checkpointer": "checkpoints.saver",
    "open_checkpointer": "checkpoints.runs",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'checkpoints' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
