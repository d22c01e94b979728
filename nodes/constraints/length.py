"""Length: how many paragraphs, words and sentences, and how a given paragraph starts.

Checks have IFEval's semantics:

- `number_paragraphs`: the response split on the divider `***` (with at most one space or
  newline either side of it taken into the divider) gives exactly `num_paragraphs` parts;
  an empty part at the very start or end is ignored, an empty one in between fails.
- `number_words`: runs of `\\w` (so "e.g." is two words, "3.5" two, "don't" two).
- `number_sentences`: NLTK's Punkt with its English model (see `text.py`).
- `nth_paragraph_first_word`: paragraphs are split on "\\n\\n"; the number of non-empty
  ones must equal `num_paragraphs`, and the `nth_paragraph`-th part (counted in the raw
  split, as IFEval does) must start with `first_word`, compared in lower case after
  leading quotes are dropped and up to the first . , ? ! ' or ".

Draws keep to what one answer of at most 512 tokens can meet.
"""

from __future__ import annotations

import random
import re

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.keywords import required_pool
from nodes.constraints.phrasing import Phrasings, ordinal_forms
from nodes.constraints.text import RELATIONS, compare, count_sentences, count_words
from nodes.constraints.values import keyword, number, ordinal, separator, term

PARAGRAPH = term("paragraph", "paragraphs")

_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_WORD_END = re.compile(r"[.,?!'\"]")


# -- length_constraints:number_paragraphs -------------------------------------------------


def draw_paragraphs(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"num_paragraphs": rng.randint(2, 5)}


def check_paragraphs(response: str, kw: Kwargs) -> bool:
    parts = _DIVIDER.split(response)
    last = len(parts) - 1
    if any(not part.strip() for part in parts[1:last]):
        return False  # an empty paragraph between two dividers
    count = sum(1 for i, part in enumerate(parts) if part.strip() or i not in (0, last))
    return count == int(kw["num_paragraphs"])


# -- length_constraints:number_words ------------------------------------------------------


def draw_words(rng: random.Random, context: DrawContext) -> Kwargs:
    if rng.random() < 0.5:
        return {"relation": "less than", "num_words": 10 * rng.randint(8, 40)}
    return {"relation": "at least", "num_words": 10 * rng.randint(5, 25)}


def check_words(response: str, kw: Kwargs) -> bool:
    return compare(count_words(response), kw["relation"], kw["num_words"])


# -- length_constraints:number_sentences --------------------------------------------------


def draw_sentences(rng: random.Random, context: DrawContext) -> Kwargs:
    relation = rng.choice(RELATIONS)
    count = rng.randint(4, 20) if relation == "less than" else rng.randint(2, 12)
    return {"relation": relation, "num_sentences": count}


def check_sentences(response: str, kw: Kwargs) -> bool:
    return compare(count_sentences(response), kw["relation"], kw["num_sentences"])


# -- length_constraints:nth_paragraph_first_word ------------------------------------------


def draw_first_word(rng: random.Random, context: DrawContext) -> Kwargs:
    paragraphs = rng.randint(2, 5)
    return {
        "num_paragraphs": paragraphs,
        "nth_paragraph": rng.randint(1, paragraphs),
        "first_word": rng.choice(list(required_pool(context))),
    }


def first_word_kwargs(kw: Kwargs) -> tuple[int, int, str]:
    paragraphs, nth = int(kw["num_paragraphs"]), int(kw["nth_paragraph"])
    if not 1 <= nth <= paragraphs:
        raise ValueError(f"nth_paragraph must be within 1..{paragraphs}, not {nth}")
    return paragraphs, nth, str(kw["first_word"]).lower()


def check_first_word(response: str, kw: Kwargs) -> bool:
    paragraphs, nth, first_word = first_word_kwargs(kw)
    parts = response.split("\n\n")
    count = sum(1 for part in parts if part.strip())
    if count != paragraphs or nth > count:
        return False
    paragraph = parts[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].lstrip("'").lstrip('"')
    return _WORD_END.split(word, maxsplit=1)[0].lower() == first_word


