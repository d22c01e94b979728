"""A verl reward function that scores a response with decif's constraint checkers.

Point verl's custom-reward hook at this file:

    custom_reward_function.path=<this file>  custom_reward_function.name=compute_score

verl imports the file by its path (not as part of a package), so it imports nothing of decif
but the checkers (`nodes.constraints`, light: no LangGraph, no model runtime): install decif
in verl's environment (`pip install decif`) and it resolves.

The reward is the fraction of the prompt's constraints the response follows, as
open-instruct's IFEvalVerifier scores the same ground truth: GRPO compares the responses of
one prompt with each other, and with up to five constraints a response that follows four
must score above one that follows none, or the group carries no signal until a response
follows all of them. Pass `all_or_nothing=True` (verl:
`+custom_reward_function.reward_kwargs.all_or_nothing=true`) for 1.0 only when every
constraint holds: decif's own acceptance rule.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from nodes.constraints import check, lookup

THINK_END = "</think>"


def read_ground_truth(ground_truth: Any) -> list[dict[str, Any]]:
    """Constraints as `[{"id", "kwargs"}]` from any shape a trainer hands over.

    open-instruct's shape is a string holding `[{"instruction_id": [...], "kwargs": [...]}]`:
    decif writes it as JSON, open-instruct's own datasets write it as a Python literal
    (None for empty kwargs), and its verifier also takes the dict JSON-encoded inside the
    list. decif's `[{"id", "kwargs"}]` (a samples row's `constraints`) is read as well.
    """
    data = ground_truth
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = ast.literal_eval(data)
    if isinstance(data, dict):
        data = [data]
    constraints = []
    for item in data:
        item = json.loads(item) if isinstance(item, str) else item
        if "instruction_id" in item:
            kwargs = item.get("kwargs") or [None] * len(item["instruction_id"])
            constraints += [
                {"id": i, "kwargs": k or {}}
                for i, k in zip(item["instruction_id"], kwargs, strict=True)
            ]
        else:
            constraints.append({"id": item["id"], "kwargs": item.get("kwargs") or {}})
    return constraints


def answer_part(solution: str) -> str:
    """The response without a reasoning section: what follows the last `</think>`."""
    return solution.rsplit(THINK_END, 1)[1].strip() if THINK_END in solution else solution


def constraint_results(solution: str, ground_truth: Any) -> list[bool]:
    """Each code-checkable constraint's verdict on the response, in order.

    An id decif does not know raises ValueError: a reward that silently skipped it would
    train on a prompt it cannot score. LLM-judged types (no code check) are left out."""
    answer = answer_part(solution)
    results = []
    for constraint in read_ground_truth(ground_truth):
        if lookup(constraint["id"]) is None:
            raise ValueError(f"unknown constraint type {constraint['id']!r} in the ground truth")
        verdict = check(constraint["id"], constraint["kwargs"], answer)
        if verdict is not None:
            results.append(bool(answer.strip()) and verdict)
    if not results:
        raise ValueError(f"no code-checkable constraint in the ground truth {ground_truth!r}")
    return results


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    all_or_nothing: bool = False,
    **kwargs: Any,
) -> float:
    """verl's custom reward signature: the share of constraints followed, in [0, 1].

    `data_source` and `extra_info` are not needed: the ground truth says everything.
    Further keywords that verl versions pass are accepted and ignored."""
    results = constraint_results(solution_str, ground_truth)
    if all_or_nothing:
        return float(all(results))
    return sum(results) / len(results)
