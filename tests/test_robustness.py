"""Runs that survive anything, with real processes: a kill between a step's writes and its
checkpoint, two writers on one run, and a rerun that would mix another model or other
scenarios into a run."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import INPUT, NO_COMMAS, good_script
from fake_server import deterministic_reply, serving
from fakes import ScriptedLLM, decif_process, python_process, run_to_end
from test_meta_graph import script as meta_script
from test_runner import SCENARIOS, per_sample_script

from checkpoints import SampleStore, open_async_checkpointer, open_checkpointer
from graph import build_sample_graph
from graph.cli import cli
from nodes.context import SampleContext

# A run of SCENARIOS whose checkpointer SIGKILLs its own process the first time the writes
# of a `{node}` task are stored: the task's LLM call is paid and its result is on disk, but
# the step's checkpoint (the one naming what runs next) was never written.
KILL_AFTER_WRITES_DRIVER = """
import asyncio, os, signal, sys
from contextlib import asynccontextmanager
import checkpoints.runs
import graph.runner
from checkpoints import open_async_checkpointer
from conftest import NO_COMMAS
from fakes import ScriptedLLM
from test_runner import SCENARIOS, per_sample_script

@asynccontextmanager
async def dying_checkpointer(run_dir):
    async with open_async_checkpointer(run_dir) as saver:
        store_writes = saver.aput_writes

        async def aput_writes(config, writes, task_id, task_path=""):
            await store_writes(config, writes, task_id, task_path)
            if task_path.endswith(", {node}"):
                os.kill(os.getpid(), signal.SIGKILL)

        saver.aput_writes = aput_writes
        yield saver

if sys.argv[1:] == ["--kill"]:
    checkpoints.runs.open_async_checkpointer = dying_checkpointer
llm = ScriptedLLM(per_sample_script(), log_path={log!r})
asyncio.run(graph.runner.run_samples({run!r}, llm, SCENARIOS, NO_COMMAS, progress=False))
"""


@pytest.mark.parametrize("node", ["judge", "check_consistency"])
def test_a_kill_between_a_steps_writes_and_its_checkpoint_loses_nothing(tmp_path, node):
    """The rerun applies the stored writes and goes on: the sample is accepted, not
    recorded as failed/unfinished, and the killed step's LLM call is not paid again."""
    run_dir, log = tmp_path / "run", tmp_path / "calls.jsonl"
    driver = tmp_path / "driver.py"
    driver.write_text(KILL_AFTER_WRITES_DRIVER.format(node=node, log=str(log), run=str(run_dir)))
    killed = python_process(driver, "--kill")
    assert killed.wait(timeout=60) == -signal.SIGKILL
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[-1]["prompt"] == node  # its call finished; the process died saving it
    assert list(SampleStore(run_dir).rows()) == []

    run_to_end(driver)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    keys = [(c["prompt"], c["user"]) for c in calls]
    assert len(keys) == 30 == len(set(keys)), "a finished LLM call was made again"
    rows = list(SampleStore(run_dir).rows())
    assert sorted(r["id"] for r in rows) == sorted(s.id for s in SCENARIOS)
    assert {(r["status"], r["reason"]) for r in rows} == {("accepted", "all_criteria_passed")}


# A run that holds its write lock at its 7th call until the file `gate` exists.
GATED_CLI_DRIVER = """
import os, time
import graph.cli
from fakes import ScriptedLLM, scripted_backend
from nodes.llm import register
from test_runner import per_sample_script

class Gated(ScriptedLLM):
    def complete(self, messages, sampling, schema=None):
        while len(self.calls) >= 6 and not os.path.exists({gate!r}):
            time.sleep(0.02)
        return super().complete(messages, sampling, schema)

llm = Gated(per_sample_script(), log_path={log!r})
register(scripted_backend(llm))
graph.cli.cli.main(["run", "--backend", "scripted", "--run", {run!r}, "--scenarios", {scenarios!r},
                    "--no-progress", "--constraint-types", "punctuation:no_comma"])
"""


SCRIPTED = ("--backend", "scripted")


def write_scenarios(path, scenarios=SCENARIOS):
    path.write_text("".join(json.dumps(s.as_input()) + "\n" for s in scenarios))
    return path


