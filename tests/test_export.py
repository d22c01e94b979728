"""Exports for LLaMA-Factory: SFT (sharegpt, alpaca), preference pairs, configs."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM

from checkpoints import SampleStore
from graph.export import export
from graph.runner import run_samples
from graph.scenarios import make_scenario


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two samples: one accepted after a failed attempt, one rejected."""
    run_dir = tmp_path_factory.mktemp("run")

    def answer(messages):
        return "an answer to " + messages[-1]["content"]

    def instruction(messages):
        situation = messages[-1]["content"].split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"Help me with this: {situation}"})

    verdicts = iter([["YES", "NO"], ["YES", "YES"], ["NO", "NO"], ["NO", "NO"]])
    llm = ScriptedLLM(
        good_script(
            make_instruction=instruction,
            answer=[lambda m: "first try", lambda m: "second try", answer],
            judge=lambda m: json.dumps({"verdicts": next(verdicts)}),
        )
    )
    scenarios = [make_scenario("write a poem", "A teacher."), make_scenario("fix a bug", "A dev.")]
    settings = replace(NO_COMMAS, max_attempts=2)
    asyncio.run(run_samples(run_dir, llm, scenarios, settings, progress=False))
    store = SampleStore(run_dir)
    assert store.counts() == {"accepted": 1, "rejected": 1}
    return store


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sharegpt_export_and_sft_config(store, tmp_path):
    out = tmp_path / "data" / "ifdata.jsonl"
    assert export(store.rows(), out, "llamafactory", base_model="Qwen/Qwen2.5-7B") == 1
    [record] = read_jsonl(out)
    assert record["messages"][1] == {"role": "assistant", "content": "second try"}
    info = json.loads((out.parent / "dataset_info.json").read_text())
    assert info["ifdata"]["formatting"] == "sharegpt"
    config = (out.parent / "ifdata.sft.yaml").read_text()
    assert "stage: sft" in config and "dataset: ifdata" in config
    assert "model_name_or_path: Qwen/Qwen2.5-7B" in config
    assert "learning_rate: 1.0e-5" in config and "cutoff_len: 8192" in config


def test_alpaca_export(store, tmp_path):
    out = tmp_path / "alpaca.jsonl"
    export(store.rows(), out, "alpaca")
    [record] = read_jsonl(out)
    assert record["output"] == "second try" and record["input"] == ""
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["alpaca"]
    assert entry["columns"]["prompt"] == "instruction"


def test_preference_pairs_take_the_failed_attempt_as_rejected(store, tmp_path):
    out = tmp_path / "pref.jsonl"
    assert export(store.rows(), out, "preference") == 1
    [pair] = read_jsonl(out)
    assert pair["chosen"]["content"] == "second try"
    assert pair["rejected"]["content"] == "first try"
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["pref"]
    assert entry["ranking"] is True
    assert "stage: dpo" in (tmp_path / "pref.dpo.yaml").read_text()


def test_a_broken_dataset_info_stops_the_export_before_writing(store, tmp_path):
    (tmp_path / "dataset_info.json").write_text("{broken")
    with pytest.raises(json.JSONDecodeError):
        export(store.rows(), tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
