"""Export a run's verified samples where people train: SFT, DPO, RL, and the Hub.

    llamafactory  OUT: sharegpt `messages` JSONL; STEM.sft.yaml       LLaMA-Factory SFT
    alpaca        OUT: instruction/input/output JSONL; STEM.sft.yaml   LLaMA-Factory SFT
    dpo           OUT: pairwise sharegpt JSONL; STEM.dpo.yaml          LLaMA-Factory DPO
    rlvr          OUT: open-instruct's rows; STEM.verl.parquet,        open-instruct, verl
                  STEM.grpo.sh (verl's GRPO command)
    hf            folder OUT: parquet + dataset card; STEM.sft.yaml    the Hub, SFT

(STEM: OUT's name without its extension; `preference` is `dpo`'s old name.)

The LLaMA-Factory formats (and `hf`, whose parquet LLaMA-Factory reads too) register their
dataset in the `dataset_info.json` beside OUT, merged into an existing one. An export with
no records writes nothing at all and raises NothingToExport saying why: an empty file, its
entry and a config would only fail later, inside the trainer. Every file is written
atomically.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DATASET_INFO", "FORMATS", "Exported", "MissingExtra", "NothingToExport", "export"]

DATASET_INFO = "dataset_info.json"
FORMATS = ("llamafactory", "alpaca", "dpo", "preference", "rlvr", "hf")
ALIASES = {"preference": "dpo"}
DEFAULT_BASE_MODEL = "meta-llama/Llama-3.1-8B"
_WRITER = ("Exported", "MissingExtra", "NothingToExport", "export")


def __getattr__(name: str) -> Any:
    """The writer and its exceptions, imported on first use: the CLI reads FORMATS when it
    starts, and every command would otherwise pay for the export modules."""
    if name in _WRITER:
        from graph.export import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
