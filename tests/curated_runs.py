"""Runs made of planted accepted samples, for the curation tests: rows written as the
runner writes them (`SampleStore.record`), or many at once for the tests that need
thousands."""

from __future__ import annotations

import json
import random
from pathlib import Path

from checkpoints import SampleStore

NO_COMMA = {"id": "punctuation:no_comma", "kwargs": {}}
# An evaluation prompt shaped like IFEval's (the words are ours).
EVAL_PROMPT = (
    "Write a short blog post about a trip to Japan using less than 300 words and make sure "
    "to mention the cherry blossoms in Kyoto at least twice."
)
BASE = (
    "Draft a friendly note to my neighbours explaining that the building's water will be "
    "shut off on Tuesday morning for repairs. Ask them to store some water the night "
    "before and to keep their taps closed until noon."
)


def accepted_state(instruction: str, response: str, constraints=(NO_COMMA,)) -> dict:
    attempt = {
        "attempt": 1,
        "candidate": 0,
        "response": response,
        "passed": True,
        "reason": "all_criteria_passed",
        "checks": [{"id": c["id"], "by": "code", "passed": True} for c in constraints],
        "verdicts": ["YES"],
    }
    return {
        "status": "accepted",
        "reason": "all_criteria_passed",
        "instruction": instruction,
        "constraints": list(constraints),
        "criteria": ["Is it helpful?"],
        "attempts": [attempt],
        "llm_calls": [],
    }


def planted_run(run_dir: Path, instructions: list[str], responses: list[str] | None = None):
    """A run with one accepted sample per instruction, ids s0, s1, ... in that order."""
    store = SampleStore(run_dir)
    for i, instruction in enumerate(instructions):
        response = responses[i] if responses else f"An answer without commas number {i}"
        sample = {"id": f"s{i}", "position": i, "domain": f"d{i % 3}", "request": f"r{i % 5}",
                  "scenario": f"scenario {i}"}  # fmt: skip
        store.record(sample, accepted_state(instruction, response))
    return store


def random_text(rng: random.Random, words: int = 30) -> str:
    starts, ends = ("ka", "lo", "mi", "ne", "ru", "so", "ta", "vi"), ("dan", "ber", "cil", "dor")
    vocabulary = [f"{a}{b}" for a in starts for b in ends]
    return " ".join(rng.choice(vocabulary) + str(rng.randrange(1000)) for _ in range(words))


def bulk_run(run_dir: Path, count: int, seed: int = 0) -> None:
    """`count` accepted samples of random text, written in one transaction (the runner
    would take minutes), each with the columns curation and statistics read."""
    store = SampleStore(run_dir)
    rng = random.Random(seed)
    rows = [
        {
            "id": f"b{i:06d}",
            "position": i,
            "domain": "d",
            "request": f"r{i % 50}",
            "scenario": "s",
            "status": "accepted",
            "reason": "all_criteria_passed",
            "instruction": random_text(rng),
            "response": random_text(rng, 20),
            "constraints": json.dumps([NO_COMMA]),
            "state": "{}",
            "attempts": 1,
        }
        for i in range(count)
    ]
    store.samples.insert_all(rows, batch_size=5000)
