"""open-instruct's typographic types: no dots, no exclamation marks, sentences joined by
hyphens, every word in square brackets, every word pair in double angular brackets.

These follow open-instruct's checkers exactly; the sentences decif states spell out
what those checkers demand (punctuation inside the brackets, no spaces around the
hyphens, no other hyphens), which open-instruct's own sentences leave implicit. As there,
an empty response passes all five (there is nothing to break the rule).
"""

from __future__ import annotations

from nodes.constraints.base import ConstraintType, Kwargs, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.splitting import split_sentences
from nodes.constraints.values import ANGLE_BRACKETS, term


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
        phrasings=Phrasings(
            plain="The response must not contain a single dot (.): no full stops, decimal "
            "points, dotted abbreviations or ellipses.",
            imperative="Leave out every dot (.), full stops, decimal points, abbreviations and "
            "ellipses included.",
            make_sure="Make sure no dot (.) appears anywhere, not even as a full stop or a "
            "decimal point.",
            parenthetical="(No dots at all, not even full stops.)",
            item="no dots (.) at all, full stops included",
        ),
        values=lambda kw: [term("dot", "dots", "full stop", "full stops", "period", "periods")],
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
        phrasings=Phrasings(
            plain="The response must not contain any exclamation marks (!).",
            imperative="Avoid exclamation marks (!) completely.",
            make_sure="Make sure there is not a single exclamation mark (!) in the reply.",
            parenthetical="(No exclamation marks.)",
            item="no exclamation marks (!)",
        ),
        values=lambda kw: [
            term("exclamation mark", "exclamation marks", "exclamation point", "exclamation points")
        ],
        check=lambda response, kw: "!" not in response,
    ),
    ConstraintType(
        id="detectable_format:sentence_hyphens",
        name="sentence_hyphens",
        source="ifevalg",
        description="sentences joined by hyphens without spaces",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must be one line with its sentences joined by hyphens and no "
            "spaces around them, like this: First sentence.-Second sentence.-Third sentence. No "
            "other hyphens are allowed.",
            imperative="Put the whole reply on one line, linking its sentences with a hyphen "
            "and no spaces (First one.-Second one.), and use no other hyphens.",
            make_sure="Make sure the reply is a single line whose sentences are joined by "
            "hyphens without spaces, as in One.-Two.-Three., with no other hyphens.",
            parenthetical="(One line, sentences joined by hyphens with no spaces, like "
            "A.-B.-C., and no other hyphens.)",
            item="one line, sentences joined by hyphens without spaces (One.-Two.)",
        ),
        values=lambda kw: [term("hyphen", "hyphens", "dash", "dashes")],
        check=_check_hyphens,
    ),
    ConstraintType(
        id="detectable_format:square_brackets",
        name="square_brackets",
        source="ifevalg",
        description="every word enclosed in square brackets",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="Every word of the response must be enclosed in its own square brackets, "
            "punctuation included inside them, like this: [Hello,] [world.]",
            imperative="Put each word in its own square brackets, with its punctuation inside, "
            "as in [Good] [morning.]",
            make_sure="Make sure every single word sits in its own square brackets, like "
            "[this,] [please.]",
            parenthetical="(Wrap each word in square brackets, e.g. [Hi] [there.])",
            item="each word in its own square brackets, like [this]",
        ),
        values=lambda kw: [term("square brackets", "square bracket", "brackets")],
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
        phrasings=Phrasings(
            plain="Every pair of consecutive words must be wrapped in double angular brackets, "
            "punctuation inside, like this: <<I am>> <<at home>> <<with my>> <<cute dog.>>",
            imperative="Wrap each two consecutive words in double angular brackets, as in "
            "<<We went>> <<to the>> <<park today.>>",
            make_sure="Make sure the words come in pairs wrapped in double angular brackets: "
            "<<It was>> <<a sunny>> <<day.>>",
            parenthetical="(Pair up the words in double angular brackets, e.g. <<Hello there>> "
            "<<my friend.>>)",
            item="each pair of words wrapped in << and >>, like <<Hello there>>",
        ),
        values=lambda kw: [ANGLE_BRACKETS],
        check=_check_bigrams,
        # Added by decif: these need the first or last token to be something else.
        conflicts=frozenset({"keywords:start_end", "startend:quotation"}),
    ),
)
