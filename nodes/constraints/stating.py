"""Constraints in the instruction: woven into the request or appended, found again after a
rewrite, and kept out of what the LLM is asked to judge.

A constraint is stated one of two ways, and each sample records which (`Stated`, one per
constraint, in the same order):

- **woven**: the model wrote it into the request in its own words, and the instruction
  holds every value its checker depends on (`values.missing`), and the LLM agreed that
  the text asks for exactly it (`fidelity_question`). Its `text` is the span that states it.
- **appended**: decif added one of the type's phrasings (`phrasing.Phrasings`), in a
  placement the sample's RNG picks: after the task, before it, or as a short requirements
  list. Its `why` says why: the run appends (`--phrasing appended`), the constraint is
  bound to the instruction's own text, or a woven statement failed a check.

A constraint bound to the instruction (the request a response must repeat) is always
appended last, in its first spellings, so that it can be bound again after a rewrite.
"""

from __future__ import annotations

import random
import re
from typing import Final, Literal, TypedDict

from nodes.constraints.base import Constraint, ConstraintType, known
from nodes.constraints.lasting import MARKER, lasting_line, says_lasting
from nodes.constraints.phrasing import RELATION_KEYS, Style
from nodes.constraints.values import Value

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
Placement = Literal["after", "before", "list"]
PLACEMENTS: dict[Placement, float] = {"after": 0.5, "before": 0.2, "list": 0.3}
SENTENCE_STYLES: tuple[Style, ...] = ("plain", "imperative", "make_sure", "parenthetical")
LIST_HEADERS = (
    "Requirements:",
    "Please keep to these rules:",
    "A few requirements for the answer:",
    "Constraints:",
)
WOVEN: Final = "woven"
APPENDED: Final = "appended"
# Why a constraint is appended.
BY_SETTING = "phrasing_appended"  # the run appends every constraint
BOUND = "bound_to_instruction"  # its value is the instruction's own text
LLM_SAID_NO = "llm_said_no"  # the fidelity question's answer was NO
LOST_IN_REFINE = "lost_in_refine"  # a rewrite dropped one of its values
SYSTEM = "system_prompt"  # stated in a conversation's system message


class Stated(TypedDict):
    """How one constraint is stated in the instruction."""

    id: str
    how: Literal["woven", "appended"]
    # appended: BY_SETTING, BOUND, "missing:<value>,...", LLM_SAID_NO, LOST_IN_REFINE, SYSTEM
    why: str
    # the appended phrasing's style ("plain", "item", ...); "" when woven
    style: Style | Literal[""]
    text: str  # the appended sentence, or the woven span that states it


def kind(constraint: Constraint) -> ConstraintType:
    return known(constraint["id"])


def sentence(constraint: Constraint) -> str:
    """The reference statement: the plain phrasing, values in their first spelling."""
    return kind(constraint).state(constraint["kwargs"])


def values(constraint: Constraint) -> list[Value]:
    return kind(constraint).values(constraint["kwargs"])


def missing_values(text: str, constraint: Constraint) -> list[Value]:
    """The values of `constraint` that `text` does not hold."""
    return [v for v in values(constraint) if not v.found(text)]


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def span(text: str, constraint: Constraint) -> str:
    """The sentences of `text` that hold the constraint's values: how it reads there."""
    found = [v for v in values(constraint) if v.found(text)]
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    return " ".join(p for p in parts if any(v.found(p) for v in found))


def woven(text: str, constraint: Constraint) -> Stated:
    return Stated(id=constraint["id"], how=WOVEN, why="", style="", text=span(text, constraint))


def render_statement(constraint: Constraint, style: Style, rng: random.Random | None) -> str:
    """One of the constraint's phrasings, its values spelled as the RNG picks (a list
    item capitalised)."""
    text = kind(constraint).phrasings.render(constraint["kwargs"], style, rng)
    return text[:1].upper() + text[1:] if style == "item" else text


