"""Stream many scenarios through the sample graph, resumably.

One LangGraph thread per sample (thread id = scenario id), checkpointed in SQLite with
synchronous durability, so a killed run loses at most the LLM calls that were in flight.
Finished samples are written to the samples table as they complete; a rerun skips them
and resumes every other thread from its last checkpoint.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from checkpoints.runs import Run, as_run
from checkpoints.saver import META_THREAD
from checkpoints.tables import STATUSES
from graph.meta_graph import build_meta_graph
from graph.sample_graph import build_sample_graph
from graph.scenarios import Scenario, make_scenario
from nodes.context import MetaContext, SampleContext
from nodes.llm import LLM, BackendError
from nodes.state import MetaSettings, SampleSettings

# Errors that mean the backend itself is gone: stop the run instead of failing samples.
FATAL_ERRORS: tuple[type[BaseException], ...] = (BackendError, ConnectionError)
# Errors of the machine (a full disk, a read-only or corrupt run file): no sample is to
# blame, and every other sample would meet them too, so they stop the run as well.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)


def size_node_pool(workers: int) -> None:
    """Bound how many sync nodes run at once: LangGraph's async path runs them in the
    loop's default executor. (Not LangGraph's `max_concurrency`: it also queues the
    checkpoint writes of finished tasks behind running ones, so a run killed mid-step
    would redo finished fan-out tasks - seen with langgraph 1.2.24.)"""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=workers))


async def advance(
    graph: Any, thread_id: str, start: dict[str, str], context: SampleContext
) -> tuple[dict, str]:
    """Run one sample's thread to its end, with `context` (client and settings): from its
    last checkpoint when it has one (None input), else from `start`. Returns its final
    state and, when it failed on an exception, the error (the backend gone, or the
    machine's trouble, stop the run).

    Every thread without a final status runs. Not `snapshot.next`: a kill after a step's
    writes were saved but before the next checkpoint leaves it empty on an unfinished
    thread, and ainvoke(None) applies those writes and carries on."""
    config = {"configurable": {"thread_id": thread_id}}
    snapshot = await graph.aget_state(config)
    state, error = snapshot.values, ""
    try:
        if not state.get("status"):
            begin = None if snapshot.values else start
            state = await graph.ainvoke(begin, config, context=context, durability="sync")
    except FATAL_ERRORS + ENVIRONMENT_ERRORS:
        raise
    except Exception as err:  # one sample's trouble is recorded, not fatal
        error = f"{type(err).__name__}: {err}"[:500]
        state = (await graph.aget_state(config)).values
    return state, error


async def run_samples(
    run: Run | str | Path,
    llm: LLM,
    scenarios: Sequence[Scenario],
    settings: SampleSettings,
    concurrency: int = 1,
    progress: bool = True,
    lease_s: float = 60.0,
) -> Counter:
    """Run every unfinished scenario; return the run's counts by status.

    A run in a directory works through the list here. A run in PostgreSQL queues the
    scenarios and works its queue with the other workers of the run (`graph.worker`)."""
    run = as_run(run)
    if run.shared:
        from graph.worker import work

        run.store().enqueue([{"position": i, **s.to_dict()} for i, s in enumerate(scenarios)])
        return await work(run, llm, settings, concurrency, progress, lease_s)
    store = run.store()
    finished = store.finished_ids()
    todo = [(i, s) for i, s in enumerate(scenarios) if s.id not in finished]
    size_node_pool(2 * concurrency)  # a sample runs answer and decompose at once
    semaphore = asyncio.Semaphore(concurrency)
    # Kept up to date here (a query per finished sample would be O(n^2)); retried samples
    # count once they finish again. Only these scenarios' samples: the bar counts them.
    ids = {s.id for s in scenarios}
    statuses = store.statuses().items()
    counts = Counter(status for id_, status in statuses if id_ in finished and id_ in ids)
    bar = tqdm(
        total=len(scenarios),
        initial=len(scenarios) - len(todo),
        disable=not progress,
        unit="sample",
        desc="samples",
        postfix=tally(counts, llm),  # from the first line: the samples done are counted
    )
    async with run.async_checkpointer() as saver:
        graph, context = build_sample_graph(saver), SampleContext(llm, settings)

        async def one(position: int, scenario: Scenario) -> None:
            async with semaphore:
                state, error = await advance(graph, scenario.id, scenario.as_input(), context)
                row = store.record({"position": position, **scenario.to_dict()}, state, error)
                counts[row["status"]] += 1
                # before update(), which draws the line: its counts then match its position
                bar.set_postfix_str(tally(counts, llm), refresh=False)
                bar.update()

        tasks = [asyncio.create_task(one(i, s)) for i, s in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            bar.close()
    return store.counts()


def tally(counts: Counter, llm: LLM | None = None) -> str:
    """The progress bar's counts, in the summary's order and with its statuses; then the
    client's own state where it has one (a pool of servers: endpoints up and requests in
    flight against the limit it has adapted to)."""
    line = ", ".join(f"{status}={counts[status]}" for status in STATUSES)
    status = llm.status() if llm else None
    return f"{line}; {status}" if status else line


def draw_scenarios(scenarios: Sequence[Scenario], count: int, seed: int) -> list[Scenario]:
    """A seeded sample of `count` scenarios (all when there are fewer), in their order.

    The first `count` of one seeded shuffle: a larger count keeps every scenario a smaller
    one drew, so a pipeline rerun with more --samples extends its run."""
    order = list(range(len(scenarios)))
    random.Random(f"{seed}/samples").shuffle(order)
    chosen = set(order[:count])
    return [s for i, s in enumerate(scenarios) if i in chosen]


META_PROGRESS = {
    "domain_batch": "domains",
    "request_batch": "requests",
    "scenario_batch": "scenarios",
}


async def run_meta(
    run: Run | str | Path,
    llm: LLM,
    settings: MetaSettings,
    concurrency: int = 1,
    progress: bool = False,
) -> list[Scenario]:
    """Run (or resume, or reuse) the meta graph as the run's thread "meta"; its result
    lands in the run's domains, requests and scenarios tables. (In PostgreSQL one process
    runs it at a time: the others wait for it.)"""
    run = as_run(run)
    size_node_pool(concurrency)
    config = {"configurable": {"thread_id": META_THREAD}}
    bar = tqdm(disable=not progress, unit="call", desc="meta")
    async with run.async_checkpointer() as saver, run.exclusive("meta"):
        graph = build_meta_graph(saver)
        snapshot = await graph.aget_state(config)
        if "scenarios" not in snapshot.values:  # not `next`: see `advance`
            start = None if snapshot.values else {}
            updates = graph.astream(
                start,
                config,
                context=MetaContext(llm, settings),
                durability="sync",
                stream_mode="updates",
            )
            async for update in updates:  # one per finished task: show which stage runs
                for node in update:
                    if node in META_PROGRESS:
                        bar.set_description(f"meta {META_PROGRESS[node]}", refresh=False)
                        bar.update()
        bar.close()
        state = (await graph.aget_state(config)).values
    run.store().save_meta(state)
    return [make_scenario(s["request"], s["scenario"], s["domain"]) for s in state["scenarios"]]
