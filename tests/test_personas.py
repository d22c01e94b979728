"""Personas: each sample's instruction is written in the voice of one person drawn
(seeded) from the scenario's own personas or from K the model writes for it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import INPUT, NO_COMMAS, good_script
from fakes import ScriptedLLM
from langgraph.checkpoint.memory import InMemorySaver

from graph import build_sample_graph
from graph.scenarios import ScenarioError, load_scenarios
from nodes.context import SampleContext

PEOPLE = ["A retired sailor who writes long letters.", "A busy nurse who writes in fragments."]
WRITTEN = {"personas": ["A shy student.", "A loud coach.", "A careful librarian."]}


def run(settings, given: dict | None = None, thread: str = "sample-1", **script):
    llm = ScriptedLLM(good_script(**({"write_personas": WRITTEN} | script)))
    graph = build_sample_graph(InMemorySaver())
    config = {"configurable": {"thread_id": thread}}
    return graph.invoke(INPUT | (given or {}), config, context=SampleContext(llm, settings)), llm


def test_k_personas_are_written_once_and_the_instruction_is_asked_in_one_voice():
    state, llm = run(replace(NO_COMMAS, personas=3))
    [call] = [c for c in llm.calls if c["prompt"] == "write_personas"]
    assert "Describe 3 different people" in call["user"]
    assert state["personas"] == WRITTEN["personas"] and state["persona"] in state["personas"]
    [asked] = [c for c in llm.calls if c["prompt"] == "make_woven_instruction"]
    assert f"in their voice: {state['persona']}" in asked["user"]
    # seeded: the same sample draws the same person; the draw spreads over samples
    assert run(replace(NO_COMMAS, personas=3))[0]["persona"] == state["persona"]
    drawn = {run(replace(NO_COMMAS, personas=3), thread=f"s{i}")[0]["persona"] for i in range(12)}
    assert len(drawn) >= 2


def test_a_scenarios_own_personas_are_drawn_from_without_writing_any():
    state, llm = run(NO_COMMAS, {"personas": PEOPLE})
    assert llm.count("write_personas") == 0
    assert state["persona"] in PEOPLE


def test_without_personas_there_is_no_persona_step():
    state, llm = run(NO_COMMAS)
    assert "persona" not in state and llm.count("write_personas") == 0
    [asked] = [c for c in llm.calls if c["prompt"] == "make_woven_instruction"]
    assert "voice" not in asked["user"]


def test_an_unreadable_persona_reply_fails_the_sample_with_a_reason():
    state, llm = run(replace(NO_COMMAS, personas=2), write_personas="Here are some people!")
    assert (state["status"], state["reason"]) == ("failed", "personas_malformed")
    assert llm.count("make_instruction") == 0


def test_a_scenario_file_may_carry_personas(tmp_path):
    path = tmp_path / "s.jsonl"
    record = {"request": "write a poem", "scenario": "A teacher needs one.", "personas": PEOPLE}
    path.write_text(json.dumps(record) + "\n")
    [scenario] = load_scenarios(path)
    assert scenario.as_input()["personas"] == PEOPLE
    assert "personas" not in scenario.to_dict()  # rows and queues hold no personas
    path.write_text(json.dumps(record | {"personas": "a sailor"}) + "\n")
    with pytest.raises(ScenarioError, match="'personas' must be a list of strings"):
        load_scenarios(path)
