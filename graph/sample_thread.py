"""One sample's LangGraph thread driven to its end, and what every driver of sample
threads shares - the runner working a list of scenarios, and a worker working a shared
run's queue: which errors stop the run, the threads the nodes run on, the progress line.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from langchain_core.runnables import RunnableConfig

from checkpoints.reconnect import DatabaseUnavailable
from checkpoints.tables import STATUSES
from graph.sample_graph import SampleGraph
from nodes.context import SampleContext
from nodes.llm import LLM, BackendError, LLMCallError
from nodes.state import SampleState

# Errors that mean the backend itself is gone: stop the run instead of failing samples.
FATAL_ERRORS: tuple[type[BaseException], ...] = (BackendError, ConnectionError)
# Errors of the machine (a full disk, a read-only or corrupt run file, a run's database
# gone for longer than --timeout): no sample is to blame, and every other sample would
# meet them too, so they stop the run as well.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error,
    OSError,
    DatabaseUnavailable,
)


def size_node_threads(workers: int) -> None:
    """Bound how many sync nodes run at once: LangGraph's async path runs them in the
    loop's default executor. (Not LangGraph's `max_concurrency`: it also queues the
    checkpoint writes of finished tasks behind running ones, so a run killed mid-step
    would redo finished fan-out tasks: see the README's design notes.)"""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=workers))


async def advance(
    graph: SampleGraph, thread_id: str, start: SampleState, context: SampleContext
) -> tuple[dict, str]:
    """Run one sample's thread to its end, with `context` (client and settings): from its
    last checkpoint when it has one (None input), else from `start`. Returns its final
    state and, when it failed on an exception, the error (the backend gone, or the
    machine's trouble, stop the run).

    Every thread without a final status runs. Not `snapshot.next`: a kill after a step's
    writes were saved but before the next checkpoint leaves it empty on an unfinished
    thread, and ainvoke(None) applies those writes and carries on."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    snapshot = await graph.aget_state(config)
    state, error = snapshot.values, ""
    try:
        if not state.get("status"):
            begin = None if snapshot.values else start
            state = await graph.ainvoke(begin, config, context=context, durability="sync")
    except FATAL_ERRORS + ENVIRONMENT_ERRORS:
        raise
    except Exception as err:  # one sample's trouble is recorded, not fatal
        # an LLM call that failed is the sample's `llm_error`; anything else is a fault in
        # decif, never the model's: both are retried on a rerun (see RETRIED_REASONS)
        called = isinstance(err, LLMCallError)  # its text names the call's own error
        error = (str(err) if called else f"{type(err).__name__}: {err}")[:500]
        reason = "llm_error" if called else "internal_error"
        state = {**(await graph.aget_state(config)).values, "status": "failed", "reason": reason}
    return state, error


def tally(counts: Counter, llm: LLM | None = None) -> str:
    """The progress bar's counts, in the summary's order and with its statuses; then the
    client's own state where it has one (a pool of servers: endpoints up and requests in
    flight against the limit it has adapted to)."""
    line = ", ".join(f"{status}={counts[status]}" for status in STATUSES)
    status = llm.status() if llm else None
    return f"{line}; {status}" if status else line