def append(
    text: str,
    items: list[tuple[Constraint, str | None]],
    rng: random.Random,
    lasting: frozenset[str] = frozenset(),
) -> tuple[str, list[Constraint], list[Stated]]:
    """`text` with a statement added for each (constraint, why) - none where why is None:
    that constraint is woven into `text` already - in a placement and phrasings the RNG
    picks; the constraints (bound ones bound to the text before their statement) and how
    each is stated, in the order given. The statement of a type in `lasting` says that it
    holds from now on (a conversation's later answers too)."""
    plain = [c for c, why in items if why is not None and kind(c).bind is None]
    placements = [p for p in PLACEMENTS if p != "list" or len(plain) >= 2]
    placement = rng.choices(placements, [PLACEMENTS[p] for p in placements])[0]
    stated: dict[int, tuple[Constraint, Stated]] = {}
    lines = []
    for i, (constraint, why) in enumerate(items):
        if why is None or kind(constraint).bind is not None:
            continue
        style = "item" if placement == "list" else rng.choice(SENTENCE_STYLES)
        if placement == "before" and style == "parenthetical":
            style = "plain"
        line = render_statement(constraint, style, rng)
        if constraint["id"] in lasting:
            line = lasting_line(line, style, rng)
        lines.append(line)
        stated[i] = (constraint, _appended(constraint, why, style, line))
    text = text.strip()
    if placement == "list":
        bullets = "\n".join(f"- {line}" for line in lines)
        text = f"{text}\n\n{rng.choice(LIST_HEADERS)}\n{bullets}"
    elif lines:
        joined = " ".join(lines)
        text = f"{joined}\n\n{text}" if placement == "before" else f"{text}\n\n{joined}"
    for i, (constraint, why) in enumerate(items):
        if why is not None and (bind := kind(constraint).bind) is not None:
            bound = bind(constraint["kwargs"], text)
            constraint = Constraint(id=constraint["id"], kwargs=bound)
            style = rng.choice(SENTENCE_STYLES)
            line = render_statement(constraint, style, None)
            text = f"{text}\n\n{line}"
            stated[i] = (constraint, _appended(constraint, why, style, line))
    for i, (constraint, why) in enumerate(items):
        if why is None:
            stated[i] = (constraint, woven(text, constraint))
    ordered = [stated[i] for i in range(len(items))]
    return text, [c for c, _ in ordered], [s for _, s in ordered]


def _appended(constraint: Constraint, why: str, style: Style, text: str) -> Stated:
    return Stated(id=constraint["id"], how=APPENDED, why=why, style=style, text=text)


def weave_reason(text: str, constraint: Constraint, lasting: bool = False) -> str | None:
    """None when `text` holds every value of the constraint - and, for one that lasts,
    says that something holds from now on - (woven, so far); else why it must be
    appended."""
    if kind(constraint).bind is not None:
        return BOUND
    missing = [v.text for v in missing_values(text, constraint)]
    if lasting and not says_lasting(text):
        missing.append(MARKER)
    return "missing:" + ",".join(missing) if missing else None


def compose(
    text: str,
    drawn: list[Constraint],
    rng: random.Random,
    woven: bool = False,
    lasting: frozenset[str] = frozenset(),
) -> tuple[str, list[Constraint], list[Stated]]:
    """The instruction: with `woven`, the constraints `text` states are kept woven and the
    others appended; without, every constraint is appended (`--phrasing appended`).
    `lasting`: the types that hold from now on (a conversation's user turn)."""
    if woven:
        reasons = [(c, weave_reason(text, c, c["id"] in lasting)) for c in drawn]
        return append(text, reasons, rng, lasting)
    reasons = [(c, BOUND if kind(c).bind else BY_SETTING) for c in drawn]
    return append(text, reasons, rng, lasting)