register(
    ConstraintType(
        id="length_constraints:number_paragraphs",
        name="number_paragraphs",
        source="ifeval",
        description="a given number of paragraphs separated by ***",
        draw=draw_paragraphs,
        phrasings=Phrasings(
            plain="The response must consist of exactly {num_paragraphs} paragraphs, with the "
            "markdown divider *** between them.",
            imperative="Use exactly {num_paragraphs} paragraphs, separated by the markdown "
            "divider ***.",
            make_sure="Make sure there are exactly {num_paragraphs} paragraphs, divided from "
            "one another by ***.",
            parenthetical="(Exactly {num_paragraphs} paragraphs, with *** between them.)",
            item="exactly {num_paragraphs} paragraphs, separated by ***",
        ),
        values=lambda kw: [number(kw["num_paragraphs"]), separator("***"), PARAGRAPH],
        check=check_paragraphs,
        conflicts=frozenset(
            {"length_constraints:nth_paragraph_first_word", "length_constraints:number_sentences"}
        ),
    ),
    ConstraintType(
        id="length_constraints:number_words",
        name="number_words",
        source="ifeval",
        description="less than / at least a number of words",
        draw=draw_words,
        phrasings=Phrasings(
            plain="The response must have {relation} {num_words} words.",
            imperative="Write {relation} {num_words} words.",
            make_sure="Make sure you use {relation} {num_words} words in total.",
            parenthetical="({relation} {num_words} words, please.)",
            item="{relation} {num_words} words in total",
        ),
        values=lambda kw: [number(kw["num_words"]), term("words", "word")],
        check=check_words,
    ),
    ConstraintType(
        id="length_constraints:number_sentences",
        name="number_sentences",
        source="ifeval",
        description="less than / at least a number of sentences",
        draw=draw_sentences,
        phrasings=Phrasings(
            plain="The answer must be made of {relation} {num_sentences} sentences.",
            imperative="Write {relation} {num_sentences} sentences in all.",
            make_sure="Make sure your reply has {relation} {num_sentences} sentences.",
            parenthetical="({relation} {num_sentences} sentences, please.)",
            item="{relation} {num_sentences} sentences",
        ),
        values=lambda kw: [number(kw["num_sentences"]), term("sentences", "sentence")],
        check=check_sentences,
    ),
    ConstraintType(
        id="length_constraints:nth_paragraph_first_word",
        name="nth_paragraph_first_word",
        source="ifeval",
        description="a number of paragraphs, the n-th starting with a given word",
        draw=draw_first_word,
        phrasings=Phrasings(
            plain="The response must have exactly {num_paragraphs} paragraphs, separated by "
            'single blank lines, and the {nth} paragraph must start with the word "{first_word}".',
            imperative="Write exactly {num_paragraphs} paragraphs with one blank line between "
            'each two, and open the {nth} one with the word "{first_word}".',
            make_sure="Make sure there are exactly {num_paragraphs} paragraphs (one blank line "
            'between them) and that paragraph {nth_paragraph} starts with "{first_word}".',
            parenthetical="(Exactly {num_paragraphs} paragraphs split by blank lines; the "
            '{nth} begins with "{first_word}".)',
            item="exactly {num_paragraphs} paragraphs split by blank lines, the {nth} "
            'beginning with the word "{first_word}"',
            fields=lambda kw: {
                "nth": ordinal_forms(first_word_kwargs(kw)[1]),
                "first_word": first_word_kwargs(kw)[2],
            },
        ),
        values=lambda kw: [
            number(kw["num_paragraphs"]),
            ordinal(kw["nth_paragraph"]),
            keyword(first_word_kwargs(kw)[2]),
            PARAGRAPH,
        ],
        check=check_first_word,
    ),
)
