"""open-instruct's word-choice types: a keyword exactly once, a keyword a number of times,
a word of the request itself left out, a palindrome, and no neighbouring words whose
initials follow each other in the alphabet.

Deliberate differences from open-instruct:
- word_once, word_count_different_numbers, exclude_word_harder: a keyword counts as a
  whole word, ignoring case. open-instruct counts it as a substring for the first two
  (so "art" is found in "start", and a response with "party" "includes" "art"), and for
  exclude_word_harder only looks for it between two spaces in its exact case (so
  "Garden" or "garden." pass as not using "garden").
- palindrome: open-instruct accepts any whitespace token that reads the same backwards,
  so every response containing "a", "I" or "-" passes. decif wants a word of at least
  three letters (e.g. "level", "did") or a sentence whose letters, five or more, read
  the same backwards ("Never odd or even.").
- no_adjacent_consecutive: a word's initial is its first letter or digit, past leading
  quotes or brackets, lower-cased ("İstanbul" starts with "i"), and tokens without any
  are skipped; open-instruct takes the first character, so "(apple) (banana)" passes
  there, and it fails any response with a word starting with "İ". As in open-instruct
  only the order a-then-b counts ("banana apple" is fine), which decif's sentence says.
"""

from __future__ import annotations

import random
import re

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.counting import RELATIONS, compare
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.splitting import keyword_count, split_sentences, word_list
from nodes.constraints.values import keyword, number, term
from nodes.constraints.vocab import topic_word

ONCE = term("once", "one time", "1 time")

_INITIAL = re.compile(r"[^\W_]")


def _check_no_adjacent(response: str, kw: Kwargs) -> bool:
    # A letter may lower-case to two code points ("İ" to "i" and a combining dot): its
    # initial is the first of them.
    initials = [m.group(0).lower()[0] for m in map(_INITIAL.search, response.split()) if m]
    return all(ord(b) - ord(a) != 1 for a, b in zip(initials, initials[1:], strict=False))


def _check_palindrome(response: str, kw: Kwargs) -> bool:
    for word in word_list(response):
        word = word.casefold()
        if len(word) >= 3 and word.isalpha() and word == word[::-1]:
            return True
    for sentence in split_sentences(response):
        letters = [c for c in sentence.casefold() if c.isalnum()]
        if len(letters) >= 5 and letters == letters[::-1]:
            return True
    return False


def _draw_different_numbers(rng: random.Random, context: DrawContext) -> Kwargs:
    relation = rng.choice(RELATIONS)
    frequency = rng.randint(2, 4) if relation == "at least" else rng.randint(2, 3)
    return {"keyword": topic_word(context, rng), "frequency": frequency, "relation": relation}


def _bind_excluded(kw: Kwargs, instruction: str) -> Kwargs:
    """Keep the drawn topic word if the instruction uses it, else take one of the
    instruction's own content words (chosen by an RNG seeded with the instruction)."""
    candidates = DrawContext(scenario=instruction).topic_words
    if not candidates or kw["keyword"].lower() in candidates:
        return kw
    return {**kw, "keyword": random.Random(instruction).choice(candidates)}


register(
    ConstraintType(
        id="keywords:no_adjacent_consecutive",
        name="no_adjacent_consecutive",
        source="ifevalg",
        description="no two neighbouring words start with consecutive letters (a, then b)",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="No two neighbouring words may start with consecutive letters of the alphabet "
            'in that order (a word starting with "a" followed by one starting with "b", or "s" '
            'followed by "t").',
            imperative="Never put a word right after one whose first letter comes just before "
            'its own in the alphabet, such as "apple" then "bread" or "sun" then "tree".',
            make_sure="Make sure no word is followed by a word starting with the next letter of "
            'the alphabet (no "a" word then a "b" word, no "s" then "t").',
            parenthetical="(Never follow a word with one whose initial is the next letter of "
            'the alphabet, like "big" then "cat".)',
            item="no word followed by one starting with the next letter of the alphabet",
        ),
        values=lambda kw: [term("alphabet", "consecutive letters")],
        check=_check_no_adjacent,
    ),
    ConstraintType(
        id="keywords:word_once",
        name="word_once",
        source="ifevalg",
        description="use a keyword exactly once",
        draw=lambda rng, context: {"keyword": topic_word(context, rng)},
        phrasings=Phrasings(
            plain='The word "{keyword}" must appear exactly once in the response.',
            imperative='Use "{keyword}" exactly one time.',
            make_sure='Make sure "{keyword}" shows up once and only once.',
            parenthetical='("{keyword}": exactly once.)',
            item='the word "{keyword}" exactly once',
        ),
        values=lambda kw: [keyword(kw["keyword"]), ONCE],
        check=lambda response, kw: keyword_count(kw["keyword"], response) == 1,
    ),
    ConstraintType(
        id="keywords:word_count_different_numbers",
        name="word_count_different_numbers",
        source="ifevalg",
        description="use a keyword at least / fewer than N times",
        draw=_draw_different_numbers,
        phrasings=Phrasings(
            plain='The word "{keyword}" must be used {relation} {frequency} times in the response.',
            imperative='Write "{keyword}" {relation} {frequency} times.',
            make_sure='Make sure you use "{keyword}" {relation} {frequency} times.',
            parenthetical='("{keyword}" {relation} {frequency} times.)',
            item='"{keyword}" {relation} {frequency} times',
        ),
        values=lambda kw: [keyword(kw["keyword"]), number(kw["frequency"])],
        check=lambda response, kw: compare(
            keyword_count(kw["keyword"], response), kw["relation"], int(kw["frequency"])
        ),
    ),
    ConstraintType(
        id="keywords:exclude_word_harder",
        name="exclude_word_harder",
        source="ifevalg",
        description="leave out a word that the instruction itself uses",
        draw=lambda rng, context: {"keyword": topic_word(context, rng)},
        bind=_bind_excluded,
        phrasings=Phrasings(
            plain='The word "{keyword}" must not appear anywhere in the response, in any '
            "capitalisation.",
            imperative='Do not write "{keyword}" at all, in any capitalisation.',
            make_sure='Make sure the word "{keyword}" never appears, however it is capitalised.',
            parenthetical='(Never use "{keyword}", in any case.)',
            item='never the word "{keyword}", in any case',
        ),
        values=lambda kw: [keyword(kw["keyword"])],
        check=lambda response, kw: keyword_count(kw["keyword"], response) == 0,
    ),
    ConstraintType(
        id="keywords:palindrome",
        name="palindrome",
        source="ifevalg",
        description="include a palindrome",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must include a palindrome: a word of three or more letters, or "
            "a whole sentence, that reads the same backwards.",
            imperative="Work in a palindrome, either a word of at least three letters or a full "
            "sentence that reads the same both ways.",
            make_sure='Make sure there is a palindrome somewhere, such as "level" or a sentence '
            "that reads the same backwards.",
            parenthetical='(Include a palindrome, e.g. "racecar".)',
            item="a palindrome of three or more letters",
        ),
        values=lambda kw: [term("palindrome", "palindromes")],
        check=_check_palindrome,
    ),
)
