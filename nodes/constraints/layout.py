"""open-instruct's two fixed paragraph types: exactly two paragraphs, split by the markdown
divider *** (paragraphs) or by a blank line (paragraphs2).

Both follow open-instruct's checkers exactly: an empty piece before the first or after
the last separator is ignored, an empty piece between two separators fails. Two
paragraphs is open-instruct's fixed number (the types take no kwargs); IFEval's
`length_constraints:number_paragraphs` is the type with a count.
"""

from __future__ import annotations

import re

from nodes.constraints.base import ConstraintType, Kwargs, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import number, separator, term

PARAGRAPHS = term("paragraphs", "paragraph")


def two_paragraphs(pieces: list[str]) -> bool:
    """Whether the pieces between separators make exactly two non-empty paragraphs."""
    inner = pieces[1:-1]
    if any(not piece.strip() for piece in inner):
        return False
    return sum(1 for piece in pieces if piece.strip()) == 2


def _check_divider(response: str, kw: Kwargs) -> bool:
    return two_paragraphs(re.split(r"\s?\*\*\*\s?", response))


def _check_blank_line(response: str, kw: Kwargs) -> bool:
    return two_paragraphs(response.split("\n\n"))


# Added by decif (beyond open-instruct's table): IFEval's paragraph types fix their own
# number of paragraphs.
_COUNTED = frozenset(
    {"length_constraints:number_paragraphs", "length_constraints:nth_paragraph_first_word"}
)

register(
    ConstraintType(
        id="paragraphs:paragraphs",
        name="paragraphs",
        source="ifevalg",
        description="exactly 2 paragraphs separated by ***",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must have exactly two paragraphs with the markdown divider *** "
            "between them.",
            imperative="Write exactly 2 paragraphs, putting *** between them.",
            make_sure="Make sure there are exactly two paragraphs, divided by ***.",
            parenthetical="(Two paragraphs exactly, split by ***.)",
            item="exactly two paragraphs divided by ***",
        ),
        values=lambda kw: [number(2), separator("***"), PARAGRAPHS],
        check=_check_divider,
        conflicts=_COUNTED | {"paragraphs:paragraphs2"},
    ),
    ConstraintType(
        id="paragraphs:paragraphs2",
        name="paragraphs2",
        source="ifevalg",
        description="exactly 2 paragraphs separated by a blank line",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must have exactly two paragraphs, separated by one blank line "
            "(two line breaks), with no other blank lines.",
            imperative="Write exactly 2 paragraphs with a single blank line between them and no "
            "other blank lines.",
            make_sure="Make sure there are exactly two paragraphs, split by one empty line, and "
            "no other empty lines.",
            parenthetical="(Exactly two paragraphs, one blank line between them, no other blank "
            "lines.)",
            item="exactly two paragraphs separated by a single blank line",
        ),
        values=lambda kw: [
            number(2),
            term("blank line", "empty line", "line break", "line breaks"),
            PARAGRAPHS,
        ],
        check=_check_blank_line,
        conflicts=_COUNTED | {"paragraphs:paragraphs"},
    ),
)
