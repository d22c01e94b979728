"""Stage 5: find contradictory requirements, and rewrite the instruction when found.

`check_consistency` and `refine` form the graph's bounded loopback; every check is kept
in the state with the instruction it looked at, so the rounds show in the trajectory.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from nodes.constraints.stating import restate
from nodes.context import SampleContext
from nodes.instruction import INSTRUCTION_SCHEMA, degenerate, instruction_update
from nodes.llm import ask_json
from nodes.state import SampleState, failed, sample_key

CONSISTENCY_SCHEMA = {
    "type": "object",
    # Bounded so a rambling explanation closes its string before max_tokens cuts the JSON.
    # (llama.cpp's grammar cannot expand much larger bounds than a few hundred.)
    "properties": {
        "conflict": {"type": "boolean"},
        "explanation": {"type": "string", "maxLength": 300},
    },
    "required": ["conflict", "explanation"],
}


def check_consistency(
    state: SampleState, config: RunnableConfig, runtime: Runtime[SampleContext]
) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    round_ = len(state.get("consistency", []))
    sampling = settings.sampling("check_consistency", sample_key(state, config), round_)
    data, completion = ask_json(
        llm, "check_consistency", sampling, CONSISTENCY_SCHEMA, instruction=state["instruction"]
    )
    update: dict = {"llm_calls": completion.records("check_consistency")}
    if not (isinstance(data, dict) and isinstance(data.get("conflict"), bool)):
        return update | failed("consistency_malformed", completion.text)
    conflict = data["conflict"]
    check = {
        "round": round_,
        "instruction": state["instruction"],
        "conflict": conflict,
        "explanation": str(data.get("explanation", "")).strip(),
    }
    unresolved = conflict and round_ >= settings.max_refine_rounds
    return update | {"consistency": [check], "unresolved_conflict": unresolved}


def refine(state: SampleState, config: RunnableConfig, runtime: Runtime[SampleContext]) -> dict:
    """Rewrite the instruction without the conflict. A constraint whose sentence the
    rewrite no longer holds word for word is no longer checked: it moves to
    `dropped_constraints`, so the sample records what it lost."""
    llm, settings = runtime.context.llm, runtime.context.settings
    last = state["consistency"][-1]
    constraints = state.get("constraints", [])
    appended = [s for s in state.get("stated", []) if s["how"] == "appended"]
    sampling = settings.sampling("refine", sample_key(state, config), last["round"])
    data, completion = ask_json(
        llm,
        "refine",
        sampling,
        INSTRUCTION_SCHEMA,
        instruction=state["instruction"],
        explanation=last["explanation"] or "two requirements contradict each other",
        requirements="\n".join(f"- {s['text']}" for s in appended) or "(none)",
    )
    update = {"llm_calls": completion.records("refine")}
    written = instruction_update(data, completion.text, "refine")
    if "instruction" not in written:
        return update | written
    problem = degenerate(written["instruction"], state["request"])
    if problem:
        return update | failed(f"refine_{problem}", written["instruction"])
    kept, stated, dropped, _ = restate(written["instruction"], constraints, state.get("stated", []))
    update |= written | {"constraints": kept, "stated": stated}
    if dropped:
        update["dropped_constraints"] = state.get("dropped_constraints", []) + dropped
    return update
