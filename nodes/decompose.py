"""Stage 7: decompose the instruction into atomic yes/no evaluation questions.

The judge is asked about content: what code checks is kept out. Appended statements are
cut out of the instruction decompose sees; woven ones cannot be, so decompose is told how
each reads in this instruction and asked to leave them alone, and a question that restates
one anyway (it holds all of that constraint's values) is dropped and recorded.

In a conversation decompose reads the latest message with the conversation before it,
and is also told to leave alone the rules in force from before (code checks them, or the
judge answers their fixed question): the criteria are about what this message asks.
"""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from nodes.constraints import Constraint
from nodes.constraints.stating import (
    WOVEN,
    judge_questions,
    kind,
    sentence,
    values,
    without_checked,
)
from nodes.context import SampleContext
from nodes.conversation import checked_constraints, in_conversation, transcript
from nodes.llm import ask_json
from nodes.state import (
    TOKENS_PER_CRITERION,
    SampleState,
    failed,
    sample_key,
)

# A question: one line of at most 120 characters ending in "?". Under a grammar, a string
# that may hold newlines, or run on, lets a small model wander off into prose until
# max_tokens cuts the JSON (the 135M model filled 512 tokens inside one), and one that need
# not be a question lets it list headings ("Questions", "Question:") the judge then fails.
# 120 keeps the bound under the 128 that xgrammar (vLLM) compiles; an atomic yes/no
# question is shorter.
QUESTION_PATTERN = r"^[^\"\\\n]{4,119}\?$"
_BULLET = re.compile(r"^\s*(?:[-*\u2022]+|\(?\d+[.)]|[a-z][.)])\s+", re.IGNORECASE)


def criteria_schema(max_items: int) -> dict:
    return {
        "type": "object",
        "properties": {
            "questions": {
                "type": "array",
                "items": {"type": "string", "pattern": QUESTION_PATTERN},
                "minItems": 1,
                "maxItems": max_items,
            }
        },
        "required": ["questions"],
    }


def clean_questions(items: list) -> list[str]:
    """Strip bullets and numbering, drop blanks and repeats, keep order."""
    cleaned = (_BULLET.sub("", str(item)).strip() for item in items)
    return list(dict.fromkeys(q for q in cleaned if q))


HINTS = ("word", "keyword", "term", "mention", "use", "include", '"', "'")


def restates(question: str, constraint: Constraint) -> bool:
    """Whether a criterion asks about a code-checked constraint: it holds every value the
    checker depends on. Keywords come from the topic, so a question that only holds those
    must also ask about words ("Does it use the word 'harbour'?") to count."""
    found = values(constraint)
    if not kind(constraint).verifiable or not found or not all(v.found(question) for v in found):
        return False
    return any(v.kind != "keyword" for v in found) or any(h in question.lower() for h in HINTS)


def checked_requirements(state: SampleState) -> list[str]:
    """How each woven, code-checked constraint reads in this instruction."""
    pairs = zip(state.get("constraints", []), state.get("stated", []), strict=True)
    return [s["text"] for c, s in pairs if s["how"] == WOVEN and kind(c).verifiable]


def decompose(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    """The criteria the judge answers: a fixed question for each constraint only language
    can check, then the model's questions about the instruction less the sentences code
    checks (code decides those; the judge is not asked to count words or commas)."""
    llm, settings = runtime.context.llm, runtime.context.settings
    own, constraints = state.get("constraints", []), checked_constraints(state)
    sampling = settings.sampling("decompose", sample_key(state)).capped(
        16 + TOKENS_PER_CRITERION * settings.max_criteria
    )
    values = {"instruction": without_checked(state["instruction"], own, state.get("stated", []))}
    checked = checked_requirements(state)
    prompt = "decompose_woven" if checked else "decompose"
    if in_conversation(state):
        held = [Constraint(id=c["id"], kwargs=c["kwargs"]) for c in state.get("held", [])]
        checked += [sentence(c) for c in held]
        prompt, values["conversation"] = "decompose_turn", transcript(state)
    if checked or prompt == "decompose_turn":  # decompose is told to leave them alone
        values["checked"] = "\n".join(f"- {text}" for text in checked) or "(none)"
    data, completion = ask_json(
        llm, prompt, sampling, criteria_schema(settings.max_criteria), **values
    )
    update: dict = {"llm_calls": completion.records("decompose")}
    if not (isinstance(data, dict) and isinstance(data.get("questions"), list)):
        return update | failed("criteria_malformed", completion.text)
    fixed = judge_questions(constraints)
    questions = clean_questions(data["questions"])[: settings.max_criteria]
    restated = [q for q in questions if any(restates(q, c) for c in constraints)]
    questions = [q for q in questions if q not in fixed and q not in restated]
    if restated:
        update["restated_criteria"] = restated
    if not questions:
        return update | failed("criteria_empty")
    return update | {"criteria": fixed + questions}
