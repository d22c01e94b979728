"""Punctuation: IFEval's no-comma constraint."""

from __future__ import annotations

from nodes.constraints.base import ConstraintType, register

register(
    ConstraintType(
        id="punctuation:no_comma",
        name="no_commas",
        source="ifeval",
        description="use no commas at all",
        draw=lambda rng, context: {},
        state=lambda kw: "Do not use any commas anywhere in your response.",
        # IFEval: any ASCII comma fails (other comma-like characters are not commas to it).
        check=lambda response, kw: "," not in response,
    ),
)
