"""Personas: who is asking. DecIF's later version writes several per scenario; each sample
draws one, and its instruction is written in that person's voice.

A scenario may bring its own (a scenario file's "personas"); otherwise, with
`--personas K`, the model writes K for the scenario here, in the sample's own graph, so
only the scenarios a run draws get them and the step is checkpointed with the rest.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.context import SampleContext
from nodes.llm import ask_json
from nodes.state import SampleState, failed, sample_key

PERSONA_PATTERN = r"^[^\"\\\n]{10,300}$"  # one line: a small model cannot wander off


def personas_schema(count: int) -> dict:
    return {
        "type": "object",
        "properties": {
            "personas": {
                "type": "array",
                "items": {"type": "string", "pattern": PERSONA_PATTERN},
                "minItems": count,
                "maxItems": count,
            }
        },
        "required": ["personas"],
    }


def choose_persona(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    """The scenario's personas (written now when it has none) and the one drawn."""
    llm, settings = runtime.context.llm, runtime.context.settings
    key = sample_key(state)
    personas = [p.strip() for p in state.get("personas", []) if p.strip()]
    update: dict = {}
    if not personas:
        data, completion = ask_json(
            llm,
            "write_personas",
            settings.sampling("write_personas", key),
            personas_schema(settings.personas),
            request=state["request"],
            scenario=state["scenario"],
            count=settings.personas,
        )
        update["llm_calls"] = completion.records("write_personas")
        written = data.get("personas") if isinstance(data, dict) else None
        if not isinstance(written, list):
            return update | failed("personas_malformed", completion.text)
        personas = list(dict.fromkeys(str(p).strip() for p in written if str(p).strip()))
        if not personas:
            return update | failed("personas_empty")
    persona = settings.rng(f"{key}/persona").choice(personas)
    return update | {"personas": personas, "persona": persona}


def voice(state: SampleState) -> str:
    """The line that asks for the instruction in the drawn person's voice (it follows the
    situation's line), or nothing."""
    persona = state.get("persona")
    return f"\nWrite it as this person would, in their voice: {persona}" if persona else ""
