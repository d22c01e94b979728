"""Drawing a sample's constraints: the method's count weights, uniform types, no conflicts.

DecIF draws a count with weights 1:0.2, 2:0.3, 3:0.3, 4:0.1, 5:0.1, then that many types
uniformly with replacement, deduplicated. decif also drops a type that conflicts with one
already drawn (a conflict table in code, as open-instruct keeps one: all upper case with
all lower case can never both hold), so a draw of 3 may yield fewer. Parameters come from
the same seeded RNG, so a rerun draws exactly the same constraints.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from nodes.constraints.base import ALL, REGISTRY, Constraint, ConstraintType, DrawContext

COUNT_WEIGHTS = {1: 0.2, 2: 0.3, 3: 0.3, 4: 0.1, 5: 0.1}


def conflict(a: ConstraintType, b: ConstraintType) -> bool:
    """Whether two types may not be drawn together (the table is read both ways)."""
    return (
        a.id == b.id
        or ALL in a.conflicts
        or ALL in b.conflicts
        or b.id in a.conflicts
        or a.id in b.conflicts
    )


def draw_constraints(
    rng: random.Random,
    context: DrawContext,
    types: Sequence[ConstraintType],
    held: Sequence[ConstraintType] = (),
    weights: dict[int, float] = COUNT_WEIGHTS,
    most: int | None = None,
) -> list[Constraint]:
    """The constraints of one sample (or one turn of a conversation), drawn from `types`,
    each with its parameters; none that conflicts with a type `held` (in force already).
    The count drawn with `weights` is capped at `most` when given."""
    count = rng.choices(list(weights), weights=list(weights.values()))[0]
    count = min(count, most or count)
    kept: list[ConstraintType] = []
    for kind in rng.choices(types, k=count):
        if not any(conflict(kind, other) for other in [*held, *kept]):
            kept.append(kind)
    return [Constraint(id=kind.id, kwargs=kind.draw(rng, context)) for kind in kept]


def types_of(sources: Sequence[str]) -> list[ConstraintType]:
    """The catalogue types of the given sources, in registry order."""
    return [kind for kind in REGISTRY.values() if kind.source in sources]
