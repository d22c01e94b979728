"""The typed constraint catalogue and its checkers.

Every verifiable type has IFEval's shape: an id such as `length_constraints:number_words`
and kwargs such as `{"relation": "less than", "num_words": 300}`; its values are drawn in
code, stated in the instruction (woven into the request by the model, or appended in one of
the type's phrasings), and checked by deterministic code.
The four types only language can judge (role, scenario, style, audience) are asked of the
LLM judge as yes/no questions.

`check(instruction_id, kwargs, response)` is the reusable entry point, e.g. as an RL
reward: it accepts IFEval's ids and kwargs exactly as IFEval's `input_data.jsonl` writes
them, open-instruct's IF-RLVR ids, and decif's short names. It is safe to call from many
threads at once, from the first call on; `load_models()` loads what the checkers need up
front (a runner calls it before its samples run).

`templates(instruction_id)` and `statements(constraint)` say what decif itself writes into
instructions for a type: to tell its own sentences from leaked evaluation prompts.
"""

from __future__ import annotations

from nodes.constraints import (  # noqa: F401 - each module registers its types
    case,
    combination,
    copying,
    counting,
    detectable,
    formats,
    keywords,
    language,
    layout,
    length,
    llm_only,
    marks,
    positions,
    punctuation,
    startend,
    wordplay,
)
from nodes.constraints.base import (
    REGISTRY,
    Constraint,
    ConstraintType,
    DrawContext,
    Kwargs,
    clean_kwargs,
    known,
    lookup,
)
from nodes.constraints.draw import COUNT_WEIGHTS, conflict, draw_constraints, types_of
from nodes.constraints.text import load as load_models

__all__ = [
    "COUNT_WEIGHTS",
    "REGISTRY",
    "Constraint",
    "ConstraintType",
    "DrawContext",
    "check",
    "conflict",
    "draw_constraints",
    "known",
    "load_models",
    "lookup",
    "statements",
    "templates",
    "types_of",
]


def check(instruction_id: str, kwargs: Kwargs | None, response: str) -> bool | None:
    """Whether `response` follows the constraint; None for an id decif does not know or
    cannot check in code (the LLM-judged types).

    None-valued kwargs are ignored (IFEval-style datasets pad every row with them), and a
    word given as a one-item list, as open-instruct writes some, is read as that word. Any
    response string gets a verdict; only a missing or malformed kwarg raises, always as
    ValueError naming it.
    """
    if not isinstance(response, str):
        raise TypeError(f"a response is a string, not {type(response).__name__}")
    kind = lookup(instruction_id)
    if kind is None or kind.check is None:
        return None
    try:
        return bool(kind.check(response, clean_kwargs(kwargs)))
    except (KeyError, TypeError, AttributeError) as err:  # a kwarg missing or of a wrong type
        raise ValueError(f"{kind.id}: bad kwargs {kwargs!r} ({err})") from err
    except ValueError as err:  # a kwarg a checker refused, saying why
        raise ValueError(f"{kind.id}: {err}") from err


def templates(instruction_id: str) -> dict[str, str]:
    """The type's phrasing templates by style (`str.format` fields where values go; their
    literal text is `phrasing.fixed_text`); {} for an unknown id."""
    kind = lookup(instruction_id)
    return {style: text for style, text in kind.phrasings.templates().items()} if kind else {}


def statements(instruction_id: str, kwargs: Kwargs | None) -> list[str]:
    """Every sentence decif may append for this constraint: each phrasing, each spelling of
    its values (a bound constraint's kwargs must hold what it was bound to)."""
    kind = lookup(instruction_id)
    return kind.phrasings.renderings(clean_kwargs(kwargs)) if kind else []
