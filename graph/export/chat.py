"""Chat turns and the SFT records built from them.

Every record that carries a conversation starts with the system turn when the user gave
`--system-prompt`: a record without one lets the trainer's chat template put its own
default there (Qwen's templates say "You are Qwen, created by Alibaba Cloud"), so the
model would be trained to follow decif's instructions under someone else's identity.

A conversation (a run with --turns or --system-constraints) brings its own system message,
which states its system constraints: the system turn is `--system-prompt` followed by it.
Its user and assistant turns are the ones it keeps (`checkpoints.turns.kept_turns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from checkpoints.turns import kept_turns

Message = dict[str, str]
Row = dict[str, Any]


def turn(role: str, content: str) -> Message:
    return {"role": role, "content": content}


def system_text(row: Row, system: str | None = None) -> str | None:
    """The record's system turn: `--system-prompt`, then the conversation's own."""
    return "\n\n".join(p for p in (system, row.get("system")) if p) or None


def dialogue(row: Row) -> list[tuple[str, str]]:
    """(user message, answer) for each turn the sample keeps: one for a single-turn one."""
    turns = row.get("turns") or []
    if not turns:
        return [(row["instruction"], kept_response(row))]
    return [(t["user"], t["response"]) for t in kept_turns(turns, row["status"])]


def conversation(pairs: list[tuple[str, str]], system: str | None) -> list[Message]:
    """The system turn (when there is one), then each pair as a user and an assistant turn."""
    head = [turn("system", system)] if system else []
    return [
        *head,
        *(m for user, answer in pairs for m in (turn("user", user), turn("assistant", answer))),
    ]


def accepted(rows: Iterable[Row]) -> Iterator[Row]:
    """Only accepted samples are training data: their response passed every check."""
    return (row for row in rows if row["status"] == "accepted")


def kept_response(row: Row) -> str:
    """The response the sample was accepted with.

    The row's `response` column is the last attempt's; with several candidates per round the
    last one tried need not be the one that passed, so the passing attempt is looked up. A
    conversation's column holds the answers of the turns it keeps already."""
    if row.get("turns"):
        return row["response"]
    passing = [a["response"] for a in row["state"].get("attempts", []) if a.get("passed")]
    if row["response"] in passing or not passing:
        return row["response"]
    return passing[0]


def sft_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """LLaMA-Factory's sharegpt shape with OpenAI role names: [system], then user and
    assistant turns (one of each, or a conversation's)."""
    return [
        {"messages": conversation(dialogue(row), system_text(row, system))}
        for row in accepted(rows)
    ]


def alpaca_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """LLaMA-Factory's alpaca shape; the system prompt goes in its own column, and a
    conversation's earlier turns in `history` ([[user, answer], ...])."""
    records = []
    for row in accepted(rows):
        *earlier, (instruction, output) = dialogue(row)
        record: dict[str, object] = {"instruction": instruction, "input": "", "output": output}
        if text := system_text(row, system):
            record["system"] = text
        if earlier:
            record["history"] = [list(pair) for pair in earlier]
        records.append(record)
    return records
