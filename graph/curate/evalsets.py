"""Evaluation prompt files, read as they are published.

IFEval's `input_data.jsonl` and IFBench's `IFBench_test.jsonl` are JSONL with the prompt
in `prompt` and an id in `key`; a Hugging Face download of either is parquet with the same
columns. Any other set works if its prompts are in one field of JSONL, a JSON array of
objects, or parquet. Each prompt's key is its `key` field, else its `id`, else its row
number (from 0).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from graph.jsonl import jsonl_records

FORMATS = (".jsonl", ".json", ".parquet")


class EvalFileError(ValueError):
    """An evaluation file that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class EvalSet:
    name: str
    file: str
    field: str
    prompts: list[tuple[str, str]]  # (key, prompt text)

    @cached_property
    def digest(self) -> str:
        """Its content: a changed file is checked again, an unchanged one is not."""
        text = json.dumps([self.field, self.prompts], ensure_ascii=False)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "field": self.field}


def read_eval_set(name: str, path: str | Path, field: str = "prompt") -> EvalSet:
    """The prompts of one evaluation file; EvalFileError for anything unusable."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise EvalFileError(
            f"{path}: an evaluation file must be JSONL, JSON or parquet "
            f"({', '.join(FORMATS)}), not {path.suffix or 'a file without an extension'}"
        )
    try:
        records = _records(path)
    except FileNotFoundError:
        raise EvalFileError(f"evaluation file {path} not found") from None
    except OSError as err:
        raise EvalFileError(f"evaluation file {path} cannot be read: {err.strerror}") from None
    prompts = []
    for number, record in enumerate(records):
        where = f"{path}: record {number + 1}"
        if not isinstance(record, dict):
            raise EvalFileError(f"{where} is not an object with a {field!r} field")
        text = record.get(field)
        if not isinstance(text, str):
            fields = ", ".join(sorted(map(str, record))) or "none"
            raise EvalFileError(
                f"{where} has no text field {field!r} (its fields: {fields}); name the "
                "prompt's field with --field"
            )
        key = record.get("key", record.get("id", number))
        prompts.append((str(key), text))
    if not prompts:
        raise EvalFileError(f"evaluation file {path} holds no prompts")
    return EvalSet(name, str(path), field, prompts)


def _records(path: Path) -> list[Any]:
    if path.suffix == ".parquet":
        return _parquet_records(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise EvalFileError(f"{path} is not UTF-8 text ({err.reason})") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise EvalFileError(f"{path} is not valid JSON: line {err.lineno}: {err.msg}") from None
        if not isinstance(data, list):
            raise EvalFileError(f"{path} is not a JSON array of prompt records")
        return data
    return jsonl_records(text, path, EvalFileError)


def _parquet_records(path: Path) -> list[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EvalFileError(
            f"{path}: reading parquet needs pyarrow (pip install -e '.[hf]'), or give the "
            "set as JSONL"
        ) from None
    try:
        return pq.read_table(path).to_pylist()
    except Exception as err:  # pyarrow's errors have no common base but ArrowException
        raise EvalFileError(f"{path} is not a readable parquet file ({err})") from None
