"""open-instruct's position types: which word opens or closes each sentence or the whole
response, where a keyword sits, and a response that starts and ends with the same word.

Sentences are open-instruct's rule-based ones (`splitting.split_sentences`); a first or
last word is a whitespace-separated token compared without its punctuation and case.

Deliberate differences from open-instruct:
- first_word_sent / first_word_answer: open-instruct compares the raw token, so
  "Then, ..." does not start with "then"; decif drops the token's punctuation first, as
  open-instruct itself does for last words.
- last_word_answer: an empty response is False (open-instruct raises IndexError).
- a first or last word without any letter or digit ("```") is malformed (ValueError):
  compared without its punctuation it would match any punctuation-only token.
- keyword_specific_position: open-instruct counts NLTK tokens, where every comma is a
  "word" ("Yes, we can" has "we" third), and compares case-sensitively; decif counts
  words only and ignores case, so "Garden" at the start of a sentence is "garden".
- start_end: NLTK's tokens are replaced by words plus single punctuation marks; as in
  open-instruct, a trailing full stop or a leading quote is a token, so it fails.
"""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.phrasing import Phrasings, ordinal_forms
from nodes.constraints.splitting import (
    bare,
    bare_word,
    is_word,
    split_sentences,
    tokens,
    word_list,
)
from nodes.constraints.values import keyword, ordinal, term
from nodes.constraints.vocab import SENTENCE_ENDERS, SENTENCE_STARTERS, topic_word

SENTENCES = term("sentence", "sentences")


def _every_sentence(response: str, word: str, position: int) -> bool:
    """Whether each sentence's first (position 0) or last (-1) token is `word`; an empty
    sentence fails, and a response without sentences passes, as in open-instruct."""
    target = bare_word(word)
    for sentence in split_sentences(response):
        if not sentence.strip() or bare(sentence.split()[position]) != target:
            return False
    return True


def _response_word(response: str, word: str, position: int) -> bool:
    target = bare_word(word)
    parts = response.split()
    return bool(parts) and bare(parts[position]) == target


def _check_keyword_position(response: str, kw: Kwargs) -> bool:
    n, m = int(kw["n"]), int(kw["m"])
    sentences = split_sentences(response)
    if n < 1 or m < 1 or len(sentences) < n:
        return False
    words = word_list(sentences[n - 1])
    return len(words) >= m and words[m - 1].lower() == kw["keyword"].strip().lower()


def _check_start_end(response: str, kw: Kwargs) -> bool:
    parts = tokens(response)
    return (
        len(parts) >= 2
        and is_word(parts[0])
        and is_word(parts[-1])
        and parts[0].lower() == parts[-1].lower()
    )


def _draw_keyword_position(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"keyword": topic_word(context, rng), "n": rng.randint(1, 5), "m": rng.randint(1, 8)}


