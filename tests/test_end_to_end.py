"""The real embedded model (SmolLM2-135M via llama.cpp) through the real CLI: the
artefacts a user gets - samples rows, checkpoint history, the export file."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from checkpoints import SampleStore, open_checkpointer
from checkpoints.stats import run_stats
from checkpoints.trajectory import trajectory
from graph import build_sample_graph
from nodes.constraints import check

EXAMPLES = Path(__file__).parent.parent / "examples" / "scenarios.jsonl"

pytestmark = pytest.mark.slow


def decif(*args: object) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "graph.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def test_embedded_model_run_inspect_export(tmp_path):
    run = tmp_path / "run"
    result = decif(
        "run",
        "--run",
        run,
        "--scenarios",
        EXAMPLES,
        "--limit",
        4,
        "--max-tokens",
        256,
        "--max-attempts",
        2,
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["llm"] == "llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf"

    rows = list(SampleStore(run).rows())
    assert len(rows) == 4
    for row in rows:
        assert row["status"] in {"accepted", "rejected", "failed"}
        assert row["reason"]
        assert row["llm_calls"] >= 1 and row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
        if row["status"] != "failed":
            assert row["instruction"] and row["criteria"]
            if not row["reason"].startswith("check_failed:"):  # else the judge was not asked
                assert len(row["verdicts"]) == len(row["criteria"])  # grammar: one each

    # verified data: each stated constraint is in the instruction, and every accepted
    # response passes every code check of its constraints, recomputed here
    for row in rows:
        if row["instruction"]:
            statements = row["state"]["stated"]
            assert [s["id"] for s in statements] == [c["id"] for c in row["constraints"]]
            assert all(s["text"] in row["instruction"] for s in statements)
        if row["status"] == "accepted":
            for c in row["constraints"]:
                assert check(c["id"], c["kwargs"], row["response"]) in (True, None), c

    with open_checkpointer(run) as saver:
        graph = build_sample_graph(saver)
        steps = trajectory(graph, rows[0]["id"])
    assert steps[0]["node"] == "make_instruction"
    assert steps[0]["llm"]["prompt_tokens"] > 0
    assert sum(s["llm"]["calls"] for s in steps) == rows[0]["llm_calls"]

    listing = decif("inspect", "--run", run)
    assert all(row["id"] in listing.stdout for row in rows)

    # The 135M model writes weak data: a short run may accept nothing. Then the export must
    # refuse and write nothing; else every record is an accepted row, verbatim.
    out = tmp_path / "data" / "decif.jsonl"
    exported = decif("export", "--run", run, "--out", out)
    accepted = [r for r in rows if r["status"] == "accepted"]
    if not accepted:
        assert exported.returncode == 2
        assert "nothing to export as llamafactory: no sample was accepted" in exported.stderr
        assert not out.exists() and not (out.parent / "dataset_info.json").exists()
    else:
        assert exported.returncode == 0, exported.stderr
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(records) == len(accepted)
        for record, row in zip(records, accepted, strict=True):
            assert record["messages"][0] == {"role": "user", "content": row["instruction"]}
            assert record["messages"][1] == {"role": "assistant", "content": row["response"]}
        assert "decif" in json.loads((out.parent / "dataset_info.json").read_text())

    # the run report's figures are the samples table's, recomputed here in plain SQL
    figures = run_stats(run)
    db = sqlite3.connect(run / "samples.db")
    assert {status: n for status, n in figures["by_status"].items() if n} == dict(
        db.execute("select status, count(*) from samples group by status").fetchall()
    )
    calls, prompt = db.execute("select sum(llm_calls), sum(prompt_tokens) from samples").fetchone()
    assert (figures["llm_totals"]["calls"], figures["llm_totals"]["prompt_tokens"]) == (
        calls,
        prompt,
    )
    html = tmp_path / "report.html"
    assert decif("stats", "--run", run, "--html", html).returncode == 0
    page = html.read_text()
    assert "<svg" in page  # the graph picture is inside
    assert "What made this data" in page and "llamacpp:SmolLM2" in page
    for figures in run_stats(run)["constraint_types"]:
        assert f"<td>{figures['type']}</td>" in page  # the per-type table
    assert not re.search(r"(src|href)=\"https?:|url\(https?:", page)  # nothing fetched