def restate(
    instruction: str,
    constraints: list[Constraint],
    stated: list[Stated],
    lasting: frozenset[str] = frozenset(),
) -> tuple[list[Constraint], list[Stated], list[Constraint]]:
    """After a rewrite: (the constraints still stated, how, those dropped).

    An appended statement must still be in the text word for word, else its constraint is
    dropped (the rewrite may have removed it as part of a conflict). A woven one must still
    hold its values (and still say it lasts, for a type in `lasting`), else it is to be
    appended again (`to_append`, LOST_IN_REFINE). A bound
    constraint is bound again to the rewritten text and counts as stated when its new
    statement is there."""
    text = _normal(instruction)
    kept: list[tuple[Constraint, Stated]] = []
    dropped: list[Constraint] = []
    for constraint, how in zip(constraints, stated, strict=True):
        if how["how"] == WOVEN:
            if weave_reason(instruction, constraint, constraint["id"] in lasting):
                kept.append((constraint, to_append(constraint, LOST_IN_REFINE)))
            else:
                kept.append((constraint, woven(instruction, constraint)))
            continue
        bind = kind(constraint).bind
        if bind is not None:
            without = instruction.replace(how["text"], "").strip()
            constraint = Constraint(id=constraint["id"], kwargs=bind(constraint["kwargs"], without))
            style = how["style"]
            assert style, how  # appended: every pending statement was appended before a rewrite
            how = how.copy()
            how["text"] = render_statement(constraint, style, None)
        if _normal(how["text"]) in text:
            kept.append((constraint, how))
        else:
            dropped.append(constraint)
    return [c for c, _ in kept], [s for _, s in kept], dropped


def pending(how: Stated) -> bool:
    """A constraint to be appended that has no statement yet."""
    return how["how"] == APPENDED and not how["text"]


def to_append(constraint: Constraint, why: str) -> Stated:
    """How a constraint is stated once `append_pending` has appended it for this reason."""
    return Stated(id=constraint["id"], how=APPENDED, why=why, style="", text="")


def append_pending(
    text: str,
    constraints: list[Constraint],
    stated: list[Stated],
    rng: random.Random,
    lasting: frozenset[str] = frozenset(),
) -> tuple[str, list[Constraint], list[Stated]]:
    """`text` with a statement appended for every pending constraint (`to_append`; one of
    a type in `lasting` says it holds from now on); the woven ones' spans read again from
    the new text."""
    todo = [i for i, how in enumerate(stated) if pending(how)]
    if not todo:
        return text, constraints, stated
    items: list[tuple[Constraint, str | None]] = [(constraints[i], stated[i]["why"]) for i in todo]
    text, added, how = append(text, items, rng, lasting)
    constraints, stated = list(constraints), list(stated)
    for i, constraint, new in zip(todo, added, how, strict=True):
        constraints[i], stated[i] = constraint, new
    stated = [
        woven(text, c) if s["how"] == WOVEN else s for c, s in zip(constraints, stated, strict=True)
    ]
    return text, constraints, stated


def without_checked(instruction: str, constraints: list[Constraint], stated: list[Stated]) -> str:
    """The instruction less the appended statements code checks: what the LLM's criteria
    are about. (A woven statement cannot be cut out; decompose is told about it.)"""
    for constraint, how in zip(constraints, stated, strict=True):
        if kind(constraint).verifiable and how["how"] == APPENDED:
            instruction = instruction.replace(how["text"], "")
    return re.sub(r"\n{3,}", "\n\n", instruction).strip()


def judge_questions(constraints: list[Constraint]) -> list[str]:
    """The judge's yes/no question for every constraint only language can check."""
    return [ask(c["kwargs"]) for c in constraints if (ask := kind(c).question)]


def fidelity_question(constraint: Constraint, lasting: bool = False) -> str:
    """The yes/no question that pins what a woven statement must mean: the reference
    statement, with IFEval's relations spelled out where the type has one; for one that
    lasts, that it holds for every later answer too."""
    scope = ", for this answer and every later one" if lasting else ""
    question = f'Does the instruction ask for exactly this{scope}: "{sentence(constraint)}"?'
    relation = next(
        (constraint["kwargs"][k] for k in RELATION_KEYS if k in constraint["kwargs"]), None
    )
    if relation == "less than":
        question += ' ("Less than" is strict: asking for "at most" or "up to" that number is a NO.)'
    elif relation == "at least":
        question += ' ("At least" includes the number itself: asking for "more than" it is a NO.)'
    return question
