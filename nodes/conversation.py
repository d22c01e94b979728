"""A conversation in the sample's state: the turn worked on, what is in force at it, and
the conversation so far - as chat messages for the answer, and as text for the prompts
that read it.

The state's per-turn fields (instruction, constraints, attempts, ...) are the turn being
worked on; `turns` holds the verified turns before it, `held` what is in force from
before it (the system message's constraints, and earlier ones asked for "from now on"),
`system` the system message, `scopes` how long each of this turn's constraints holds. A
single-turn sample has none of these: `in_conversation` is false for it, and its nodes
use the single-turn prompts, unchanged. (`checkpoints.turns` reads the same layout back
from a finished sample.)
"""

from __future__ import annotations

from langgraph.types import Overwrite

from nodes.constraints import Constraint
from nodes.constraints.scopes import Scope
from nodes.constraints.stating import sentence
from nodes.llm import Messages
from nodes.state import Held, SampleState, Turn

NOTHING_YET = "(nothing yet: this is the first message)"


def turn_of(state: SampleState) -> int:
    return state.get("turn", 1)


def in_conversation(state: SampleState) -> bool:
    """Whether the prompts must see a conversation: a later turn, or a system message."""
    return turn_of(state) > 1 or "system" in state


def in_force(state: SampleState) -> list[Held]:
    """Everything this turn's answer is checked against: what is held from before the
    turn, then the turn's own constraints, each with its scope."""
    scopes = state.get("scopes") or {}
    own = [
        Held(
            id=c["id"], kwargs=c["kwargs"], scope=scopes.get(c["id"], "turn"), since=turn_of(state)
        )
        for c in state.get("constraints", [])
    ]
    return [*state.get("held", []), *own]


def checked_constraints(state: SampleState) -> list[Constraint]:
    """`in_force` in the ground-truth shape: the constraints the answer is checked against
    (a single-turn sample's own)."""
    return [Constraint(id=c["id"], kwargs=c["kwargs"]) for c in in_force(state)]


def lasting(scopes: dict[str, Scope]) -> frozenset[str]:
    """The types of a turn that hold from now on."""
    return frozenset(t for t, scope in scopes.items() if scope == "from_now_on")


def kept_after(state: SampleState) -> list[Held]:
    """What stays in force after this turn: the held ones and its lasting ones."""
    return [c for c in in_force(state) if c["scope"] != "turn"]


def archive(state: SampleState) -> Turn:
    """The turn just verified, as `turns` keeps it."""
    kept = {k: v for k, v in state.items() if k in Turn.__annotations__ and k != "turn"}
    return Turn(**kept, turn=turn_of(state))  # type: ignore[typeddict-item]


def fresh_turn(turn: int, held: list[Held]) -> dict:
    """The update that starts turn `turn`: every per-turn field emptied (the lists the
    rounds append to are overwritten, past their reducer)."""
    return {
        "turn": turn,
        "held": held,
        "instruction": "",
        "constraints": [],
        "stated": [],
        "scopes": {},
        "dropped_constraints": [],
        "consistency": Overwrite([]),
        "unresolved_conflict": False,
        "criteria": [],
        "restated_criteria": [],
        "attempts": Overwrite([]),
        "response": "",
        "responses": [],
    }


def history(state: SampleState) -> Messages:
    """The verified turns as chat messages: what the answering model sees before the
    latest message."""
    return [
        message
        for turn in state.get("turns", [])
        for message in (
            {"role": "user", "content": turn["instruction"]},
            {"role": "assistant", "content": turn["response"]},
        )
    ]


def transcript(state: SampleState, turns: list[Turn] | None = None) -> str:
    """The conversation so far as text, for the prompts that read it: the system message,
    then each verified turn's message and answer (`turns`: these instead of the state's)."""
    parts = []
    if "system" in state:
        parts.append(f'System message:\n"""\n{state["system"]["text"]}\n"""')
    for turn in state.get("turns", []) if turns is None else turns:
        parts.append(f'User:\n"""\n{turn["instruction"]}\n"""')
        parts.append(f'Assistant:\n"""\n{turn["response"]}\n"""')
    return "\n\n".join(parts) or NOTHING_YET


def held_lines(state: SampleState) -> str:
    """What is in force from before this turn, one reference sentence a line, with where
    it comes from."""
    lines = [
        f"- {sentence(Constraint(id=c['id'], kwargs=c['kwargs']))} ({source(c)})"
        for c in state.get("held", [])
    ]
    return "\n".join(lines) or "(none)"


def source(held: Held) -> str:
    if held["scope"] == "system":
        return "the system message"
    return f"asked for from now on in message {held['since']}"
