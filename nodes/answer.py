"""Stage 6: answer the instruction - one response per round, or `--candidates K`
sampled at once (rejection sampling: the judge keeps the first that passes). Each round
samples afresh with its own seed.

In a conversation the model answers the latest message with the whole conversation as
context: its system message (the conversation's own, after decif's answering rules), then
every verified turn, then the latest message."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.context import SampleContext
from nodes.conversation import history, in_conversation
from nodes.llm import ask_n
from nodes.state import SampleState, next_round, sample_key


def answer(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    sampling = settings.sampling("answer", sample_key(state), next_round(state))
    n, instruction = settings.candidates, state["instruction"]
    if in_conversation(state):
        system = f"\n\n{state['system']['text']}" if "system" in state else ""
        texts, calls = ask_n(
            llm,
            "answer_turn",
            sampling,
            n,
            "answer",
            history=history(state),
            instruction=instruction,
            system=system,
        )
    else:
        texts, calls = ask_n(llm, "answer", sampling, n, "answer", instruction=instruction)
    return {"response": texts[0], "responses": texts, "llm_calls": calls}
