"""Where a run's state lives: the LangGraph checkpointer and the samples table."""

from checkpoints.saver import open_async_checkpointer, open_checkpointer
from checkpoints.store import SampleStore

__all__ = ["SampleStore", "open_async_checkpointer", "open_checkpointer"]
