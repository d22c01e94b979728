"""Stages 8-9: judge the latest response against every criterion, then keep or drop.

A verdict list that is not exactly one YES/NO per criterion is a failed judgement,
never a pass.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from graph.state import MAX_KEPT_REPLY, Attempt, SampleSettings, SampleState, sample_key
from nodes.llm import LLM, ask_json

VERDICTS = ("YES", "NO")


def verdict_schema(count: int) -> dict:
    return {
        "type": "object",
        "properties": {
            "verdicts": {
                "type": "array",
                "items": {"type": "string", "enum": list(VERDICTS)},
                "minItems": count,
                "maxItems": count,
            }
        },
        "required": ["verdicts"],
    }


def read_verdicts(data: object, count: int) -> list[str] | None:
    """Exactly `count` YES/NO verdicts, or None."""
    if not (isinstance(data, dict) and isinstance(data.get("verdicts"), list)):
        return None
    verdicts = [str(v).strip().upper() for v in data["verdicts"]]
    if len(verdicts) != count or any(v not in VERDICTS for v in verdicts):
        return None
    return verdicts


def judge(
    state: SampleState, config: RunnableConfig, *, llm: LLM, settings: SampleSettings
) -> dict:
    if state.get("status"):  # a parallel branch already failed the sample
        return {}
    number = len(state.get("attempts", [])) + 1
    response, criteria = state["response"], state["criteria"]
    attempt = Attempt(attempt=number, response=response, verdicts=[], passed=False, reason="")
    if not response:
        return {"attempts": [attempt | {"reason": "response_empty"}]}
    sampling = settings.sampling("judge", sample_key(state, config), number)
    data, completion = ask_json(
        llm,
        "judge",
        sampling,
        verdict_schema(len(criteria)),
        instruction=state["instruction"],
        response=response,
        questions="\n".join(f"{i}. {q}" for i, q in enumerate(criteria, 1)),
        count=len(criteria),
    )
    update: dict = {"llm_calls": [completion.record("judge")]}
    verdicts = read_verdicts(data, len(criteria))
    if verdicts is None:
        reply = completion.text[:MAX_KEPT_REPLY]
        return update | {
            "attempts": [attempt | {"reason": "judge_malformed", "judge_reply": reply}]
        }
    passed = "NO" not in verdicts
    reason = "passed" if passed else "criteria_failed"
    return update | {
        "attempts": [attempt | {"verdicts": verdicts, "passed": passed, "reason": reason}]
    }


def accept(state: SampleState) -> dict:
    return {"status": "accepted", "reason": "all_criteria_passed"}


def reject(state: SampleState) -> dict:
    """Attempts used up: rejected when the judge said NO or the answer was empty,
    failed when the last judgement could not be read (nothing was verified)."""
    last = state["attempts"][-1]["reason"]
    status = "failed" if last == "judge_malformed" else "rejected"
    return {"status": status, "reason": last}
