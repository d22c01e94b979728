"""A Hugging Face `datasets` folder: the format people share on the Hub.

    NAME/README.md                          the dataset card: YAML header + what made the data
    NAME/data/train-00000-of-00001.parquet  one row per accepted sample

`datasets.load_dataset("NAME")` (or `load_dataset("parquet", data_files=...)`) reads it, and
`huggingface-cli upload` shares it as it is. The card's YAML holds the run's model, settings,
counts, and acceptance and pass rate per constraint type, so a dataset found on the Hub
says how it was made. Each row keeps its constraints (`[{"id", "kwargs"}]` as JSON text: one
column type for every type's kwargs), so the data can be re-verified with decif's checkers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from checkpoints.turns import kept_turns
from graph.export.chat import Row, accepted, conversation, dialogue, kept_response, system_text

DATA_DIR = "data"
DATA_FILE = f"{DATA_DIR}/train-00000-of-00001.parquet"


def hf_records(rows: Iterable[Row], system: str | None = None) -> list[dict]:
    """One row per accepted sample: the chat `messages` (a conversation's every kept turn),
    the sample's columns, and a conversation's `system` message and kept `turns`
    (`checkpoints.turns`: each with its constraints and everything in force at it, so every
    answer can be re-checked), "" and "[]" for a single-turn sample."""
    return [
        {
            "id": row["id"],
            "messages": conversation(dialogue(row), system_text(row, system)),
            "instruction": row["instruction"],
            "response": kept_response(row),
            "constraints": json.dumps(row["constraints"], ensure_ascii=False),
            "domain": row.get("domain") or "",
            "request": row["request"],
            "scenario": row["scenario"],
            "persona": row.get("persona") or "",
            "stated": json.dumps(row.get("stated") or [], ensure_ascii=False),
            "attempts": len(row["state"].get("attempts", [])),
            "system": row.get("system") or "",
            "turns": json.dumps(kept_turns(row.get("turns") or [], "accepted"), ensure_ascii=False),
        }
        for row in accepted(rows)
    ]


def size_category(count: int) -> str:
    """The Hub's size_categories bucket."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if count < limit:
            return name
    return "100K<n<1M" if count < 1_000_000 else "n>1M"


def type_figures(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Per constraint type: how often stated, the share of its samples accepted, and the
    share of its checks passed (by code, or by the judge for the LLM-judged types)."""
    return [
        {
            "type": t["type"],
            "checked_by": t["checked_by"],
            "stated": t["stated"],
            "accepted": t["accepted"],
            "acceptance": round(t["accepted"] / t["stated"], 4) if t["stated"] else None,
            "pass_rate": t["pass_rate"],
        }
        for t in stats["constraint_types"]
    ]


def card_header(name: str, count: int, stats: dict[str, Any], left_out: Counter) -> dict[str, Any]:
    config = stats.get("config", {})
    total, by_status = stats["total"], stats["by_status"]
    return {
        "pretty_name": name,
        "language": ["en"],
        "task_categories": ["text-generation"],
        "tags": ["instruction-following", "synthetic", "decif", "ifeval"],
        "size_categories": [size_category(count)],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": f"{DATA_DIR}/train-*.parquet"}],
            }
        ],
        "decif": {
            "model": config.get("llm") or config.get("model"),
            "backend": config.get("backend"),
            "settings": config.get("settings", {}),
            "counts": {"rows": count, "samples": total, **by_status},
            # accepted samples the export left out, by reason (graph/export/selection.py)
            "left_out": dict(left_out.most_common()),
            "curation": curation_settings(stats),
            "acceptance": round(by_status["accepted"] / total, 4) if total else None,
            "constraint_types": type_figures(stats),
        },
    }


def card(
    name: str, count: int, stats: dict[str, Any], system: str | None, left_out: Counter
) -> str:
    """README.md: the YAML header the Hub reads, then the same facts for people."""
    import yaml  # PyYAML: the hf extra (langchain-core brings it too)

    header = card_header(name, count, stats, left_out)
    made = header["decif"]
    rows = "\n".join(
        f"| `{t['type']}` | {t['checked_by'] or '-'} | {t['stated']} | {t['accepted']} | "
        f"{t['acceptance'] if t['acceptance'] is not None else '-'} | "
        f"{t['pass_rate'] if t['pass_rate'] is not None else '-'} |"
        for t in made["constraint_types"]
    )
    counts = ", ".join(f"{k} {v}" for k, v in made["counts"].items())
    system_note = f"System prompt in every row: {system!r}." if system else "No system turn."
    return f"""---
{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---

# {name}

Verified instruction-following data made with decif (the DecIF method) by
`{made["model"]}` ({made["backend"]}). Each row is an instruction that states typed
constraints and a response that passed every code check of them and every criterion an LLM
judge was asked about; rejected responses are not here.

Counts: {counts}; acceptance {made["acceptance"]}. {system_note}

{_left_out_text(made["left_out"])}

Columns: `messages` (chat turns: [system], user, assistant), `instruction`, `response`,
`constraints` (JSON `[{{"id", "kwargs"}}]`, IFEval's ids: re-check a response with
`nodes.constraints.check`), `stated` (JSON, per constraint: woven into the request or
appended, why, and the text that states it), `domain`, `request`, `scenario`, `persona` (whose
voice the instruction is written in, or empty), `attempts` (responses tried), `id` (the
sample in the run), and for a conversation `system` (its system message, which states its
system constraints) and `turns` (JSON, per turn: the user message, its constraints with
their scope - `turn` or `from_now_on` - and `in_force`, every constraint its answer was
checked against, system ones included); a conversation's `instruction` and `response` are
its user messages and its answers, each joined by a blank line.

## Constraint types

acceptance: share of the samples stating the type that were accepted; pass rate: share of
its checks passed, by code or by the judge.

| type | checked by | stated | accepted | acceptance | pass rate |
|---|---|---|---|---|---|
{rows}

## Load

```python
from datasets import load_dataset
data = load_dataset("parquet", data_files="{name}/{DATA_DIR}/*.parquet")["train"]
```
"""


def _left_out_text(left_out: dict[str, int]) -> str:
    if not left_out:
        return "No accepted sample was left out by curation."
    reasons = ", ".join(f"{why} {count}" for why, count in left_out.items())
    return (
        f"Left out of these rows by curation (accepted samples, by reason): {reasons}. "
        "`near_duplicate`: an earlier kept sample says nearly the same; "
        "`contaminated:NAME`: it overlaps a prompt of evaluation set NAME."
    )


def curation_settings(stats: dict[str, Any]) -> dict[str, Any] | None:
    """How the data was curated, for a card that may be published: the evaluation sets by
    name, size and content digest, not by where they lie on this machine."""
    settings = (stats.get("curation") or {}).get("settings")
    if not settings:
        return None
    against = [{k: v for k, v in a.items() if k != "file"} for a in settings.get("against", [])]
    return {**settings, "against": against}
