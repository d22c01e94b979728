"""Verified data: every drawn constraint is stated in the instruction with its values,
checked by code before the judge is asked, and recorded with its result; only what code
cannot check goes to the LLM judge."""

from __future__ import annotations

from dataclasses import replace

from conftest import NO_COMMAS

from nodes.constraints import check
from nodes.constraints.stating import sentence

NO_COMMA = {"id": "punctuation:no_comma", "kwargs": {}}
TONE = "llm_judged:style_tone"


def test_the_instruction_is_the_task_then_each_constraint_stated(run_graph):
    state, llm, _ = run_graph()
    task = "Write a four-line poem about rain in English."
    assert state["constraints"] == [NO_COMMA]
    [stated] = state["stated"]
    assert (stated["how"], stated["why"]) == ("appended", "missing:comma")  # not woven in
    assert state["instruction"] in (f"{task}\n\n{stated['text']}", f"{stated['text']}\n\n{task}")
    # the model was told the constraints it must not contradict
    [call] = [c for c in llm.calls if c["prompt"] == "make_woven_instruction"]
    assert sentence(NO_COMMA) in call["user"]
    assert state["attempts"][0]["checks"] == [{"id": NO_COMMA["id"], "by": "code", "passed": True}]


def test_a_failing_code_check_fails_the_attempt_without_asking_the_judge(run_graph):
    state, llm, _ = run_graph(
        replace(NO_COMMAS, max_attempts=2),
        answer=["Rain taps, the glass sings.", "Rain taps the glass."],
    )
    first, second = state["attempts"]
    assert first["reason"] == "check_failed:punctuation:no_comma"
    assert first["checks"] == [{"id": NO_COMMA["id"], "by": "code", "passed": False}]
    assert first["verdicts"] == []
    assert llm.count("judge") == 1  # only the second attempt was judged
    assert (second["reason"], state["status"]) == ("passed", "accepted")


def test_a_response_the_judge_likes_is_still_rejected_when_code_says_no(run_graph):
    state, _, _ = run_graph(answer="Rain, rain, rain.", judge={"verdicts": ["YES", "YES"]})
    assert (state["status"], state["reason"]) == ("rejected", "check_failed:punctuation:no_comma")


def test_checked_sentences_are_not_sent_to_decompose(run_graph):
    state, llm, _ = run_graph()
    [call] = [c for c in llm.calls if c["prompt"] == "decompose"]
    assert "Write a four-line poem" in call["user"]
    assert state["stated"][0]["text"] not in call["user"]


def test_an_llm_only_constraint_becomes_a_judge_question_and_a_judged_check(run_graph):
    state, llm, _ = run_graph(
        replace(NO_COMMAS, types=(TONE,)), judge={"verdicts": ["YES", "YES", "NO"]}
    )
    [constraint] = state["constraints"]
    question = state["criteria"][0]
    assert constraint["kwargs"]["tone"] in question
    [call] = [c for c in llm.calls if c["prompt"] == "decompose"]
    assert state["stated"][0]["text"] in call["user"]  # the judge's business: left in
    assert state["attempts"][0]["checks"] == [{"id": TONE, "by": "judge", "passed": True}]
    assert state["status"] == "rejected"  # a model criterion said NO


def test_a_refinement_that_drops_a_sentence_drops_the_check_and_records_it(run_graph):
    state, _, _ = run_graph(
        check_consistency=[
            {"conflict": True, "explanation": "x"},
            {"conflict": False, "explanation": "ok"},
        ],
        refine={"instruction": "Write a poem about rain."},
        answer="Rain, rain, go away.",  # has commas: it would fail the dropped check
    )
    assert state["constraints"] == []
    assert state["dropped_constraints"] == [NO_COMMA]
    assert state["attempts"][0]["checks"] == []
    assert state["status"] == "accepted"


def keep_requirements(messages) -> dict:
    """A rewrite that keeps every sentence the refine prompt lists word for word."""
    kept = [line[2:] for line in messages[-1]["content"].splitlines() if line.startswith("- ")]
    return {"instruction": " ".join(["Write a short poem about rain.", *kept])}


def test_a_refinement_that_keeps_the_sentence_keeps_the_check(run_graph):
    state, _, _ = run_graph(
        check_consistency=[
            {"conflict": True, "explanation": "x"},
            {"conflict": False, "explanation": "ok"},
        ],
        refine=keep_requirements,
    )
    assert state["constraints"] == [NO_COMMA]
    assert "dropped_constraints" not in state
    assert state["instruction"] == f"Write a short poem about rain. {state['stated'][0]['text']}"


def test_a_task_that_repeats_the_request_fails(run_graph):
    state, llm, _ = run_graph(make_instruction={"instruction": "Please write me a poem."})
    assert (state["status"], state["reason"]) == ("failed", "instruction_repeats_request")
    assert state["malformed_reply"] == "Please write me a poem."
    assert llm.count("check_consistency") == 0


