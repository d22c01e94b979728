"""Stage 4: write the instruction for a (request, scenario), with drawn constraints."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from graph.state import SampleSettings, SampleState, failed, sample_key
from nodes.constraints import draw_constraints
from nodes.llm import LLM, ask_json

INSTRUCTION_SCHEMA = {
    "type": "object",
    "properties": {"instruction": {"type": "string", "minLength": 10}},
    "required": ["instruction"],
}


def instruction_update(data: object, reply: str, reason_prefix: str) -> dict:
    """The update for a {"instruction": ...} reply: the instruction, or the failure."""
    if not (isinstance(data, dict) and isinstance(data.get("instruction"), str)):
        return failed(f"{reason_prefix}_malformed", reply)
    instruction = data["instruction"].strip()
    return {"instruction": instruction} if instruction else failed(f"{reason_prefix}_empty")


def make_instruction(
    state: SampleState, config: RunnableConfig, *, llm: LLM, settings: SampleSettings
) -> dict:
    key = sample_key(state, config)
    drawn = [] if settings.mode == "wild" else draw_constraints(settings.rng(key))
    values = {"request": state["request"], "scenario": state["scenario"]}
    if drawn:
        prompt = "make_instruction"
        values["constraints"] = "\n".join(f"- {c.description}" for c in drawn)
    else:
        prompt = "make_wild_instruction"
    data, completion = ask_json(
        llm, prompt, settings.sampling("make_instruction", key), INSTRUCTION_SCHEMA, **values
    )
    return {
        "constraints": [c.id for c in drawn],
        "llm_calls": [completion.record("make_instruction")],
    } | instruction_update(data, completion.text, "instruction")
