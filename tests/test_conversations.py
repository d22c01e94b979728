"""Conversations on a scripted LLM: every turn answered with the conversation before it,
checked against everything in force at it - the system message's constraints, earlier
ones asked for from now on, its own - and judged with the conversation in view."""

from __future__ import annotations

import random
from dataclasses import replace

from conftest import CONFIG, INPUT, good_script
from fakes import ScriptedLLM
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints.tables import sample_row
from graph import SampleSettings, build_sample_graph
from graph.export.chat import sft_records
from nodes.constraints import REGISTRY, Constraint, DrawContext, draw_constraints
from nodes.constraints.lasting import says_lasting
from nodes.constraints.scopes import draw_scopes
from nodes.context import SampleContext

NO_COMMA = "punctuation:no_comma"
FOLLOW_UP = {"instruction": "Now make the poem about snow instead of rain."}
GOOD = "rain taps the glass\nthe street shines\nthe day slows."
COMMAS = "rain taps the glass, the street shines, the day slows."


def lasting_seed(type_id: str) -> int:
    """A run seed under which the first message of sample-1 asks for its one constraint
    (drawn from a pool of that type alone) from now on."""
    drawn = [Constraint(id=type_id, kwargs={})]
    for seed in range(100):
        rng = SampleSettings(seed=seed).rng(f"{CONFIG['configurable']['thread_id']}/scopes")
        if draw_scopes(rng, drawn)[type_id] == "from_now_on":
            return seed
    raise AssertionError("no seed makes it last")


def converse(settings: SampleSettings, **overrides):
    script = good_script(make_followup=FOLLOW_UP, answer=GOOD) | overrides
    llm = ScriptedLLM(script)
    state = build_sample_graph(InMemorySaver()).invoke(
        INPUT, CONFIG, context=SampleContext(llm, settings)
    )
    return state, llm


def seen(llm: ScriptedLLM, prompt: str) -> list[str]:
    return [c["user"] for c in llm.calls if c["prompt"] == prompt]


def test_one_turn_is_todays_sample_with_none_of_a_conversations_fields():
    state, llm = converse(SampleSettings(types=(NO_COMMA,)))
    assert state["status"] == "accepted"
    assert not {"turn", "turns", "system", "held", "scopes"} & set(state)
    conversational = {"make_followup", "make_woven_followup", "check_turn_consistency"}
    conversational |= {"refine_turn", "answer_turn", "decompose_turn", "judge_turn"}
    assert not conversational & {c["prompt"] for c in llm.calls}


def test_a_three_turn_conversation_is_answered_checked_and_judged_turn_by_turn():
    answered = []

    def answer(messages):
        answered.append(messages)
        return GOOD

    state, llm = converse(SampleSettings(types=(NO_COMMA,), turns=3), answer=answer)
    assert (state["status"], state["reason"], state["turn"]) == (
        "accepted",
        "all_criteria_passed",
        3,
    )
    assert [t["turn"] for t in state["turns"]] == [1, 2]
    assert all(any(a["passed"] for a in t["attempts"]) for t in state["turns"])
    # each answer had the conversation before it: system, then user/assistant pairs
    assert [len(m) for m in answered] == [2, 4, 6]
    assert [m["role"] for m in answered[2]] == ["system", *["user", "assistant"] * 2, "user"]
    assert answered[2][2]["content"] == GOOD and answered[2][-1]["content"] == state["instruction"]
    # the follow-ups, decompose and the judge read the conversation so far
    assert len(seen(llm, "make_woven_followup") + seen(llm, "make_followup")) == 2
    assert all(GOOD in user for user in seen(llm, "judge_turn") + seen(llm, "decompose_turn"))
    seeds = [c["seed"] for c in llm.calls if c["prompt"] in ("answer", "answer_turn")]
    assert len(set(seeds)) == 3  # each turn samples afresh


def test_a_later_answer_that_breaks_an_earlier_from_now_on_constraint_is_rejected_in_code():
    settings = SampleSettings(types=(NO_COMMA,), turns=3, max_attempts=2)
    settings = replace(settings, seed=lasting_seed(NO_COMMA))
    state, llm = converse(settings, answer=[GOOD, COMMAS])
    first = state["turns"][0]
    assert first["scopes"] == {NO_COMMA: "from_now_on"}
    assert says_lasting(first["instruction"])
    # turn 2 does not state it again (it is held), and its answers fail it in code
    assert state["turn"] == 2 and state["constraints"] == []
    assert state["held"] == [{"id": NO_COMMA, "kwargs": {}, "scope": "from_now_on", "since": 1}]
    assert [a["reason"] for a in state["attempts"]] == [f"check_failed:{NO_COMMA}"] * 2
    assert all(
        a["checks"] == [{"id": NO_COMMA, "by": "code", "passed": False}] for a in state["attempts"]
    )
    assert (state["status"], state["reason"]) == ("rejected", f"check_failed:{NO_COMMA}")
    assert seen(llm, "judge_turn") == []  # code decided; the judge was not asked


