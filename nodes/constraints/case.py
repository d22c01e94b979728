"""Letter case: all upper case, all lower case, how many words are in capitals.

Checks have IFEval's semantics:

- `english_capital` / `english_lowercase`: Python's `str.isupper()` / `str.islower()` on
  the whole response (at least one cased letter, none of the other case; digits and
  punctuation are neutral) and langdetect finds English. As in IFEval, when langdetect
  finds nothing to judge the language part passes.
- `capital_word_frequency`: tokens of NLTK's `word_tokenize` (see `text.py`) that are
  `isupper()`, compared with "less than" / "at least"; a hyphenated word is one token,
  "DON'T" is two ("DO", "N'T").
"""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.text import RELATIONS, compare, detect_language, word_tokens


def in_english(response: str) -> bool:
    found = detect_language(response)
    return found is None or found == "en"


def count_capital_words(response: str) -> int:
    return sum(1 for token in word_tokens(response) if token.isupper())


def draw_capital_words(rng: random.Random, context: DrawContext) -> Kwargs:
    relation = rng.choice(RELATIONS)
    count = rng.randint(2, 10) if relation == "less than" else rng.randint(2, 8)
    return {"capital_relation": relation, "capital_frequency": count}


def check_capital_words(response: str, kw: Kwargs) -> bool:
    count = count_capital_words(response)
    return compare(count, kw["capital_relation"], kw["capital_frequency"])


def state_capital_words(kw: Kwargs) -> str:
    return (
        "In your response, words written entirely in capital letters should appear "
        f"{kw['capital_relation']} {kw['capital_frequency']} times."
    )


register(
    ConstraintType(
        id="change_case:english_capital",
        name="all_uppercase",
        source="ifeval",
        description="all in English capital letters",
        draw=lambda rng, context: {},
        state=lambda kw: "Write your entire response in English, using capital letters only.",
        check=lambda response, kw: response.isupper() and in_english(response),
    ),
    ConstraintType(
        id="change_case:english_lowercase",
        name="all_lowercase",
        source="ifeval",
        description="all in English lower-case letters",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Write your entire response in English and in lowercase letters only; "
            "no capital letters are allowed."
        ),
        check=lambda response, kw: response.islower() and in_english(response),
        conflicts=frozenset({"change_case:english_capital"}),
    ),
    ConstraintType(
        id="change_case:capital_word_frequency",
        name="capital_words_frequency",
        source="ifeval",
        description="less than / at least a number of all-capital words",
        draw=draw_capital_words,
        state=state_capital_words,
        check=check_capital_words,
        conflicts=frozenset({"change_case:english_lowercase", "change_case:english_capital"}),
    ),
)
