"""Stage 4: write the instruction for a (request, scenario), with drawn constraints.

The constraints and their values are drawn in code. With `--phrasing woven` (the default)
the model is given them with their exact values and writes a request that states each in
the person's own words; a constraint whose values the text does not hold is appended in one
of its phrasings instead (`stating.compose`). With `--phrasing appended` the model writes
the task alone and every constraint is appended. Either way the instruction states every
constraint that will be checked. A task that only repeats the request, or that echoes the
wording of decif's own prompts (a small model does both), is written again with the next
seed, up to `instruction_tries` times (1 unless the backend says otherwise), and then fails
the sample with a reason.
"""

from __future__ import annotations

import re
from functools import cache

from langgraph.runtime import Runtime

from nodes.constraints import Constraint, DrawContext, draw_constraints, known
from nodes.constraints.scopes import draw_scopes
from nodes.constraints.stating import compose, kind, sentence
from nodes.constraints.stating import values as values_of
from nodes.context import SampleContext
from nodes.conversation import lasting
from nodes.llm import LLM, Sampling, ask_json
from nodes.persona import voice
from nodes.state import SampleState, failed, sample_key
from prompts import load

INSTRUCTION_SCHEMA = {
    "type": "object",
    "properties": {"instruction": {"type": "string", "minLength": 10}},
    "required": ["instruction"],
}
ECHO_WORDS = 5  # this many words in a row from a prompt of decif's is an echo, not a task
MIN_WORDS = 4  # fewer is not a task ("{ 'key':" came back from a rewrite on the 135M model)
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@cache
def _prompt_phrases() -> frozenset[tuple[str, ...]]:
    """Every run of ECHO_WORDS words in the fixed text of the instruction-writing prompts."""
    phrases: set[tuple[str, ...]] = set()
    prompts = (
        "make_instruction",
        "make_woven_instruction",
        "make_wild_instruction",
        "refine",
        "make_followup",
        "make_woven_followup",
        "refine_turn",
        "check_turn_consistency",
    )
    for name in (*prompts, "check_consistency", "check_woven_consistency"):
        for _, template in load(name):
            for fixed in re.split(r"\$\w+", template.template):  # runs end at a placeholder
                phrases |= _runs(_words(fixed))
    return frozenset(phrases)


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


def degenerate(text: str, request: str) -> str | None:
    """Why a written task is not a real one, or None: it is too short to be one, it adds
    nothing to the request, or it repeats a prompt of decif's."""
    words = _words(text)
    if len(words) < MIN_WORDS:
        return "too_short"
    if set(words) <= set(_words(request)) | {"a", "an", "the", "please", "me", "my"}:
        return "repeats_request"
    if _runs(words) & _prompt_phrases():
        return "echoes_prompt"
    return None


def instruction_update(data: object, reply: str, reason_prefix: str, request: str) -> dict:
    """The update for a {"instruction": ...} reply: the instruction, or the failure (an
    unreadable reply, an empty text, or one that is not a real task: `degenerate`)."""
    if not (isinstance(data, dict) and isinstance(data.get("instruction"), str)):
        return failed(f"{reason_prefix}_malformed", reply)
    instruction = data["instruction"].strip()
    if not instruction:
        return failed(f"{reason_prefix}_empty")
    problem = degenerate(instruction, request)
    return (
        failed(f"{reason_prefix}_{problem}", instruction)
        if problem
        else {"instruction": instruction}
    )


LASTING_MARK = " (from now on: ask for it in this answer and every later one, and say so)"


def requirements(
    drawn: list[Constraint], with_values: bool, lasting: frozenset[str] = frozenset()
) -> str:
    """The drawn constraints as the model is shown them: each reference sentence, what
    must stay exact, and - in a conversation - whether it holds from now on. One that
    depends on the instruction itself (the request a response must repeat) is stated once
    it is written, so it is left out."""
    lines = []
    for constraint in drawn:
        if kind(constraint).bind is not None:
            continue
        exact = [v.text for v in values_of(constraint) if v.kind != "term"]
        keep = f" (keep exactly: {', '.join(exact)})" if with_values and exact else ""
        last = LASTING_MARK if constraint["id"] in lasting else ""
        lines.append(f"- {sentence(constraint)}{keep}{last}")
    return "\n".join(lines) or "(none yet)"


def write_task(llm: LLM, prompt: str, sampling: Sampling, request: str, values: dict) -> tuple:
    """One try at the task: ({"instruction": text} or the update that fails the sample),
    and the records of its call."""
    data, completion = ask_json(llm, prompt, sampling, INSTRUCTION_SCHEMA, **values)
    written = instruction_update(data, completion.text, "instruction", request)
    return written, completion.records("make_instruction")


def make_instruction(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    key = sample_key(state)
    request, scenario = state["request"], state["scenario"]
    drawn = []
    rng = settings.rng(key)
    if settings.mode != "wild":
        context = DrawContext(request=request, scenario=scenario)
        held = [known(c["id"]) for c in state.get("held", [])]  # a system message's
        types = settings.drawable_types()
        drawn = draw_constraints(rng, context, types, held, most=settings.max_constraints)
    conversation: dict = {}
    if settings.turns > 1:  # the first message of a conversation: what lasts, from now on
        conversation = {"turn": 1, "scopes": draw_scopes(settings.rng(f"{key}/scopes"), drawn)}
    lasts = lasting(conversation.get("scopes", {}))
    values = {"request": request, "scenario": scenario, "voice": voice(state)}
    weave = bool(drawn) and settings.phrasing == "woven"
    if drawn:
        prompt = "make_woven_instruction" if weave else "make_instruction"
        values["constraints"] = requirements(drawn, with_values=weave, lasting=lasts)
    else:
        prompt = "make_wild_instruction"
    calls: list = []
    for attempt in range(settings.instruction_tries):
        # the first try is seeded as it always was, each later one by its number
        sampling = settings.sampling("make_instruction", key, *([attempt] if attempt else []))
        written, records = write_task(llm, prompt, sampling, request, values)
        calls += records
        if "instruction" in written:
            break
    update = {"constraints": drawn, "llm_calls": calls} | conversation
    if "instruction" not in written:
        return update | written
    instruction, constraints, stated = compose(written["instruction"], drawn, rng, weave, lasts)
    return update | {"instruction": instruction, "constraints": constraints, "stated": stated}
