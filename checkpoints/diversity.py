"""How varied a run's accepted data is: the figures `decif stats` adds to its counts.

- distinct-n (n = 1..4): distinct word n-grams over all word n-grams, of instructions and
  of responses (Li et al., 2016). It falls as a corpus grows, so it is taken over a seeded
  sample of at most SAMPLE texts: runs of any size compare.
- nearest neighbour: each instruction's estimated similarity to its most similar other
  instruction, as curation found it (MinHash LSH: neighbours far below the near-duplicate
  threshold are found only in part, and "none" means none was found).
- samples per domain and per request, the constraint types drawn together, and
  instruction and response lengths in words.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from itertools import combinations
from statistics import mean, median
from typing import Any

from checkpoints.words import words

SAMPLE = 5000
TOP = 10  # domains and requests listed by name
SIMILARITY_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def diversity_figures(db: sqlite3.Connection) -> dict[str, Any]:
    columns = {row[1] for row in db.execute("pragma table_info(samples)")}
    curation = "curation" if "curation" in columns else "null"
    rows = db.execute(
        f"""select id, domain, request, instruction, response, constraints, {curation}
            from samples where status = 'accepted' order by id"""
    ).fetchall()
    sampled = random.Random(0).sample(rows, SAMPLE) if len(rows) > SAMPLE else rows
    return {
        "samples": len(rows),
        "distinct_n_sample": len(sampled),
        "distinct_n": {
            field: distinct_n([words(r[index] or "") for r in sampled])
            for field, index in (("instruction", 3), ("response", 4))
        },
        "nearest_neighbour": nearest_histogram([r[6] for r in rows]),
        "per_domain": spread(Counter(r[1] or "" for r in rows)),
        "per_request": spread(Counter(r[2] for r in rows)),
        "co_occurrence": co_occurrence([r[5] for r in rows]),
        "lengths": {
            field: lengths([len((r[index] or "").split()) for r in rows])
            for field, index in (("instruction", 3), ("response", 4))
        },
    }


def distinct_n(texts: list[list[str]], top: int = 4) -> dict[str, float | None]:
    figures: dict[str, float | None] = {}
    for n in range(1, top + 1):
        grams = [tuple(t[i : i + n]) for t in texts for i in range(len(t) - n + 1)]
        figures[str(n)] = round(len(set(grams)) / len(grams), 4) if grams else None
    return figures


def nearest_histogram(records: list[str | None]) -> dict[str, int]:
    """Instructions by their nearest neighbour's similarity: 'none' (none found),
    '<0.5', '0.5-0.6', ... '0.9-1.0', '1.0' (an exact copy); uncurated ones apart."""
    bins: Counter[str] = Counter()
    for text in records:
        if not text:
            bins["uncurated"] += 1
            continue
        nearest = json.loads(text).get("nearest")
        bins[_bin(nearest["similarity"]) if nearest else "none"] += 1
    order = ["none", "<0.5", *_labels(), "1.0", "uncurated"]
    return {label: bins[label] for label in order if bins[label] or label != "uncurated"}


def _labels() -> list[str]:
    return [f"{a}-{b}" for a, b in zip(SIMILARITY_BINS, SIMILARITY_BINS[1:], strict=False)]


def _bin(similarity: float) -> str:
    if similarity >= 1.0:
        return "1.0"
    if similarity < SIMILARITY_BINS[0]:
        return "<0.5"
    labels = _labels()
    return labels[min(int((similarity - 0.5) * 10), len(labels) - 1)]


def spread(counts: Counter) -> dict[str, Any]:
    """How samples spread over groups (domains, requests): how many groups, the most
    filled, and the typical group."""
    values = list(counts.values())
    return {
        "groups": len(counts),
        "max": max(values, default=0),
        "median": median(values) if values else None,
        "top": [{"name": name, "samples": n} for name, n in counts.most_common(TOP)],
    }


def co_occurrence(constraint_lists: list[str | None]) -> dict[str, Any]:
    """Constraint types per accepted sample, and how often each pair was drawn together."""
    types: Counter = Counter()
    pairs: Counter = Counter()
    for text in constraint_lists:
        ids = sorted({c["id"] for c in json.loads(text or "[]") if isinstance(c, dict)})
        types.update(ids)
        pairs.update(combinations(ids, 2))
    return {
        "types": dict(types.most_common()),
        "pairs": [{"a": a, "b": b, "samples": n} for (a, b), n in pairs.most_common()],
    }


def lengths(values: list[int]) -> dict[str, Any]:
    """Lengths in words: summary figures and the values' histogram (for plots)."""
    if not values:
        return {"mean": None, "p10": None, "median": None, "p90": None, "max": None}
    ordered = sorted(values)

    def at(share: float) -> int:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "mean": round(mean(values), 1),
        "p10": at(0.1),
        "median": at(0.5),
        "p90": at(0.9),
        "max": ordered[-1],
        "histogram": histogram(ordered),
    }


def histogram(ordered: list[int], bins: int = 20) -> dict[str, list[int]]:
    """Equal-width bins from 0 to the 99th percentile (a few long outliers would
    squash the rest into one bar); longer values go in the last bin."""
    top = max(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1)
    width = max(1, -(-top // bins))
    counts = Counter(min(v // width, bins - 1) for v in ordered)
    return {
        "edges": [i * width for i in range(bins + 1)],
        "counts": [counts[i] for i in range(bins)],
    }
