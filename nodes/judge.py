"""Stages 8-9: check the latest response in code, judge it against every criterion, then
keep or drop it.

Every constraint code can check is checked by its checker first; when one fails, the
attempt fails on it (`check_failed:<type id>`) and the judge is not asked. Otherwise the
judge answers every criterion, and the constraints only language can check pass or fail
with the verdict on their question. A verdict list that is not exactly one YES or NO per
criterion - the schema's exact strings; a judge that writes "yes" is not following it -
is a failed judgement, never a pass.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from nodes.constraints import Constraint, check
from nodes.constraints.stating import kind
from nodes.llm import LLM, ask_json
from nodes.state import MAX_KEPT_REPLY, Attempt, Check, SampleSettings, SampleState, sample_key

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
    """Exactly `count` verdicts, each exactly "YES" or "NO", or None."""
    if not (isinstance(data, dict) and isinstance(data.get("verdicts"), list)):
        return None
    verdicts = data["verdicts"]
    if len(verdicts) != count or any(v not in VERDICTS for v in verdicts):
        return None
    return verdicts


def code_checks(constraints: list[Constraint], response: str) -> list[Check]:
    return [
        Check(id=c["id"], by="code", passed=bool(check(c["id"], c["kwargs"], response)))
        for c in constraints
        if kind(c).verifiable
    ]


def judged_checks(
    constraints: list[Constraint], criteria: list[str], verdicts: list[str]
) -> list[Check]:
    """The constraints only language can check, passed or failed by the verdict on their
    question (decompose put those questions among the criteria)."""
    verdict = dict(zip(criteria, verdicts, strict=True))
    return [
        Check(id=c["id"], by="judge", passed=verdict.get(kind(c).question(c["kwargs"])) == "YES")
        for c in constraints
        if not kind(c).verifiable
    ]


def judge(
    state: SampleState, config: RunnableConfig, *, llm: LLM, settings: SampleSettings
) -> dict:
    if state.get("status"):  # a parallel branch already failed the sample
        return {}
    number = len(state.get("attempts", [])) + 1
    response, criteria = state["response"], state["criteria"]
    constraints = state.get("constraints", [])
    attempt = Attempt(
        attempt=number, response=response, checks=[], verdicts=[], passed=False, reason=""
    )
    if not response:
        return {"attempts": [attempt | {"reason": "response_empty"}]}
    attempt["checks"] = code_checks(constraints, response)
    failing = [c["id"] for c in attempt["checks"] if not c["passed"]]
    if failing:
        return {"attempts": [attempt | {"reason": f"check_failed:{failing[0]}"}]}
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
    update: dict = {"llm_calls": completion.records("judge")}
    verdicts = read_verdicts(data, len(criteria))
    if verdicts is None:
        reply = completion.text[:MAX_KEPT_REPLY]
        return update | {
            "attempts": [attempt | {"reason": "judge_malformed", "judge_reply": reply}]
        }
    passed = "NO" not in verdicts
    reason = "passed" if passed else "criteria_failed"
    checks = attempt["checks"] + judged_checks(constraints, criteria, verdicts)
    judged = {"checks": checks, "verdicts": verdicts, "passed": passed, "reason": reason}
    return update | {"attempts": [attempt | judged]}


def accept(state: SampleState) -> dict:
    return {"status": "accepted", "reason": "all_criteria_passed"}


def reject(state: SampleState) -> dict:
    """Attempts used up: rejected when a check failed, the judge said NO or the answer
    was empty; failed when the last judgement could not be read (nothing was verified)."""
    last = state["attempts"][-1]["reason"]
    status = "failed" if last == "judge_malformed" else "rejected"
    return {"status": status, "reason": last}
