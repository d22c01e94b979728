"""What a constraint type is, and the registry every catalogue module adds its types to.

A type is the unit of verification: an id (IFEval's or open-instruct's where they have the
type, so decif's ground truth reads like theirs), the parameters it takes (`kwargs`, drawn
in code from the sample's seeded RNG), the phrasings that state it with those values, the
literal values an instruction must hold for it to be stated at all, and either a
deterministic `check` of a response or, for what code cannot judge, a yes/no `question`
for the LLM judge.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypedDict

from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import Value

Kwargs = dict[str, Any]
Source = Literal["ifeval", "ifevalg", "decif", "llm"]
ALL = "*"  # in `conflicts`: the type is drawn only alone

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just let me more most my myself need needs no nor
    not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves want wants wanted make
    makes help helps someone something person people"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class Constraint(TypedDict):
    """One drawn constraint: IFEval's ground-truth shape."""

    id: str
    kwargs: Kwargs


@dataclass(frozen=True)
class DrawContext:
    """What a draw may take content from: the sample's request and scenario."""

    request: str = ""
    scenario: str = ""

    @cached_property
    def topic_words(self) -> list[str]:
        """Content words of the scenario and request, in order, without repeats: what a
        keyword or a forbidden word drawn "from the topic" is taken from."""
        words = re.findall(r"[A-Za-z]+", f"{self.scenario} {self.request}".lower())
        chosen = (w for w in words if len(w) >= 4 and w not in _STOPWORDS)
        return list(dict.fromkeys(chosen))


@dataclass(frozen=True)
class ConstraintType:
    id: str  # "length_constraints:number_words": IFEval's / open-instruct's id where they have one
    name: str  # decif's short name, also accepted by `check`
    source: Source  # ifeval, ifevalg (open-instruct's training types), decif, llm (judged only)
    description: str  # one line, for --help and the report
    draw: Callable[[random.Random, DrawContext], Kwargs]  # the parameters, from the seeded RNG
    phrasings: Phrasings  # the sentences that state it with its values, one per style
    values: Callable[[Kwargs], list[Value]]  # what an instruction must hold to state it
    check: Callable[[str, Kwargs], bool] | None = None  # deterministic verdict on a response
    question: Callable[[Kwargs], str] | None = None  # the judge's yes/no question (LLM types)
    conflicts: frozenset[str] = field(default_factory=frozenset)  # ids never drawn with it
    # Fills the parameters that depend on the instruction itself (the request a response
    # must repeat), given the instruction without this constraint's sentence; the sentence
    # is stated after.
    bind: Callable[[Kwargs, str], Kwargs] | None = None

    @property
    def verifiable(self) -> bool:
        return self.check is not None

    def state(self, kwargs: Kwargs) -> str:
        """The plain requirement, each value in its first spelling: the reference sentence
        (what the model is shown, and what the consistency step asks about)."""
        return self.phrasings.render(kwargs, "plain")


REGISTRY: dict[str, ConstraintType] = {}
ALIASES: dict[str, str] = {}


def register(*types: ConstraintType) -> None:
    """Add catalogue types; an id or name used twice is a programming error."""
    for kind in types:
        if kind.id in REGISTRY or kind.name in ALIASES:
            raise ValueError(f"constraint type {kind.id} ({kind.name}) registered twice")
        if (kind.check is None) == (kind.question is None):
            raise ValueError(f"{kind.id}: give exactly one of check and question")
        REGISTRY[kind.id] = kind
        ALIASES[kind.name] = kind.id


def lookup(instruction_id: str) -> ConstraintType | None:
    """The type with this id (IFEval / open-instruct / decif) or decif short name."""
    return REGISTRY.get(instruction_id) or REGISTRY.get(ALIASES.get(instruction_id, ""))


def known(instruction_id: str) -> ConstraintType:
    """`lookup` of a type that must exist (a drawn, stated or checked-for-known one)."""
    found = lookup(instruction_id)
    if found is None:
        raise KeyError(f"unknown constraint type {instruction_id!r}")
    return found


# Word parameters open-instruct writes as one-item lists as well as strings: its first/last
# word per sentence and keyword-position types read `first_word[0]`, and its own default
# keywords for count_increment_word are lists from `generate_keywords`.
ONE_ITEM_LISTS = frozenset({"first_word", "last_word", "keyword", "keyword1", "keyword2"})


def clean_kwargs(kwargs: Kwargs | None) -> Kwargs:
    """kwargs without the None values that IFEval-style datasets pad every row with, and
    with a one-item list of a word parameter read as that word (open-instruct's rows)."""
    return {k: _one_word(k, v) for k, v in (kwargs or {}).items() if v is not None}


def _one_word(name: str, value: Any) -> Any:
    if name in ONE_ITEM_LISTS and isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value
