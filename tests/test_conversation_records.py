"""A conversation kept and shown: its turns in the samples table of both stores (and a run
made before them still read), `decif stats` per turn and per scope, `decif inspect` and
the viewer turn by turn."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from dataclasses import replace

import pytest
from click.testing import CliRunner
from conftest import good_script
from fakes import ScriptedLLM
from starlette.testclient import TestClient

from checkpoints.runs import open_run
from checkpoints.store import SampleStore
from checkpoints.tables import SAMPLE_COLUMNS
from graph import SampleSettings
from graph.cli import cli
from graph.export.chat import sft_records
from graph.runner import run_samples
from graph.scenarios import make_scenario
from graph.view.app import build_app
from graph.view.security import Guard

NO_COMMA = "punctuation:no_comma"
GOOD = "rain taps the glass\nthe street shines\nthe day slows."
COMMAS = "rain taps the glass, the street shines."
SCENARIOS = [make_scenario("write a poem", f"A teacher needs poem {i}.") for i in range(3)]
# one at a time, so the answers go to the samples in order: the second one's second answer
# breaks the system message's no-comma rule
SETTINGS = SampleSettings(types=(NO_COMMA,), turns=2, system_constraints=1, max_attempts=1)
ANSWERS = [GOOD, GOOD, GOOD, COMMAS, GOOD]


def script() -> dict:
    return good_script(
        make_followup={"instruction": "Now make it about snow, and shorter."}, answer=ANSWERS
    )


def invoke(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def conversations(tmp_path_factory):
    run = tmp_path_factory.mktemp("conversations") / "run"
    asyncio.run(run_samples(run, ScriptedLLM(script()), SCENARIOS, SETTINGS, progress=False))
    return run


def test_the_samples_table_keeps_each_turn_with_everything_in_force(conversations):
    rows = {r["id"]: r for r in SampleStore(conversations).rows()}
    first, second = rows[SCENARIOS[0].id], rows[SCENARIOS[1].id]
    assert (first["status"], second["status"]) == ("accepted", "rejected")
    assert second["reason"] == f"check_failed:{NO_COMMA}"
    assert first["system"].startswith("You ") and [t["passed"] for t in second["turns"]] == [
        True,
        False,
    ]
    for turn in first["turns"]:
        assert turn["in_force"][0] == {"id": NO_COMMA, "kwargs": {}, "scope": "system", "since": 0}
        assert {"id": NO_COMMA, "by": "code", "passed": True} in turn["checks"]
    assert first["instruction"] == "\n\n".join(t["user"] for t in first["turns"])
    assert first["response"] == f"{GOOD}\n\n{GOOD}"
    assert first["constraints"][0] == {"id": NO_COMMA, "kwargs": {}}  # the system's first
    assert first["stated"][0]["why"] == "system_prompt"
    assert first["attempts"] == 2  # a round at each turn


def test_stats_give_acceptance_per_turn_and_per_scope(conversations):
    figures = json.loads(invoke("stats", "--run", conversations, "--json"))["conversations"]
    assert figures["samples"] == 3 and figures["kept_prefix"] == 0
    assert [(t["turn"], t["reached"], t["verified"]) for t in figures["per_turn"]] == [
        (1, 3, 3),
        (2, 3, 2),
    ]
    system = next(s for s in figures["by_scope"] if s["scope"].startswith("system"))
    assert (system["checked"], system["passed"]) == (6, 5)  # every answer, each turn
    types = json.loads(invoke("stats", "--run", conversations, "--json"))["constraint_types"]
    [comma] = [t for t in types if t["type"] == NO_COMMA]
    assert (comma["stated"], comma["checked"], comma["passed"]) == (3, 6, 5)
    text = invoke("stats", "--run", conversations)
    assert "conversations: 3 conversations" in text and "system message, every turn" in text
    page = conversations.parent / "stats.html"
    invoke("stats", "--run", conversations, "--html", page)
    assert "Conversations: 3 conversations" in page.read_text()


def test_a_run_without_conversations_has_no_such_figures(tmp_path):
    single = replace(SETTINGS, turns=1, system_constraints=0)
    asyncio.run(
        run_samples(tmp_path / "run", ScriptedLLM(script()), SCENARIOS[:1], single, progress=False)
    )
    figures = json.loads(invoke("stats", "--run", tmp_path / "run", "--json"))
    assert figures["conversations"] is None
    [row] = SampleStore(tmp_path / "run").rows()
    assert (row["system"], row["turns"]) == ("", [])


def test_inspect_shows_the_conversation_turn_by_turn(conversations):
    shown = invoke("inspect", "--run", conversations, SCENARIOS[1].id)
    assert "system message: You " in shown
    assert "turn 1: verified" in shown
    assert f"turn 2: not verified (check_failed:{NO_COMMA})" in shown
    assert f"in force: {NO_COMMA} {{}} (system message): FAIL" in shown
    assert "=== turn 2 ===" in shown  # the trajectory marks where turn 2 begins
    assert " write_turn" in shown.split("=== turn 2 ===")[0]  # the step that wrote it


def test_the_viewer_lays_the_conversation_out_turn_by_turn(conversations):
    app = build_app(open_run(conversations), Guard("127.0.0.1", 8765, None))
    page = TestClient(app, base_url="http://127.0.0.1:8765").get(f"/samples/{SCENARIOS[1].id}")
    assert page.status_code == 200
    assert 'id="system"' in page.text and 'id="turn-1"' in page.text and 'id="turn-2"' in page.text
    assert "system message" in page.text and f"check_failed:{NO_COMMA}" in page.text


def test_a_run_made_before_conversations_gets_the_columns_and_reads_as_one_turn(tmp_path):
    run = tmp_path / "run"
    asyncio.run(
        run_samples(
            run,
            ScriptedLLM(good_script()),
            SCENARIOS[:1],
            SampleSettings(types=(NO_COMMA,)),
            progress=False,
        )
    )
    with closing(sqlite3.connect(run / "samples.db")) as db:  # as a run made before them
        for column in ("turns", "system"):
            db.execute(f"alter table samples drop column {column}")
        db.commit()
    store = SampleStore(run)
    assert {"turns", "system"} <= set(store.samples.columns_dict)
    [row] = store.rows()
    assert row["turns"] is None
    [record] = sft_records([row])
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]


def test_a_conversation_in_postgresql_keeps_its_turns(postgres_run, tmp_path):
    for where in (postgres_run, tmp_path / "local"):
        asyncio.run(run_samples(where, ScriptedLLM(script()), SCENARIOS, SETTINGS, progress=False))
    database, local = open_run(postgres_run).store(), open_run(tmp_path / "local").store()
    keys = ("id", "status", "system", "turns", "instruction")
    assert [{k: r[k] for k in keys} for r in database.rows()] == [
        {k: r[k] for k in keys} for r in local.rows()
    ]
    assert set(SAMPLE_COLUMNS) <= set(next(database.rows()))


def test_decif_constraints_json_says_which_scopes_each_type_may_have():
    rows = {r["id"]: r["scopes"] for r in json.loads(invoke("constraints", "--json"))}
    assert rows[NO_COMMA] == ["turn", "from_now_on", "system"]
    assert rows["combination:repeat_prompt"] == ["turn"]  # bound to its own message's text
    assert rows["length_constraints:number_words"] == ["turn", "from_now_on"]


def test_system_constraints_without_a_type_a_system_message_can_state_is_bad_input(tmp_path):
    scenarios = tmp_path / "scenarios.jsonl"
    scenarios.write_text(json.dumps({"request": "write a poem", "scenario": "A teacher."}) + "\n")
    result = CliRunner().invoke(
        cli,
        ["run", "--run", str(tmp_path / "run"), "--scenarios", str(scenarios),
         "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1",
         "--constraint-types", "length_constraints:number_words", "--system-constraints", "1"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--system-constraints" in result.output
    assert "punctuation:no_comma" in result.output and not (tmp_path / "run").exists()
