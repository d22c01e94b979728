"""open-instruct's typographic types: no dots, no exclamation marks, sentences joined by
hyphens, every word in square brackets, every word pair in double angular brackets.

These follow open-instruct's checkers exactly; the sentences decif states spell out
what those checkers demand (punctuation inside the brackets, no spaces around the
hyphens, no other hyphens), which open-instruct's own sentences leave implicit. As there,
an empty response passes all five (there is nothing to break the rule).
"""

from __future__ import annotations

from nodes.constraints.base import ConstraintType, Kwargs, register
from nodes.constraints.splitting import split_sentences


def _check_hyphens(response: str, kw: Kwargs) -> bool:
    """Each hyphen-separated piece must be, character for character, the sentence the
    splitter finds in the same place once hyphens are read as spaces. So: no space around
    a hyphen, no hyphen inside a sentence, no line break."""
    sentences = split_sentences(response.replace("-", " "))
    pieces = response.split("-")
    return all(
        piece == piece.strip() and piece == sentence
        for piece, sentence in zip(pieces, sentences, strict=False)
    )


def _check_square(response: str, kw: Kwargs) -> bool:
    return all(part.startswith("[") and part.endswith("]") for part in response.split())


def _check_bigrams(response: str, kw: Kwargs) -> bool:
    """Words 1-2, 3-4, ... open with "<<" and close with ">>"; an odd last word is free."""
    parts = response.split()
    return all(
        parts[i].startswith("<<") and parts[i + 1].endswith(">>")
        for i in range(0, len(parts) - 1, 2)
    )


register(
    ConstraintType(
        id="punctuation:punctuation_dot",
        name="punctuation_dot",
        source="ifevalg",
        description="no dots at all",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Do not use a single dot (.) anywhere in your response: no full stops, decimal "
            "points, abbreviations with dots or ellipses."
        ),
        check=lambda response, kw: "." not in response,
        # Added by decif: a postscript starts with "P.S.".
        conflicts=frozenset({"detectable_content:postscript"}),
    ),
    ConstraintType(
        id="punctuation:punctuation_exclamation",
        name="punctuation_exclamation",
        source="ifevalg",
        description="no exclamation marks",
        draw=lambda rng, context: {},
        state=lambda kw: "Do not use any exclamation marks (!) anywhere in your response.",
        check=lambda response, kw: "!" not in response,
    ),
    ConstraintType(
        id="detectable_format:sentence_hyphens",
        name="sentence_hyphens",
        source="ifevalg",
        description="sentences joined by hyphens without spaces",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Write your response on one line, joining its sentences with a hyphen and no spaces "
            "around it, like this: First sentence.-Second sentence.-Third sentence. Use no other "
            "hyphens."
        ),
        check=_check_hyphens,
    ),
    ConstraintType(
        id="detectable_format:square_brackets",
        name="square_brackets",
        source="ifevalg",
        description="every word enclosed in square brackets",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Enclose every word of your response in its own square brackets, with any "
            "punctuation inside them, like this: [Hello,] [world.]"
        ),
        check=_check_square,
        # Added by decif: each of these needs a token that is not bracketed (hyphens: once
        # there are two sentences).
        conflicts=frozenset(
            {
                "detectable_format:bigram_wrapping",
                "detectable_format:sentence_hyphens",
                "keywords:start_end",
                "startend:quotation",
            }
        ),
    ),
    ConstraintType(
        id="detectable_format:bigram_wrapping",
        name="bigram_wrapping",
        source="ifevalg",
        description="every word pair wrapped in << >>",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Wrap every pair of consecutive words in double angular brackets, with any "
            "punctuation inside them, like this: <<I am>> <<at home>> <<with my>> <<cute dog.>>"
        ),
        check=_check_bigrams,
        # Added by decif: these need the first or last token to be something else.
        conflicts=frozenset({"keywords:start_end", "startend:quotation"}),
    ),
)
