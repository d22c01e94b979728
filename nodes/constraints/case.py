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
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.text import RELATIONS, compare, detect_language, word_tokens
from nodes.constraints.values import language, number, term

CAPITALS = term("capital", "capitals", "uppercase", "upper case", "upper-case", "caps", "all-caps")


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


register(
    ConstraintType(
        id="change_case:english_capital",
        name="all_uppercase",
        source="ifeval",
        description="all in English capital letters",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The whole response must be in English and written in capital letters only.",
            imperative="Answer in English, in capital letters only.",
            make_sure="Make sure every letter of your English reply is a capital letter.",
            parenthetical="(English only, all in capital letters.)",
            item="English, capital letters only",
        ),
        values=lambda kw: [language("English"), CAPITALS],
        check=lambda response, kw: response.isupper() and in_english(response),
    ),
    ConstraintType(
        id="change_case:english_lowercase",
        name="all_lowercase",
        source="ifeval",
        description="all in English lower-case letters",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The whole response must be in English and in lowercase letters, with no "
            "capitals at all.",
            imperative="Reply in English using lowercase letters only, with no capital letters.",
            make_sure="Make sure your reply is in English and in lowercase, with no capital "
            "letters at all.",
            parenthetical="(English, all lowercase, not a single capital letter.)",
            item="English in lowercase letters only",
        ),
        values=lambda kw: [
            language("English"),
            term("lowercase", "lower case", "lower-case", "small letters"),
        ],
        check=lambda response, kw: response.islower() and in_english(response),
        conflicts=frozenset({"change_case:english_capital"}),
    ),
    ConstraintType(
        id="change_case:capital_word_frequency",
        name="capital_words_frequency",
        source="ifeval",
        description="less than / at least a number of all-capital words",
        draw=draw_capital_words,
        phrasings=Phrasings(
            plain="Words written entirely in capital letters must appear {capital_relation} "
            "{capital_frequency} times in the response.",
            imperative="Use {capital_relation} {capital_frequency} words written all in capitals.",
            make_sure="Make sure the number of all-capital words is {capital_relation} "
            "{capital_frequency}.",
            parenthetical="(All-caps words: {capital_relation} {capital_frequency} of them.)",
            item="{capital_relation} {capital_frequency} words in all capitals",
        ),
        values=lambda kw: [number(kw["capital_frequency"]), CAPITALS],
        check=check_capital_words,
        conflicts=frozenset({"change_case:english_lowercase", "change_case:english_capital"}),
    ),
)
