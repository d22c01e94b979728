"""open-instruct's counting types: how many lowercase words, how many letters, how often a
letter occurs, a fixed grid of paragraphs x sentences x words, no repeated word, and two
keywords once and twice.

Deliberate differences from open-instruct:
- counting_composition: open-instruct's sentence names the divider "* * *" but its checker
  splits only on "***"; decif accepts both. It counts NLTK tokens as words, so "The cat
  sat." has four and a correct three-word sentence fails while a two-word one passes;
  decif counts words only (`splitting.word_list`).
- count_unique: open-instruct counts NLTK tokens case-sensitively, so a second comma or
  full stop is a "repeated word" (any two-sentence answer fails) while "The ... the"
  passes; decif compares words only, ignoring case.
- count_increment_word: keywords count as whole words, ignoring case (open-instruct:
  substrings, so "art" is found in "start").
- letter_counting2 is IFEval's letter-frequency checker under another id; as there, the
  letter is counted in the lower-cased response, so "E" counts for "e".
A relation other than "less than" / "at least" raises ValueError (open-instruct returns
None, i.e. a silent fail).
"""

from __future__ import annotations

import collections
import random
import re

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.splitting import keyword_count, split_sentences, word_list
from nodes.constraints.vocab import topic_words

RELATIONS = ("less than", "at least")


def compare(count: int, relation: str, threshold: int) -> bool:
    """open-instruct's two relations: "less than" is <, "at least" is >=."""
    if relation == "less than":
        return count < threshold
    if relation == "at least":
        return count >= threshold
    raise ValueError(f"relation must be one of {RELATIONS}, not {relation!r}")


def amount(relation: str) -> str:
    return "at least" if relation == "at least" else "fewer than"


def _check_lowercase(response: str, kw: Kwargs) -> bool:
    """At most N words made only of ASCII lowercase letters, in the whole response (the
    reference checker's semantics, whatever its sentence suggests)."""
    return len(re.findall(r"\b[a-z]+\b", response)) <= int(kw["N"])


def _draw_letter_count(rng: random.Random, context: DrawContext) -> Kwargs:
    relation = rng.choice(RELATIONS)
    if relation == "at least":
        return {"N": rng.randrange(100, 801, 50), "relation": relation}
    return {"N": rng.randrange(300, 1201, 100), "relation": relation}


def _check_letter_count(response: str, kw: Kwargs) -> bool:
    count = len(re.findall(r"[a-zA-Z]", response))
    return compare(count, kw["relation"], int(kw["N"]))


def _draw_letter_frequency(rng: random.Random, context: DrawContext) -> Kwargs:
    relation = rng.choice(RELATIONS)
    if relation == "at least":
        letter, frequency = rng.choice("abcdefghilmnoprstuwy"), rng.randint(3, 12)
    else:  # a rare letter, so "fewer than" leaves room to write about anything
        letter, frequency = rng.choice("jkqvxz"), rng.randint(2, 6)
    return {"letter": letter, "let_frequency": frequency, "let_relation": relation}


def _check_letter_frequency(response: str, kw: Kwargs) -> bool:
    letter = kw["letter"].strip().lower()
    if len(letter) != 1:
        raise ValueError(f"letter must be a single letter, not {kw['letter']!r}")
    count = collections.Counter(response.lower())[letter]
    return compare(count, kw["let_relation"], int(kw["let_frequency"]))


_DIVIDER = re.compile(r"\s?(?:\*\*\*|\* \* \*)\s?")


def _check_composition(response: str, kw: Kwargs) -> bool:
    """Three paragraphs between dividers, each of n_sent sentences of n_words words. An
    empty paragraph fails, a leading or trailing divider included (open-instruct drops
    such an edge from its paragraph count but then fails it for having no sentences)."""
    n_sent, n_words = int(kw["n_sent"]), int(kw["n_words"])
    paragraphs = _DIVIDER.split(response)
    if len(paragraphs) != 3:
        return False
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        if not paragraph.strip() or len(sentences) != n_sent:
            return False
        if any(len(word_list(sentence)) != n_words for sentence in sentences):
            return False
    return True


