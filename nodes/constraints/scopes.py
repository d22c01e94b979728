"""How long a constraint holds in a conversation, and which types may hold for longer than
the message that states them.

Every constraint of a conversation has a scope:

- `turn`: stated in a user message, it holds for the answer to that message only;
- `from_now_on`: stated in a user message as lasting, it holds for that answer and every
  later one;
- `system`: stated in the system message, it holds for every answer.

Not every type makes sense beyond one answer. A system message sets rules for a whole
conversation, the way whoever deploys an assistant writes them, so it draws only such
types (`SYSTEM_TYPES`): the language, the case, a format, punctuation and words not to
use, how every answer starts or ends, and the persona-like types the LLM judges (a role,
a tone, an audience). A user may ask for nearly anything "from now on", but not for what
belongs to one message (`TURN_ONLY`, and every type bound to the message's own text, such
as repeating the request): fixed answer options or two alternative answers to one
question, or the situation one message describes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from nodes.constraints.base import Constraint, ConstraintType, DrawContext
from nodes.constraints.draw import conflict
from nodes.constraints.stating import SENTENCE_STYLES, SYSTEM, Stated, kind, render_statement

Scope = Literal["turn", "from_now_on", "system"]
SCOPES: tuple[Scope, ...] = ("turn", "from_now_on", "system")

SYSTEM_TYPES = frozenset(
    {
        "language:response_language",
        "change_case:english_capital",
        "change_case:english_lowercase",
        "punctuation:no_comma",
        "punctuation:punctuation_exclamation",
        "keywords:forbidden_words",
        "decif:start_phrase",
        "startend:end_checker",
        "detectable_format:title",
        "detectable_format:json_format",
        "decif:output_format",
        "llm_judged:role_based",
        "llm_judged:style_tone",
        "llm_judged:audience",
    }
)
TURN_ONLY = frozenset(
    {
        "detectable_format:constrained_response",
        "combination:two_responses",
        "llm_judged:scenario_based",
    }
)
LASTING_SHARE = 0.5  # of the constraints that may last, the share a user asks to keep
# Constraints a follow-up message adds to what is in force: fewer than a first message
# draws (DecIF's 1-5), since the lasting ones pile up over the turns.
FOLLOW_UP_WEIGHTS = {1: 0.5, 2: 0.3, 3: 0.2}
SYSTEM_OPENERS = (
    "You are a helpful assistant.",
    "You are a knowledgeable and friendly assistant.",
    "You are an AI assistant that helps people with everyday tasks.",
)
SYSTEM_HEADERS = ("Rules for every reply:", "In every answer:", "Always follow these rules:")


def can_last(kind: ConstraintType) -> bool:
    """Whether a user may ask for this type from now on."""
    return kind.bind is None and kind.id not in TURN_ONLY


def scopes_of(kind: ConstraintType) -> list[Scope]:
    """The scopes a constraint of this type may have in a conversation."""
    allowed: dict[Scope, bool] = {
        "turn": True,
        "from_now_on": can_last(kind),
        "system": kind.id in SYSTEM_TYPES,
    }
    return [scope for scope, may in allowed.items() if may]


def system_types(pool: Sequence[ConstraintType]) -> list[ConstraintType]:
    """The types of `pool` a system message may state."""
    return [kind for kind in pool if kind.id in SYSTEM_TYPES]


def draw_system(
    rng: random.Random, context: DrawContext, pool: Sequence[ConstraintType], count: int
) -> list[Constraint]:
    """Up to `count` system constraints from `pool`: distinct types that do not conflict,
    each with its parameters (fewer when the pool has too few that fit together)."""
    candidates = system_types(pool)
    rng.shuffle(candidates)
    kept: list[ConstraintType] = []
    for candidate in candidates:
        if len(kept) < count and not any(conflict(candidate, other) for other in kept):
            kept.append(candidate)
    return [Constraint(id=k.id, kwargs=k.draw(rng, context)) for k in kept]


def draw_scopes(rng: random.Random, drawn: Sequence[Constraint]) -> dict[str, Scope]:
    """For each drawn constraint of a user message, whether it holds from now on."""
    lasts = [can_last(kind(c)) and rng.random() < LASTING_SHARE for c in drawn]
    return {
        c["id"]: "from_now_on" if last else "turn" for c, last in zip(drawn, lasts, strict=True)
    }


def system_message(
    constraints: Sequence[Constraint], rng: random.Random
) -> tuple[str, list[Stated]]:
    """The system message that states the system constraints, and how each is stated: an
    opener, then each constraint's phrasing as sentences or as a list (the RNG picks)."""
    opener = rng.choice(SYSTEM_OPENERS)
    as_list = len(constraints) >= 2 and rng.random() < 0.5
    stated = []
    for constraint in constraints:
        style = "item" if as_list else rng.choice(SENTENCE_STYLES)
        line = render_statement(constraint, style, rng)
        stated.append(
            Stated(id=constraint["id"], how="appended", why=SYSTEM, style=style, text=line)
        )
    if as_list:
        rules = "\n".join(f"- {s['text']}" for s in stated)
        return f"{opener}\n\n{rng.choice(SYSTEM_HEADERS)}\n{rules}", stated
    return f"{opener} {' '.join(s['text'] for s in stated)}", stated
