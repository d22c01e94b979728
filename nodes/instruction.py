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


def read_instruction(data: object) -> str | None:
    """The instruction text of a {"instruction": ...} reply; None when malformed."""
    if isinstance(data, dict) and isinstance(data.get("instruction"), str):
        return data["instruction"].strip()
    return None


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
    update: dict = {
        "constraints": [c.id for c in drawn],
        "llm_calls": [completion.record("make_instruction")],
    }
    instruction = read_instruction(data)
    if instruction is None:
        return update | failed("instruction_malformed", completion.text)
    if not instruction:
        return update | failed("instruction_empty")
    return update | {"instruction": instruction}
