"""A conversation's system message: `--system-constraints K` constraints, drawn from the
types a system message sets (`nodes.constraints.scopes`), stated in it, and held at every
turn. decif writes it without the LLM: an opener and each constraint in one of its
phrasings, recorded in `stated` (why: `system_prompt`) as an appended statement is."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.constraints import DrawContext
from nodes.constraints.scopes import draw_system, system_message
from nodes.context import SampleContext
from nodes.state import Held, SampleState, SystemPrompt, sample_key


def system_prompt(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    settings = runtime.context.settings
    rng = settings.rng(f"{sample_key(state)}/system")
    context = DrawContext(request=state["request"], scenario=state["scenario"])
    drawn = draw_system(rng, context, settings.drawable_types(), settings.system_constraints)
    text, stated = system_message(drawn, rng)
    held = [Held(id=c["id"], kwargs=c["kwargs"], scope="system", since=0) for c in drawn]
    system = SystemPrompt(text=text, constraints=drawn, stated=stated)
    return {"system": system, "held": held}
