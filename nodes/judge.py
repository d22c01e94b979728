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

from concurrent.futures import ThreadPoolExecutor

from langgraph.runtime import Runtime

from nodes.constraints import Constraint, check
from nodes.constraints.stating import kind
from nodes.context import SampleContext
from nodes.conversation import checked_constraints, in_conversation, transcript, turn_of
from nodes.llm import ask_json
from nodes.state import (
    MAX_KEPT_REPLY,
    TOKENS_PER_VERDICT,
    Attempt,
    Check,
    SampleState,
    next_round,
    sample_key,
)

VERDICTS = ("YES", "NO")
KEPT_PREFIX = "verified_prefix"  # accepted with the turns verified before the last one


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
        Check(id=c["id"], by="judge", passed=verdict.get(ask(c["kwargs"])) == "YES")
        for c in constraints
        if (ask := kind(c).question) is not None  # a type has a question or a checker
    ]


def judge(state: SampleState, runtime: Runtime[SampleContext]) -> dict:
    """Verify every candidate response of this round; the first that passes becomes the
    sample's response. With several candidates their judgements run side by side."""
    if state.get("status"):  # a parallel branch already failed the sample
        return {}
    round_, key = next_round(state), sample_key(state)
    candidates = state.get("responses") or [state["response"]]

    def verify_candidate(candidate: int | None) -> tuple[Attempt, list[dict]]:
        response = candidates[candidate or 0]
        return verify(state, key, response, round_, candidate, runtime.context)

    if len(candidates) == 1:
        results = [verify_candidate(None)]
    else:
        with ThreadPoolExecutor(len(candidates)) as threads:
            results = list(threads.map(verify_candidate, range(len(candidates))))
    attempts = [attempt for attempt, _ in results]
    update: dict = {"attempts": attempts, "llm_calls": [r for _, rows in results for r in rows]}
    chosen = next((a["response"] for a in attempts if a["passed"]), None)
    if chosen is not None and chosen != state["response"]:  # a later candidate passed
        update["response"] = chosen
    return update


def verify(
    state: SampleState,
    key: str,
    response: str,
    round_: int,
    candidate: int | None,
    context: SampleContext,
) -> tuple[Attempt, list[dict]]:
    """One response (candidate number `candidate` of several, or the only one) of the
    sample `key`: code checks first; the judge only when they all pass."""
    criteria = state["criteria"]
    constraints = checked_constraints(state)  # everything in force, in a conversation
    attempt = Attempt(
        attempt=round_, response=response, checks=[], verdicts=[], passed=False, reason=""
    )
    if candidate is not None:
        attempt["candidate"] = candidate
    call = (round_,) if candidate is None else (round_, candidate)
    if not response:
        return attempt | {"reason": "response_empty"}, []
    attempt["checks"] = code_checks(constraints, response)
    failing = [c["id"] for c in attempt["checks"] if not c["passed"]]
    if failing:
        return attempt | {"reason": f"check_failed:{failing[0]}"}, []
    sampling = context.settings.sampling("judge", key, *call)
    sampling = sampling.capped(24 + TOKENS_PER_VERDICT * len(criteria))
    values = {
        "instruction": state["instruction"],
        "response": response,
        "questions": "\n".join(f"{i}. {q}" for i, q in enumerate(criteria, 1)),
        "count": len(criteria),
    }
    prompt = "judge"
    if in_conversation(state):  # the judge sees the conversation before the latest message
        prompt, values["conversation"] = "judge_turn", transcript(state)
    data, completion = ask_json(
        context.llm, prompt, sampling, verdict_schema(len(criteria)), **values
    )
    calls = completion.records("judge")
    verdicts = read_verdicts(data, len(criteria))
    if verdicts is None:
        reply = completion.text[:MAX_KEPT_REPLY]
        return attempt | {"reason": "judge_malformed", "judge_reply": reply}, calls
    passed = "NO" not in verdicts
    reason = "passed" if passed else "criteria_failed"
    checks = attempt["checks"] + judged_checks(constraints, criteria, verdicts)
    return attempt | {"checks": checks, "verdicts": verdicts, "passed": passed, "reason": reason}, (
        calls
    )


def accept(state: SampleState) -> dict:
    """Every turn verified: accepted. With --keep-prefix, a conversation whose later turn
    could not pass is accepted with the turns verified before it; `stopped` says which
    turn stopped it, and how (the status and reason it would have ended with)."""
    if any(a["passed"] for a in state.get("attempts", [])):
        return {"status": "accepted", "reason": "all_criteria_passed"}
    ending = (
        {"status": state["status"], "reason": state["reason"]}
        if state.get("status")
        else reject(state)
    )
    stopped = {"turn": turn_of(state), **ending}
    return {"status": "accepted", "reason": KEPT_PREFIX, "stopped": stopped}


def reject(state: SampleState) -> dict:
    """Attempts used up: rejected when a check failed, the judge said NO or the answer
    was empty; failed when no response of the last round could be judged (nothing was
    verified)."""
    last_round = state["attempts"][-1]["attempt"]
    reasons = [a["reason"] for a in state["attempts"] if a["attempt"] == last_round]
    judged = [r for r in reasons if r != "judge_malformed"]
    return (
        {"status": "rejected", "reason": judged[0]}
        if judged
        else {
            "status": "failed",
            "reason": "judge_malformed",
        }
    )
