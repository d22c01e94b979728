"""A run's `config.json`: what the run was started with, checked on every rerun.

Resumed work must be made the same way as finished work, or the run silently mixes two
datasets: other generation settings, another model, or other scenarios are refused
(`RunConfigError`) with what differs and what to do. The file is rewritten atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkpoints.files import write_atomic
from checkpoints.protocols import Run

CONFIG_FILE = "config.json"


class RunConfigError(ValueError):
    """The command asks for something other than what the run was started with."""


class RunFileError(RuntimeError):
    """A file of the run directory cannot be read (corrupt, unreadable)."""


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """The run's config ({} for a new run)."""
    path = Path(run_dir) / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise RunFileError(
            f"{path} cannot be read ({err}); restore it, or delete it to accept this "
            "command's settings for the run"
        ) from None
    if not isinstance(config, dict):
        raise RunFileError(f"{path} is not a JSON object; restore it or delete it")
    return config


def save_config(run_dir: str | Path, **sections: Any) -> None:
    """Merge `sections` into the run's config.json (settings objects as dicts)."""
    config = read_config(run_dir)
    for name, value in sections.items():
        config[name] = value.to_dict() if hasattr(value, "to_dict") else value
    write_atomic(Path(run_dir) / CONFIG_FILE, json.dumps(config, indent=2) + "\n")


def check_same(run: Run, what: str, advice: str, **requested: Any) -> None:
    """Refuse values that differ from those the run (a `checkpoints.runs` run) recorded;
    unrecorded ones pass. A section given as a dict (or settings object) is compared key
    by key."""
    config = run.read_config()
    changed = []
    for name, value in requested.items():
        value = value.to_dict() if hasattr(value, "to_dict") else value
        saved = config.get(name)
        if saved is None:
            continue
        if isinstance(value, dict) and isinstance(saved, dict):
            changed += [
                f"{k}: {saved[k]!r} -> {v!r}"
                for k, v in value.items()
                if k in saved and saved[k] != v
            ]
        elif saved != value:
            changed.append(f"{name}: {saved!r} -> {value!r}")
    if changed:
        raise RunConfigError(
            f"{run} was started with other {what} ({'; '.join(changed)}); {advice}"
        )
