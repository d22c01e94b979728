"""Many workers, one run: a worker claims samples from a PostgreSQL run's queue, works
them, and claims more, until no sample of the run is left open.

A claim is a lease the worker renews while it works (a third of the lease's length
apart). A worker that dies stops renewing; when its leases lapse, the others claim its
samples and resume each from its last checkpoint, so only the LLM calls that were in
flight at the death are made again. A sample is recorded only by the worker that holds
its lease. The progress bar shows the run's totals, everyone's work included.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import Counter
from typing import Any

from tqdm import tqdm

from checkpoints.protocols import SharedRun, WorkQueue
from checkpoints.reconnect import DatabaseUnavailable
from graph.sample_graph import build_sample_graph
from graph.sample_thread import advance, size_node_threads, tally
from graph.scenarios import Scenario
from nodes.constraints import load_models
from nodes.context import SampleContext
from nodes.llm import LLM
from nodes.state import SampleSettings

LEASE_S = 60.0  # a dead worker's samples wait this long (at most) for another to take them
REFRESH_S = 2.0  # how often the bar reads the run's totals


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def work(
    run: SharedRun,
    llm: LLM,
    settings: SampleSettings,
    concurrency: int = 1,
    progress: bool = True,
    lease_s: float = LEASE_S,
    name: str | None = None,
) -> Counter:
    """Work the run's queue with up to `concurrency` samples at once; return the run's
    counts by status once no sample is open (the other workers' included)."""
    store, me = run.store(), name or worker_name()
    size_node_threads(2 * concurrency)  # a sample runs answer and decompose at once
    load_models()  # once, before the samples' checks run side by side
    held: dict[str, asyncio.Task] = {}
    totals = store.progress()
    bar = tqdm(
        total=totals["total"],
        initial=totals["done"],
        disable=not progress,
        unit="sample",
        desc=f"samples ({me})",
        postfix=tally(store.counts(), llm),
    )

    def show() -> None:
        """The run's totals, whoever did the work."""
        totals = store.progress()
        bar.total, bar.n = totals["total"], totals["done"]
        bar.set_postfix_str(tally(store.counts(), llm), refresh=False)
        bar.refresh()

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease_s / 3)
            if held:
                store.renew(me, list(held), lease_s)

    async with run.async_checkpointer() as saver:
        graph, context = build_sample_graph(saver), SampleContext(llm, settings)

        async def work_claimed(row: dict[str, Any]) -> None:
            scenario = Scenario(row["id"], row["request"], row["scenario"], row["domain"])
            state, error = await advance(graph, scenario.id, scenario.as_input(), context)
            store.complete(me, {"position": row["position"], **scenario.to_dict()}, state, error)

        renewing = asyncio.create_task(renew())
        try:
            while True:
                free = concurrency - len(held)
                for row in store.claim(me, free, lease_s) if free else []:
                    held[row["id"]] = asyncio.create_task(work_claimed(row))
                if not held:
                    if store.progress()["open"] == 0:
                        break
                    # the open samples are another worker's: wait until they are done, or
                    # their leases lapse (that worker died) and they can be claimed here
                    await asyncio.sleep(min(lease_s / 4, REFRESH_S))
                    show()
                    continue
                done, _ = await asyncio.wait(
                    held.values(), timeout=REFRESH_S, return_when=asyncio.FIRST_COMPLETED
                )
                for task in sorted(done, key=lambda t: t.exception() is not None):
                    task.result()  # a fatal error stops the worker, its sample still held
                    held.pop(next(k for k, t in held.items() if t is task))
                if renewing.done():
                    renewing.result()  # the database is gone: stop
                show()
        finally:
            renewing.cancel()
            for task in held.values():
                task.cancel()
            bar.close()
            give_back(store, me, len(held), lease_s)
    return store.counts()


def give_back(store: WorkQueue, me: str, held: int, lease_s: float) -> None:
    """Give the samples still held back to the run at once; when the database is gone,
    say so in the error, and when they will go back by themselves."""
    try:
        store.release(me)
    except DatabaseUnavailable as err:
        raise DatabaseUnavailable(
            f"{err}; this worker could not give back its {held} samples: the other "
            f"workers take them over when their leases lapse (--lease {lease_s:g} s)"
        ) from None
