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
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.splitting import keyword_count, split_sentences, word_list
from nodes.constraints.values import keyword, letter, number, separator, term
from nodes.constraints.vocab import topic_words

LOWERCASE = term("lowercase", "lower case", "lower-case")

RELATIONS = ("less than", "at least")


def compare(count: int, relation: str, threshold: int) -> bool:
    """open-instruct's two relations: "less than" is <, "at least" is >=."""
    if relation == "less than":
        return count < threshold
    if relation == "at least":
        return count >= threshold
    raise ValueError(f"relation must be one of {RELATIONS}, not {relation!r}")


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
        phrasings=Phrasings(
            plain="The whole response may contain at most {N} words written in lowercase "
            "letters only; every other word must start with a capital letter or be in capitals, "
            "and contractions should be avoided.",
            imperative="Write no more than {N} all-lowercase words in the whole response: "
            "capitalise the first letter of every other word (or write it in capitals), and "
            "avoid contractions.",
            make_sure="Make sure at most {N} words in your reply are entirely lowercase, by "
            "starting all the others with a capital letter, and use no contractions.",
            parenthetical="(No more than {N} all-lowercase words in total: Capitalise The "
            "Rest, and no contractions.)",
            item="at most {N} words in all-lowercase letters, every other word capitalised",
        ),
        values=lambda kw: [number(kw["N"]), LOWERCASE],
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
        phrasings=Phrasings(
            plain="The response must contain {relation} {N} letters in total, counting only "
            "the letters A to Z in either case (not digits, spaces or punctuation).",
            imperative="Write {relation} {N} letters in all, counting only A to Z in either "
            "case, not digits, spaces or punctuation.",
            make_sure="Make sure the total number of letters (A to Z, either case; digits, "
            "spaces and punctuation not counted) is {relation} {N}.",
            parenthetical="({relation} {N} letters in total, counting only A to Z.)",
            item="{relation} {N} letters A to Z in total",
        ),
        values=lambda kw: [number(kw["N"]), term("letters", "letter")],
        check=_check_letter_count,
    ),
    ConstraintType(
        id="letters:letter_counting2",
        name="letter_counting2",
        source="ifevalg",
        description="a given letter at least / fewer than N times",
        draw=_draw_letter_frequency,
        phrasings=Phrasings(
            plain='The letter "{letter}" must occur {let_relation} {let_frequency} times in the '
            "response, upper and lower case both counting.",
            imperative='Use the letter "{letter}" {let_relation} {let_frequency} times (capital '
            "and small both count).",
            make_sure='Make sure the letter "{letter}", in either case, appears {let_relation} '
            "{let_frequency} times.",
            parenthetical='(Letter "{letter}", any case: {let_relation} {let_frequency} times.)',
            item='the letter "{letter}" {let_relation} {let_frequency} times, in either case',
        ),
        values=lambda kw: [letter(kw["letter"]), number(kw["let_frequency"])],
        check=_check_letter_frequency,
    ),
    ConstraintType(
        id="count:counting_composition",
        name="counting_composition",
        source="ifevalg",
        description="3 paragraphs of n_sent sentences of n_words words each",
        draw=lambda rng, context: {"n_sent": rng.randint(2, 3), "n_words": rng.randint(3, 6)},
        phrasings=Phrasings(
            plain="The response must be exactly 3 paragraphs separated by the markdown divider "
            "***, each of exactly {n_sent} sentences, and every sentence exactly {n_words} "
            "words long.",
            imperative="Write exactly three paragraphs with *** between them, each made of "
            "exactly {n_sent} sentences of exactly {n_words} words.",
            make_sure="Make sure there are exactly 3 paragraphs, divided by ***, each with "
            "exactly {n_sent} sentences, and each sentence exactly {n_words} words.",
            parenthetical="(Three paragraphs split by ***, each exactly {n_sent} sentences of "
            "exactly {n_words} words.)",
            item="3 paragraphs divided by ***, each {n_sent} sentences of {n_words} words exactly",
        ),
        values=lambda kw: [
            number(3),
            number(kw["n_sent"]),
            number(kw["n_words"]),
            separator("***"),
        ],
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
        phrasings=Phrasings(
            plain="No word may appear twice anywhere in the response, not even with different "
            "capitalisation.",
            imperative="Use each word at most once in your entire response, whatever its "
            "capitalisation.",
            make_sure="Make sure no word is repeated anywhere in your reply, ignoring case.",
            parenthetical="(Never repeat a word, in any capitalisation.)",
            item="no word used twice, ignoring case",
        ),
        values=lambda kw: [term("twice", "once", "repeat", "repeated", "unique")],
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
        phrasings=Phrasings(
            plain='The word "{keyword1}" must appear exactly once and the word "{keyword2}" '
            "exactly twice in the response.",
            imperative='Use "{keyword1}" exactly one time and "{keyword2}" exactly two times.',
            make_sure='Make sure "{keyword1}" occurs exactly once and "{keyword2}" exactly twice.',
            parenthetical='("{keyword1}" exactly once, "{keyword2}" exactly twice.)',
            item='"{keyword1}" exactly once and "{keyword2}" exactly twice',
        ),
        values=lambda kw: [
            keyword(kw["keyword1"]),
            keyword(kw["keyword2"]),
            term("once", "one time", "1 time"),
            term("twice", "two times", "2 times"),
        ],
        check=lambda response, kw: (
            keyword_count(kw["keyword1"], response) == 1
            and keyword_count(kw["keyword2"], response) == 2
        ),
    ),
)
