"""Export kept pairs for training: LLaMA-Factory's sharegpt-style JSONL and its
`dataset_info.json` entry, merged into an existing one rather than replacing it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

DATASET_INFO = "dataset_info.json"


def llamafactory_record(row: dict) -> dict:
    return {
        "messages": [
            {"role": "user", "content": row["instruction"]},
            {"role": "assistant", "content": row["response"]},
        ]
    }


def dataset_info_entry(file_name: str) -> dict:
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
        },
    }


def export_llamafactory(rows: Iterable[dict], out: str | Path, name: str | None = None) -> int:
    """Write `out` (JSONL) and register it as dataset `name` in the dataset_info.json
    beside it; returns the number of pairs written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(llamafactory_record(row), ensure_ascii=False) + "\n")
            count += 1
    info_path = out.parent / DATASET_INFO
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    info[name or out.stem] = dataset_info_entry(out.name)
    info_path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    return count
