"""How the response starts and ends: an end phrase, a start phrase, quotation marks.

- `startend:end_checker` (IFEval's check): the response, stripped of whitespace and then
  of double quotes at either end, ends with the phrase, compared in lower case.
- `decif:start_phrase` (decif's own): the response, less leading whitespace, starts with
  the phrase exactly (case and punctuation included); when the phrase ends in a letter or
  digit the next character must not be one ("Dear team" is not met by "Dear teams").
- `startend:quotation` (IFEval's check): the stripped response is longer than one
  character and starts and ends with a straight double quote ("); curly quotes do not count.

Phrases come from the lists below, written to close or open an answer on any subject, and
hold no comma, so that they never clash with the no-comma constraint. They hold no topic
word either: topic words come without a part of speech, and a phrase built around one
would often not be English.
"""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.ids import START_PHRASE
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import phrase, term

END_PHRASES = (
    "Is there anything else you would like to know?",
    "Let me know if you need more help.",
    "I hope this helps!",
    "That is all for now.",
    "Thanks for reading.",
    "Feel free to ask follow-up questions.",
    "Good luck!",
    "Those are my thoughts on the matter.",
)
START_PHRASES = (
    "In short",
    "To begin with",
    "First of all",
    "Great question!",
    "Let me explain.",
    "Good news:",
    "Quick summary:",
    "Picture this:",
    "Short answer:",
    "Key point:",
)


def check_end(response: str, kw: Kwargs) -> bool:
    phrase = str(kw["end_phrase"]).strip().lower()
    return response.strip().strip('"').lower().endswith(phrase)


def check_start(response: str, kw: Kwargs) -> bool:
    phrase = str(kw["start_phrase"]).strip()
    if not phrase:
        raise ValueError("start_phrase must not be empty")
    text = response.lstrip()
    if not text.startswith(phrase):
        return False
    rest = text[len(phrase) : len(phrase) + 1]
    return not (phrase[-1].isalnum() and rest.isalnum())


def check_quotation(response: str, kw: Kwargs) -> bool:
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


def draw_end(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"end_phrase": rng.choice(END_PHRASES)}


def draw_start(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"start_phrase": rng.choice(START_PHRASES)}


register(
    ConstraintType(
        id="startend:end_checker",
        name="end_phrase",
        source="ifeval",
        description="end with a given phrase",
        draw=draw_end,
        phrasings=Phrasings(
            plain='The response must end with the exact phrase "{end_phrase}", with nothing '
            "after it.",
            imperative='Close with these exact words: "{end_phrase}", and add nothing after them.',
            make_sure='Make sure the very last words are exactly "{end_phrase}"',
            parenthetical='(Final words, exactly: "{end_phrase}")',
            item='ending with exactly "{end_phrase}"',
        ),
        values=lambda kw: [phrase(kw["end_phrase"])],
        check=check_end,
    ),
    ConstraintType(
        id=START_PHRASE,
        name="start_phrase",
        source="decif",
        description="start with a given phrase",
        draw=draw_start,
        phrasings=Phrasings(
            plain='The response must begin with this exact phrase: "{start_phrase}"',
            imperative='Open your reply with the exact words "{start_phrase}"',
            make_sure='Make sure the reply starts with "{start_phrase}", exactly as written.',
            parenthetical='(Start with exactly "{start_phrase}")',
            item='starting with exactly "{start_phrase}"',
        ),
        values=lambda kw: [phrase(kw["start_phrase"], case_sensitive=True)],
        check=check_start,
        # Something else must come first (the repeated request, a quote, a title, the
        # first of two answers, JSON, a document), the phrase's case or language would
        # change, or another type fixes the first word.
        conflicts=frozenset(
            {
                "combination:repeat_prompt",
                "combination:two_responses",
                "startend:quotation",
                "detectable_format:title",
                "detectable_format:json_format",
                "change_case:english_capital",
                "change_case:english_lowercase",
                "length_constraints:nth_paragraph_first_word",
                "first_word:first_word_answer",
                "keywords:start_end",
            }
        ),
    ),
    ConstraintType(
        id="startend:quotation",
        name="quotation",
        source="ifeval",
        description="wrap the whole response in double quotation marks",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The entire response must be enclosed in double quotation marks.",
            imperative='Put the whole reply inside double quotation marks (").',
            make_sure='Make sure the full answer starts and ends with a double quote (").',
            parenthetical="(Enclose it all in double quotes.)",
            item="the whole reply in double quotation marks",
        ),
        values=lambda kw: [
            term("double quotation marks", "double quotation mark", "double quotes", "double quote")
        ],
        check=check_quotation,
        conflicts=frozenset({"detectable_format:title"}),
    ),
)
