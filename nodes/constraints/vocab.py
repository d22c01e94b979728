"""Words the ifevalg types draw when a parameter is a word.

A keyword is taken from the sample's own topic (`DrawContext.topic_words`) so that the
response can use it naturally; only when the topic has too few content words does a draw
fall back to these lists, written for decif. Words every sentence must start or end with
come from short lists of words that fit at either end of almost any English sentence:
a topic noun at the start of every sentence would make the answer unreadable.
"""

from __future__ import annotations

import random

from nodes.constraints.base import DrawContext

# Everyday nouns any topic can mention, for when the topic gives too few words.
NOUNS = (
    "budget",
    "window",
    "journey",
    "garden",
    "signal",
    "lesson",
    "harbor",
    "ladder",
    "market",
    "recipe",
    "schedule",
    "bridge",
    "message",
    "compass",
    "engine",
    "festival",
    "library",
    "mountain",
    "notebook",
    "orchard",
    "pattern",
    "pocket",
    "puzzle",
    "river",
    "season",
    "station",
    "teacher",
    "ticket",
    "village",
    "weather",
)

# Words that can open almost any sentence without a comma after them.
SENTENCE_STARTERS = ("then", "this", "our", "every", "now", "here", "many", "some", "we", "you")

# Words that can close almost any sentence.
SENTENCE_ENDERS = ("today", "now", "here", "again", "together", "too", "always", "first")


def topic_words(context: DrawContext, count: int, rng: random.Random) -> list[str]:
    """`count` distinct words from the topic, none inside another (so a whole-word count
    of one never sees the other), topped up from `NOUNS` when the topic is short."""
    chosen: list[str] = []
    candidates = list(context.topic_words)
    rng.shuffle(candidates)
    fallback = list(NOUNS)
    rng.shuffle(fallback)
    for word in [*candidates, *fallback]:
        if len(chosen) == count:
            break
        if not any(word in other or other in word for other in chosen):
            chosen.append(word)
    return chosen


def topic_word(context: DrawContext, rng: random.Random) -> str:
    return topic_words(context, 1, rng)[0]
