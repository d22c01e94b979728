"""Keywords and letters: include words, use a word so often, avoid words, count a letter.

Checks have IFEval's semantics:

- `keywords:existence`: each keyword occurs, case-insensitively, anywhere: a substring
  match, so "art" is found in "start" (IFEval's `re.search(keyword, ...)`).
- `keywords:frequency`: non-overlapping, case-insensitive substring occurrences of the
  keyword, compared with "less than" / "at least".
- `keywords:forbidden_words`: no forbidden word occurs as a whole word (`\\b...\\b`),
  case-insensitively; "cats" does not break a ban on "cat".
- `keywords:letter_frequency`: occurrences of the letter in the lower-cased response.

One deliberate difference: IFEval uses a keyword as a regular expression; decif escapes
it, so a keyword is always literal text ("c++", "e.g." match themselves). For keywords of
letters, digits and spaces, as IFEval's data and decif's draws have, the two agree.

Draws take words from the sample's topic (`DrawContext.topic_words`) where it has enough,
else from the small lists below. The topic's words are split in two so that no draw can
require a word another draw forbids: required words (keywords, the word to repeat, a
paragraph's first word) come from the even positions, forbidden words from the odd ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.phrasing import Phrasings, listing, plural
from nodes.constraints.text import RELATIONS, compare
from nodes.constraints.values import keyword, letter, number

# Everyday nouns and verbs a response on almost any subject can work in (required words),
# and common words an answer reaches for by habit (forbidden words).
REQUIRED_WORDS = (
    "balance", "bridge", "compass", "garden", "harvest", "journey", "lantern", "ladder",
    "method", "mirror", "morning", "network", "orbit", "pattern", "puzzle", "rhythm",
    "river", "season", "signal", "spark", "window", "anchor", "blueprint", "canvas",
    "chapter", "courage", "horizon", "kitchen", "market", "melody", "recipe", "timeline",
)  # fmt: skip
FORBIDDEN_WORDS = (
    "very", "really", "basically", "actually", "important", "great", "things", "stuff",
    "simply", "just", "obviously", "literally", "amazing", "nice", "good", "bad",
    "many", "often", "always", "never", "however", "therefore", "example", "overall",
)  # fmt: skip

COMMON_LETTERS = "etaoinsrhl"  # asked for "at least" a number of times
RARE_LETTERS = "jqxz"  # asked for "less than" a number of times


def required_pool(context: DrawContext) -> Sequence[str]:
    """Words a draw may require: the topic's even-position words, or the list above."""
    topic = context.topic_words[0::2]
    return topic if len(topic) >= 3 else REQUIRED_WORDS


def forbidden_pool(context: DrawContext) -> Sequence[str]:
    """Words a draw may forbid: the topic's odd-position words, or the list above."""
    topic = context.topic_words[1::2]
    return topic if len(topic) >= 3 else FORBIDDEN_WORDS


def as_list(value: str | Sequence[str]) -> list[str]:
    """A keyword list as IFEval stores it; a lone string is one keyword, not its letters."""
    return [value] if isinstance(value, str) else list(value)


def occurrences(keyword: str, response: str) -> int:
    return len(re.findall(re.escape(keyword), response, flags=re.IGNORECASE))


# -- keywords:existence -------------------------------------------------------------------


def draw_keywords(rng: random.Random, context: DrawContext) -> Kwargs:
    pool = required_pool(context)
    return {"keywords": rng.sample(list(pool), k=min(len(pool), rng.randint(1, 3)))}


def check_keywords(response: str, kw: Kwargs) -> bool:
    return all(occurrences(k, response) > 0 for k in as_list(kw["keywords"]))


# -- keywords:frequency -------------------------------------------------------------------


def draw_frequency(rng: random.Random, context: DrawContext) -> Kwargs:
    return {
        "keyword": rng.choice(list(required_pool(context))),
        "frequency": rng.randint(2, 4),
        "relation": rng.choice(RELATIONS),
    }


def check_frequency(response: str, kw: Kwargs) -> bool:
    count = occurrences(str(kw["keyword"]).strip(), response)  # IFEval strips this one
    return compare(count, kw["relation"], kw["frequency"])


# -- keywords:forbidden_words -------------------------------------------------------------


def draw_forbidden(rng: random.Random, context: DrawContext) -> Kwargs:
    pool = forbidden_pool(context)
    return {"forbidden_words": rng.sample(list(pool), k=min(len(pool), rng.randint(1, 3)))}


