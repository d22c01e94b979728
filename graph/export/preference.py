"""DPO pairs from the responses a sample tried: chosen passed everything, rejected failed.

The rule, one pair per accepted instruction:

- chosen is the response the sample was accepted with (every code check passed and the
  judge said YES to every criterion);
- rejected is a response of the same instruction that failed, taken first from those that
  failed a code check (`check_failed:<type>`: a deterministic verdict, so the pair's
  preference is certain), the one that failed the most code checks; only when none did,
  one the judge failed (`criteria_failed`: an LLM's verdict, which can be wrong);
- never a response that was empty (`response_empty`) or whose judgement could not be read
  (`judge_malformed`): neither is evidence of a worse answer; nor one identical to chosen.

Pairs that come only from resampling are rare (a sample that passes on its first try has no
failed response): `--candidates K` samples K responses per round and makes them common.

A conversation gives one pair too, at its last kept turn that has a failing response (its
last turn, when that one has): the prompt is the system message and the verified turns
before it, ending with that turn's user message.
"""

from __future__ import annotations

from collections.abc import Iterable

from checkpoints.turns import kept_turns, turn_states
from graph.export.chat import (
    Row,
    accepted,
    conversation,
    dialogue,
    kept_response,
    system_text,
    turn,
)

CODE_FAILURE = "check_failed:"
JUDGE_FAILURE = "criteria_failed"


def failed_code_checks(attempt: dict) -> int:
    return sum(1 for c in attempt.get("checks", []) if c["by"] == "code" and not c["passed"])


def rejected_attempt(row: Row, chosen: str) -> dict | None:
    """The failing response that makes the surest pair with `chosen`, or None."""
    return rejected_of(row["state"].get("attempts", []), chosen)


def rejected_of(attempts: list[dict], chosen: str) -> dict | None:
    """Of one instruction's (or one turn's) attempts, the failing response that makes the
    surest pair with `chosen`, or None."""
    failed = [
        a
        for a in attempts
        if not a.get("passed") and a["response"].strip() and a["response"] != chosen
    ]
    by_code = [a for a in failed if a["reason"].startswith(CODE_FAILURE)]
    if by_code:
        return max(by_code, key=failed_code_checks)  # max keeps the earliest of equals
    return next((a for a in failed if a["reason"] == JUDGE_FAILURE), None)


def dpo_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """LLaMA-Factory's pairwise sharegpt shape (`ranking: true`): the prompt turns in
    `messages`, one assistant turn each in `chosen` and `rejected`. `sample_id` and
    `rejected_reason` say where each pair comes from (LLaMA-Factory ignores them)."""
    records = []
    for row in accepted(rows):
        found = pair(row)
        if found is None:
            continue
        prompt, chosen, rejected = found
        records.append(
            {
                "messages": conversation(prompt[:-1], system_text(row, system))
                + [turn("user", prompt[-1][0])],
                "chosen": turn("assistant", chosen),
                "rejected": turn("assistant", rejected["response"]),
                "sample_id": row["id"],
                "rejected_reason": rejected["reason"],
            }
        )
    return records


def pair(row: Row) -> tuple[list[tuple[str, str]], str, dict] | None:
    """(the turns up to the paired one, its chosen answer, the rejected attempt), or None.
    A conversation is paired at its last kept turn that has a failing response."""
    pairs = dialogue(row)
    turns = row.get("turns") or []
    if not turns:
        rejected = rejected_attempt(row, kept_response(row))
        return (pairs, pairs[-1][1], rejected) if rejected else None
    states = {t["turn"]: t for t in turn_states(row["state"])}
    for n, record in reversed(list(enumerate(kept_turns(turns, row["status"])))):
        rejected = rejected_of(states[record["turn"]].get("attempts", []), record["response"])
        if rejected is not None:
            return pairs[: n + 1], record["response"], rejected
    return None
