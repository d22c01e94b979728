"""RL exports: open-instruct's RLVR rows, verl's parquet and GRPO script, and the reward
function verl imports, scored by decif's checkers."""

from __future__ import annotations

import ast
import importlib.util
import json
import random
import sys

import pytest
from click.testing import CliRunner
from test_export import GOOD, PLANS, read_jsonl, scripted_run

from graph.cli import cli
from graph.export import export
from graph.export.reward import compute_score, read_ground_truth
from graph.export.rlvr import ground_truth, rlvr_rows
from graph.export.verl import reward_path
from nodes.constraints import REGISTRY, check
from nodes.constraints.base import DrawContext

NO_COMMA = '[{"instruction_id": ["punctuation:no_comma"], "kwargs": [{}]}]'


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return scripted_run(tmp_path_factory.mktemp("run"), PLANS)


@pytest.fixture(scope="module")
def exported(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("rlvr") / "prompts.jsonl"
    return out, export(store.rows(), out, "rlvr", base_model="Qwen/Qwen2.5-7B-Instruct")


def accepted_responses(store) -> dict[str, str]:
    return {r["instruction"]: r["response"] for r in store.rows() if r["status"] == "accepted"}


def test_open_instruct_rows_are_the_user_turn_its_ground_truth_and_the_ifeval_verifier(
    store, exported
):
    out, done = exported
    rows = read_jsonl(out)
    assert len(rows) == done.count == 4  # the accepted samples; the rejected one is not proven
    for row in rows:
        assert set(row) == {"messages", "ground_truth", "dataset"}
        assert row["dataset"] == "ifeval"
        assert [m["role"] for m in row["messages"]] == ["user"]
        assert row["ground_truth"] == NO_COMMA


def test_the_ground_truth_recheck_passes_every_exported_accepted_response(store, exported):
    responses = accepted_responses(store)
    for row in read_jsonl(exported[0]):
        response = responses[row["messages"][0]["content"]]
        constraints = read_ground_truth(row["ground_truth"])
        assert constraints and all(check(c["id"], c["kwargs"], response) for c in constraints)
        assert compute_score("decif", response, row["ground_truth"]) == 1.0


def test_open_instructs_verifier_reads_the_ground_truth_as_it_parses_labels(store, exported):
    """IFEvalVerifier: ast.literal_eval(label)[0], then each id's class from the registry,
    built with its kwargs, checks the answer; here with IFEval's reference registry."""
    registry = pytest.importorskip("if_verifiable.ifeval.instructions_registry")
    responses = accepted_responses(store)
    for row in read_jsonl(exported[0]):
        label = ast.literal_eval(row["ground_truth"])[0]
        for instruction_id, kwargs in zip(label["instruction_id"], label["kwargs"], strict=True):
            instruction = registry.INSTRUCTION_DICT[instruction_id](instruction_id)
            instruction.build_description(**kwargs)
            assert instruction.check_following(responses[row["messages"][0]["content"]])


def test_every_drawn_ground_truth_reads_the_same_as_json_and_as_a_python_literal():
    context = DrawContext("write a poem about rain", "A teacher needs a poem for class.")
    for kind in REGISTRY.values():
        if kind.verifiable:
            kwargs = kind.draw(random.Random(7), context)
            text = ground_truth([{"id": kind.id, "kwargs": kwargs}])
            assert ast.literal_eval(text) == json.loads(text), kind.id


def test_verl_rows_hold_the_prompt_and_a_rule_reward_with_the_same_ground_truth(exported):
    pq = pytest.importorskip("pyarrow.parquet")
    out, done = exported
    rows = pq.read_table(out.with_name("prompts.verl.parquet")).to_pylist()
    assert len(rows) == done.count
    open_instruct = read_jsonl(out)
    for row, same in zip(rows, open_instruct, strict=True):
        assert row["data_source"] == "decif"
        assert row["prompt"] == same["messages"]
        assert row["reward_model"] == {"style": "rule", "ground_truth": same["ground_truth"]}
        assert row["extra_info"]["sample_id"]


def test_the_grpo_script_points_verl_at_the_data_and_decifs_reward(exported):
    out, done = exported
    script = out.with_name("prompts.grpo.sh").read_text()
    assert f"data.train_files={out.with_name('prompts.verl.parquet').resolve()}" in script
    assert f"custom_reward_function.path={reward_path()}" in script
    assert "custom_reward_function.name=compute_score" in script
    assert "actor_rollout_ref.model.path=Qwen/Qwen2.5-7B-Instruct" in script
    assert {p.name for p in done.files} == {
        "prompts.jsonl",
        "prompts.verl.parquet",
        "prompts.grpo.sh",
    }


def test_the_reward_scores_a_passing_and_a_failing_response():
    assert compute_score("decif", GOOD, NO_COMMA) == 1.0
    assert compute_score("decif", "First, a comma.", NO_COMMA) == 0.0


def test_the_reward_is_the_share_of_constraints_followed_or_all_or_nothing():
    two = ground_truth(
        [
            {"id": "punctuation:no_comma", "kwargs": {}},
            {"id": "change_case:english_lowercase", "kwargs": {}},
        ]
    )
    assert compute_score("decif", "all lower case, with a comma", two) == 0.5
    assert compute_score("decif", "all lower case, with a comma", two, all_or_nothing=True) == 0.0
    assert compute_score("decif", "all lower case and no comma", two, all_or_nothing=True) == 1.0


def test_the_reward_reads_open_instructs_own_labels_and_skips_a_reasoning_section():
    python_literal = "[{'instruction_id': ['punctuation:no_comma'], 'kwargs': [None]}]"
    assert compute_score("ifeval", "<think>well, hmm</think>\nNo comma here", python_literal) == 1.0
    assert compute_score("ifeval", "<think>nothing after the reasoning</think>", NO_COMMA) == 0.0


def test_the_reward_refuses_a_constraint_type_it_cannot_check():
    with pytest.raises(ValueError, match="unknown constraint type 'made:up'"):
        compute_score("decif", GOOD, '[{"instruction_id": ["made:up"], "kwargs": [{}]}]')


def test_verl_can_import_the_reward_by_its_file_path():
    """verl loads custom_reward_function.path with spec_from_file_location, outside any
    package: the module must stand alone."""
    spec = importlib.util.spec_from_file_location("custom_module", reward_path())
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_module"] = module
    try:
        spec.loader.exec_module(module)
        assert module.compute_score("decif", GOOD, NO_COMMA, extra_info={"index": 0}) == 1.0
    finally:
        del sys.modules["custom_module"]


def row(constraints, status="accepted"):
    return {
        "id": "s1",
        "status": status,
        "instruction": "Write it.",
        "response": GOOD,
        "constraints": constraints,
        "state": {"attempts": []},
    }


def test_prompts_without_a_code_check_are_not_rl_data():
    judged = [{"id": "llm_judged:style_tone", "kwargs": {"tone": "formal"}}]
    assert rlvr_rows([row(judged)]).verl == []


def test_decif_only_types_go_to_verl_only_and_the_rest_of_the_prompt_is_kept():
    start = {"id": "decif:start_phrase", "kwargs": {"start_phrase": "First of all"}}
    mixed = [start, {"id": "llm_judged:style_tone", "kwargs": {"tone": "formal"}}]
    rows = rlvr_rows([row(mixed), row([{"id": "punctuation:no_comma", "kwargs": {}}])])
    assert (len(rows.verl), len(rows.open_instruct)) == (2, 1)
    assert rows.verl_only == {"decif-only type": 1}
    assert read_ground_truth(rows.verl[0]["reward_model"]["ground_truth"]) == [start]


def test_without_pyarrow_rlvr_writes_open_instructs_rows_and_says_what_it_skipped(
    store, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "p.jsonl"
    args = ["export", "--run", str(store.path.parent), "--format", "rlvr", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "note: verl's parquet and run script skipped: they need pyarrow" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl"]
