"""`decif prune`: finished samples keep their row and last checkpoint, everything a rerun
needs stays, and the figures and the export do not change."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing

from click.testing import CliRunner
from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM
from test_runner import SCENARIOS

from checkpoints.stats import run_stats
from graph.cli import cli
from graph.runner import run_samples


def checkpoints_per_thread(run_dir) -> dict[str, int]:
    with closing(sqlite3.connect(run_dir / "checkpoints.db")) as db:
        sql = "select thread_id, count(*) from checkpoints group by thread_id"
        return dict(db.execute(sql).fetchall())


def test_prune_keeps_what_finished_samples_and_reruns_need(tmp_path):
    def flaky(messages):
        if "scenario 2" in messages[-1]["content"]:
            raise ValueError("server hiccup")  # an llm_error: a rerun retries it
        return json.dumps({"instruction": "Write a poem about rain for the class."})

    asyncio.run(
        run_samples(
            tmp_path,
            ScriptedLLM(good_script(make_instruction=flaky)),
            SCENARIOS,
            NO_COMMAS,
            progress=False,
        )
    )
    retried = SCENARIOS[2].id
    before = checkpoints_per_thread(tmp_path)
    export = tmp_path / "before.jsonl"
    CliRunner().invoke(cli, ["export", "--run", str(tmp_path), "--out", str(export)])
    figures = run_stats(tmp_path)  # after the export, which curates the run first

    result = CliRunner().invoke(cli, ["prune", "--run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "of 5 finished samples" in result.output and "KB per finished sample" in result.output

    after = checkpoints_per_thread(tmp_path)
    assert after[retried] == before[retried]  # a rerun resumes it from where it failed
    assert all(n == 1 for thread, n in after.items() if thread != retried)
    assert all(before[t] > 1 for t in after if t != retried)
    assert run_stats(tmp_path) | {"finished": None} == figures | {"finished": None}
    again = tmp_path / "after.jsonl"
    CliRunner().invoke(cli, ["export", "--run", str(tmp_path), "--out", str(again)])
    assert again.read_text() == export.read_text()

    shown = CliRunner().invoke(cli, ["inspect", "--run", str(tmp_path), SCENARIOS[0].id])
    assert "step history pruned" in shown.output and "attempt 1: passed" in shown.output

    fixed = ScriptedLLM(good_script())
    asyncio.run(run_samples(tmp_path, fixed, SCENARIOS, NO_COMMAS, progress=False))
    assert fixed.count("make_instruction") == 1  # only the retried sample ran
    assert run_stats(tmp_path)["by_status"]["accepted"] == 6
