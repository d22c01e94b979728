"""Constraints in the instruction: stated verbatim, found again after a rewrite, and kept
out of what the LLM is asked to judge.

decif appends each drawn constraint's sentence to the task the model wrote, as IFEval's
prompts read (a task, then its constraints): even a 135M model then yields instructions
that state every constraint with its values. A sentence is found again by a whitespace-
and case-insensitive match, so a refinement that kept it is recognised and one that
reworded or dropped it is caught.
"""

from __future__ import annotations

import re

from nodes.constraints.base import REGISTRY, Constraint, ConstraintType

_SPACE = re.compile(r"\s+")


def kind(constraint: Constraint) -> ConstraintType:
    return REGISTRY[constraint["id"]]


def sentence(constraint: Constraint) -> str:
    return kind(constraint).state(constraint["kwargs"])


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def compose(task: str, drawn: list[Constraint]) -> tuple[str, list[Constraint]]:
    """The instruction - the task, then every constraint's sentence - and the constraints
    with the parameters that depend on the instruction bound (the request a response must
    repeat is the instruction without the sentence that asks for it)."""
    plain = [c for c in drawn if kind(c).bind is None]
    bound = [c for c in drawn if kind(c).bind is not None]
    text = task.strip()
    sentences = [sentence(c) for c in plain]
    constraints = list(plain)
    for constraint in bound:
        prompt = join(text, sentences)
        kwargs = kind(constraint).bind(constraint["kwargs"], prompt)
        constraint = Constraint(id=constraint["id"], kwargs=kwargs)
        sentences.append(sentence(constraint))
        constraints.append(constraint)
    return join(text, sentences), constraints


def join(task: str, sentences: list[str]) -> str:
    return f"{task}\n\n{' '.join(sentences)}" if sentences else task


def restate(
    instruction: str, constraints: list[Constraint]
) -> tuple[list[Constraint], list[Constraint]]:
    """After a rewrite: (the constraints still stated, those the rewrite dropped).

    A constraint bound to the instruction is bound again to the rewritten one, and counts
    as stated only when its new sentence is in the text."""
    text = _normal(instruction)
    kept, dropped = [], []
    for constraint in constraints:
        bind = kind(constraint).bind
        if bind is not None:
            without = instruction.replace(sentence(constraint), "").strip()
            constraint = Constraint(id=constraint["id"], kwargs=bind(constraint["kwargs"], without))
        (kept if _normal(sentence(constraint)) in text else dropped).append(constraint)
    return kept, dropped


def without_checked(instruction: str, constraints: list[Constraint]) -> str:
    """The instruction less the sentences code checks: what the LLM's criteria are about."""
    for constraint in constraints:
        if kind(constraint).verifiable:
            instruction = instruction.replace(sentence(constraint), "")
    return instruction.strip()


def judge_questions(constraints: list[Constraint]) -> list[str]:
    """The judge's yes/no question for every constraint only language can check."""
    return [kind(c).question(c["kwargs"]) for c in constraints if kind(c).question]