def test_a_second_writer_is_refused_at_once_and_readers_work_meanwhile(tmp_path):
    run_dir, log = tmp_path / "run", tmp_path / "calls.jsonl"
    scenarios = write_scenarios(tmp_path / "scenarios.jsonl")
    driver = tmp_path / "driver.py"
    gate = tmp_path / "gate"
    paths = {"log": str(log), "run": str(run_dir), "scenarios": str(scenarios), "gate": str(gate)}
    driver.write_text(GATED_CLI_DRIVER.format(**paths))
    first = python_process(driver)
    while not (log.exists() and log.read_text()):  # the first holds the lock: it is calling
        time.sleep(0.02)

    output = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    second = python_process(driver, **output)
    while log.read_text().count("\n") < 6:  # a first sample is finished: there is one to export
        time.sleep(0.02)
    readers = [
        decif_process("inspect", "--run", run_dir, **output),
        decif_process("stats", "--run", run_dir, **output),
        decif_process("export", "--run", run_dir, "--out", tmp_path / "out.jsonl", **output),
    ]
    _, error = second.communicate(timeout=30)
    assert second.returncode == 1
    assert error.splitlines() == [
        f"Error: {run_dir} is being written by decif run (pid {first.pid}); wait for it to "
        "finish or stop it (inspect, stats and export work meanwhile)"
    ]
    for reader in readers:
        out, error = reader.communicate(timeout=30)
        assert reader.returncode == 0, error
    assert first.poll() is None, "the readers ran while the first run was going"

    gate.touch()
    assert first.wait(timeout=60) == 0
    calls = [(c["prompt"], c["user"]) for c in map(json.loads, log.read_text().splitlines())]
    assert len(calls) == 30 == len(set(calls)), "the second writer made calls"
    assert SampleStore(run_dir).counts() == {"accepted": 6}


def decif_run(run_dir, scenarios, *options):
    """`decif run` in this process, with what the scripted and served answers meet."""
    arguments = ["run", "--run", run_dir, "--scenarios", scenarios, "--no-progress"]
    arguments += ["--constraint-types", "punctuation:no_comma", *options]
    return CliRunner().invoke(cli, list(map(str, arguments)))


@pytest.fixture
def served():
    """`decif run` options for a loopback server that serves two models."""
    with serving(deterministic_reply, models=("tiny", "other")) as server:
        yield lambda model: ["--backend", "openai", "--base-url", server.base_url, "--model", model]


def test_a_rerun_with_another_model_is_refused_and_the_run_is_untouched(tmp_path, served):
    run_dir, scenarios = tmp_path / "run", write_scenarios(tmp_path / "scenarios.jsonl")
    assert decif_run(run_dir, scenarios, "--limit", "1", *served("tiny")).exit_code == 0
    config = (run_dir / "config.json").read_bytes()

    result = decif_run(run_dir, scenarios, *served("other"))
    assert result.exit_code == 2
    assert "'openai:tiny' -> 'openai:other'" in result.output
    assert (run_dir / "config.json").read_bytes() == config
    assert len(list(SampleStore(run_dir).rows())) == 1  # nothing ran on the other model


def test_a_rerun_on_another_scenarios_file_needs_extend(tmp_path, use_scripted):
    use_scripted(ScriptedLLM(good_script()))
    run_dir = tmp_path / "run"
    first = write_scenarios(tmp_path / "first.jsonl", SCENARIOS[:3])
    second = write_scenarios(tmp_path / "second.jsonl", SCENARIOS[3:])
    assert decif_run(run_dir, first, "--limit", "2", *SCRIPTED).exit_code == 0
    # another --limit on the same file is fine
    assert decif_run(run_dir, first, *SCRIPTED).exit_code == 0
    assert SampleStore(run_dir).counts() == {"accepted": 3}

    refused = decif_run(run_dir, second, *SCRIPTED)
    assert refused.exit_code == 2
    assert f"was started on other scenarios ({first})" in refused.output
    assert len(refused.output.strip().splitlines()) == 1  # one line, as every refusal
    assert SampleStore(run_dir).counts() == {"accepted": 3}

    extended = decif_run(run_dir, second, "--extend", *SCRIPTED)
    assert extended.exit_code == 0, extended.output
    assert SampleStore(run_dir).counts() == {"accepted": 6}
    sources = json.loads((run_dir / "config.json").read_text())["scenarios"]
    assert [s["file"] for s in sources] == [str(first), str(second)]
    assert decif_run(run_dir, second, *SCRIPTED).exit_code == 0  # now one of the run's own


def test_extending_a_pipeline_run_says_its_export_is_stale(tmp_path, use_scripted):
    use_scripted(ScriptedLLM(per_sample_script() | meta_script()))
    run_dir = tmp_path / "run"
    pipeline = ["pipeline", *SCRIPTED, "--run", run_dir, "--samples", "2", "--iterations", "1"]
    pipeline += ["--max-domains", "1", "--max-requests", "1", "--no-progress"]
    pipeline += ["--constraint-types", "punctuation:no_comma"]
    assert CliRunner().invoke(cli, list(map(str, pipeline))).exit_code == 0

    result = decif_run(run_dir, write_scenarios(tmp_path / "more.jsonl"), "--extend", *SCRIPTED)
    assert result.exit_code == 0, result.output
    assert (
        f"note: {run_dir}/export/decif.jsonl was written by decif pipeline before these "
        f"samples; refresh it with decif export --run {run_dir}"
    ) in result.stderr


