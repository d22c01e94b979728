"""The command line: runs, inspection, export, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import good_script
from fakes import ScriptedLLM

import nodes.llm.vllm
from graph.cli import cli
from nodes.llm import BackendError

SCENARIOS = [
    {"domain": "Travel", "request": "plan a trip", "scenario": "A student plans a cheap trip."},
    {"request": "write a poem", "scenario": "A teacher needs a poem for class."},
    {"request": "fix a bug", "scenario": "A developer's script crashes on empty input."},
]


@pytest.fixture
def scenarios_file(tmp_path):
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in SCENARIOS))
    return path


@pytest.fixture
def scripted(use_scripted):
    """A scripted LLM as the backend `scripted` (`decif run --backend scripted`)."""
    return use_scripted(
        ScriptedLLM(good_script(judge=[{"verdicts": ["YES", "YES"]}, {"verdicts": ["NO", "NO"]}]))
    )


SCRIPTED = ("--backend", "scripted")


def invoke(*args):
    """Run decif; `decif run` draws only the one constraint the scripted answers meet."""
    if args[0] == "run":
        args = (*args, "--constraint-types", "punctuation:no_comma")
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_run_inspect_export(tmp_path, scenarios_file, scripted):
    run = tmp_path / "run"
    result = invoke(
        "run",
        *SCRIPTED,
        "--run",
        run,
        "--scenarios",
        scenarios_file,
        "--max-attempts",
        "1",
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    assert "1 accepted, 2 rejected, 0 failed" in result.output
    assert json.loads((run / "config.json").read_text())["settings"]["max_attempts"] == 1

    listing = invoke("inspect", "--run", run, "--json")
    samples = json.loads(listing.output)
    assert sorted(s["status"] for s in samples) == ["accepted", "rejected", "rejected"]

    accepted = invoke("inspect", "--run", run, "--status", "accepted")
    assert accepted.output.count("accepted  all_criteria_passed") == 1

    sample_id = samples[1]["id"]
    trajectory = invoke("inspect", "--run", run, sample_id)
    assert trajectory.exit_code == 0
    nodes = [line.split()[1] for line in trajectory.output.splitlines() if line.startswith("#")]
    assert nodes == [
        "make_instruction",
        "check_consistency",
        "answer",
        "decompose",
        "judge",
        "reject",
    ]
    assert "attempt 1: criteria_failed [NO NO]" in trajectory.output

    out = tmp_path / "export" / "decif.jsonl"
    (out.parent).mkdir()
    (out.parent / "dataset_info.json").write_text(json.dumps({"other": {"file_name": "o.json"}}))
    result = invoke("export", "--run", run, "--format", "llamafactory", "--out", out)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 1
    assert [m["role"] for m in records[0]["messages"]] == ["user", "assistant"]
    info = json.loads((out.parent / "dataset_info.json").read_text())
    assert info["other"] == {"file_name": "o.json"}  # an existing entry is kept
    assert info["decif"]["file_name"] == "decif.jsonl"
    assert info["decif"]["formatting"] == "sharegpt"


def test_inspect_json_trajectory_is_machine_readable(tmp_path, scenarios_file, scripted):
    run = tmp_path / "run"
    invoke(
        "run",
        *SCRIPTED,
        "--run",
        run,
        "--scenarios",
        scenarios_file,
        "--limit",
        "1",
        "--no-progress",
    )
    sample_id = json.loads(invoke("inspect", "--run", run, "--json").output)[0]["id"]
    data = json.loads(invoke("inspect", "--run", run, sample_id, "--json").output)
    assert data["sample"]["status"] == "accepted"
    assert data["steps"][0]["node"] == "make_instruction"
    assert data["steps"][0]["llm"]["calls"] == 1


def test_rerun_with_other_settings_is_refused(tmp_path, scenarios_file, scripted):
    run = tmp_path / "run"
    invoke(
        "run",
        *SCRIPTED,
        "--run",
        run,
        "--scenarios",
        scenarios_file,
        "--limit",
        "1",
        "--no-progress",
    )
    result = invoke("run", *SCRIPTED, "--run", run, "--scenarios", scenarios_file, "--mode", "wild")
    assert result.exit_code != 0
    assert "mode: 'constrained' -> 'wild'" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "scenarios file not found"),
        ('{"request": "a", "scenario": "b"}\n{not json\n', "line 2: not valid JSON"),
        ("", "holds no scenarios"),
        ('{"request": "a"}\n', "'scenario' must be a non-empty string"),
        ('{"plan a trip": "not a list"}', "must be a list of scenarios"),
    ],
)
def test_bad_scenarios_give_one_line_error_and_no_run(tmp_path, content, message):
    path = tmp_path / "scenarios.jsonl"
    if content is not None:
        path.write_text(content)
    run = tmp_path / "run"
    result = invoke("run", "--run", run, "--scenarios", path)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not run.exists()


def test_unknown_backend_is_refused(tmp_path, scenarios_file):
    result = invoke(
        "run", "--run", tmp_path / "run", "--scenarios", scenarios_file, "--backend", "tgi"
    )
    assert result.exit_code == 2
    assert "'tgi' is not one of" in result.output
    assert not (tmp_path / "run").exists()


def test_unreachable_server_gives_one_line_error_and_no_run(tmp_path, scenarios_file):
    run = tmp_path / "run"
    result = invoke(
        "run",
        "--run",
        run,
        "--scenarios",
        scenarios_file,
        "--backend",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
    )
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/v1/models" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not run.exists()


def test_openai_backend_needs_a_base_url(tmp_path, scenarios_file):
    result = invoke(
        "run", "--run", tmp_path / "r", "--scenarios", scenarios_file, "--backend", "openai"
    )
    assert result.exit_code == 2
    assert "needs --base-url" in result.output


def test_inspect_and_export_refuse_a_directory_that_is_not_a_run(tmp_path):
    for args in (
        ["inspect", "--run", tmp_path],
        ["export", "--run", tmp_path, "--out", tmp_path / "x.jsonl"],
    ):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "is not a decif run" in result.output


def test_inspect_unknown_sample(tmp_path, scenarios_file, scripted):
    run = tmp_path / "run"
    invoke(
        "run",
        *SCRIPTED,
        "--run",
        run,
        "--scenarios",
        scenarios_file,
        "--limit",
        "1",
        "--no-progress",
    )
    result = invoke("inspect", "--run", run, "nope")
    assert result.exit_code == 2
    assert "no sample 'nope'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_unreadable_model_file_is_one_line_error(tmp_path, scenarios_file):
    bogus = tmp_path / "model.gguf"
    bogus.write_text("not a model")
    result = invoke(
        "run", "--run", tmp_path / "run", "--scenarios", scenarios_file, "--model", bogus
    )
    assert result.exit_code == 1
    assert f"cannot load GGUF model {bogus}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_missing_model_file_is_one_line_error(tmp_path, scenarios_file):
    result = invoke(
        "run",
        "--run",
        tmp_path / "run",
        "--scenarios",
        scenarios_file,
        "--model",
        tmp_path / "nope.gguf",
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: GGUF model file not found: {tmp_path / 'nope.gguf'}"


def test_vllm_engine_options_reach_the_backend(tmp_path, scenarios_file, monkeypatch):
    seen = {}

    def record(**kwargs):
        seen.update(kwargs)
        raise BackendError("stop here")

    monkeypatch.setattr(nodes.llm.vllm, "VLLMLLM", record)
    result = invoke(
        "run", "--run", tmp_path / "run", "--scenarios", scenarios_file, "--backend", "vllm",
        "--model", "m", "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager",
        "--engine-arg", "max_num_seqs=8", "--engine-arg", "kv_cache_dtype=fp8",
    )  # fmt: skip
    assert result.exit_code == 1 and "stop here" in result.output
    # the vllm backend's client got its own options and nothing of another backend's
    assert seen == {
        "model": "m",
        "tensor_parallel_size": 1,
        "dtype": "float32",
        "max_model_len": 2048,
        "enforce_eager": True,
        "gpu_memory_utilization": None,
        "max_num_seqs": 8,
        "kv_cache_dtype": "fp8",
    }
    bad = invoke("run", "--run", tmp_path / "r", "--scenarios", scenarios_file, "--engine-arg", "x")
    assert bad.exit_code == 2 and "'x' is not KEY=VALUE" in bad.output
