"""decif's own constraint sentences in an instruction: the words a match with an
evaluation prompt may owe to how decif states a constraint rather than to a leaked prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

from nodes.constraints import statements


def constraint_sentences(constraints: Sequence[dict]) -> list[str]:
    """The sentences decif appended for a sample's constraints: the exact text its `stated`
    record holds (each constraint carries it under "stated", see `with_stated`), else - for
    a run made before statements were recorded - every sentence decif may state for it.
    A woven constraint is in the person's own words: no sentence of decif's."""
    found = []
    for constraint in constraints:
        stated = constraint.get("stated") or {}
        if stated.get("how") == "woven":
            continue
        if stated.get("text"):
            found.append(stated["text"])
            continue
        try:
            found += statements(constraint["id"], constraint.get("kwargs"))
        except (KeyError, ValueError, TypeError):  # a type or kwargs this catalogue lacks
            continue
    return found


def with_stated(constraints: Sequence[dict] | None, stated: Sequence[dict] | None) -> list[dict]:
    """A sample's constraints, each with how the instruction states it."""
    recorded = {s["id"]: s for s in stated or ()}
    return [{**c, "stated": recorded.get(c["id"])} for c in constraints or ()]