register(
    ConstraintType(
        id="first_word:first_word_sent",
        name="first_word_sent",
        source="ifevalg",
        description="every sentence starts with a given word",
        draw=lambda rng, context: {"first_word": rng.choice(SENTENCE_STARTERS)},
        phrasings=Phrasings(
            plain='Every sentence of the response must begin with the word "{first_word}".',
            imperative='Start each sentence with "{first_word}".',
            make_sure='Make sure "{first_word}" is the first word of every sentence.',
            parenthetical='(Open every sentence with "{first_word}".)',
            item='every sentence starting with "{first_word}"',
        ),
        values=lambda kw: [keyword(kw["first_word"]), SENTENCES],
        check=lambda response, kw: _every_sentence(response, kw["first_word"], 0),
        conflicts=frozenset({"first_word:first_word_answer"}),
    ),
    ConstraintType(
        id="first_word:first_word_answer",
        name="first_word_answer",
        source="ifevalg",
        description="the response starts with a given word",
        draw=lambda rng, context: {"first_word": topic_word(context, rng)},
        phrasings=Phrasings(
            plain='The first word of the response must be "{first_word}".',
            imperative='Begin your reply with the word "{first_word}".',
            make_sure='Make sure your very first word is "{first_word}".',
            parenthetical='(First word: "{first_word}".)',
            item='"{first_word}" as the very first word',
        ),
        values=lambda kw: [keyword(kw["first_word"])],
        check=lambda response, kw: _response_word(response, kw["first_word"], 0),
    ),
    ConstraintType(
        id="last_word:last_word_sent",
        name="last_word_sent",
        source="ifevalg",
        description="every sentence ends with a given word",
        draw=lambda rng, context: {"last_word": rng.choice(SENTENCE_ENDERS)},
        phrasings=Phrasings(
            plain='Every sentence of the response must end with the word "{last_word}", right '
            "before its closing punctuation.",
            imperative='End each sentence with "{last_word}", just before its final punctuation '
            "mark.",
            make_sure='Make sure "{last_word}" is the last word of every sentence.',
            parenthetical='(Close every sentence with the word "{last_word}".)',
            item='every sentence ending with "{last_word}"',
        ),
        values=lambda kw: [keyword(kw["last_word"]), SENTENCES],
        check=lambda response, kw: _every_sentence(response, kw["last_word"], -1),
        # Added by decif: the IFEval end phrase fixes the last sentence's last word.
        conflicts=frozenset({"startend:end_checker"}),
    ),
    ConstraintType(
        id="last_word:last_word_answer",
        name="last_word_answer",
        source="ifevalg",
        description="the response ends with a given word",
        draw=lambda rng, context: {"last_word": topic_word(context, rng)},
        phrasings=Phrasings(
            plain='The last word of the response must be "{last_word}"; punctuation may follow it.',
            imperative='Finish your reply with the word "{last_word}" (punctuation after it is '
            "fine).",
            make_sure='Make sure "{last_word}" is your final word.',
            parenthetical='(Last word: "{last_word}".)',
            item='"{last_word}" as the very last word',
        ),
        values=lambda kw: [keyword(kw["last_word"])],
        check=lambda response, kw: _response_word(response, kw["last_word"], -1),
        # Added by decif: the IFEval end phrase fixes the response's last word.
        conflicts=frozenset({"startend:end_checker"}),
    ),
    ConstraintType(
        id="keywords:keyword_specific_position",
        name="keyword_specific_position",
        source="ifevalg",
        description="a keyword is the m-th word of the n-th sentence",
        draw=_draw_keyword_position,
        phrasings=Phrasings(
            plain='The {m_th} word of the {n_th} sentence of the response must be "{keyword}".',
            imperative='Make "{keyword}" the {m_th} word of your {n_th} sentence.',
            make_sure='Make sure the {n_th} sentence has "{keyword}" as its {m_th} word.',
            parenthetical='("{keyword}" goes in position {m} of sentence {n}.)',
            item='"{keyword}" as the {m_th} word of the {n_th} sentence',
            fields=lambda kw: {
                "m_th": ordinal_forms(int(kw["m"])),
                "n_th": ordinal_forms(int(kw["n"])),
            },
        ),
        values=lambda kw: [keyword(kw["keyword"]), ordinal(kw["n"]), ordinal(kw["m"])],
        check=_check_keyword_position,
    ),
    ConstraintType(
        id="keywords:start_end",
        name="start_end",
        source="ifevalg",
        description="start and end the response with the same word",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must begin and end with the same word, with nothing after that "
            "last word, not even punctuation.",
            imperative="Open and close your reply with the same word, and put nothing after "
            "the final word, not even a full stop.",
            make_sure="Make sure the first and the last word are the same word, with no "
            "punctuation after the last one.",
            parenthetical="(Same word first and last, nothing after it.)",
            item="the same word at the very start and the very end, with nothing after it",
        ),
        values=lambda kw: [term("same word")],
        check=_check_start_end,
        # Added by decif: a quoted response or a fixed end phrase ends in punctuation.
        conflicts=frozenset({"startend:quotation", "startend:end_checker"}),
    ),
)
