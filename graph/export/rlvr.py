"""Prompts with verifiable ground truth, for RL (RLVR / GRPO).

A prompt is exported when its sample was accepted - a response that follows every stated
constraint exists, so the prompt is satisfiable and the reward can reach 1 - and at least
one of its constraints is checked by code (a reward needs a verifier; the LLM-judged types
have none). Two shapes, one row per prompt:

- open-instruct's (Tulu 3 RLVR): `messages` (the prompt turns), `ground_truth`, `dataset`
  "ifeval", which routes the row to its IFEvalVerifier. Its `ground_truth` is the string
  that verifier reads: `[{"instruction_id": [ids], "kwargs": [kwargs]}]`, written as JSON
  whose values (strings, integers, lists) make it a Python literal too, as the verifier
  parses it with `ast.literal_eval`. A prompt is written here only when that verifier
  reads every one of its constraints as decif checks it (`nodes.constraints.open_instruct`):
  a `decif:*` type it does not know, a language code it has no name for (both raise
  there and fail the reward batch), a value it reads as "draw one at random" (a span
  starting at character 0) - such a prompt stays in the verl file only, scored by
  decif's own checkers, and the export counts it, by reason.
- verl's parquet: `prompt` (chat messages), `data_source`, `ability`,
  `reward_model: {"style": "rule", "ground_truth"}` (the same string) and `extra_info`,
  scored by `graph/export/reward.py` through verl's custom-reward hook.

A conversation gives one row: its prompt is the conversation up to its last kept turn's
user message (the system message, the verified turns before it with their answers), and
its ground truth every constraint in force at that turn - the system's, the earlier ones
asked for from now on, and that message's own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from checkpoints.turns import kept_turns
from graph.export.chat import Row, accepted, conversation, dialogue, system_text, turn
from nodes.constraints import Constraint, lookup
from nodes.constraints.open_instruct import unreadable

DATASET = "ifeval"  # open-instruct's verifier name for IFEval-style constraints
DATA_SOURCE = "decif"


def checkable(constraints: list[Constraint]) -> list[Constraint]:
    """The constraints code can check: what a verifier can reward."""
    return [c for c in constraints if (kind := lookup(c["id"])) and kind.verifiable]


def ground_truth(constraints: list[Constraint]) -> str:
    """open-instruct's IFEval ground truth for these constraints (see the module doc)."""
    label = [
        {
            "instruction_id": [c["id"] for c in constraints],
            "kwargs": [
                {k: v for k, v in c["kwargs"].items() if v is not None} for c in constraints
            ],
        }
    ]
    return json.dumps(label, ensure_ascii=False)


def open_instruct_cannot(constraints: list[Constraint]) -> str | None:
    """Why open-instruct's verifier cannot score these constraints as decif does, or None."""
    return next(filter(None, map(unreadable, constraints)), None)


def last_in_force(row: Row) -> list[Constraint]:
    """The constraints the last kept answer is checked against: a single-turn sample's
    stated ones, or what is in force at a conversation's last kept turn."""
    turns = row.get("turns") or []
    if not turns:
        return row["constraints"]
    last = kept_turns(turns, row["status"])[-1]
    return [Constraint(id=c["id"], kwargs=c["kwargs"]) for c in last["in_force"]]


@dataclass
class RlvrRows:
    open_instruct: list[dict] = field(default_factory=list)
    verl: list[dict] = field(default_factory=list)
    verl_only: Counter[str] = field(default_factory=Counter)  # prompts in verl's rows only, by why


def rlvr_rows(rows: Iterable[Row], system: str | None = None) -> RlvrRows:
    out = RlvrRows()
    for row in accepted(rows):
        constraints = checkable(last_in_force(row))
        if not constraints:
            continue
        *earlier, (last, _) = dialogue(row)
        messages = conversation(earlier, system_text(row, system)) + [turn("user", last)]
        truth = ground_truth(constraints)
        out.verl.append(
            {
                "data_source": DATA_SOURCE,
                "prompt": messages,
                "ability": "instruction_following",
                "reward_model": {"style": "rule", "ground_truth": truth},
                "extra_info": {"split": "train", "index": len(out.verl), "sample_id": row["id"]},
            }
        )
        reason = open_instruct_cannot(constraints)
        if reason:
            out.verl_only[reason] += 1
        else:
            out.open_instruct.append(
                {"messages": messages, "ground_truth": truth, "dataset": DATASET}
            )
    return out
