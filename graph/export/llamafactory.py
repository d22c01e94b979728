"""What LLaMA-Factory needs beside the data: its dataset_info.json entry and a training config
that fits the base model.

The entry must name every tag the records use: LLaMA-Factory reads a `tags` block as a whole
(a tag it leaves out becomes None), and a record whose roles it cannot map is dropped with
only a warning - a system turn without `system_tag` would lose every record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SHAREGPT_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "system_tag": "system",
}

# LLaMA-Factory's template per model family, matched in order against the model's name
# (its last path part, lower case): the first match wins, so the more specific come first.
# Names as LLaMA-Factory registers them (the version checked is in the README).
TEMPLATES: tuple[tuple[str, str], ...] = (
    (r"deepseek-r1", "deepseekr1"),
    (r"deepseek-v[23]", "deepseek3"),
    (r"deepseek-coder-v2", "deepseek"),
    (r"deepseek-coder", "deepseekcoder"),
    (r"deepseek", "deepseek"),
    (r"qwen3\.5", "qwen3_5"),
    (r"qwen3-.*instruct-2507|qwen3-next-.*instruct", "qwen3_nothink"),
    (r"qwen3", "qwen3"),
    (r"qwen|qwq", "qwen"),
    (r"llama-?4", "llama4"),
    (r"llama-?3", "llama3"),
    (r"llama-?2|codellama", "llama2"),
    (r"ministral-3-", "ministral3"),
    (r"ministral|mistral-nemo", "ministral"),
    (r"mistral-small|devstral", "mistral_small"),
    (r"mistral|mixtral|codestral", "mistral"),
    (r"gemma-?3n", "gemma3n"),
    (r"gemma-?3", "gemma3"),
    (r"gemma-?2", "gemma2"),
    (r"gemma", "gemma"),
    (r"phi-?4-mini", "phi4_mini"),
    (r"phi-?4", "phi4"),
    (r"phi-?3-small", "phi_small"),
    (r"phi-?3", "phi"),
    (r"smollm2", "smollm2"),
    (r"smollm", "smollm"),
    (r"glm-?4", "glm4"),
    (r"granite-?3", "granite3"),
    (r"internlm[23]", "intern2"),
    (r"gpt-oss", "gpt_oss"),
    (r"olmo", "olmo"),
    (r"^yi-", "yi"),
)
UNKNOWN_TEMPLATE = "default"


def template_for(model: str) -> str | None:
    """LLaMA-Factory's chat template for a model name or path; None when decif cannot tell."""
    name = Path(model.rstrip("/")).name.lower()
    return next((t for pattern, t in TEMPLATES if re.search(pattern, name)), None)


def dataset_info_entry(fmt: str, file_name: str, system: bool, history: bool = False) -> dict:
    """How LLaMA-Factory reads one export: alpaca columns (with the system prompt and a
    conversation's earlier turns when records have them), or sharegpt messages (with
    `ranking` and chosen/rejected columns for pairs)."""
    if fmt == "alpaca":
        columns = {"prompt": "instruction", "query": "input", "response": "output"}
        columns |= {"system": "system"} if system else {}
        return {
            "file_name": file_name,
            "columns": columns | ({"history": "history"} if history else {}),
        }
    entry: dict[str, Any] = {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": dict(SHAREGPT_TAGS),
    }
    if fmt == "dpo":
        entry["ranking"] = True
        entry["columns"] |= {"chosen": "chosen", "rejected": "rejected"}
    return entry


def template_lines(base_model: str) -> str:
    template = template_for(base_model)
    if template:
        return f"template: {template}  # LLaMA-Factory's chat template for {base_model}\n"
    return (
        f"# !!! decif does not know the chat template of {base_model}: set `template` to the one\n"
        "# !!! LLaMA-Factory lists for it (its README, Supported Models). `default` is only a\n"
        "# !!! placeholder: training on another model's prompt format teaches the wrong one.\n"
        f"template: {UNKNOWN_TEMPLATE}\n"
    )


def system_lines(system_prompt: str | None, own: bool = False) -> str:
    if system_prompt:
        return (
            "# The data carries its system prompt (--system-prompt) in every record, so the\n"
            "# template's default system prompt is not used.\n"
        )
    if own:
        return (
            "# The conversations carry their own system messages (their system constraints);\n"
            "# a record without one gets the template's default system prompt.\n"
        )
    return (
        "# The data has no system prompt: LLaMA-Factory puts the template's default one in its\n"
        '# place (qwen\'s is "You are Qwen, created by Alibaba Cloud..."). Export with\n'
        "# --system-prompt TEXT to train with your own, or set default_system here.\n"
    )


def training_config(
    stage: str,
    dataset: str,
    base_model: str,
    system_prompt: str | None,
    own_system: bool = False,
) -> str:
    """A LLaMA-Factory YAML with the reference's recipe (full fine-tune, lr 1e-5, 3 epochs,
    cosine, cutoff 8192), the template of the base model, and DPO settings for pairs.

    Its `dataset_dir` is the folder it lies in, written `.`: LLaMA-Factory reads the path
    from the directory it runs in, so the config is run from its folder and the folder can
    be moved whole (to the training machine) without editing it."""
    extra = "pref_beta: 0.1\npref_loss: sigmoid\n" if stage == "dpo" else ""
    return f"""\
# LLaMA-Factory {stage.upper()} config written by decif. Run it from this folder, which holds
# the data and dataset_info.json (dataset_dir `.` is read from the working directory, so the
# folder can be moved whole): cd THIS_FOLDER && llamafactory-cli train {{this file's name}}
model_name_or_path: {json.dumps(base_model)}
stage: {stage}
do_train: true
finetuning_type: full
{extra}dataset: {dataset}
dataset_dir: .
{template_lines(base_model)}{system_lines(system_prompt, own_system)}cutoff_len: 8192
learning_rate: 1.0e-5
num_train_epochs: 3.0
lr_scheduler_type: cosine
# A float below 1 is a share of the training steps (transformers 5; its warmup_ratio is
# deprecated). On transformers 4.x write `warmup_ratio: 0.03` instead.
warmup_steps: 0.03
# bf16 needs a GPU that has bfloat16 (NVIDIA Ampere or newer: A100, RTX 30xx, H100...);
# elsewhere set `bf16: false` and `fp16: true` (older GPUs) or both false (CPU).
bf16: true
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
logging_steps: 10
save_steps: 500
output_dir: saves/{dataset}-{stage}
"""
