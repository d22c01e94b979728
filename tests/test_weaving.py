"""Woven statements: the model writes the constraints into the request; decif keeps one
woven only when the text holds all its values and the LLM says it means exactly that, and
states it by an appended phrasing otherwise - recorded per constraint, never lost."""

from __future__ import annotations

import re
from dataclasses import replace

from conftest import NO_COMMAS

WORDS = "length_constraints:number_words"
SETTINGS = replace(NO_COMMAS, types=(WORDS,))  # one drawn constraint: a word count
WOVEN = "Write a four-line poem about rain in English, in {} words."


def drawn(user: str) -> tuple[str, int]:
    """The relation and count of the word-count requirement a prompt lists."""
    relation, count = re.search(r"must have (less than|at least) (\d+) words", user).groups()
    return relation, int(count)


def words_of(llm) -> tuple[str, int]:
    """The relation and count the model was asked to weave."""
    return drawn(next(c["user"] for c in llm.calls if c["prompt"] == "make_woven_instruction"))


def weave(relation_words: str = ""):
    """A make_woven_instruction reply that states the drawn word count (or not)."""

    def reply(messages) -> dict:
        relation, count = drawn(messages[-1]["content"])
        return {"instruction": WOVEN.format(f"{relation_words or relation} {count}")}

    return reply


def test_a_statement_woven_with_every_value_stays_woven(run_graph):
    state, llm, _ = run_graph(SETTINGS, make_woven_instruction=weave())
    relation, count = words_of(llm)
    assert state["instruction"] == WOVEN.format(f"{relation} {count}")  # nothing appended
    [how] = state["stated"]
    assert (how["how"], how["why"], how["style"]) == ("woven", "", "")
    assert how["text"] == state["instruction"]  # the span that states it
    [check] = state["consistency"]
    [fidelity] = check["fidelity"]
    assert fidelity["answer"] == "YES" and str(count) in fidelity["question"]
    [call] = [c for c in llm.calls if c["prompt"] == "check_woven_consistency"]
    assert fidelity["question"] in call["user"]
    # decompose is told how the code-checked requirement reads here
    [call] = [c for c in llm.calls if c["prompt"] == "decompose_woven"]
    assert f"- {how['text']}" in call["user"]
    assert state["attempts"][0]["checks"][0]["id"] == WORDS  # and code checks it


def test_a_woven_text_without_a_value_gets_the_appended_statement(run_graph):
    state, llm, _ = run_graph(
        SETTINGS, make_woven_instruction={"instruction": WOVEN.format("a handful of")}
    )
    relation, count = words_of(llm)
    [how] = state["stated"]
    assert (how["how"], how["why"]) == ("appended", f"missing:{count}")
    assert how["text"] in state["instruction"] and str(count) in how["text"]
    assert WOVEN.format("a handful of") in state["instruction"]
    # no woven constraint: the plain consistency prompt, without fidelity questions
    assert llm.count("check_woven_consistency") == 0 and llm.count("check_consistency") == 1


def test_the_llms_fidelity_no_appends_the_statement_and_checks_again(run_graph):
    state, llm, _ = run_graph(
        SETTINGS,
        make_woven_instruction=weave("at most"),  # the value is there, the meaning is not
        check_woven_consistency={"conflict": False, "explanation": "ok", "answers": ["NO"]},
    )
    [how] = state["stated"]
    assert (how["how"], how["why"]) == ("appended", "llm_said_no")
    assert WOVEN.format(f"at most {words_of(llm)[1]}") in state["instruction"]
    assert how["text"] in state["instruction"]
    first, second = state["consistency"]
    assert first["fidelity"][0]["answer"] == "NO" and "fidelity" not in second
    assert second["instruction"] == state["instruction"]  # the new text was checked again
    assert llm.count("check_woven_consistency") == 1 and llm.count("check_consistency") == 2
    # the appended statement is cut out of what decompose sees; nothing woven to list
    [call] = [c for c in llm.calls if c["prompt"] == "decompose"]
    assert how["text"] not in call["user"] and "checked separately" not in call["user"]


def test_a_refinement_that_loses_a_woven_value_restates_it_and_records_why(run_graph):
    state, llm, _ = run_graph(
        SETTINGS,
        make_woven_instruction=weave(),
        check_woven_consistency=[{"conflict": True, "explanation": "x", "answers": ["YES"]}],
        check_consistency={"conflict": False, "explanation": "ok"},
        refine={"instruction": "Write a poem about rain for my class."},
    )
    [how] = state["stated"]
    assert (how["how"], how["why"]) == ("appended", "lost_in_refine")
    assert state["instruction"].count("Write a poem about rain for my class.") == 1
    assert how["text"] in state["instruction"]
    assert "dropped_constraints" not in state  # restated, not lost
    assert [c["round"] for c in state["consistency"]] == [0, 1]


def test_a_criterion_that_restates_a_code_check_is_dropped_and_recorded(run_graph):
    def questions(messages) -> dict:
        relation = "less than" if "less than" in messages[-1]["content"] else "at least"
        count = messages[-1]["content"].split(f"{relation} ")[1].split(" ")[0].rstrip(".")
        return {
            "questions": ["Is it a poem about rain?", f"Does it have {relation} {count} words?"]
        }

    state, _, _ = run_graph(
        SETTINGS, make_woven_instruction=weave(), decompose=questions, judge={"verdicts": ["YES"]}
    )
    assert state["criteria"] == ["Is it a poem about rain?"]
    [restated] = state["restated_criteria"]
    assert restated.startswith("Does it have")


def test_appended_phrasing_never_asks_the_model_to_weave(run_graph):
    state, llm, _ = run_graph(replace(SETTINGS, phrasing="appended"))
    assert [c["prompt"] for c in llm.calls][0] == "make_instruction"
    assert llm.count("make_woven_instruction") == 0
    assert [(s["how"], s["why"]) for s in state["stated"]] == [("appended", "phrasing_appended")]
