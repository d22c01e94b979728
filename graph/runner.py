"""Stream many scenarios through the sample graph, resumably; and run the meta graph.

One LangGraph thread per sample (thread id = scenario id), checkpointed in SQLite with
synchronous durability, so a killed run loses at most the LLM calls that were in flight.
Finished samples are written to the samples table as they complete; a rerun skips them
and resumes every other thread from its last checkpoint.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from langchain_core.runnables import RunnableConfig
from tqdm import tqdm

from checkpoints.protocols import Run, is_shared
from checkpoints.runs import as_run
from checkpoints.saver import META_THREAD
from graph.meta_graph import build_meta_graph
from graph.sample_graph import build_sample_graph
from graph.sample_thread import advance, size_node_threads, tally
from graph.scenarios import Scenario, make_scenario
from graph.worker import work
from nodes.constraints import load_models
from nodes.context import MetaContext, SampleContext
from nodes.llm import LLM
from nodes.state import MetaSettings, MetaState, SampleSettings


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
    if is_shared(run):
        run.store().enqueue([{"position": i, **s.to_dict()} for i, s in enumerate(scenarios)])
        return await work(run, llm, settings, concurrency, progress, lease_s)
    store = run.store()
    finished = store.finished_ids()
    todo = [(i, s) for i, s in enumerate(scenarios) if s.id not in finished]
    size_node_threads(2 * concurrency)  # a sample runs answer and decompose at once
    load_models()  # once, before the samples' checks run side by side
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

        async def work_sample(position: int, scenario: Scenario) -> None:
            async with semaphore:
                state, error = await advance(graph, scenario.id, scenario.as_input(), context)
                row = store.record({"position": position, **scenario.to_dict()}, state, error)
                counts[row["status"]] += 1
                # before update(), which draws the line: its counts then match its position
                bar.set_postfix_str(tally(counts, llm), refresh=False)
                bar.update()

        tasks = [asyncio.create_task(work_sample(i, s)) for i, s in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            bar.close()
    return store.counts()


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
    size_node_threads(concurrency)
    config: RunnableConfig = {"configurable": {"thread_id": META_THREAD}}
    bar = tqdm(disable=not progress, unit="call", desc="meta")
    async with run.async_checkpointer() as saver, run.exclusive("meta"):
        graph = build_meta_graph(saver)
        snapshot = await graph.aget_state(config)
        if "scenarios" not in snapshot.values:  # not `next`: see `advance`
            start: MetaState | None = None if snapshot.values else {}
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