def _check_unique(response: str, kw: Kwargs) -> bool:
    words = [word.casefold() for word in word_list(response)]
    return len(words) == len(set(words))


def _draw_increment(rng: random.Random, context: DrawContext) -> Kwargs:
    first, second = topic_words(context, 2, rng)
    return {"keyword1": first, "keyword2": second}


register(
    ConstraintType(
        id="count:lowercase_counting",
        name="lowercase_counting",
        source="ifevalg",
        description="at most N all-lowercase words in the whole response",
        draw=lambda rng, context: {"N": rng.randint(2, 5)},
        state=lambda kw: (
            f"Write at most {kw['N']} words in all-lowercase letters in your whole response: "
            "start every other word with a capital letter or write it in capitals, and avoid "
            "contractions."
        ),
        check=_check_lowercase,
        # Added by decif: an all-lowercase response has only lowercase words.
        conflicts=frozenset({"change_case:english_lowercase"}),
    ),
    ConstraintType(
        id="letters:letter_counting",
        name="letter_counting",
        source="ifevalg",
        description="at least / fewer than N letters in total",
        draw=_draw_letter_count,
        state=lambda kw: (
            f"Your response must contain {amount(kw['relation'])} {kw['N']} letters in total "
            "(only the letters A to Z count, in either case; digits, spaces and punctuation "
            "do not)."
        ),
        check=_check_letter_count,
    ),
    ConstraintType(
        id="letters:letter_counting2",
        name="letter_counting2",
        source="ifevalg",
        description="a given letter at least / fewer than N times",
        draw=_draw_letter_frequency,
        state=lambda kw: (
            f'The letter "{kw["letter"]}" must appear {amount(kw["let_relation"])} '
            f"{kw['let_frequency']} times in your response (upper and lower case both count)."
        ),
        check=_check_letter_frequency,
    ),
    ConstraintType(
        id="count:counting_composition",
        name="counting_composition",
        source="ifevalg",
        description="3 paragraphs of n_sent sentences of n_words words each",
        draw=lambda rng, context: {"n_sent": rng.randint(2, 3), "n_words": rng.randint(3, 6)},
        state=lambda kw: (
            "Write exactly 3 paragraphs separated by the markdown divider ***, each made of "
            f"exactly {kw['n_sent']} sentences, and each sentence of exactly {kw['n_words']} "
            "words."
        ),
        check=_check_composition,
        conflicts=frozenset(
            {
                "count:count_unique",
                "count:count_increment_word",
                "paragraphs:paragraphs",
                "paragraphs:paragraphs2",
                "keywords:letter_frequency",
                "keywords:frequency",
                # Added by decif: the grid fixes the paragraph, sentence and word counts.
                "length_constraints:number_paragraphs",
                "length_constraints:nth_paragraph_first_word",
                "length_constraints:number_sentences",
                "length_constraints:number_words",
            }
        ),
    ),
    ConstraintType(
        id="count:count_unique",
        name="count_unique",
        source="ifevalg",
        description="no word used twice",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Use every word at most once in your whole response: no word may be repeated, "
            "not even with different capitalisation."
        ),
        check=_check_unique,
        # Added by decif: each of these makes some word occur twice.
        conflicts=frozenset(
            {
                "count:count_increment_word",
                "copy:repeat_phrase",
                "keywords:start_end",
                "first_word:first_word_sent",
                "last_word:last_word_sent",
            }
        ),
    ),
    ConstraintType(
        id="count:count_increment_word",
        name="count_increment_word",
        source="ifevalg",
        description="one keyword exactly once, another exactly twice",
        draw=_draw_increment,
        state=lambda kw: (
            f'Use the word "{kw["keyword1"]}" exactly once and the word "{kw["keyword2"]}" '
            "exactly twice in your response."
        ),
        check=lambda response, kw: (
            keyword_count(kw["keyword1"], response) == 1
            and keyword_count(kw["keyword2"], response) == 2
        ),
    ),
)
