"""A sample's trajectory, read back from its checkpoints: each step's node and what it
wrote (LangGraph keeps every task's writes with the checkpoint it ran from)."""

from __future__ import annotations

import json
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Overwrite

# any compiled graph: the sample graph, or another over the same checkpoints
Graph = CompiledStateGraph[Any, Any, Any, Any]


def trajectory(graph: Graph, thread_id: str) -> list[dict[str, Any]]:
    """Steps in the order they ran: {step, node, update, error, llm, at}."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    steps = []
    for snapshot in reversed(list(graph.get_state_history(config))):
        for task in snapshot.tasks:
            if task.name == "__start__" or (task.result is None and task.error is None):
                continue
            # a new turn resets the per-turn lists (LangGraph's Overwrite): shown as set
            result = (task.result or {}).items()
            update = {k: v.value if isinstance(v, Overwrite) else v for k, v in result}
            calls = update.pop("llm_calls", [])
            steps.append(
                {
                    "step": (snapshot.metadata or {}).get("step", 0) + 1,
                    "node": task.name,
                    "update": update,
                    "error": str(task.error) if task.error else None,
                    "llm": {
                        "calls": len(calls),
                        "prompt_tokens": sum(c["prompt_tokens"] for c in calls),
                        "completion_tokens": sum(c["completion_tokens"] for c in calls),
                        "latency_s": round(sum(c["latency_s"] for c in calls), 3),
                    },
                    "at": snapshot.created_at,
                }
            )
    return steps


def how_stated(stated: dict[str, Any]) -> str:
    """ "woven", or "appended (why, style)": how one constraint is stated."""
    if stated["how"] == "woven":
        return f"{stated['id']} woven"
    style = f", {stated['style']}" if stated.get("style") else ""
    return f"{stated['id']} appended ({stated['why']}{style})"


def held_line(constraint: dict[str, Any]) -> str:
    """A constraint in force at a turn, with where it comes from."""
    kwargs = json.dumps(constraint["kwargs"], ensure_ascii=False)
    since = {
        "system": "system message",
        "from_now_on": f"from now on, since turn {constraint['since']}",
        "turn": "this turn",
    }[constraint["scope"]]
    return f"{constraint['id']} {kwargs} ({since})"


def describe(update: dict[str, Any], width: int = 300) -> list[str]:
    """Human-readable lines for one step's update.

    Each consistency round shows the instruction it checked, so a refinement reads as
    a before and after."""

    def short(value: object) -> str:
        text = " ".join(value.split()) if isinstance(value, str) else repr(value)
        return text if len(text) <= width else text[: width - 3] + "..."

    lines = []
    if "turn" in update:  # a conversation's next turn: say so, not each field it empties
        lines.append(f"=== turn {update['turn']} ===")
        update = {k: v for k, v in update.items() if k != "turn" and (v or k == "instruction")}
    for key, value in update.items():
        if key == "turns":
            for done in value:
                lines.append(f"turn {done['turn']} verified; its answer: {short(done['response'])}")
        elif key == "system":
            lines.append(f"system message: {short(value['text'])}")
            lines += [f"  {how_stated(s)}: {short(s['text'])}" for s in value["stated"]]
        elif key == "scopes":
            lines.append("scopes: " + ", ".join(f"{t} {s}" for t, s in value.items()))
        elif key == "held":
            lines.append("in force from before:")
            lines += [f"  {held_line(c)}" for c in value]
        elif key == "consistency":
            for check in value:
                verdict = "conflict" if check["conflict"] else "consistent"
                lines.append(f"round {check['round']}: {verdict} - {check['explanation']}")
                lines.append(f"  checked: {short(check['instruction'])}")
                for fidelity in check.get("fidelity", []):
                    lines.append(f"  as woven? {fidelity['answer']} {fidelity['id']}")
        elif key in ("constraints", "dropped_constraints"):
            heading = "constraints" if key == "constraints" else "dropped by the rewrite"
            lines.append(f"{heading}:" if value else f"{heading}: none")
            lines += [f"  {c['id']} {json.dumps(c['kwargs'], ensure_ascii=False)}" for c in value]
        elif key == "stated":
            lines.append("stated:")
            lines += [f"  {how_stated(s)}: {short(s['text']) or '-'}" for s in value]
        elif key == "attempts":
            for attempt in value:
                verdicts = " ".join(attempt["verdicts"]) or "-"
                lines.append(f"attempt {attempt['attempt']}: {attempt['reason']} [{verdicts}]")
                for check in attempt.get("checks", []):
                    verdict = "pass" if check["passed"] else "FAIL"
                    lines.append(f"  {verdict} {check['id']} ({check['by']})")
                if "judge_reply" in attempt:
                    lines.append(f"  judge replied: {short(attempt['judge_reply'])}")
        elif key == "criteria":
            lines.append("criteria:")
            lines += [f"  {i}. {q}" for i, q in enumerate(value, 1)]
        else:
            lines.append(f"{key}: {short(value)}")
    return lines


def unrecorded_samples(graph: Graph, recorded: set[str]) -> list[dict[str, Any]]:
    """Sample rows for the threads of the checkpointer that the samples table lacks: a
    graph run through the Python API, or a sample in flight. Their status is their final
    one, or `failed`/`unfinished` while they have none."""
    from checkpoints.saver import META_THREAD
    from checkpoints.tables import decode, sample_row

    sql = "select distinct thread_id from checkpoints"
    saver = cast(Any, graph.checkpointer)  # SqliteSaver or PostgresSaver: both have `conn`
    found = saver.conn.execute(sql).fetchall()  # SQLite tuples, psycopg dicts
    threads = [
        thread
        for thread in (row["thread_id"] if isinstance(row, dict) else row[0] for row in found)
        if thread not in recorded and thread != META_THREAD
    ]
    rows = []
    for thread in threads:
        state = graph.get_state({"configurable": {"thread_id": thread}}).values
        sample = {"id": thread, "position": None}
        sample |= {k: state.get(k, "") for k in ("domain", "request", "scenario")}
        rows.append(decode(sample_row(sample, state)))
    return rows
