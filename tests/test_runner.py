"""Runs: samples written as they finish, and a killed run resumed without repeating
finished LLM calls."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from contextlib import closing

from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM, kill_when, python_process, run_to_end

from checkpoints import SampleStore
from graph.runner import run_samples
from graph.scenarios import make_scenario

SCENARIOS = [make_scenario(f"request {i}", f"scenario {i}") for i in range(6)]


def per_sample_script() -> dict:
    """Every prompt after the first names its sample, so logged calls are distinguishable."""

    def instruction(messages):
        scenario = messages[-1]["content"].split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"Write about {scenario}."})

    return good_script(make_instruction=instruction)


def test_every_scenario_becomes_one_row(tmp_path):
    llm = ScriptedLLM(per_sample_script())
    counts = asyncio.run(
        run_samples(tmp_path, llm, SCENARIOS, NO_COMMAS, concurrency=3, progress=False)
    )
    assert counts == {"accepted": 6}
    rows = list(SampleStore(tmp_path).rows())
    assert [r["request"] for r in rows] == [f"request {i}" for i in range(6)]
    assert all(r["llm_calls"] == 5 and r["criteria"] and r["response"] for r in rows)
    # a second run finds nothing to do and calls nothing
    again = ScriptedLLM(per_sample_script())
    asyncio.run(run_samples(tmp_path, again, SCENARIOS, NO_COMMAS, progress=False))
    assert again.calls == []


DRIVER = """
import asyncio
from fakes import ScriptedLLM
from test_runner import SCENARIOS, per_sample_script
from conftest import NO_COMMAS
from graph.runner import run_samples
llm = ScriptedLLM(per_sample_script(), delay_s={delay}, log_path={log!r})
asyncio.run(run_samples({run!r}, llm, SCENARIOS, NO_COMMAS, concurrency=1, progress=False))
"""


def test_killed_run_resumes_without_repeating_finished_calls(tmp_path):
    run_dir, log = tmp_path / "run", tmp_path / "calls.jsonl"
    delay = 0.3
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(delay=delay, log=str(log), run=str(run_dir)))
    # killed in the middle of the 13th call (third sample), not right after one finished
    kill_when(python_process(script), log, lambda text: text.count("\n") >= 12, delay / 2)
    before = log.read_text().splitlines()
    assert 12 <= len(before) < 30
    assert len(list(SampleStore(run_dir).rows())) < 6

    run_to_end(script)

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    keys = [(c["prompt"], c["user"]) for c in calls]
    assert len(keys) == 30 == len(set(keys)), "a finished LLM call was made again"
    rows = list(SampleStore(run_dir).rows())
    assert sorted(r["id"] for r in rows) == sorted(s.id for s in SCENARIOS)
    assert {r["status"] for r in rows} == {"accepted"}


def test_an_exception_in_one_sample_is_recorded_and_retried_on_rerun(tmp_path):
    def flaky(messages):
        if "scenario 2" in messages[-1]["content"]:
            raise ValueError("context window exceeded")
        return json.dumps({"instruction": "Write a poem about rain for my class."})

    llm = ScriptedLLM(good_script(make_instruction=flaky))
    asyncio.run(run_samples(tmp_path, llm, SCENARIOS, NO_COMMAS, progress=False))
    failed = list(SampleStore(tmp_path).rows("failed"))
    assert [(r["request"], r["reason"]) for r in failed] == [("request 2", "llm_error")]
    assert "context window exceeded" in failed[0]["error"]

    fixed = ScriptedLLM(good_script())
    asyncio.run(run_samples(tmp_path, fixed, SCENARIOS, NO_COMMAS, progress=False))
    assert fixed.count("make_instruction") == 1  # only the failed sample ran again
    assert SampleStore(tmp_path).counts() == {"accepted": 6}


# decompose answers only once the file `gate` exists
PARALLEL_DRIVER = """
import asyncio, os, time
from fakes import ScriptedLLM
from conftest import NO_COMMAS, good_script
from graph.runner import run_samples
from graph.scenarios import make_scenario

