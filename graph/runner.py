"""Stream many scenarios through the sample graph, resumably.

One LangGraph thread per sample (thread id = scenario id), checkpointed in SQLite with
synchronous durability, so a killed run loses at most the LLM calls that were in flight.
Finished samples are written to the samples table as they complete; a rerun skips them
and resumes every other thread from its last checkpoint.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from checkpoints import SampleStore, open_async_checkpointer
from graph.meta_graph import build_meta_graph
from graph.sample_graph import build_sample_graph
from graph.scenarios import Scenario, make_scenario
from graph.state import MetaSettings, SampleSettings
from nodes.llm import LLM, BackendError

CONFIG_FILE = "config.json"

# Errors that mean the backend itself is gone: stop the run instead of failing samples.
FATAL_ERRORS: tuple[type[BaseException], ...] = (BackendError, ConnectionError)
try:
    import openai

    FATAL_ERRORS += (openai.APIConnectionError, openai.AuthenticationError, openai.NotFoundError)
except ImportError:  # pragma: no cover - langchain-openai depends on it
    pass


class RunConfigError(ValueError):
    """The run directory was made with other settings."""


def check_run_settings(
    run_dir: Path, requested: SampleSettings | MetaSettings, section: str = "settings"
) -> None:
    """Refuse, on a rerun, settings that would make resumed work differ from the
    finished work."""
    path = run_dir / CONFIG_FILE
    if not path.exists():
        return
    saved = json.loads(path.read_text()).get(section)
    if saved is None:
        return
    changed = [
        f"{k}: {saved[k]!r} -> {v!r}"
        for k, v in requested.to_dict().items()
        if k in saved and saved[k] != v
    ]
    if changed:
        raise RunConfigError(
            f"{run_dir} was started with other settings ({'; '.join(changed)}); "
            "rerun with the same options or use a new --run"
        )


def save_run_config(run_dir: Path, **sections: Any) -> None:
    """Merge `sections` into the run's config.json (settings objects as dicts)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG_FILE
    config = json.loads(path.read_text()) if path.exists() else {}
    for name, value in sections.items():
        config[name] = value.to_dict() if hasattr(value, "to_dict") else value
    path.write_text(json.dumps(config, indent=2) + "\n")


def size_node_pool(workers: int) -> None:
    """Bound how many sync nodes run at once: LangGraph's async path runs them in the
    loop's default executor. (Not LangGraph's `max_concurrency`: it also queues the
    checkpoint writes of finished tasks behind running ones, so a run killed mid-step
    would redo finished fan-out tasks - seen with langgraph 1.2.24.)"""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=workers))


async def run_samples(
    run_dir: str | Path,
    llm: LLM,
    scenarios: Sequence[Scenario],
    settings: SampleSettings,
    concurrency: int = 1,
    progress: bool = True,
) -> Counter:
    """Run every unfinished scenario; return the run's counts by status."""
    run_dir = Path(run_dir)
    store = SampleStore(run_dir)
    finished = store.finished_ids()
    todo = [(i, s) for i, s in enumerate(scenarios) if s.id not in finished]
    size_node_pool(2 * concurrency)  # a sample runs answer and decompose at once
    semaphore = asyncio.Semaphore(concurrency)
    # Kept up to date here (a query per finished sample would be O(n^2)); retried samples
    # count once they finish again.
    counts = Counter(status for id_, status in store.statuses().items() if id_ in finished)
    bar = tqdm(
        total=len(scenarios),
        initial=len(scenarios) - len(todo),
        disable=not progress,
        unit="sample",
        desc="samples",
    )
    async with open_async_checkpointer(run_dir) as saver:
        graph = build_sample_graph(llm, settings, saver)

        async def one(position: int, scenario: Scenario) -> None:
            async with semaphore:
                config = {"configurable": {"thread_id": scenario.id}}
                snapshot = await graph.aget_state(config)
                # A thread with a checkpoint resumes from it (None input); else it starts.
                start = None if snapshot.values else scenario.as_input()
                state, error = snapshot.values, ""
                try:
                    if start is not None or snapshot.next:
                        state = await graph.ainvoke(start, config, durability="sync")
                except FATAL_ERRORS:
                    raise
                except Exception as err:  # one sample's trouble is recorded, not fatal
                    error = f"{type(err).__name__}: {err}"[:500]
                    state = (await graph.aget_state(config)).values
                row = store.record({"position": position, **scenario.to_dict()}, state, error)
                counts[row["status"]] += 1
                bar.update()
                bar.set_postfix(counts, refresh=False)

        tasks = [asyncio.create_task(one(i, s)) for i, s in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            bar.close()
    return store.counts()


META_THREAD = "meta"


def draw_scenarios(scenarios: Sequence[Scenario], count: int, seed: int) -> list[Scenario]:
    """A seeded sample of `count` scenarios (all when there are fewer), in their order."""
    if len(scenarios) <= count:
        return list(scenarios)
    chosen = set(random.Random(f"{seed}/samples").sample(range(len(scenarios)), count))
    return [s for i, s in enumerate(scenarios) if i in chosen]


META_PROGRESS = {
    "domain_batch": "domains",
    "request_batch": "requests",
    "scenario_batch": "scenarios",
}


async def run_meta(
    run_dir: str | Path,
    llm: LLM,
    settings: MetaSettings,
    concurrency: int = 1,
    progress: bool = False,
) -> list[Scenario]:
    """Run (or resume, or reuse) the meta graph as the run's thread "meta"; its result
    lands in the run's domains, requests and scenarios tables."""
    run_dir = Path(run_dir)
    size_node_pool(concurrency)
    config = {"configurable": {"thread_id": META_THREAD}}
    bar = tqdm(disable=not progress, unit="call", desc="meta")
    async with open_async_checkpointer(run_dir) as saver:
        graph = build_meta_graph(llm, settings, saver)
        snapshot = await graph.aget_state(config)
        if not snapshot.values or snapshot.next:
            start = None if snapshot.values else {}
            updates = graph.astream(start, config, durability="sync", stream_mode="updates")
            async for update in updates:  # one per finished task: show which stage runs
                for node in update:
                    if node in META_PROGRESS:
                        bar.set_description(f"meta {META_PROGRESS[node]}", refresh=False)
                        bar.update()
        bar.close()
        state = (await graph.aget_state(config)).values
    SampleStore(run_dir).save_meta(state)
    return [make_scenario(s["request"], s["scenario"], s["domain"]) for s in state["scenarios"]]
