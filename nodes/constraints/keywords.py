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
from nodes.constraints.text import RELATIONS, compare

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


def listing(items: Sequence[str]) -> str:
    """Quoted and joined for a stated sentence: "a"; "a" and "b"; "a", "b" and "c"."""
    quoted = [f'"{item}"' for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


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


def state_keywords(kw: Kwargs) -> str:
    keywords = as_list(kw["keywords"])
    noun = "keyword" if len(keywords) == 1 else "keywords"
    return f"Include the {noun} {listing(keywords)} in your response."


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


def state_frequency(kw: Kwargs) -> str:
    return (
        f'In your response, the word "{kw["keyword"].strip()}" should appear '
        f"{kw['relation']} {kw['frequency']} times."
    )


# -- keywords:forbidden_words -------------------------------------------------------------


def draw_forbidden(rng: random.Random, context: DrawContext) -> Kwargs:
    pool = forbidden_pool(context)
    return {"forbidden_words": rng.sample(list(pool), k=min(len(pool), rng.randint(1, 3)))}


def check_forbidden(response: str, kw: Kwargs) -> bool:
    return not any(
        re.search(rf"\b{re.escape(word)}\b", response, flags=re.IGNORECASE)
        for word in as_list(kw["forbidden_words"])
    )


def state_forbidden(kw: Kwargs) -> str:
    banned = as_list(kw["forbidden_words"])
    noun = "word" if len(banned) == 1 else "words"
    return f"Do not use the {noun} {listing(banned)} anywhere in your response."


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


def state_letter(kw: Kwargs) -> str:
    return (
        f'In your response, the letter "{letter_of(kw)}" should appear '
        f"{kw['let_relation']} {kw['let_frequency']} times."
    )


register(
    ConstraintType(
        id="keywords:existence",
        name="include_keywords",
        source="ifeval",
        description="include given keywords",
        draw=draw_keywords,
        state=state_keywords,
        check=check_keywords,
    ),
    ConstraintType(
        id="keywords:frequency",
        name="keyword_frequency",
        source="ifeval",
        description="use a word less than / at least a number of times",
        draw=draw_frequency,
        state=state_frequency,
        check=check_frequency,
    ),
    ConstraintType(
        id="keywords:forbidden_words",
        name="forbidden_words",
        source="ifeval",
        description="avoid given words",
        draw=draw_forbidden,
        state=state_forbidden,
        check=check_forbidden,
    ),
    ConstraintType(
        id="keywords:letter_frequency",
        name="letter_frequency",
        source="ifeval",
        description="use a letter less than / at least a number of times",
        draw=draw_letter,
        state=state_letter,
        check=check_letter,
    ),
)
