"""The meta graph (stages 1-3) on a scripted LLM: fan-out, dedup, rules, seeding, resume."""

from __future__ import annotations

import asyncio
import json

from fakes import ScriptedLLM, kill_when, python_process, run_to_end
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints import SampleStore
from graph.meta_graph import build_meta_graph
from graph.runner import run_meta
from nodes.context import MetaContext
from nodes.lists import parse_items, scenario_rule
from nodes.meta import SEED_DOMAINS
from nodes.state import MetaSettings


def field(messages, name: str) -> str:
    return messages[-1]["content"].split(f"{name}: ")[1].split("\n")[0]


def script(domains=None) -> dict:
    """Requests and scenarios name their parent, so every item is traceable."""

    def domain_reply(messages):
        return domains or {"items": ["Sports", "Law", "education", "Food and Cooking Arts Crafts"]}

    def requests(messages):
        domain = field(messages, "Domain").lower()
        return {"items": [f"write {domain} news", "plan a budget", "Explain A Thing"]}

    def scenarios(messages):
        request = field(messages, "Task")
        return {
            "items": [
                f"A teacher at a village school needs to {request} for tomorrow's class.",
                f"A retired nurse wants to {request} for a neighbour.",
                f"A retired nurse wants to {request} for a neighbour.",  # repeat
            ]
        }

    return {"meta_domains": domain_reply, "meta_requests": requests, "meta_scenarios": scenarios}


def run_graph(settings: MetaSettings, **kw) -> tuple[dict, ScriptedLLM]:
    llm = ScriptedLLM(script(**kw))
    graph = build_meta_graph(InMemorySaver())
    config = {"configurable": {"thread_id": "meta"}}
    return graph.invoke({}, config, context=MetaContext(llm, settings)), llm


def test_fan_out_counts_and_dedup():
    state, llm = run_graph(MetaSettings(iterations=3, max_domains=None))
    # seeds stay; "education" repeats a seed and the 4-word rule drops the last one
    assert state["domains"][: len(SEED_DOMAINS)] == list(SEED_DOMAINS)
    assert state["domains"][len(SEED_DOMAINS) :] == ["Sports", "Law"]
    assert llm.count("meta_domains") == 3
    domains = len(state["domains"])
    assert llm.count("meta_requests") == domains  # one task per domain
    # "plan a budget" is kept once across domains, "explain a thing" is lower-cased
    requests = [r["request"] for r in state["requests"]]
    assert requests.count("plan a budget") == 1
    assert "explain a thing" in requests
    assert len(requests) == domains + 2
    assert llm.count("meta_scenarios") == len(requests)  # one task per request
    assert len(state["scenarios"]) == 2 * len(requests)  # repeat dropped per request
    assert all(not s["scenario"].endswith(".") for s in state["scenarios"])
    assert {"stage": "domains", "dropped": 3 * 1 + 2 * 2} in state["duplicates"]
    calls = state["domain_batches"]
    assert all(b["dropped"] == {"over_4_words": 1} for b in calls)


def test_caps_are_seeded_and_reproducible():
    settings = MetaSettings(iterations=1, max_domains=3, max_requests=4, seed=5)
    first, _ = run_graph(settings)
    again, _ = run_graph(settings)
    assert len(first["domains"]) == 3 and len(first["requests"]) == 4
    assert first["scenarios"] == again["scenarios"]
    other, _ = run_graph(MetaSettings(iterations=1, max_domains=3, max_requests=4, seed=6))
    assert other["domains"] != first["domains"]


def test_seed_domains_are_shown_freshly_shuffled():
    _, llm = run_graph(MetaSettings(iterations=4, max_domains=1))
    shown = {c["user"] for c in llm.calls if c["prompt"] == "meta_domains"}
    assert len(shown) > 1


def test_garbage_yields_zero_items_without_a_crash():
    state, _ = run_graph(MetaSettings(iterations=2), domains="I cannot help with that.")
    assert state["domains"] == list(SEED_DOMAINS)
    assert all(b["kept"] == 0 for b in state["domain_batches"])
    assert state["domain_batches"][0]["dropped"] == {"not_a_list_item": 1}


def test_list_parser_reads_prefixed_lines_and_drops_prose():
    text = "<think>hmm</think>Sure! Here they are:\n- A nurse needs help writing a leaflet.\n"
    text += "2) A student wants to plan a trip on a budget.\n* short\nHope this helps"
    items, dropped = parse_items(text, scenario_rule)
    assert items == [
        "A nurse needs help writing a leaflet.",
        "A student wants to plan a trip on a budget.",
    ]
    assert dropped == {"not_a_list_item": 2, "too_short": 1}


def test_meta_run_lands_in_tables(tmp_path):
    llm = ScriptedLLM(script())
    settings = MetaSettings(iterations=2, max_domains=2)
    scenarios = asyncio.run(run_meta(tmp_path, llm, settings))
    db = SampleStore(tmp_path).db
    assert db["domains"].count == 2
    assert db["scenarios"].count == len(scenarios) > 0
    row = next(db["scenarios"].rows)
    assert (row["domain"], row["request"]) in {
        (r["domain"], r["request"]) for r in db["requests"].rows
    }
    assert db["meta_calls"].count == llm.count("meta_domains") + llm.count(
        "meta_requests"
    ) + llm.count("meta_scenarios")


DRIVER = """
import asyncio
from fakes import ScriptedLLM
from test_meta_graph import script
from graph.runner import run_meta
from nodes.state import MetaSettings
llm = ScriptedLLM(script(), delay_s={delay}, log_path={log!r})
asyncio.run(run_meta({run!r}, llm, MetaSettings(iterations=3, max_domains=4), concurrency=1))
"""


def test_killed_meta_run_resumes_without_repeating_finished_calls(tmp_path):
    run_dir, log, delay = tmp_path / "run", tmp_path / "calls.jsonl", 0.3
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(delay=delay, log=str(log), run=str(run_dir)))
    # 3 domain calls and 2 request calls finished, the third request call in flight
    kill_when(python_process(driver), log, lambda text: text.count("\n") >= 5, delay / 2)
    assert len(log.read_text().splitlines()) < 3 + 4 + 6

    run_to_end(driver)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    keys = [(c["prompt"], c["user"]) for c in calls]
    assert len(keys) == len(set(keys)), "a finished LLM call was made again"
    assert len(keys) == 3 + 4 + 6  # 3 prompts, 4 domains, 6 requests
    assert SampleStore(run_dir).db["scenarios"].count == 12