def check_forbidden(response: str, kw: Kwargs) -> bool:
    return not any(
        re.search(rf"\b{re.escape(word)}\b", response, flags=re.IGNORECASE)
        for word in as_list(kw["forbidden_words"])
    )


# -- keywords:letter_frequency ------------------------------------------------------------


def letter_of(kw: Kwargs) -> str:
    letter = str(kw["letter"]).strip().lower()
    if len(letter) != 1 or not "a" <= letter <= "z":
        raise ValueError(f"letter must be one English letter, not {kw['letter']!r}")
    return letter


def draw_letter(rng: random.Random, context: DrawContext) -> Kwargs:
    if rng.random() < 0.5:
        letter, frequency, relation = rng.choice(COMMON_LETTERS), rng.randint(5, 20), "at least"
    else:
        letter, frequency, relation = rng.choice(RARE_LETTERS), rng.randint(2, 8), "less than"
    return {"letter": letter, "let_frequency": frequency, "let_relation": relation}


def check_letter(response: str, kw: Kwargs) -> bool:
    count = response.lower().count(letter_of(kw))
    return compare(count, kw["let_relation"], kw["let_frequency"])


register(
    ConstraintType(
        id="keywords:existence",
        name="include_keywords",
        source="ifeval",
        description="include given keywords",
        draw=draw_keywords,
        phrasings=Phrasings(
            plain="The response must use the {noun} {keywords}.",
            imperative="Work the {noun} {keywords} into your answer.",
            make_sure="Make sure {keywords} {verb} somewhere in the text.",
            parenthetical="(Mention {keywords} in the answer.)",
            item="use the {noun} {keywords}",
            fields=lambda kw: {
                "keywords": listing(as_list(kw["keywords"])),
                "noun": plural(len(as_list(kw["keywords"])), "word"),
                "verb": plural(len(as_list(kw["keywords"])), "appears", "appear"),
            },
        ),
        values=lambda kw: [keyword(k) for k in as_list(kw["keywords"])],
        check=check_keywords,
    ),
    ConstraintType(
        id="keywords:frequency",
        name="keyword_frequency",
        source="ifeval",
        description="use a word less than / at least a number of times",
        draw=draw_frequency,
        phrasings=Phrasings(
            plain='The word "{keyword}" must occur {relation} {frequency} times in the response.',
            imperative='Use "{keyword}" {relation} {frequency} times.',
            make_sure='Make sure the word "{keyword}" shows up {relation} {frequency} times.',
            parenthetical='(Say "{keyword}" {relation} {frequency} times.)',
            item='the word "{keyword}" {relation} {frequency} times',
        ),
        values=lambda kw: [keyword(kw["keyword"]), number(kw["frequency"])],
        check=check_frequency,
    ),
    ConstraintType(
        id="keywords:forbidden_words",
        name="forbidden_words",
        source="ifeval",
        description="avoid given words",
        draw=draw_forbidden,
        phrasings=Phrasings(
            plain="The response must not contain the {noun} {banned}.",
            imperative="Avoid the {noun} {banned} entirely.",
            make_sure="Make sure you never write {banned}.",
            parenthetical="(Leave out the {noun} {banned}.)",
            item="no use of {banned}",
            fields=lambda kw: {
                "banned": listing(as_list(kw["forbidden_words"]), "or"),
                "noun": plural(len(as_list(kw["forbidden_words"])), "word"),
            },
        ),
        values=lambda kw: [keyword(k) for k in as_list(kw["forbidden_words"])],
        check=check_forbidden,
    ),
    ConstraintType(
        id="keywords:letter_frequency",
        name="letter_frequency",
        source="ifeval",
        description="use a letter less than / at least a number of times",
        draw=draw_letter,
        phrasings=Phrasings(
            plain='The letter "{letter}" must occur {let_relation} {let_frequency} times in the '
            "response.",
            imperative='Use the letter "{letter}" {let_relation} {let_frequency} times.',
            make_sure='Make sure the letter "{letter}" turns up {let_relation} {let_frequency} '
            "times.",
            parenthetical='(The letter "{letter}": {let_relation} {let_frequency} times.)',
            item='the letter "{letter}" {let_relation} {let_frequency} times',
            fields=lambda kw: {"letter": letter_of(kw)},
        ),
        values=lambda kw: [letter(letter_of(kw)), number(kw["let_frequency"])],
        check=check_letter,
    ),
)
