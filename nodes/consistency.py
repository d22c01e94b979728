"""Stage 5: find contradictory requirements, and rewrite the instruction when found; check
that every woven constraint means exactly what its checker tests.

`check_consistency`, `refine` and `restate` form the graph's bounded loopback; every check
is kept in the state with the instruction it looked at, so the rounds show in the
trajectory. When the instruction has woven constraints, the same call answers one yes/no
question per woven constraint (`stating.fidelity_question`); a NO sends the sample to
`restate`, which appends that constraint's statement, and the new text is checked again.

In a conversation the check is of the latest user message against itself and against
every rule still in force (the system message's, earlier ones asked for from now on),
which cannot change: a refinement rewrites the latest message only.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.constraints.stating import (
    LLM_SAID_NO,
    LOST_IN_REFINE,
    WOVEN,
    append_pending,
    fidelity_question,
    restate,
    to_append,
)
from nodes.context import SampleContext
from nodes.conversation import held_lines, in_conversation, lasting
from nodes.instruction import INSTRUCTION_SCHEMA, instruction_update
from nodes.llm import ask_json
from nodes.state import (
    ConsistencyCheck,
    Fidelity,
    SampleState,
    failed,
    sample_key,
)

EXPLANATION = {"type": "string", "maxLength": 300}
ANSWERS = ("YES", "NO")


def consistency_schema(questions: int) -> dict:
    # The explanation is bounded so a rambling one closes its string before max_tokens
    # cuts the JSON (llama.cpp's grammar cannot expand much larger bounds).
    properties: dict = {"conflict": {"type": "boolean"}, "explanation": EXPLANATION}
    if questions:
        properties["answers"] = {
            "type": "array",
            "items": {"type": "string", "enum": list(ANSWERS)},
            "minItems": questions,
            "maxItems": questions,
        }
    return {"type": "object", "properties": properties, "required": list(properties)}


def unfaithful(check: ConsistencyCheck) -> set[str]:
    """The woven constraints this check's fidelity answers said NO to."""
    return {f["id"] for f in check.get("fidelity", []) if f["answer"] != "YES"}


def refinements(state: SampleState) -> int:
    """Checks so far that sent the instruction to `refine` (a conflict, all woven YES)."""
    return sum(1 for c in state.get("consistency", []) if c["conflict"] and not unfaithful(c))


def check_consistency(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    llm, settings = runtime.context.llm, runtime.context.settings
    round_ = len(state.get("consistency", []))
    constraints, stated = state.get("constraints", []), state.get("stated", [])
    woven = [c for c, how in zip(constraints, stated, strict=True) if how["how"] == WOVEN]
    lasts = lasting(state.get("scopes") or {})
    questions = [fidelity_question(c, c["id"] in lasts) for c in woven]
    sampling = settings.sampling("check_consistency", sample_key(state), round_)
    prompt, values = "check_consistency", {"instruction": state["instruction"]}
    numbered = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    if in_conversation(state):
        prompt = "check_turn_consistency"
        values |= {"held": held_lines(state), "questions": numbered or "(none)"}
    elif questions:
        prompt = "check_woven_consistency"
        values["questions"] = numbered
    data, completion = ask_json(llm, prompt, sampling, consistency_schema(len(questions)), **values)
    update: dict = {"llm_calls": completion.records("check_consistency")}
    if not (isinstance(data, dict) and isinstance(data.get("conflict"), bool)):
        return update | failed("consistency_malformed", completion.text)
    answers = data.get("answers", [])
    if questions and not (
        isinstance(answers, list)
        and len(answers) == len(questions)
        and all(a in ANSWERS for a in answers)
    ):
        return update | failed("consistency_malformed", completion.text)
    check = ConsistencyCheck(
        round=round_,
        instruction=state["instruction"],
        conflict=data["conflict"],
        explanation=str(data.get("explanation", "")).strip(),
    )
    if questions:
        check["fidelity"] = [
            Fidelity(id=c["id"], question=q, answer=a)
            for c, q, a in zip(woven, questions, answers, strict=True)
        ]
    unresolved = (
        check["conflict"]
        and not unfaithful(check)
        and refinements(state) >= settings.max_refine_rounds
    )
    return update | {"consistency": [check], "unresolved_conflict": unresolved}


def restate_unfaithful(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    """Append a statement for each woven constraint the fidelity question said NO to: the
    text may state it some other way, but what is checked is now stated exactly."""
    settings = runtime.context.settings
    last = state["consistency"][-1]
    no = unfaithful(last)
    constraints = state["constraints"]
    stated = [
        to_append(c, LLM_SAID_NO) if c["id"] in no and how["how"] == WOVEN else how
        for c, how in zip(constraints, state["stated"], strict=True)
    ]
    rng = settings.rng(f"{sample_key(state)}/restate/{last['round']}")
    instruction, constraints, stated = append_pending(
        state["instruction"], constraints, stated, rng, lasting(state.get("scopes") or {})
    )
    return {"instruction": instruction, "constraints": constraints, "stated": stated}


def refine(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    """Rewrite the instruction without the conflict. An appended statement the rewrite no
    longer holds word for word is no longer checked: it moves to `dropped_constraints`, so
    the sample records what it lost. A woven constraint whose values the rewrite lost is
    appended (`lost_in_refine`); the next check asks about the woven ones again."""
    llm, settings = runtime.context.llm, runtime.context.settings
    last = state["consistency"][-1]
    constraints = state.get("constraints", [])
    lasts = lasting(state.get("scopes") or {})
    appended = [s for s in state.get("stated", []) if s["how"] != WOVEN]
    sampling = settings.sampling("refine", sample_key(state), last["round"])
    values = {
        "instruction": state["instruction"],
        "explanation": last["explanation"] or "two requirements contradict each other",
        "requirements": "\n".join(f"- {s['text']}" for s in appended) or "(none)",
    }
    prompt = "refine"
    if in_conversation(state):  # the rules in force stay; only the latest message changes
        prompt, values["held"] = "refine_turn", held_lines(state)
    data, completion = ask_json(llm, prompt, sampling, INSTRUCTION_SCHEMA, **values)
    update: dict = {"llm_calls": completion.records("refine")}
    written = instruction_update(data, completion.text, "refine", state["request"])
    if "instruction" not in written:
        return update | written
    kept, stated, dropped = restate(
        written["instruction"], constraints, state.get("stated", []), lasts
    )
    rng = settings.rng(f"{sample_key(state)}/{LOST_IN_REFINE}/{last['round']}")
    instruction, kept, stated = append_pending(written["instruction"], kept, stated, rng, lasts)
    update |= {"instruction": instruction, "constraints": kept, "stated": stated}
    if dropped:
        update["dropped_constraints"] = state.get("dropped_constraints", []) + dropped
    return update
