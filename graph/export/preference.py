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
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.export.chat import Row, accepted, kept_response, prompt_turns, turn

CODE_FAILURE = "check_failed:"
JUDGE_FAILURE = "criteria_failed"


def failed_code_checks(attempt: dict) -> int:
    return sum(1 for c in attempt.get("checks", []) if c["by"] == "code" and not c["passed"])


def rejected_attempt(row: Row, chosen: str) -> dict | None:
    """The failing response that makes the surest pair with `chosen`, or None."""
    failed = [
        a
        for a in row["state"].get("attempts", [])
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
        chosen = kept_response(row)
        rejected = rejected_attempt(row, chosen)
        if rejected is None:
            continue
        records.append(
            {
                "messages": prompt_turns(row["instruction"], system),
                "chosen": turn("assistant", chosen),
                "rejected": turn("assistant", rejected["response"]),
                "sample_id": row["id"],
                "rejected_reason": rejected["reason"],
            }
        )
    return records
