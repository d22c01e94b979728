"""Stages 1-3, the meta-information layers: domains, then requests per domain, then
scenarios per request. Each node is one LLM call on one fan-out task (a LangGraph `Send`,
whose payload is the state the node gets);
the graph's merge steps deduplicate across tasks."""

from __future__ import annotations

import random

from langgraph.runtime import Runtime

from nodes.context import MetaContext
from nodes.lists import ask_items, at_most_words, scenario_rule
from nodes.llm import Sampling
from nodes.state import DomainTask, MetaSettings, RequestTask, ScenarioTask

# One-line item shapes for the grammar (where the backend has one); repetition bounds stay
# at or under 128, the most xgrammar (vLLM) compiles.
DOMAIN_PATTERN = r"^[A-Z][A-Za-z &,-]{2,40}$"
REQUEST_PATTERN = r"^[a-z]+( [a-z]+){1,3}$"  # 2-4 lower-case words: a verb and its object
SCENARIO_PATTERN = r"^[A-Z][^\"\\\n]{40,}$"

SEED_DOMAINS = (
    "Education",
    "Healthcare",
    "Finance",
    "Technology",
    "Travel",
    "Computer Science",
    "Artificial Intelligence",
    "Data Science",
    "Cybersecurity",
    "Mathematics",
)


# Tokens a list item needs at most, with its JSON quoting: a list of N items under a grammar
# is done long before the run's max_tokens, unless a small model rambles inside a string.
TOKENS_PER_ITEM = {"domains": 12, "requests": 12, "scenarios": 64}


def _sampling(settings: MetaSettings, stage: str, key: object, count: int) -> Sampling:
    base = Sampling(
        temperature=0.7, top_p=settings.top_p, top_k=settings.top_k, max_tokens=settings.max_tokens
    )
    capped = base.capped(16 + count * TOKENS_PER_ITEM[stage])
    return capped.with_seed(settings.seed, "meta", stage, key)


def domain_batch(state: DomainTask, runtime: Runtime[MetaContext]) -> dict:
    """One of many independent prompts, each showing the seeds freshly shuffled."""
    llm, settings = runtime.context.llm, runtime.context.settings
    iteration = state["iteration"]
    seeds = list(SEED_DOMAINS)
    random.Random(f"{settings.seed}/domains/{iteration}").shuffle(seeds)
    batch, completion = ask_items(
        llm,
        "meta_domains",
        _sampling(settings, "domains", iteration, settings.domains_per_prompt),
        iteration,
        settings.domains_per_prompt,
        at_most_words(4),
        pattern=DOMAIN_PATTERN,
        seeds="\n".join(f"- {s}" for s in seeds),
        count=settings.domains_per_prompt,
    )
    return {"domain_batches": [batch], "llm_calls": completion.records("domains")}


def request_batch(state: RequestTask, runtime: Runtime[MetaContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    domain = state["domain"]
    batch, completion = ask_items(
        llm,
        "meta_requests",
        _sampling(settings, "requests", domain, settings.requests_per_domain),
        domain,
        settings.requests_per_domain,
        at_most_words(4),
        transform=str.lower,
        pattern=REQUEST_PATTERN,
        domain=domain,
        count=settings.requests_per_domain,
    )
    return {"request_batches": [batch], "llm_calls": completion.records("requests")}


def scenario_batch(state: ScenarioTask, runtime: Runtime[MetaContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    domain, request = state["domain"], state["request"]
    batch, completion = ask_items(
        llm,
        "meta_scenarios",
        _sampling(settings, "scenarios", f"{domain}/{request}", settings.scenarios_per_request),
        [domain, request],
        settings.scenarios_per_request,
        scenario_rule,
        transform=lambda s: s.rstrip("."),
        pattern=SCENARIO_PATTERN,
        domain=domain,
        request=request,
        count=settings.scenarios_per_request,
    )
    return {"scenario_batches": [batch], "llm_calls": completion.records("scenarios")}
