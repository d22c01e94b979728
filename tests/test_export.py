"""Exports for LLaMA-Factory: SFT (sharegpt, alpaca), DPO pairs, configs that fit the model,
and exports that refuse to write when there is nothing to train on."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM

from checkpoints import SampleStore
from checkpoints.config import save_config
from graph.cli import cli
from graph.export import export
from graph.export.llamafactory import template_for
from graph.export.preference import rejected_attempt
from graph.runner import run_samples
from graph.scenarios import make_scenario

GOOD = "A clear answer without a single comma."
VAGUE = "A vague answer the judge fails."
# How each sample's responses go, by its scenario: every response is tried in turn until one
# passes (a comma fails the code check; "vague" gets a NO from the judge).
PLANS = {
    "code then judge": ["First, a comma.", "Second, two, commas.", VAGUE, GOOD],
    "judge only": [VAGUE, GOOD],
    "first try": [GOOD],
    "empty then good": ["", GOOD],
    "never": [VAGUE],
}


def scripted_run(run_dir: Path, plans: dict[str, list[str]]) -> SampleStore:
    """A run of one sample per plan on the scripted LLM, checked for `punctuation:no_comma`."""
    served = {plan: itertools.count() for plan in plans}

    def instruction(messages):
        plan = messages[-1]["content"].split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"Help me with this: {plan}"})

    def answer(messages):
        plan = next(p for p in plans if p in messages[-1]["content"])
        responses = plans[plan]
        return responses[min(next(served[plan]), len(responses) - 1)]

    def judge(messages):
        return json.dumps({"verdicts": ["NO" if "vague" in messages[-1]["content"] else "YES"] * 2})

    llm = ScriptedLLM(good_script(make_instruction=instruction, answer=answer, judge=judge))
    scenarios = [make_scenario(f"request {i}", plan) for i, plan in enumerate(plans)]
    settings = replace(NO_COMMAS, max_attempts=max(map(len, plans.values())))
    asyncio.run(run_samples(run_dir, llm, scenarios, settings, progress=False))
    save_config(run_dir, settings=settings, backend="llamacpp", llm="scripted-model")
    return SampleStore(run_dir)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = scripted_run(tmp_path_factory.mktemp("run"), PLANS)
    assert store.counts() == {"accepted": 4, "rejected": 1}
    return store


def plan_of(instruction: str) -> str:
    return next(plan for plan in PLANS if plan in instruction)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def invoke(*args) -> object:
    return CliRunner().invoke(cli, ["export", *map(str, args)])


def test_sft_export_holds_every_accepted_response_with_its_dataset_entry_and_config(
    store, tmp_path
):
    out = tmp_path / "data" / "ifdata.jsonl"
    assert export(store.rows(), out, "llamafactory", base_model="Qwen/Qwen2.5-7B").count == 4
    records = read_jsonl(out)
    assert {r["messages"][1]["content"] for r in records} == {GOOD}
    assert [m["role"] for m in records[0]["messages"]] == ["user", "assistant"]
    info = json.loads((out.parent / "dataset_info.json").read_text())
    assert info["ifdata"]["formatting"] == "sharegpt"
    assert info["ifdata"]["tags"]["system_tag"] == "system"  # a tags block must name them all
    config = (out.parent / "ifdata.sft.yaml").read_text()
    assert "stage: sft" in config and "dataset: ifdata" in config
    assert 'model_name_or_path: "Qwen/Qwen2.5-7B"' in config
    assert "learning_rate: 1.0e-5" in config and "cutoff_len: 8192" in config


def test_alpaca_export(store, tmp_path):
    out = tmp_path / "alpaca.jsonl"
    export(store.rows(), out, "alpaca")
    record = read_jsonl(out)[0]
    assert record["output"] == GOOD and record["input"] == ""
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["alpaca"]
    assert entry["columns"]["prompt"] == "instruction"


def test_dpo_pairs_prefer_a_code_check_failure_over_a_judge_failure(store, tmp_path):
    out = tmp_path / "pairs.jsonl"
    assert export(store.rows(), out, "dpo").count == 2  # first try / empty then good: no pair
    pairs = {plan_of(p["messages"][-1]["content"]): p for p in read_jsonl(out)}
    assert set(pairs) == {"code then judge", "judge only"}
    # two code failures and a judge failure: a code failure (the first of equals)
    code = pairs["code then judge"]
    assert code["chosen"] == {"role": "assistant", "content": GOOD}
    assert code["rejected"] == {"role": "assistant", "content": "First, a comma."}
    assert code["rejected_reason"] == "check_failed:punctuation:no_comma"
    judge = pairs["judge only"]
    assert (judge["rejected"]["content"], judge["rejected_reason"]) == (VAGUE, "criteria_failed")
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["pairs"]
    assert entry["ranking"] is True
    assert entry["columns"] == {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}
    assert "stage: dpo" in (tmp_path / "pairs.dpo.yaml").read_text()


def test_of_the_code_failures_the_one_that_failed_the_most_checks_is_rejected():
    def attempt(response, failed):
        checks = [{"id": f"t{i}", "by": "code", "passed": i >= failed} for i in range(3)]
        reason = "check_failed:t0" if failed else "passed"
        return {"response": response, "checks": checks, "passed": not failed, "reason": reason}

    row = {"state": {"attempts": [attempt("one", 1), attempt("three", 3), attempt("ok", 0)]}}
    assert rejected_attempt(row, chosen="ok")["response"] == "three"


def test_preference_is_the_old_name_of_dpo(store, tmp_path):
    export(store.rows(), tmp_path / "a.jsonl", "dpo")
    export(store.rows(), tmp_path / "b.jsonl", "preference")
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()


def test_an_empty_response_is_never_a_rejected_one(store, tmp_path):
    export(store.rows(), tmp_path / "pairs.jsonl", "dpo")
    assert all(p["rejected"]["content"] for p in read_jsonl(tmp_path / "pairs.jsonl"))


@pytest.mark.parametrize("fmt", ["llamafactory", "alpaca", "dpo", "rlvr", "hf"])
def test_an_export_with_nothing_to_train_on_refuses_and_writes_nothing(tmp_path, fmt):
    store = scripted_run(tmp_path / "run", {"never": [VAGUE]})
    out = tmp_path / "out" / ("data" if fmt == "hf" else "data.jsonl")
    result = invoke("--run", tmp_path / "run", "--format", fmt, "--out", out)
    assert result.exit_code == 2, result.output
    assert f"nothing to export as {fmt}" in result.output
    assert "Traceback" not in result.output
    assert not out.parent.exists() or not any(out.parent.iterdir())
    assert store.counts() == {"rejected": 1}


def test_dpo_without_pairs_says_to_sample_candidates_and_keeps_the_existing_files(tmp_path):
    scripted_run(tmp_path / "run", {"first try": [GOOD]})
    info = tmp_path / "dataset_info.json"
    info.write_text('{"other": {"file_name": "o.json"}}')
    result = invoke("--run", tmp_path / "run", "--format", "dpo", "--out", tmp_path / "p.jsonl")
    assert result.exit_code == 2
    assert "no accepted instruction has both a passing and a failing response" in result.output
    assert "--candidates 4" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset_info.json", "run"]
    assert info.read_text() == '{"other": {"file_name": "o.json"}}'


@pytest.mark.parametrize("fmt", ["llamafactory", "dpo", "hf"])
def test_the_system_prompt_is_the_first_turn_of_every_record(store, tmp_path, fmt):
    out = tmp_path / ("data" if fmt == "hf" else "data.jsonl")
    system = "You are a careful assistant."
    export(store.rows(), out, fmt, system_prompt=system, run_dir=store.path.parent)
    if fmt == "hf":
        import pyarrow.parquet as pq

        records = pq.read_table(out / "data").to_pylist()
    else:
        records = read_jsonl(out)
    assert all(r["messages"][0] == {"role": "system", "content": system} for r in records)
    [config] = tmp_path.glob("data.*.yaml")
    assert "The data carries its system prompt" in config.read_text()


def test_alpaca_carries_the_system_prompt_in_its_own_column(store, tmp_path):
    export(store.rows(), tmp_path / "a.jsonl", "alpaca", system_prompt="Be brief.")
    assert {r["system"] for r in read_jsonl(tmp_path / "a.jsonl")} == {"Be brief."}
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["a"]
    assert entry["columns"]["system"] == "system"


def test_without_a_system_prompt_the_config_warns_of_the_templates_default(store, tmp_path):
    export(store.rows(), tmp_path / "d.jsonl", base_model="Qwen/Qwen2.5-7B-Instruct")
    config = (tmp_path / "d.sft.yaml").read_text()
    assert "template: qwen " in config
    assert "You are Qwen, created by Alibaba Cloud" in config and "--system-prompt" in config


@pytest.mark.parametrize(
    ("model", "template"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3"),
        ("meta-llama/Meta-Llama-3-8B", "llama3"),
        ("meta-llama/Llama-2-7b-chat-hf", "llama2"),
        ("Qwen/Qwen2.5-7B-Instruct", "qwen"),
        ("Qwen/Qwen2-1.5B", "qwen"),
        ("Qwen/Qwen3-8B", "qwen3"),
        ("Qwen/Qwen3-4B-Instruct-2507", "qwen3_nothink"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "mistral"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"),
        ("google/gemma-2-9b-it", "gemma2"),
        ("google/gemma-3-4b-it", "gemma3"),
        ("google/gemma-7b", "gemma"),
        ("microsoft/Phi-3-mini-4k-instruct", "phi"),
        ("microsoft/phi-4", "phi4"),
        ("deepseek-ai/deepseek-llm-7b-chat", "deepseek"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "deepseekr1"),
        ("deepseek-ai/DeepSeek-V3", "deepseek3"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "smollm2"),
        ("/models/qwen2.5-7b-instruct/", "qwen"),
        ("my-org/house-model-7b", None),
    ],
)
def test_the_chat_template_follows_the_base_model(model, template):
    assert template_for(model) == template


def test_an_unknown_base_model_gets_a_loud_placeholder_template(store, tmp_path):
    export(store.rows(), tmp_path / "d.jsonl", base_model="my-org/house-model-7b")
    config = (tmp_path / "d.sft.yaml").read_text()
    assert "# !!! decif does not know the chat template of my-org/house-model-7b" in config
    assert "template: default" in config


def test_the_config_uses_current_warmup_and_says_what_bf16_needs(store, tmp_path):
    export(store.rows(), tmp_path / "d.jsonl")
    config = (tmp_path / "d.sft.yaml").read_text()
    assert "warmup_steps: 0.03" in config and "\nwarmup_ratio" not in config
    assert "bf16: true" in config and "bf16 needs a GPU that has bfloat16" in config


def test_a_broken_dataset_info_stops_the_export_before_writing(store, tmp_path):
    (tmp_path / "dataset_info.json").write_text("{broken")
    with pytest.raises(json.JSONDecodeError):
        export(store.rows(), tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