def slow_criteria(messages):
    while not os.path.exists({gate!r}):
        time.sleep(0.02)
    return '{{"questions": ["Is it a poem?", "Does it have four lines?"]}}'

llm = ScriptedLLM(good_script(decompose=slow_criteria), log_path={log!r})
scenarios = [make_scenario("write a poem", "A teacher needs a poem.")]
asyncio.run(run_samples({run!r}, llm, scenarios, NO_COMMAS, progress=False))
"""


def saved_writes(run_dir, channel: str) -> int:
    """Writes to `channel` in the run's checkpoints, read as another process would."""
    path = run_dir / "checkpoints.db"
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            return db.execute(
                "select count(*) from writes where channel = ?", [channel]
            ).fetchone()[0]
        except sqlite3.OperationalError:  # the tables are not made yet
            return 0


def test_a_finished_parallel_branch_is_kept_when_its_sibling_is_killed(tmp_path):
    """answer finishes while decompose is still running; after the kill, only decompose
    (and what follows) runs again."""
    run_dir, log, gate = tmp_path / "run", tmp_path / "calls.jsonl", tmp_path / "gate"
    driver = tmp_path / "driver.py"
    driver.write_text(PARALLEL_DRIVER.format(gate=str(gate), log=str(log), run=str(run_dir)))
    process = python_process(driver)
    # killed once answer's writes are saved, while decompose waits at its gate
    deadline = time.monotonic() + 60
    while not saved_writes(run_dir, "response"):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert '"decompose"' not in log.read_text()

    gate.touch()
    run_to_end(driver)
    prompts = [json.loads(line)["prompt"] for line in log.read_text().splitlines()]
    assert prompts.count("answer") == 1
    assert prompts.count("decompose") == 1
    assert SampleStore(run_dir).counts() == {"accepted": 1}


# the second sample's judge answers only once the file `gate` exists (it touches `held` first)
CLI_DRIVER = """
import os, time
import graph.cli
from fakes import ScriptedLLM, scripted_backend
from nodes.llm import register
from test_runner import per_sample_script

def held_verdicts(messages):
    if "scenario 1" in messages[-1]["content"]:
        open({held!r}, "w").close()
        while not os.path.exists({gate!r}):
            time.sleep(0.02)
    return '{{"verdicts": ["YES", "YES"]}}'

llm = ScriptedLLM(per_sample_script() | {{"judge": held_verdicts}}, log_path={log!r})
register(scripted_backend(llm))
graph.cli.cli.main(["run", "--backend", "scripted", "--run", {run!r}, "--scenarios", {scenarios!r},
                    "--no-progress", "--constraint-types", "punctuation:no_comma"])
"""


def test_ctrl_c_stops_the_run_with_a_note_and_the_rerun_finishes(tmp_path):
    run_dir, log = tmp_path / "run", tmp_path / "calls.jsonl"
    scenarios = tmp_path / "scenarios.jsonl"
    scenarios.write_text("".join(json.dumps(s.as_input()) + "\n" for s in SCENARIOS))
    driver = tmp_path / "driver.py"
    held, gate = tmp_path / "held", tmp_path / "gate"
    driver.write_text(
        CLI_DRIVER.format(
            log=str(log), run=str(run_dir), scenarios=str(scenarios), held=str(held), gate=str(gate)
        )
    )
    process = python_process(driver, stderr=subprocess.PIPE, text=True)
    # interrupted while a sample's judge is held, so the run cannot have finished
    deadline = time.monotonic() + 120
    while not held.exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    gate.touch()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert f"interrupted; run the same command again to resume {run_dir}" in stderr
    assert "Traceback" not in stderr

    run_to_end(driver)
    calls = Counter((c["prompt"], c["user"]) for c in map(json.loads, log.read_text().splitlines()))
    assert len(calls) == 30  # every call of every sample was made
    # Only the calls in flight at the interrupt ran again: one sample's, at most its
    # answer and decompose, which run together.
    assert sum(calls.values()) - len(calls) <= 2
    assert SampleStore(run_dir).counts() == {"accepted": 6}
