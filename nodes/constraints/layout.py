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
        state=lambda kw: "Write exactly 2 paragraphs, separated by the markdown divider ***.",
        check=_check_divider,
        conflicts=_COUNTED | {"paragraphs:paragraphs2"},
    ),
    ConstraintType(
        id="paragraphs:paragraphs2",
        name="paragraphs2",
        source="ifevalg",
        description="exactly 2 paragraphs separated by a blank line",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Write exactly 2 paragraphs, separated from each other by one blank line (two line "
            "breaks), and use no other blank lines."
        ),
        check=_check_blank_line,
        conflicts=_COUNTED | {"paragraphs:paragraphs"},
    ),
)
