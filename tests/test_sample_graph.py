"""Every path through the sample graph, on a scripted LLM."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace
from pathlib import Path

from conftest import CONFIG, INPUT, NO_COMMAS, good_script
from fakes import ScriptedLLM
from langgraph.checkpoint.memory import InMemorySaver

from graph import SampleSettings, build_sample_graph
from nodes.context import MetaContext, SampleContext, default_llm


def test_consistent_instruction_is_answered_judged_and_accepted(run_graph):
    state, llm, _ = run_graph()
    assert state["status"] == "accepted"
    assert state["reason"] == "all_criteria_passed"
    assert [c["conflict"] for c in state["consistency"]] == [False]
    assert llm.count("refine") == 0
    assert state["criteria"] == ["Is it a poem?", "Does it have four lines?"]
    assert state["attempts"][0]["verdicts"] == ["YES", "YES"]


def test_conflict_is_refined_then_checked_again(run_graph):
    state, llm, _ = run_graph(
        check_consistency=[
            {"conflict": True, "explanation": "English and French at once"},
            {"conflict": False, "explanation": "fine now"},
        ],
        refine={"instruction": "Write a poem in English."},
    )
    assert state["status"] == "accepted"
    assert [c["conflict"] for c in state["consistency"]] == [True, False]
    # the second check saw the refined instruction, and the answer used it
    assert state["consistency"][1]["instruction"] == "Write a poem in English."
    assert state["instruction"] == "Write a poem in English."
    assert "Write a poem in English." in [c["user"] for c in llm.calls if c["prompt"] == "answer"]
    assert state["unresolved_conflict"] is False


def test_refinement_rounds_used_up_goes_on_with_the_conflict_recorded(run_graph):
    settings = replace(NO_COMMAS, max_refine_rounds=2)
    state, llm, _ = run_graph(settings, check_consistency={"conflict": True, "explanation": "x"})
    assert llm.count("refine") == 2
    assert llm.count("check_consistency") == 3
    assert state["unresolved_conflict"] is True
    assert state["status"] == "accepted"


def test_failed_judgement_resamples_the_answer_then_accepts(run_graph):
    state, llm, _ = run_graph(
        answer=["a bad answer", "a good answer"],
        judge=[{"verdicts": ["YES", "NO"]}, {"verdicts": ["YES", "YES"]}],
    )
    assert state["status"] == "accepted"
    assert [a["reason"] for a in state["attempts"]] == ["criteria_failed", "passed"]
    assert state["response"] == "a good answer"
    assert llm.count("decompose") == 1  # criteria are not redone on a resample
    seeds = [c["seed"] for c in llm.calls if c["prompt"] == "answer"]
    assert len(set(seeds)) == 2  # each attempt samples afresh


def test_attempts_used_up_is_rejected(run_graph):
    state, llm, _ = run_graph(replace(NO_COMMAS, max_attempts=3), judge={"verdicts": ["NO", "YES"]})
    assert state["status"] == "rejected"
    assert state["reason"] == "criteria_failed"
    assert llm.count("answer") == 3
    assert len(state["attempts"]) == 3


def test_short_verdict_list_is_never_a_pass(run_graph):
    state, _, _ = run_graph(replace(NO_COMMAS, max_attempts=2), judge={"verdicts": ["YES"]})
    assert state["status"] == "failed"
    assert state["reason"] == "judge_malformed"
    assert all(not a["passed"] for a in state["attempts"])


def test_garbage_verdicts_are_a_failed_judgement(run_graph):
    state, _, _ = run_graph(
        replace(NO_COMMAS, max_attempts=2),
        judge=["this is not json", {"verdicts": ["YES", "MAYBE"]}],
    )
    assert [a["reason"] for a in state["attempts"]] == ["judge_malformed", "judge_malformed"]
    assert state["status"] == "failed"


def test_malformed_judgement_then_good_one_accepts(run_graph):
    state, _, _ = run_graph(judge=["{oops", {"verdicts": ["YES", "YES"]}])
    assert state["status"] == "accepted"
    assert [a["reason"] for a in state["attempts"]] == ["judge_malformed", "passed"]


def test_empty_response_is_not_judged_and_is_resampled(run_graph):
    state, llm, _ = run_graph(replace(NO_COMMAS, max_attempts=2), answer="")
    assert llm.count("judge") == 0
    assert state["status"] == "rejected"
    assert state["reason"] == "response_empty"


def test_empty_instruction_fails_the_sample_at_once(run_graph):
    state, llm, _ = run_graph(make_instruction={"instruction": "  "})
    assert (state["status"], state["reason"]) == ("failed", "instruction_empty")
    assert [c["prompt"] for c in llm.calls] == ["make_woven_instruction"]


def test_empty_model_output_is_a_malformed_instruction(run_graph):
    state, _, _ = run_graph(make_instruction="")
    assert (state["status"], state["reason"]) == ("failed", "instruction_malformed")


def test_no_criteria_fails_the_sample_without_judging(run_graph):
    state, llm, _ = run_graph(decompose={"questions": ["", "  - "]})
    assert (state["status"], state["reason"]) == ("failed", "criteria_empty")
    assert llm.count("judge") == 0


def test_think_blocks_are_removed_from_responses(run_graph):
    state, _, _ = run_graph(answer="<think>let me see</think>\nThe answer.")
    assert state["response"] == "The answer."


def test_wild_mode_draws_no_constraints(run_graph):
    state, llm, _ = run_graph(SampleSettings(mode="wild"))
    assert state["constraints"] == []
    assert llm.count("make_wild_instruction") == 1
    assert llm.count("make_instruction") == 0


def test_constraint_draws_are_seeded_per_sample(run_graph):
    first, _, _ = run_graph(SampleSettings(seed=7))
    again, _, _ = run_graph(SampleSettings(seed=7))
    assert first["constraints"] == again["constraints"]
    assert 1 <= len(first["constraints"]) <= 5
    draws = {json.dumps(run_graph(SampleSettings(seed=s))[0]["constraints"]) for s in range(8)}
    assert len(draws) > 1


def test_every_llm_call_is_accounted_in_the_state(run_graph):
    state, llm, _ = run_graph(
        answer=["bad", "good"], judge=[{"verdicts": ["NO", "NO"]}, {"verdicts": ["YES", "YES"]}]
    )
    assert len(state["llm_calls"]) == len(llm.calls)
    assert [c["node"] for c in state["llm_calls"]].count("judge") == 2
    assert all(c["prompt_tokens"] > 0 and c["latency_s"] >= 0 for c in state["llm_calls"])


def test_answer_and_decompose_run_in_the_same_step(run_graph):
    _, _, graph = run_graph()
    parallel = [
        s.next for s in graph.get_state_history(CONFIG) if set(s.next) == {"answer", "decompose"}
    ]
    assert parallel


def test_an_unreadable_reply_is_kept_as_evidence(run_graph):
    state, _, _ = run_graph(check_consistency="I think it is fine")
    assert (state["status"], state["reason"]) == ("failed", "consistency_malformed")
    assert state["malformed_reply"] == "I think it is fine"
    state, _, _ = run_graph(replace(NO_COMMAS, max_attempts=1), judge="YES YES")
    assert state["attempts"][0]["judge_reply"] == "YES YES"


def test_raw_newlines_inside_json_strings_are_read(run_graph):
    state, _, _ = run_graph(check_consistency='{"conflict": false, "explanation": "a\nb"}')
    assert state["status"] == "accepted"
    assert state["consistency"][0]["explanation"] == "a\nb"


def test_one_compiled_graph_runs_with_whatever_context_each_run_brings():
    """The client and settings come with the run; given as JSON (LangGraph's server) they
    are read into their types: max_attempts 1 here rejects after one attempt (not 3)."""
    graph = build_sample_graph(InMemorySaver())
    nos = ScriptedLLM(good_script(judge={"verdicts": ["NO", "NO"]}))
    settings = {"max_attempts": 1, "types": ["punctuation:no_comma"]}
    state = graph.invoke(INPUT, CONFIG, context={"llm": nos, "settings": settings})
    assert (state["status"], len(state["attempts"])) == ("rejected", 1)
    yes = ScriptedLLM(good_script())
    other = {"configurable": {"thread_id": "sample-2"}}
    assert graph.invoke(INPUT, other, context=SampleContext(yes, NO_COMMAS))["status"] == "accepted"
    assert nos.count("judge") == 1 and yes.count("judge") == 1


def test_langgraph_json_serves_the_compiled_graphs_without_loading_a_model():
    spec = json.loads((Path(__file__).parent.parent / "langgraph.json").read_text())
    for name, target in spec["graphs"].items():
        path, attribute = target.split(":")
        module = importlib.import_module(
            path.removeprefix("./").removesuffix(".py").replace("/", ".")
        )
        graph = getattr(module, attribute)
        assert graph.name == f"decif-{name}"
        assert graph.context_schema in (SampleContext, MetaContext)
    assert default_llm.cache_info().currsize == 0
