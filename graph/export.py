"""Export kept pairs for training with LLaMA-Factory.

Three formats: `llamafactory` (sharegpt-style `messages`, SFT), `alpaca` (instruction /
input / output, SFT) and `preference` (chosen = the passing response, rejected = a failing
response of the same instruction, for DPO/ORPO). Each export registers its dataset in the
`dataset_info.json` beside the file - merged into an existing one, never replacing it - and
writes a ready LLaMA-Factory training config next to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

DATASET_INFO = "dataset_info.json"
FORMATS = ("llamafactory", "alpaca", "preference")

_ROLE_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
}


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict:
    return {"role": "assistant", "content": text}


def sft_records(rows: Iterable[dict]) -> Iterator[dict]:
    for row in rows:
        if row["status"] == "accepted":
            yield {"messages": [_user(row["instruction"]), _assistant(row["response"])]}


def alpaca_records(rows: Iterable[dict]) -> Iterator[dict]:
    for row in rows:
        if row["status"] == "accepted":
            yield {"instruction": row["instruction"], "input": "", "output": row["response"]}


def preference_records(rows: Iterable[dict]) -> Iterator[dict]:
    """One pair per judged-and-failed attempt of an accepted instruction. Attempts whose
    judgement was unreadable or whose answer was empty are not evidence of a worse answer."""
    for row in rows:
        if row["status"] != "accepted":
            continue
        attempts = row["state"].get("attempts", [])
        chosen = next(a["response"] for a in attempts if a["passed"])
        for attempt in attempts:
            if attempt["reason"] == "criteria_failed":
                yield {
                    "messages": [_user(row["instruction"])],
                    "chosen": _assistant(chosen),
                    "rejected": _assistant(attempt["response"]),
                }


def dataset_info_entry(fmt: str, file_name: str) -> dict:
    if fmt == "alpaca":
        return {
            "file_name": file_name,
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        }
    entry = {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": _ROLE_TAGS,
    }
    if fmt == "preference":
        entry |= {"ranking": True}
        entry["columns"] = {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}
    return entry


def training_stage(fmt: str) -> str:
    return "dpo" if fmt == "preference" else "sft"


def training_config(fmt: str, dataset: str, dataset_dir: Path, base_model: str) -> str:
    """A LLaMA-Factory YAML with the reference's recipe (full fine-tune, lr 1e-5, 3 epochs,
    cosine, cutoff 8192, bf16); DPO for preference data."""
    stage = training_stage(fmt)
    extra = "pref_beta: 0.1\npref_loss: sigmoid\n" if stage == "dpo" else ""
    return f"""\
# LLaMA-Factory {stage.upper()} config written by decif; run: llamafactory-cli train {{this file}}
# Set `template` to your base model's chat template (e.g. llama3, qwen).
model_name_or_path: {base_model}
stage: {stage}
do_train: true
finetuning_type: full
{extra}dataset: {dataset}
dataset_dir: {dataset_dir.resolve()}
template: llama3
cutoff_len: 8192
learning_rate: 1.0e-5
num_train_epochs: 3.0
lr_scheduler_type: cosine
warmup_ratio: 0.03
bf16: true
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
logging_steps: 10
save_steps: 500
output_dir: saves/{dataset}-{stage}
"""


RECORDS = {"llamafactory": sft_records, "alpaca": alpaca_records, "preference": preference_records}


def export(
    rows: Iterable[dict],
    out: str | Path,
    fmt: str = "llamafactory",
    name: str | None = None,
    base_model: str = "meta-llama/Llama-3.1-8B",
) -> int:
    """Write `out` (JSONL), register it as dataset `name` (default: the file's stem) in the
    dataset_info.json beside it, and write `<stem>.<stage>.yaml`; returns the record count."""
    out = Path(out)
    name = name or out.stem
    out.parent.mkdir(parents=True, exist_ok=True)
    info_path = out.parent / DATASET_INFO
    info = json.loads(info_path.read_text()) if info_path.exists() else {}  # fail before writing
    count = 0
    with out.open("w", encoding="utf-8") as file:
        for record in RECORDS[fmt](rows):
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    info[name] = dataset_info_entry(fmt, out.name)
    info_path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    config = training_config(fmt, name, out.parent, base_model)
    (out.parent / f"{out.stem}.{training_stage(fmt)}.yaml").write_text(config)
    return count
