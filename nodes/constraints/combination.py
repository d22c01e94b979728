"""Combinations: repeat the request first, or give two different answers.

- `combination:repeat_prompt` (IFEval's check): the stripped response starts with the
  stripped request, compared in lower case. The request to repeat is the instruction
  without this constraint's own sentence, which only exists once the rest of the
  instruction is written: `draw` leaves it out and `bind` fills `prompt_to_repeat`.
- `combination:two_responses` (IFEval's check): split on "******", there are exactly two
  non-blank parts that differ once stripped; a blank part may only stand at the very
  start or end.

open-instruct lets each of these two share an instruction with only a few other types.
"""

from __future__ import annotations

from nodes.constraints.base import ConstraintType, Kwargs, register
from nodes.constraints.ids import all_but
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import number, separator, term

SEPARATOR = "******"


def prompt_of(kw: Kwargs) -> str:
    prompt = str(kw["prompt_to_repeat"]).strip()
    if not prompt:
        raise ValueError("prompt_to_repeat must be the request to repeat, not empty")
    return prompt


def check_repeat(response: str, kw: Kwargs) -> bool:
    return response.strip().lower().startswith(prompt_of(kw).lower())


def bind_repeat(kw: Kwargs, instruction: str) -> Kwargs:
    return {**kw, "prompt_to_repeat": instruction.strip()}


def check_two(response: str, kw: Kwargs) -> bool:
    parts = response.split(SEPARATOR)
    last = len(parts) - 1
    if any(not part.strip() for part in parts[1:last]):
        return False  # a blank answer between two separators
    answers = [part.strip() for part in parts if part.strip()]
    return len(answers) == 2 and answers[0] != answers[1]


register(
    ConstraintType(
        id="combination:repeat_prompt",
        name="repeat_request",
        source="ifeval",
        description="repeat the request word for word, then answer",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must open with the request above, copied exactly without this "
            "sentence, and only then give the answer; nothing may come before the copy.",
            imperative="Begin by copying the request above exactly as written (not this "
            "sentence), then answer it; write nothing before the copy.",
            make_sure="Make sure your reply starts with an exact copy of the request above, "
            "leaving out this sentence, and only then gives the answer.",
            parenthetical="(Start by restating the request above exactly, without this "
            "sentence and with nothing before it, then answer.)",
            item="an exact copy of the request, with nothing before it, ahead of the answer",
        ),
        values=lambda kw: [term("copy", "copying", "restate", "restating", "repeat")],
        check=check_repeat,
        bind=bind_repeat,
        conflicts=all_but("keywords:existence", "detectable_format:title", "punctuation:no_comma"),
    ),
    ConstraintType(
        id="combination:two_responses",
        name="two_responses",
        source="ifeval",
        description="two different answers separated by ******",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must hold two different answers with six asterisks (******) "
            "between them and nothing else separating them.",
            imperative="Give two distinct answers and separate them with ****** alone.",
            make_sure="Make sure you offer two different versions, divided by ****** and "
            "nothing more.",
            parenthetical="(Two different answers, split by ******.)",
            item="two different answers separated only by ******",
        ),
        values=lambda kw: [number(2), separator(SEPARATOR)],
        check=check_two,
        conflicts=all_but(
            "keywords:forbidden_words",
            "keywords:existence",
            "language:response_language",
            "detectable_format:title",
            "punctuation:no_comma",
        ),
    ),
)