def test_keep_prefix_keeps_the_turns_verified_before_the_one_that_could_not_pass():
    settings = SampleSettings(types=(NO_COMMA,), turns=3, max_attempts=2, keep_prefix=True)
    settings = replace(settings, seed=lasting_seed(NO_COMMA))
    state, _ = converse(settings, answer=[GOOD, COMMAS])
    assert (state["status"], state["reason"]) == ("accepted", "verified_prefix")
    assert state["stopped"] == {
        "turn": 2,
        "status": "rejected",
        "reason": f"check_failed:{NO_COMMA}",
    }
    row = sample_row({"id": "s", "position": 0, **INPUT}, state)
    assert row["instruction"] == state["turns"][0]["instruction"] and row["response"] == GOOD
    [record] = sft_records([{**row, "turns": __import__("json").loads(row["turns"])}])
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]


def test_a_system_constraint_is_checked_at_every_turn():
    settings = SampleSettings(types=(NO_COMMA,), turns=3, system_constraints=1)
    answered = []

    def answer(messages):
        answered.append(messages[0]["content"])
        return GOOD

    state, _ = converse(settings, answer=answer)
    assert state["status"] == "accepted"
    system = state["system"]
    assert system["constraints"] == [{"id": NO_COMMA, "kwargs": {}}]
    assert (
        system["stated"][0]["why"] == "system_prompt"
        and system["stated"][0]["text"] in system["text"]
    )
    assert all(system["text"] in s for s in answered)  # every answer under the system message
    for turn in [*state["turns"], state]:
        kept = next(a for a in turn["attempts"] if a["passed"])
        assert {"id": NO_COMMA, "by": "code", "passed": True} in kept["checks"]
    assert all(
        NO_COMMA not in {c["id"] for c in t["constraints"]} for t in [*state["turns"], state]
    )


def test_a_system_constraint_broken_at_the_third_turn_rejects_the_conversation():
    settings = SampleSettings(types=(NO_COMMA,), turns=3, system_constraints=1, max_attempts=1)
    state, _ = converse(settings, answer=[GOOD, GOOD, COMMAS])
    assert (state["status"], state["reason"], state["turn"]) == (
        "rejected",
        f"check_failed:{NO_COMMA}",
        3,
    )


def test_a_conflict_with_a_rule_in_force_is_refined_in_the_latest_message():
    settings = SampleSettings(types=(NO_COMMA,), turns=2)
    settings = replace(settings, seed=lasting_seed(NO_COMMA))
    rewritten = "Now make the poem about snow, gently."
    state, llm = converse(
        settings,
        check_consistency=[
            {"conflict": False, "explanation": "fine"},
            {"conflict": True, "explanation": "asks for commas; no commas from message 1"},
            {"conflict": False, "explanation": "fine now"},
        ],
        refine={"instruction": rewritten},
    )
    assert state["status"] == "accepted"
    assert [c["conflict"] for c in state["consistency"]] == [True, False]
    assert state["consistency"][1]["instruction"] == rewritten == state["instruction"]
    [refining] = seen(llm, "refine_turn")
    assert "asked for from now on in message 1" in refining  # the rule it had to keep
    checks = seen(llm, "check_turn_consistency")
    assert len(checks) == 2 and "comma" in checks[0].split("Latest message")[0]


def test_a_later_turn_never_draws_a_type_that_conflicts_with_one_in_force():
    capitals, lowercase = (
        REGISTRY[t] for t in ("change_case:english_capital", "change_case:english_lowercase")
    )
    context = DrawContext(request="write a poem", scenario="A teacher needs a poem.")
    for i in range(200):
        drawn = draw_constraints(random.Random(i), context, [capitals, lowercase], [capitals])
        assert drawn == []  # the same type again, or its opposite: nothing is left to draw


def test_max_constraints_caps_every_turn():
    """--max-constraints N caps the constraints each message draws, later turns' too."""
    types = ("punctuation:no_comma", "change_case:english_lowercase")
    types += ("punctuation:punctuation_exclamation", "keywords:forbidden_words")

    def most_per_turn(cap: int | None) -> int:
        counts = []
        for seed in range(6):
            settings = SampleSettings(types=types, turns=3, seed=seed, max_constraints=cap)
            state, _ = converse(settings)
            turns = [*state.get("turns", []), state]
            counts += [len(t["constraints"]) for t in turns]
        return max(counts)

    assert most_per_turn(None) > 1  # uncapped, some turn draws several
    assert most_per_turn(1) == 1
