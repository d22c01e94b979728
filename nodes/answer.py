"""Stage 6: answer the instruction - one response per round, or `--candidates K`
sampled at once (rejection sampling: the judge keeps the first that passes). Each round
samples afresh with its own seed."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.context import SampleContext
from nodes.llm import ask_n
from nodes.state import SampleState, next_round, sample_key


def answer(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    sampling = settings.sampling("answer", sample_key(state), next_round(state))
    texts, calls = ask_n(
        llm, "answer", sampling, settings.candidates, "answer", instruction=state["instruction"]
    )
    return {"response": texts[0], "responses": texts, "llm_calls": calls}
