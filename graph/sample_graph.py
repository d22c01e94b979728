"""The sample graph (stages 4-9): one run per scenario, checkpointed per step.

START -> [choose_persona] -> make_instruction -> check_consistency <-> refine (conflict)
                                                                 <-> restate (woven said NO)
      -> answer + decompose (parallel) -> judge -> accept | answer (resample) | reject
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from nodes.answer import answer
from nodes.consistency import check_consistency, refine, restate_unfaithful, unfaithful
from nodes.context import SampleContext
from nodes.decompose import decompose
from nodes.instruction import make_instruction
from nodes.judge import accept, judge, reject
from nodes.persona import choose_persona
from nodes.state import SampleState

SampleGraph = CompiledStateGraph[SampleState, SampleContext, SampleState, SampleState]

# Routers return edge labels; the path maps below turn them into nodes, and the labels
# are what `decif graph` draws on the conditional edges.


def at_start(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    """Whose voice: a persona when the scenario brings some or the run writes them."""
    given = runtime.context.settings.personas or state.get("personas")
    return "persona" if given else "no persona"


def after_persona(state: SampleState) -> str:
    return "failed" if state.get("status") else "chosen"


def after_instruction(state: SampleState) -> str:
    return "failed" if state.get("status") else "written"


def after_consistency(state: SampleState) -> str | list[str]:
    if state.get("status"):
        return "failed"
    last = state["consistency"][-1]
    if unfaithful(last):
        return "not as woven"
    if last["conflict"] and not state.get("unresolved_conflict"):
        return "conflict"
    return ["answer", "decompose"]


def after_refine(state: SampleState) -> str:
    return "failed" if state.get("status") else "check again"


def after_judge(state: SampleState, runtime: Runtime[SampleContext]) -> str:
    if state.get("status"):
        return "failed"
    round_ = state["attempts"][-1]["attempt"]
    if any(a["passed"] for a in state["attempts"] if a["attempt"] == round_):
        return "all YES"
    return "resample" if round_ < runtime.context.settings.max_attempts else "attempts used up"


def build_sample_graph(checkpointer: Checkpointer = None) -> SampleGraph:
    """Compile the sample graph; each run brings its client and settings as its context:
    `graph.invoke(input, config, context=SampleContext(llm, settings))`."""
    builder = StateGraph(SampleState, context_schema=SampleContext)
    builder.add_node("choose_persona", choose_persona)
    builder.add_node("make_instruction", make_instruction)
    builder.add_node("check_consistency", check_consistency)
    builder.add_node("refine", refine)
    builder.add_node("restate", restate_unfaithful)
    builder.add_node("answer", answer)
    builder.add_node("decompose", decompose)
    builder.add_node("judge", judge)
    builder.add_node("accept", accept)
    builder.add_node("reject", reject)

    builder.add_conditional_edges(
        START, at_start, {"persona": "choose_persona", "no persona": "make_instruction"}
    )
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
        },
    )
    builder.add_edge("restate", "check_consistency")
    builder.add_conditional_edges(
        "refine", after_refine, {"check again": "check_consistency", "failed": END}
    )
    # answer and decompose run in the same step when both fire; judge then runs once.
    builder.add_edge("answer", "judge")
    builder.add_edge("decompose", "judge")
    builder.add_conditional_edges(
        "judge",
        after_judge,
        {"all YES": "accept", "resample": "answer", "attempts used up": "reject", "failed": END},
    )
    builder.add_edge("accept", END)
    builder.add_edge("reject", END)
    return builder.compile(checkpointer=checkpointer, name="decif-sample")
