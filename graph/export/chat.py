"""Chat turns and the SFT records built from them.

Every record that carries a conversation starts with the system turn when the user gave
`--system-prompt`: a record without one lets the trainer's chat template put its own
default there (Qwen's templates say "You are Qwen, created by Alibaba Cloud"), so the
model would be trained to follow decif's instructions under someone else's identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Message = dict[str, str]
Row = dict[str, Any]


def turn(role: str, content: str) -> Message:
    return {"role": role, "content": content}


def prompt_turns(instruction: str, system: str | None = None) -> list[Message]:
    """The turns before the answer: the system prompt (when given), then the instruction."""
    head = [turn("system", system)] if system else []
    return [*head, turn("user", instruction)]


def accepted(rows: Iterable[Row]) -> Iterator[Row]:
    """Only accepted samples are training data: their response passed every check."""
    return (row for row in rows if row["status"] == "accepted")


def kept_response(row: Row) -> str:
    """The response the sample was accepted with.

    The row's `response` column is the last attempt's; with several candidates per round the
    last one tried need not be the one that passed, so the passing attempt is looked up."""
    passing = [a["response"] for a in row["state"].get("attempts", []) if a.get("passed")]
    if row["response"] in passing or not passing:
        return row["response"]
    return passing[0]


def sft_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """LLaMA-Factory's sharegpt shape with OpenAI role names: [system], user, assistant."""
    return [
        {
            "messages": [
                *prompt_turns(row["instruction"], system),
                turn("assistant", kept_response(row)),
            ]
        }
        for row in accepted(rows)
    ]


def alpaca_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """LLaMA-Factory's alpaca shape; the system prompt goes in its own column."""
    extra = {"system": system} if system else {}
    return [
        {"instruction": row["instruction"], "input": "", "output": kept_response(row), **extra}
        for row in accepted(rows)
    ]
