"""Stage 6: answer the instruction; rerun with a fresh seed for each attempt."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from nodes.llm import LLM, ask
from nodes.state import SampleSettings, SampleState, sample_key


def answer(
    state: SampleState, config: RunnableConfig, *, llm: LLM, settings: SampleSettings
) -> dict:
    attempt = len(state.get("attempts", [])) + 1
    sampling = settings.sampling("answer", sample_key(state, config), attempt)
    completion = ask(llm, "answer", sampling, instruction=state["instruction"])
    return {"response": completion.text, "llm_calls": completion.records("answer")}
