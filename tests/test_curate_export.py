"""Curation end to end: a run made against a loopback OpenAI-compatible server, with
planted near-duplicates and an instruction that contains an evaluation prompt; curation
flags them, every export leaves them out, and `stats`, the export summary and the dataset
card give the same counts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from curated_runs import BASE, EVAL_PROMPT, accepted_state, planted_run
from fake_server import deterministic_reply, serving
from fakes import ScriptedLLM, prompt_name, with_answers
from test_meta_graph import script as meta_script
from test_runner import per_sample_script

from graph.cli import cli

# scenario -> the instruction the "model" writes for it
PLANTED = {
    "a tenant needs to warn the building": BASE,
    "a tenant warns again, in other words": BASE.replace("Tuesday", "Thursday"),
    "a tenant shouts the warning": BASE.upper(),
    "a student reports on a trip": f"For my class, please help: {EVAL_PROMPT}",
    "a cook plans a menu": "Plan a vegetarian dinner menu for six guests with a dessert.",
    "a runner trains for a race": "Make a four week training plan for my first 10k race.",
}
LEFT_OUT = {"near_duplicate": 2, "contaminated:bench": 1}


def reply(body: dict) -> str:
    """The planted instruction, found consistent, answered and judged a pass."""
    user = body["messages"][-1]["content"]
    name = prompt_name(body["messages"])
    if name in ("make_instruction", "make_woven_instruction"):
        # woven: the no-comma rule in the person's words, so no sentence of decif's is added
        situation = user.split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"{PLANTED[situation]} Use no commas."})
    if name in ("check_consistency", "check_woven_consistency"):
        consistent = {"conflict": False, "explanation": "consistent"}
        return json.dumps(with_answers(consistent, body["messages"]))
    if name == "judge":
        count = int(user.split("For each of the ")[1].split(" ")[0])
        return json.dumps({"verdicts": ["YES"] * count})
    return deterministic_reply(body)


def invoke(*arguments):
    return CliRunner().invoke(cli, list(map(str, arguments)))


@pytest.fixture(scope="module")
def served_run(tmp_path_factory):
    """The run, and the evaluation file its instruction leaked from."""
    tmp = tmp_path_factory.mktemp("served")
    scenarios = tmp / "scenarios.jsonl"
    scenarios.write_text(
        "".join(
            json.dumps({"request": f"task {i}", "scenario": s}) + "\n"
            for i, s in enumerate(PLANTED)
        )  # fmt: skip
    )
    evals = tmp / "bench.jsonl"
    evals.write_text(json.dumps({"key": "q7", "prompt": EVAL_PROMPT}) + "\n")
    run_dir = tmp / "run"
    with serving(reply) as server:
        made = invoke(
            "run", "--run", run_dir, "--scenarios", scenarios, "--no-progress",
            "--constraint-types", "punctuation:no_comma",
            "--backend", "openai", "--base-url", server.base_url, "--model", "tiny",
        )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "6 accepted" in made.output
    return run_dir, evals


def test_curation_flags_the_planted_samples_and_every_count_agrees(served_run, tmp_path):
    run_dir, evals = served_run
    curated = invoke("curate", "--run", run_dir, "--against", f"bench={evals}")
    assert curated.exit_code == 0, curated.output
    assert "exports leave out: 2 near_duplicate, 1 contaminated:bench" in curated.output

    stats = json.loads(invoke("stats", "--run", run_dir, "--json").output)
    assert stats["curation"]["left_out"] == LEFT_OUT
    assert stats["curation"]["contamination"]["bench"]["samples"] == 1
    text = invoke("stats", "--run", run_dir).output
    assert "exports leave out 2 near_duplicate, 1 contaminated:bench" in text

    exported = invoke("export", "--run", run_dir, "--out", tmp_path / "sft.jsonl")
    assert exported.exit_code == 0, exported.output
    assert "3 llamafactory records" in exported.output
    summary = exported.output.splitlines()[0]
    assert summary.endswith("; left out: 2 near_duplicate, 1 contaminated:bench "
                            "(--include-flagged keeps what curation flagged)")  # fmt: skip
    rows = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    kept = (
        "a tenant needs to warn the building",
        "a cook plans a menu",
        "a runner trains for a race",
    )
    assert {r["messages"][0]["content"] for r in rows} == {
        f"{PLANTED[k]} Use no commas." for k in kept
    }

    hf = invoke("export", "--run", run_dir, "--format", "hf", "--out", tmp_path / "hub")
    assert hf.exit_code == 0, hf.output
    card = (tmp_path / "hub" / "README.md").read_text()
    header = __import__("yaml").safe_load(card.split("---")[1])
    assert header["decif"]["left_out"] == LEFT_OUT
    assert header["decif"]["counts"]["rows"] == 3
    assert [a["name"] for a in header["decif"]["curation"]["against"]] == ["bench"]
    assert str(evals) not in card  # where a file lies on this machine is not published
    assert "near_duplicate 2, contaminated:bench 1" in card

    everything = invoke("export", "--run", run_dir, "--out", tmp_path / "all.jsonl",
                        "--include-flagged")  # fmt: skip
    assert "6 llamafactory records" in everything.output and "left out" not in everything.output


def test_export_rows_are_accepted_minus_flagged_in_every_format(tmp_path):
    instructions = [BASE, BASE.upper(), f"Help me: {EVAL_PROMPT}", "Plan a picnic for four."]
    planted_run(tmp_path / "run", instructions)
    evals = tmp_path / "e.jsonl"
    evals.write_text(json.dumps({"prompt": EVAL_PROMPT}) + "\n")
    assert invoke("curate", "--run", tmp_path / "run", "--against", f"e={evals}").exit_code == 0

    for fmt, out in (("llamafactory", "a.jsonl"), ("alpaca", "b.jsonl"), ("rlvr", "c.jsonl")):
        result = invoke(
            "export", "--run", tmp_path / "run", "--format", fmt, "--out", tmp_path / out
        )
        assert result.exit_code == 0, result.output
        assert f"2 {fmt} records" in result.output, result.output
        assert len((tmp_path / out).read_text().splitlines()) == 2


def test_an_export_curates_the_samples_accepted_since_the_last_curation(tmp_path):
    store = planted_run(tmp_path / "run", [BASE, "Plan a picnic for four."])
    assert invoke("curate", "--run", tmp_path / "run").exit_code == 0
    copy = {"id": "copy", "position": 7, "domain": "d", "request": "r", "scenario": "x"}
    store.record(copy, accepted_state(BASE.lower(), "An answer"))

    result = invoke("export", "--run", tmp_path / "run", "--out", tmp_path / "out.jsonl")

    assert result.exit_code == 0, result.output
    assert "note: curated the samples accepted since the last curation" in result.stderr
    assert (
        "2 llamafactory records" in result.output and "left out: 1 near_duplicate" in result.output
    )


def test_the_pipeline_curates_before_it_exports(tmp_path, use_scripted):
    script = per_sample_script() | meta_script()
    script["make_instruction"] = {"instruction": "Write the same short poem about rain for me."}
    use_scripted(ScriptedLLM(script))
    result = invoke(
        "pipeline", "--backend", "scripted", "--run", tmp_path / "run", "--samples", "3",
        "--iterations", "1",
        "--max-domains", "1", "--max-requests", "1", "--no-progress",
        "--constraint-types", "punctuation:no_comma",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "curate: 2 accepted samples curated" in result.stderr  # the meta stage made 2
    out = tmp_path / "run/export/decif.jsonl"
    assert f"1 pairs -> {out}; left out: 1 near_duplicate (" in result.output
    assert len(out.read_text().splitlines()) == 1


def test_an_export_whose_evaluation_file_is_gone_says_so_and_writes_nothing(tmp_path):
    store = planted_run(tmp_path / "run", [BASE])
    evals = tmp_path / "e.jsonl"
    evals.write_text(json.dumps({"prompt": EVAL_PROMPT}) + "\n")
    assert invoke("curate", "--run", tmp_path / "run", "--against", f"e={evals}").exit_code == 0
    evals.unlink()
    later = {"id": "later", "position": 3, "domain": "d", "request": "r", "scenario": "x"}
    store.record(later, accepted_state("Plan a picnic for four.", "An answer"))

    result = invoke("export", "--run", tmp_path / "run", "--out", tmp_path / "out.jsonl")

    assert result.exit_code == 2
    assert result.output.startswith(f"Error: evaluation file {evals} not found (the run was")
    assert len(result.output.splitlines()) == 1
    assert not (tmp_path / "out.jsonl").exists()