WRITES = ("make_instruction", "make_woven_instruction")  # the prompts that write a task


def test_a_degenerate_task_is_written_again_with_the_next_seed_where_tries_are_allowed(
    run_graph,
):
    good = "Write a four-line poem about rain in English."
    tries = replace(NO_COMMAS, instruction_tries=3)
    replies = [{"instruction": "Please write me a poem."}, {"instruction": good}]
    state, llm, _ = run_graph(tries, make_instruction=replies)
    assert state["status"] == "accepted" and state["instruction"].startswith(good)
    seeds = [c["seed"] for c in llm.calls if c["prompt"] in WRITES]
    assert len(set(seeds)) == 2  # a second seed, not the same reply again
    assert [c["node"] for c in state["llm_calls"]].count("make_instruction") == 2  # both paid
    # the first try is seeded as with a single try: runs made before read the same
    _, single, _ = run_graph(make_instruction={"instruction": good})
    assert single.calls[0]["seed"] == seeds[0] and single.calls[0]["prompt"] in WRITES


def test_when_every_try_is_degenerate_the_sample_fails_with_the_last_one(run_graph):
    state, llm, _ = run_graph(
        replace(NO_COMMAS, instruction_tries=3),
        make_instruction={"instruction": "Please write me a poem."},
    )
    assert (state["status"], state["reason"]) == ("failed", "instruction_repeats_request")
    assert llm.count("make_instruction") == 3 and llm.count("check_consistency") == 0


def test_a_rewrite_too_short_to_be_a_task_fails(run_graph):
    state, _, _ = run_graph(
        check_consistency=[{"conflict": True, "explanation": "x"}],
        refine={"instruction": "{ { 'key':"},
    )
    assert (state["status"], state["reason"]) == ("failed", "refine_too_short")


def test_a_task_that_echoes_the_prompt_fails(run_graph):
    echo = "Rewrite it as one consistent, clear instruction that keeps the task."
    state, _, _ = run_graph(make_instruction={"instruction": echo})
    assert state["reason"] == "instruction_echoes_prompt"
    state, _, _ = run_graph(
        check_consistency=[{"conflict": True, "explanation": "x"}],
        refine={"instruction": echo},
    )
    assert state["reason"] == "refine_echoes_prompt"


def test_lower_case_verdicts_break_the_schema_and_are_a_failed_judgement(run_graph):
    state, _, _ = run_graph(replace(NO_COMMAS, max_attempts=1), judge={"verdicts": ["yes", "yes"]})
    assert (state["status"], state["reason"]) == ("failed", "judge_malformed")


def test_a_bound_constraint_repeats_the_instruction_it_is_part_of(run_graph):
    state, _, _ = run_graph(replace(NO_COMMAS, types=("combination:repeat_prompt",)))
    [constraint] = state["constraints"]
    repeat = constraint["kwargs"]["prompt_to_repeat"]
    assert state["instruction"] == f"{repeat}\n\n{state['stated'][0]['text']}"
    assert check(constraint["id"], constraint["kwargs"], f"{repeat} Here is my poem.")
    assert not check(constraint["id"], constraint["kwargs"], "Here is my poem.")


def test_check_takes_ifeval_ids_and_kwargs_as_ifeval_writes_them():
    kwargs = {"relation": "less than", "num_words": 5, "keywords": None}  # RLVR-style padding
    assert check("length_constraints:number_words", kwargs, "one two three") is True
    assert check("number_words", kwargs, "one two three four five six") is False
    assert check("no_such:type", {}, "anything") is None
    assert check(TONE, {"tone": "formal"}, "anything") is None  # only the judge can tell


def test_candidates_are_all_verified_and_the_first_that_passes_is_kept(run_graph):
    state, llm, _ = run_graph(
        replace(NO_COMMAS, candidates=3),
        answer=["Rain, rain.", "Rain taps the glass.", "Rain sings."],
        judge={"verdicts": ["YES", "YES"]},
    )
    assert llm.count("answer") == 3  # no n= on the scripted LLM: one call per candidate
    seeds = {c["seed"] for c in llm.calls if c["prompt"] == "answer"}
    assert len(seeds) == 3
    assert [(a["candidate"], a["reason"]) for a in state["attempts"]] == [
        (0, "check_failed:punctuation:no_comma"),
        (1, "passed"),
        (2, "passed"),
    ]
    assert llm.count("judge") == 2  # the candidate that failed in code was not judged
    assert (state["status"], state["response"]) == ("accepted", "Rain taps the glass.")


def test_a_round_of_candidates_that_all_fail_is_resampled_then_rejected(run_graph):
    state, llm, _ = run_graph(
        replace(NO_COMMAS, candidates=2, max_attempts=2), answer="Rain, rain, go away."
    )
    assert [a["attempt"] for a in state["attempts"]] == [1, 1, 2, 2]
    assert llm.count("answer") == 4
    assert (state["status"], state["reason"]) == ("rejected", "check_failed:punctuation:no_comma")
