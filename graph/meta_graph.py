"""The meta graph (stages 1-3): domains -> requests -> scenarios.

Each stage fans out with `Send` (one task per prompt, domain, or request), and a merge
step reduces the tasks' items, deduplicating across them in a fixed order, so the result
does not depend on which task finished first.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer, Send

from graph.scenarios import make_scenario
from nodes.context import MetaContext
from nodes.lists import dedup_key
from nodes.meta import SEED_DOMAINS, domain_batch, request_batch, scenario_batch
from nodes.state import DomainTask, ItemBatch, MetaState, RequestTask, ScenarioTask

MetaGraph = CompiledStateGraph[MetaState, MetaContext, MetaState, MetaState]


def merge(
    batches: list[ItemBatch], order: list, label: Callable, start: list | None = None
) -> tuple[list, int]:
    """Items of all batches in the fan-out's order, first occurrence kept per
    `label(key, item)`; returns them as (key, item) pairs, and the number of repeats."""
    kept, seen, repeats = [], set(), 0
    pairs = [(None, item) for item in start or []]
    position = {repr(key): i for i, key in enumerate(order)}
    for batch in sorted(batches, key=lambda b: position[repr(b["key"])]):
        pairs += [(batch["key"], item) for item in batch["items"]]
    for key, item in pairs:
        label_ = label(key, item)
        if label_ in seen:
            repeats += 1
            continue
        seen.add(label_)
        kept.append((key, item))
    return kept, repeats


def capped(items: list, cap: int | None, seed: int, stage: str) -> list:
    """A seeded sample of at most `cap` items, in their original order."""
    if cap is None or len(items) <= cap:
        return items
    chosen = set(random.Random(f"{seed}/{stage}").sample(range(len(items)), cap))
    return [item for i, item in enumerate(items) if i in chosen]


def merge_domains(state: MetaState, runtime: Runtime[MetaContext]) -> dict:
    settings = runtime.context.settings
    kept, repeats = merge(
        state.get("domain_batches", []),
        list(range(settings.iterations)),
        lambda _, d: dedup_key(d),
        list(SEED_DOMAINS),
    )
    domains = capped([d for _, d in kept], settings.max_domains, settings.seed, "domains")
    return {"domains": domains, "duplicates": [{"stage": "domains", "dropped": repeats}]}


def merge_requests(state: MetaState, runtime: Runtime[MetaContext]) -> dict:
    settings = runtime.context.settings
    kept, repeats = merge(
        state.get("request_batches", []), state["domains"], lambda _, r: dedup_key(r)
    )
    requests = [{"domain": domain, "request": r} for domain, r in kept]
    requests = capped(requests, settings.max_requests, settings.seed, "requests")
    return {"requests": requests, "duplicates": [{"stage": "requests", "dropped": repeats}]}


def merge_scenarios(state: MetaState) -> dict:
    # deduplicated per request, as in the reference
    kept, repeats = merge(
        state.get("scenario_batches", []),
        [[r["domain"], r["request"]] for r in state["requests"]],
        lambda key, s: (tuple(key), dedup_key(s)),
    )
    scenarios = [make_scenario(key[1], s, key[0]).to_dict() for key, s in kept]
    return {"scenarios": scenarios, "duplicates": [{"stage": "scenarios", "dropped": repeats}]}


def fan_out_domains(state: MetaState, runtime: Runtime[MetaContext]) -> list[Send]:
    iterations = runtime.context.settings.iterations
    return [Send("domain_batch", {"iteration": i}) for i in range(iterations)]


def fan_out_requests(state: MetaState) -> list[Send] | str:
    sends = [Send("request_batch", {"domain": d}) for d in state["domains"]]
    return sends or "merge_requests"


def fan_out_scenarios(state: MetaState) -> list[Send] | str:
    sends = [Send("scenario_batch", r) for r in state["requests"]]
    return sends or "merge_scenarios"


def build_meta_graph(checkpointer: Checkpointer = None) -> MetaGraph:
    """Compile the meta graph; each run brings its client and sizes as its context:
    `graph.invoke({}, config, context=MetaContext(llm, settings))`."""
    builder = StateGraph(MetaState, context_schema=MetaContext)
    # the fan-out tasks take their `Send` payload, not the state
    builder.add_node("domain_batch", domain_batch, input_schema=DomainTask)
    builder.add_node("merge_domains", merge_domains)
    builder.add_node("request_batch", request_batch, input_schema=RequestTask)
    builder.add_node("merge_requests", merge_requests)
    builder.add_node("scenario_batch", scenario_batch, input_schema=ScenarioTask)
    builder.add_node("merge_scenarios", merge_scenarios)

    builder.add_conditional_edges(START, fan_out_domains, ["domain_batch"])
    builder.add_edge("domain_batch", "merge_domains")
    builder.add_conditional_edges(
        "merge_domains", fan_out_requests, ["request_batch", "merge_requests"]
    )
    builder.add_edge("request_batch", "merge_requests")
    builder.add_conditional_edges(
        "merge_requests", fan_out_scenarios, ["scenario_batch", "merge_scenarios"]
    )
    builder.add_edge("scenario_batch", "merge_scenarios")
    builder.add_edge("merge_scenarios", END)
    return builder.compile(checkpointer=checkpointer, name="decif-meta")
