"""The next user turn of a conversation (`--turns N`): once a turn is verified, the same
person writes a follow-up - refine, extend or shorten the answer, change its form, ask
something related - with constraints of its own.

The verified turn is archived (`turns`) and the per-turn fields start afresh. What stays
in force (the system message's constraints, and every earlier one asked for from now on)
is `held`; the new message's constraints are drawn from the catalogue less every type
that conflicts with one held (the conflict table), fewer than a first message's since
the lasting ones pile up, and each is given a scope: this turn only, or from now on (a
type that can last, half the time). They are woven into the message or appended exactly
as a first message's, a lasting one saying that it lasts; then the message goes through
the same consistency check, answer, decompose and judge, with the conversation visible.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.constraints import DrawContext, draw_constraints, known
from nodes.constraints.scopes import FOLLOW_UP_WEIGHTS, draw_scopes
from nodes.constraints.stating import compose
from nodes.context import SampleContext
from nodes.conversation import archive, fresh_turn, kept_after, lasting, transcript, turn_of
from nodes.instruction import INSTRUCTION_SCHEMA, instruction_update, requirements
from nodes.llm import ask_json
from nodes.persona import voice
from nodes.state import SampleState, sample_key


def write_turn(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    done, turn = archive(state), turn_of(state) + 1
    held = kept_after(state)
    key = sample_key(state, turn)
    drawn = []
    rng = settings.rng(key)
    if settings.mode != "wild":
        context = DrawContext(request=state["request"], scenario=state["scenario"])
        kinds = [known(c["id"]) for c in held]
        drawn = draw_constraints(
            rng,
            context,
            settings.drawable_types(),
            kinds,
            FOLLOW_UP_WEIGHTS,
            most=settings.max_constraints,
        )
    scopes = draw_scopes(settings.rng(f"{key}/scopes"), drawn)
    lasts = lasting(scopes)
    weave = bool(drawn) and settings.phrasing == "woven"
    data, completion = ask_json(
        llm,
        "make_woven_followup" if weave else "make_followup",
        settings.sampling("write_turn", key),
        INSTRUCTION_SCHEMA,
        request=state["request"],
        scenario=state["scenario"],
        voice=voice(state),
        conversation=transcript(state, [*state.get("turns", []), done]),
        constraints=requirements(drawn, with_values=weave, lasting=lasts),
    )
    update = fresh_turn(turn, held) | {"turns": [*state.get("turns", []), done], "scopes": scopes}
    update["llm_calls"] = completion.records("write_turn")
    written = instruction_update(data, completion.text, "followup", state["request"])
    if "instruction" not in written:
        return update | written
    instruction, constraints, stated = compose(written["instruction"], drawn, rng, weave, lasts)
    return update | {"instruction": instruction, "constraints": constraints, "stated": stated}
