"""Writing an export: the records of a format, its files, its dataset entry and config
(see the package doc for what each format writes)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkpoints.files import atomic_open, write_atomic
from graph.export import ALIASES, DATASET_INFO, DEFAULT_BASE_MODEL
from graph.export.chat import Row, alpaca_records, sft_records
from graph.export.hf import DATA_DIR, DATA_FILE, card, hf_records
from graph.export.llamafactory import dataset_info_entry, training_config
from graph.export.parquet import INSTALL, MissingExtra, have_pyarrow, write_parquet
from graph.export.preference import dpo_records
from graph.export.rlvr import rlvr_rows
from graph.export.selection import SelectOptions, describe, select
from graph.export.verl import grpo_script

__all__ = ["Exported", "MissingExtra", "NothingToExport", "export"]

RECORDS: dict[str, Callable[[Iterable[Row], str | None], list[dict]]] = {
    "llamafactory": sft_records,
    "alpaca": alpaca_records,
    "dpo": dpo_records,
    "hf": hf_records,
}
STAGES = {"llamafactory": "sft", "alpaca": "sft", "hf": "sft", "dpo": "dpo"}
EMPTY = {
    "sft": "no sample was accepted, so there is nothing to train on; run more samples "
    "(--samples, or a longer scenarios file) or a stronger model",
    "dpo": "no accepted instruction has both a passing and a failing response (empty "
    "answers and unreadable judgements do not count); rerun with --candidates 4 to sample "
    "several responses per instruction",
    "rlvr": "no accepted sample states a constraint that code can check, so a verifier has "
    "nothing to reward; draw types that code checks (`decif constraints` lists them; "
    "--constraint-types ID,...)",
}


class NothingToExport(ValueError):
    """The run holds no record of this format; the message says why and what to do."""


@dataclass
class Exported:
    count: int  # records (rows, pairs, prompts)
    files: list[Path]
    dataset: str | None = None  # its name in dataset_info.json, if registered
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    left_out: Counter = field(default_factory=Counter)  # accepted samples not taken, by reason


def export(
    rows: Iterable[Row],
    out: str | Path,
    fmt: str = "llamafactory",
    name: str | None = None,
    base_model: str = DEFAULT_BASE_MODEL,
    system_prompt: str | None = None,
    run_dir: Any = None,
    options: SelectOptions | None = None,
) -> Exported:
    """Write format `fmt` at `out` with what it needs beside it (see the module doc).

    `name` is the dataset's name in dataset_info.json (default: OUT's stem); `run_dir`
    is needed by `hf`, whose card describes the run. Which samples are taken is
    `graph.export.selection`'s decision, under `options`."""
    fmt = ALIASES.get(fmt, fmt)
    out = Path(out)
    rows, left_out = select(rows, options)
    if fmt == "rlvr":
        done = export_rlvr(rows, out, base_model, system_prompt, left_out)
        done.left_out = left_out
        return done
    name = name or out.stem
    info = read_dataset_info(out.parent)  # a broken one stops the export before any write
    records = RECORDS[fmt](rows, system_prompt)
    if not records:
        raise NothingToExport(EMPTY[STAGES[fmt]] + _left_out_note(left_out))
    if fmt == "hf":
        files = write_hf_folder(out, name, records, run_dir, system_prompt, left_out)
        file_name = f"{out.name}/{DATA_DIR}"
    else:
        files, file_name = [write_jsonl(out, records)], out.name
    has = {key for r in records for key in ("system", "history") if r.get(key)}
    info[name] = dataset_info_entry(fmt, file_name, "system" in has, "history" in has)
    info_path = out.parent / DATASET_INFO
    write_atomic(info_path, json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    stage = STAGES[fmt]
    config = out.parent / f"{out.stem}.{stage}.yaml"
    own = any(
        r.get("system") or r.get("messages", [{}])[0].get("role") == "system" for r in records
    )
    settings = training_config(stage, name, base_model, system_prompt, own)
    write_atomic(config, settings)
    return Exported(len(records), [*files, info_path, config], name, left_out=left_out)


def _left_out_note(left_out: Counter) -> str:
    return f" ({describe(left_out)})" if left_out else ""


def read_dataset_info(folder: Path) -> dict:
    path = folder / DATASET_INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with atomic_open(path, "w") as file:
        file.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return path


def write_hf_folder(
    out: Path, name: str, records: list[dict], run_dir: Any, system: str | None, left_out: Counter
) -> list[Path]:
    from checkpoints.stats import run_stats

    if run_dir is None:
        raise ValueError("the hf export describes its run in the dataset card: give run_dir")
    stats = run_stats(run_dir)  # before writing: a run that cannot be read writes nothing
    data = out / DATA_FILE
    write_parquet(data, records)
    readme = out / "README.md"
    write_atomic(readme, card(name, len(records), stats, system, left_out))
    return [data, readme]


def export_rlvr(
    rows: Iterable[Row], out: Path, base_model: str, system_prompt: str | None, left_out: Counter
) -> Exported:
    """open-instruct's rows at OUT, verl's parquet and run script beside it. Without
    pyarrow the verl files are left out, with a note, rather than failing the export."""
    prompts = rlvr_rows(rows, system_prompt)
    parquet = have_pyarrow()
    if not prompts.open_instruct and not (prompts.verl and parquet):
        reason = EMPTY["rlvr"]
        if prompts.verl:
            reason = (
                f"open-instruct's verifier cannot score any of the {len(prompts.verl)} "
                f"prompts as decif does, and verl's parquet needs pyarrow: {INSTALL}"
            )
        raise NothingToExport(reason + _left_out_note(left_out))
    files, notes = [], []
    if prompts.open_instruct:
        files.append(write_jsonl(out, prompts.open_instruct))
    if prompts.verl_only:
        reasons = ", ".join(f"{why}: {n}" for why, n in prompts.verl_only.most_common())
        notes.append(
            f"{prompts.verl_only.total()} prompts are in the verl file only: open-instruct's "
            f"verifier cannot score them as decif does ({reasons})"
        )
    if parquet:
        data = out.with_name(f"{out.stem}.verl.parquet")
        write_parquet(data, prompts.verl)
        script = out.with_name(f"{out.stem}.grpo.sh")
        write_atomic(script, grpo_script(data, base_model))
        files += [data, script]
    else:
        notes.append(f"verl's parquet and run script skipped: they need pyarrow ({INSTALL})")
    count = len(prompts.verl) if parquet else len(prompts.open_instruct)
    return Exported(count, files, notes=notes)
