"""The sample graph (stages 4-9): one run per scenario, checkpointed per step.

START -> [system_prompt] -> [choose_persona] -> make_instruction -> check_consistency
      check_consistency <-> refine (conflict), <-> restate (woven said NO)
      -> answer + decompose (parallel) -> judge -> accept | answer (resample) | reject
      judge -> write_turn (a conversation's next turn) -> check_consistency ...

A conversation (--turns N) loops back from a verified turn to `write_turn`, whose message
goes through the same steps with everything in force; each turn's steps are checkpointed
like the first's.
"""

from __future__ import annotations

from collections.abc import Hashable

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from nodes.answer import answer
from nodes.consistency import check_consistency, refine, restate_unfaithful, unfaithful
from nodes.context import SampleContext
from nodes.conversation import turn_of
from nodes.decompose import decompose
from nodes.follow_up import write_turn
from nodes.instruction import make_instruction
from nodes.judge import accept, judge, reject
from nodes.persona import choose_persona
from nodes.state import SampleState
from nodes.system_prompt import system_prompt

SampleGraph = CompiledStateGraph[SampleState, SampleContext, SampleState, SampleState]

# Routers return edge labels; the path maps below turn them into nodes, and the labels
# are what `decif graph` draws on the conditional edges.


def at_start(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    """A system message first when the run states constraints there; then whose voice: a
    persona when the scenario brings some or the run writes them."""
    settings = runtime.context.settings
    if settings.system_constraints and "system" not in state:
        return "system prompt"
    return "persona" if settings.personas or state.get("personas") else "no persona"


def keeps_prefix(state: SampleState, runtime: Runtime[SampleContext]) -> bool:
    """--keep-prefix, and a conversation with turns verified before this one to keep."""
    return bool(runtime.context.settings.keep_prefix and state.get("turns"))


def stopped(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    """Where a sample goes when a step failed it: it ends, or with --keep-prefix a
    conversation keeps the turns verified before this one."""
    return "keep verified turns" if keeps_prefix(state, runtime) else "failed"


def after_persona(state: SampleState) -> str:
    return "failed" if state.get("status") else "chosen"


def after_instruction(state: SampleState) -> str:
    return "failed" if state.get("status") else "written"


def after_turn(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    return stopped(state, runtime) if state.get("status") else "written"


def after_consistency(state: SampleState, runtime: Runtime[SampleContext]) -> str | list[str]:
    if state.get("status"):
        return stopped(state, runtime)
    last = state["consistency"][-1]
    if unfaithful(last):
        return "not as woven"
    if last["conflict"] and not state.get("unresolved_conflict"):
        return "conflict"
    return ["answer", "decompose"]


def after_refine(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    return stopped(state, runtime) if state.get("status") else "check again"


def after_judge(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    settings = runtime.context.settings
    if state.get("status"):
        return stopped(state, runtime)
    round_ = state["attempts"][-1]["attempt"]
    if any(a["passed"] for a in state["attempts"] if a["attempt"] == round_):
        return "next turn" if turn_of(state) < settings.turns else "all YES"
    if round_ < settings.max_attempts:
        return "resample"
    return "keep verified turns" if keeps_prefix(state, runtime) else "attempts used up"


def build_sample_graph(checkpointer: Checkpointer = None) -> SampleGraph:
    """Compile the sample graph; each run brings its client and settings as its context:
    `graph.invoke(input, config, context=SampleContext(llm, settings))`."""
    builder = StateGraph(SampleState, context_schema=SampleContext)
    builder.add_node("system_prompt", system_prompt)
    builder.add_node("choose_persona", choose_persona)
    builder.add_node("make_instruction", make_instruction)
    builder.add_node("check_consistency", check_consistency)
    builder.add_node("refine", refine)
    builder.add_node("restate", restate_unfaithful)
    builder.add_node("answer", answer)
    builder.add_node("decompose", decompose)
    builder.add_node("judge", judge)
    builder.add_node("write_turn", write_turn)
    builder.add_node("accept", accept)
    builder.add_node("reject", reject)

    voices: dict[Hashable, str] = {"persona": "choose_persona", "no persona": "make_instruction"}
    builder.add_conditional_edges(START, at_start, {"system prompt": "system_prompt", **voices})
    builder.add_conditional_edges("system_prompt", at_start, voices)
    builder.add_conditional_edges(
        "choose_persona", after_persona, {"chosen": "make_instruction", "failed": END}
    )
    builder.add_conditional_edges(
        "make_instruction", after_instruction, {"written": "check_consistency", "failed": END}
    )
    builder.add_conditional_edges(
        "check_consistency",
        after_consistency,
        {
            "conflict": "refine",
            "not as woven": "restate",
            "answer": "answer",
            "decompose": "decompose",
            "failed": END,
            "keep verified turns": "accept",
        },
    )
    builder.add_edge("restate", "check_consistency")
    builder.add_conditional_edges(
        "refine",
        after_refine,
        {"check again": "check_consistency", "failed": END, "keep verified turns": "accept"},
    )
    # answer and decompose run in the same step when both fire; judge then runs once.
    builder.add_edge("answer", "judge")
    builder.add_edge("decompose", "judge")
    builder.add_conditional_edges(
        "judge",
        after_judge,
        {
            "all YES": "accept",
            "next turn": "write_turn",
            "resample": "answer",
            "attempts used up": "reject",
            "keep verified turns": "accept",
            "failed": END,
        },
    )
    builder.add_conditional_edges(
        "write_turn",
        after_turn,
        {"written": "check_consistency", "failed": END, "keep verified turns": "accept"},
    )
    builder.add_edge("accept", END)
    builder.add_edge("reject", END)
    return builder.compile(checkpointer=checkpointer, name="decif-sample")
