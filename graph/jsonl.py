"""JSONL as the user's files hold it: one JSON value per line, blank lines skipped, and a
bad line named by its number (in the error type of the caller's kind of file)."""

from __future__ import annotations

import json
from pathlib import Path


def jsonl_records(text: str, path: Path, error: type[Exception]) -> list:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise error(f"{path} line {number}: not valid JSON ({err.msg})") from None
    return records
