"""Punctuation: IFEval's no-comma constraint."""

from __future__ import annotations

from nodes.constraints.base import ConstraintType, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import term

register(
    ConstraintType(
        id="punctuation:no_comma",
        name="no_commas",
        source="ifeval",
        description="use no commas at all",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must not contain a single comma.",
            imperative="Leave out commas entirely.",
            make_sure="Make sure there are no commas anywhere in the text.",
            parenthetical="(No commas, please.)",
            item="no commas at all",
        ),
        values=lambda kw: [term("comma", "commas")],
        # IFEval: any ASCII comma fails (other comma-like characters are not commas to it).
        check=lambda response, kw: "," not in response,
    ),
)