def test_every_line_of_the_progress_bar_agrees_with_itself_and_the_last_with_the_summary(
    tmp_path, use_scripted
):
    """The bar counts the run's samples, those of earlier invocations included, like the
    summary does; on every line it draws, the counts add up to the samples done."""

    def judge(messages):  # samples 1 and 4 are rejected
        rejected = any(f"scenario {i}." in messages[-1]["content"] for i in (1, 4))
        return json.dumps({"verdicts": ["NO" if rejected else "YES"] * 2})

    script = per_sample_script() | {"judge": judge}
    # slow enough that the bar draws a line at every sample (tqdm draws at most every 0.1 s)
    use_scripted(ScriptedLLM(script, delay_s=0.03))
    run_dir, scenarios = tmp_path / "run", write_scenarios(tmp_path / "scenarios.jsonl")
    assert decif_run(run_dir, scenarios, "--limit", "3", *SCRIPTED).exit_code == 0
    result = decif_run(run_dir, scenarios, "--progress", *SCRIPTED)
    assert result.exit_code == 0, result.output

    lines = [line for line in re.split(r"[\r\n]+", result.stderr) if line.startswith("samples")]
    assert len(lines) >= 4  # the start, and a line per sample at least
    for line in lines:
        done = int(re.search(r"(\d+)/6", line).group(1))
        counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        assert sum(counts.values()) == done, line
    assert lines[0].endswith(" 3/6 [00:00<?, ?sample/s, accepted=2, rejected=1, failed=0]")
    assert lines[-1].endswith(", accepted=4, rejected=2, failed=0]")
    assert " 6/6 " in lines[-1]
    assert result.stdout == f"{run_dir}: 4 accepted, 2 rejected, 0 failed\n"

    again = decif_run(run_dir, scenarios, "--progress", "--limit", "2", *SCRIPTED)  # these two
    assert again.stderr.strip().endswith(", accepted=1, rejected=1, failed=0]"), again.stderr


def test_a_json_array_of_scenarios_is_a_scenarios_file(tmp_path, use_scripted):
    use_scripted(ScriptedLLM(good_script()))
    scenarios = tmp_path / "scenarios.json"
    scenarios.write_text(
        json.dumps([{"request": s.request, "scenario": s.scenario} for s in SCENARIOS])
    )
    result = decif_run(tmp_path / "run", scenarios, *SCRIPTED)
    assert result.exit_code == 0, result.output
    rows = list(SampleStore(tmp_path / "run").rows())
    assert [r["id"] for r in rows] == [s.id for s in SCENARIOS]


@pytest.fixture
def api_run(tmp_path):
    """A run made with README's Python API snippet (on a scripted model): thread "s1"."""
    run_dir = tmp_path / "notebook"
    with open_checkpointer(run_dir) as saver:
        llm = ScriptedLLM(good_script())
        g = build_sample_graph(checkpointer=saver)
        g.invoke(
            INPUT, {"configurable": {"thread_id": "s1"}}, context=SampleContext(llm, NO_COMMAS)
        )
    return run_dir


def test_a_graph_run_through_the_python_api_is_listed_by_inspect(api_run):
    listed = CliRunner().invoke(cli, ["inspect", "--run", str(api_run)])
    assert listed.exit_code == 0, listed.output
    assert re.match(r"s1\s+accepted\s+all_criteria_passed\s+\S", listed.output)  # its instruction


def test_a_graph_run_through_the_python_api_shows_its_trajectory(api_run):
    shown = CliRunner().invoke(cli, ["inspect", "--run", str(api_run), "s1"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("sample s1: accepted (all_criteria_passed)\n")
    steps = re.findall(r"^#\d+ (\w+)", shown.output, re.MULTILINE)
    assert steps == [
        "make_instruction",
        "check_consistency",
        "answer",
        "decompose",
        "judge",
        "accept",
    ]


def test_a_lower_case_verdict_is_a_failed_judgement(run_graph):
    """The schema says "YES"/"NO": a judge that writes "yes" is not following it, so
    nothing was verified - never a pass."""
    state, llm, _ = run_graph(judge={"verdicts": ["yes", "yes"]})
    assert (state["status"], state["reason"]) == ("failed", "judge_malformed")
    assert llm.count("judge") == 3  # every attempt was judged, none passed
    assert [a["reason"] for a in state["attempts"]] == ["judge_malformed"] * 3


def test_a_stopped_run_closes_its_checkpoints_only_after_their_last_write(tmp_path):
    """A run stopped by an error leaves a checkpoint write running on the saver's thread;
    the connection must outlive it (closing it under the write could crash the process)."""
    seen = []

    async def stop_mid_write() -> None:
        async with open_async_checkpointer(tmp_path) as saver:
            started = threading.Event()

            def slow_write() -> None:
                started.set()
                time.sleep(0.3)
                try:
                    seen.append(saver.conn.execute("select 1").fetchone())
                except sqlite3.Error as err:
                    seen.append(err)

            write = asyncio.ensure_future(saver._run(slow_write))
            await asyncio.to_thread(started.wait)
            write.cancel()  # its caller is gone; the thread goes on

    asyncio.run(stop_mid_write())
    assert seen == [(1,)]
