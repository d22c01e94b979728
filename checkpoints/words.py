"""How the dataset-wide figures read text: as normalised words.

Near-duplicates, contamination and diversity all compare texts word by word. They must
split text the same way, or a near-duplicate found by one would be two distinct texts to
another. A word is a run of letters and digits (apostrophes inside a word kept: "don't"),
after Unicode NFKC normalisation and case folding, so "Ｗrite", "WRITE" and "write" are one
word and punctuation never is. This is close to what Elasticsearch's standard analyzer
makes of text, which open-instruct's decontamination matches on.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+(?:['’]\w+)*")


def words(text: str) -> list[str]:
    """The text's normalised words, in order."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalised(text: str) -> str:
    """The text as its normalised words joined by single spaces: two texts that differ
    only in case, spacing or punctuation are equal here (exact duplicates)."""
    return " ".join(words(text))


def ngrams(tokens: list[str], n: int) -> list[str]:
    """The text's word n-grams, joined by spaces; a text shorter than n words is its one
    n-gram (so a short text still has a shingle to compare)."""
    if len(tokens) < n:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
