"""Issue 20's "done means": `decif run --turns 3 --system-constraints 1` against a loopback
OpenAI-compatible server exports multi-turn rows that LLaMA-Factory's converter rules keep
whole (rows in = rows out), and every exported answer passes every constraint in force at
its turn - re-checked here from the exported rows alone. And a conversation killed at its
second turn resumes there, paying again only for the calls in flight at the kill."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_server import deterministic_reply, serving
from fakes import decif_process, prompt_name, with_answers
from test_export_llamafactory import kept_by_llamafactory, read_records

from checkpoints import SampleStore
from graph.cli import cli
from graph.export import DATASET_INFO
from nodes.constraints import check

# Types a plain lowercase answer can meet, and break: commas, capitals, exclamation marks.
TYPES = "punctuation:no_comma,change_case:english_lowercase,punctuation:punctuation_exclamation"
SCENARIOS = [
    {"request": "write a poem", "scenario": f"A gardener wants poem {i}."} for i in range(6)
]
# A reply finished this long before a kill may not have been saved: it may be paid again.
MARGIN_S = 1.0
GOOD = "rain taps the glass\nthe street shines\nthe day slows."
BAD = ("Rain taps the glass\nthe street shines", "rain taps the glass, the street shines", "rain!")


def reply(body: dict) -> str:
    """A model that sometimes breaks a rule (a capital, a comma, an exclamation mark), so
    turns are resampled and fail; everything else agrees."""
    messages, seed = body["messages"], body.get("seed") or 0
    user = messages[-1]["content"]
    draw = int(hashlib.sha256(f"{user}/{seed}".encode()).hexdigest()[:8], 16)
    name = prompt_name(messages)
    if name.startswith("make_") and "followup" in name:
        return json.dumps({"instruction": f"Now make the poem shorter, version {draw % 97}."})
    if name.startswith("make_"):
        return json.dumps({"instruction": "Write a short poem about my garden in the rain."})
    if name.startswith("check_"):
        return json.dumps(with_answers({"conflict": False, "explanation": "none"}, messages))
    if name.startswith("answer"):
        return BAD[draw % len(BAD)] if draw % 3 == 0 else GOOD
    if name.startswith("decompose"):
        return json.dumps({"questions": ["Is it a poem?", "Is it about rain?"]})
    if name.startswith("judge"):
        count = int(re.search(r"For each of the (\d+) questions", user).group(1))
        return json.dumps({"verdicts": ["YES"] * count})
    raise KeyError(name)


def cli_ok(*arguments: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conversations")
    scenarios = folder / "scenarios.jsonl"
    scenarios.write_text("".join(json.dumps(s) + "\n" for s in SCENARIOS))
    run = folder / "run"
    with serving(reply) as server:
        cli_ok("run", "--run", run, "--scenarios", scenarios, "--no-progress",
               "--backend", "openai", "--base-url", server.base_url,
               "--constraint-types", TYPES, "--personas", "0",
               "--turns", 3, "--system-constraints", 1, "--candidates", 2)  # fmt: skip
    data = folder / "data"
    formats = {"llamafactory": "sft.jsonl", "alpaca": "alpaca.jsonl", "dpo": "dpo.jsonl"}
    for fmt, out in (formats | {"hf": "hub", "rlvr": "rl.jsonl"}).items():
        cli_ok("export", "--run", run, "--format", fmt, "--out", data / out, "--include-flagged")
    return run, data


def test_every_conversation_reaches_three_turns_or_says_which_stopped_it(exported):
    run, _ = exported
    rows = list(SampleStore(run).rows())
    statuses = {r["status"] for r in rows}
    assert statuses == {"accepted", "rejected"}  # the model's slips stop some conversations
    for row in rows:
        assert row["system"] and [t["turn"] for t in row["turns"]] == list(
            range(1, len(row["turns"]) + 1)
        )
        if row["status"] == "accepted":
            assert len(row["turns"]) == 3 and all(t["passed"] for t in row["turns"])
        else:
            assert not row["turns"][-1]["passed"] and row["turns"][-1]["reason"] == row["reason"]


def test_llamafactory_keeps_every_multi_turn_record(exported):
    _, data = exported
    info = json.loads((data / DATASET_INFO).read_text())
    assert set(info) == {"sft", "alpaca", "dpo", "hub"}
    for name, entry in info.items():
        records = read_records(data, entry["file_name"])
        assert records and kept_by_llamafactory(entry, records) == len(records), name
    sft = read_records(data, info["sft"]["file_name"])
    assert all(
        [m["role"] for m in r["messages"]] == ["system", *["user", "assistant"] * 3] for r in sft
    )
    alpaca = read_records(data, info["alpaca"]["file_name"])
    assert info["alpaca"]["columns"]["history"] == "history" and all(
        len(r["history"]) == 2 for r in alpaca
    )
    for pair in read_records(data, info["dpo"]["file_name"]):  # the prompt ends with a user turn
        assert pair["messages"][0]["role"] == "system" and pair["messages"][-1]["role"] == "user"


def test_every_exported_answer_passes_everything_in_force_at_its_turn(exported):
    """From the exported rows alone: each answer of the Hub rows against its turn's
    `in_force`, the system message's constraint included, in decif's checkers."""
    _, data = exported
    hub = read_records(data, "hub/data")
    assert hub
    checked = 0
    for row in hub:
        turns = json.loads(row["turns"])
        answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        users = [m["content"] for m in row["messages"] if m["role"] == "user"]
        assert row["messages"][0] == {"role": "system", "content": row["system"]}
        assert len(turns) == len(answers) == len(users) == 3
        assert [t["user"] for t in turns] == users
        for turn, answer in zip(turns, answers, strict=True):
            scopes = {c["scope"] for c in turn["in_force"]}
            assert "system" in scopes  # the system message's constraint, at every turn
            for constraint in turn["in_force"]:
                assert check(constraint["id"], constraint["kwargs"], answer) is True
                checked += 1
    print(f"\n{len(hub)} conversations, {checked} constraint checks of exported answers passed")


def test_rl_rows_end_at_the_last_user_turn_with_everything_in_force_as_ground_truth(exported):
    _, data = exported
    sft = {
        json.dumps(r["messages"][:-1]): r["messages"][-1]["content"]
        for r in read_records(data, "sft.jsonl")
    }
    rows = read_records(data, "rl.jsonl")
    assert rows
    for row in rows:
        [truth] = json.loads(row["ground_truth"])
        assert [m["role"] for m in row["messages"]] == [
            "system",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        answer = sft[json.dumps(row["messages"])]  # the answer the conversation kept
        assert truth["instruction_id"] and all(
            check(i, k, answer)
            for i, k in zip(truth["instruction_id"], truth["kwargs"], strict=True)
        )


def decif_run(run_dir: Path, scenarios: Path, base_url: str) -> subprocess.Popen:
    arguments = ["run", "--run", run_dir, "--scenarios", scenarios, "--base-url", base_url]
    arguments += ["--backend", "openai", "--seed", "3", "--no-progress", "--turns", "3"]
    arguments += ["--constraint-types", "punctuation:no_comma", "--personas", "0"]
    with open(f"{run_dir}.log", "a") as errors:
        return decif_process(*arguments, stdout=subprocess.DEVNULL, stderr=errors)


def test_a_conversation_killed_at_its_second_turn_resumes_there(tmp_path):
    """Turn 2's answer is held at the server until the run is killed, so the kill lands
    in turn 2 however slow this machine is."""
    scenarios = tmp_path / "scenarios.jsonl"
    scenarios.write_text(
        json.dumps({"request": "write a poem", "scenario": "A poet needs help."}) + "\n"
    )
    answering, released = threading.Event(), threading.Event()

    def held_at_turn_2(body: dict) -> str:
        if prompt_name(body["messages"]) == "answer_turn" and not released.is_set():
            answering.set()
            released.wait(60)
        return deterministic_reply(body)

    with (
        serving(held_at_turn_2) as server,
        serving(deterministic_reply) as reference_server,
    ):
        reference = decif_run(tmp_path / "reference", scenarios, reference_server.base_url)
        process = decif_run(tmp_path / "run", scenarios, server.base_url)
        while not answering.wait(0.05):
            assert process.poll() is None, (tmp_path / "run.log").read_text()
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = time.monotonic()
        released.set()
        in_flight = server.in_flight(killed, MARGIN_S)
        rerun = decif_run(tmp_path / "run", scenarios, server.base_url)
        assert rerun.wait(timeout=60) == 0, (tmp_path / "run.log").read_text()
        assert reference.wait(timeout=60) == 0, (tmp_path / "reference.log").read_text()
    after = [r.prompt for r in server.since(killed)]
    assert after and not {"make_woven_instruction", "make_instruction", "answer"} & set(after)
    assert {r.body for r in server.repeats()} <= {r.body for r in in_flight}
    [row] = SampleStore(tmp_path / "run").rows()
    [same] = SampleStore(tmp_path / "reference").rows()
    assert (row["status"], row["turns"], row["instruction"]) == (
        same["status"],
        same["turns"],
        same["instruction"],
    )
    assert len(row["turns"]) == 3 if row["status"] == "accepted" else len(row["turns"]) >= 2
