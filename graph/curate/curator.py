"""Curating a run: every accepted sample compared with the others and with the evaluation
sets, and the result written to its `curation` column (`checkpoints/curation.py` says
what the record holds).

Incremental and idempotent, and a kill loses nothing that matters: signatures are stored
in batches as they are made, so a rerun hashes only the samples it has not seen; each
sample records which evaluation sets (content and settings) it was checked against, so
only new samples or a new set are checked; the near-duplicate pass runs over every
stored signature (a new sample may repeat an old one, and the first by position is the
one kept); and every changed record is written in one transaction at the end, so a killed
curation leaves all the old records or all the new ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from checkpoints.curation import contamination_figures, flag_counts
from checkpoints.protocols import Run, RunStore
from checkpoints.words import normalised, words
from graph.curate import dedup
from graph.curate.decontaminate import EvalIndex, Text
from graph.curate.dedup import Neighbour
from graph.curate.evalsets import EvalSet
from graph.curate.templates import constraint_sentences, with_stated

Row = dict[str, Any]
BATCH = 2000  # signatures stored per transaction; texts matched per pass


@dataclass(frozen=True)
class CurateSettings:
    """How samples are compared (the README argues the defaults)."""

    ngram: int = 2  # word n-grams of the normalised instruction
    num_perm: int = 128  # MinHash permutations
    threshold: float = 0.7  # estimated Jaccard at which a later sample is a near-duplicate
    match_ngram: int = 8  # open-instruct's --ngram_size (OLMo 3)
    match_threshold: float = 0.5  # open-instruct's --match_threshold: a score above it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def dedup_key(self) -> str:
        return _digest(self.ngram, self.num_perm, self.threshold)

    def check_key(self, evalset: EvalSet) -> str:
        return _check_key(evalset.digest, self.match_ngram, self.match_threshold)


@dataclass
class Curated:
    """What one curation did."""

    samples: int = 0  # accepted samples curated
    hashed: int = 0  # signatures made (the rest were stored)
    checked: dict[str, int] = field(default_factory=dict)  # samples matched, per set
    changed: int = 0  # records written
    left_out: Counter = field(default_factory=Counter)  # what exports leave out, and why
    contamination: dict[str, dict[str, int]] = field(default_factory=dict)  # per set
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"left_out": dict(self.left_out.most_common())}


def curate(run: Run, settings: CurateSettings, evalsets: Sequence[EvalSet]) -> Curated:
    """Curate `run`; one process at a time (a second waits, then finds the work done)."""
    began = time.monotonic()
    with run.curating():
        store = run.store()
        rows = list(store.curation_inputs())
        records = [row["curation"] for row in rows]
        normal = [normalised(row["instruction"]) for row in rows]
        done = Curated(samples=len(rows))
        stored = store.signatures()
        digests = [dedup.digest(text, settings.ngram, settings.num_perm) for text in normal]
        missing = [i for i, row in enumerate(rows) if stored.get(row["id"], ("",))[0] != digests[i]]
        if missing or any(_stale(row, settings, evalsets) for row in rows):
            sigs = _signatures(store, rows, normal, digests, stored, missing, settings)
            done.hashed = len(missing)
            del stored  # the matrix holds them now
            new = _compare(rows, normal, sigs, settings, evalsets, done)
            changed: dict[str, str | None] = {
                row["id"]: json.dumps(record, ensure_ascii=False)
                for row, record, before in zip(rows, new, records, strict=True)
                if record != before
            }
            store.save_curation(changed)
            done.changed, records = len(changed), new
        done.left_out = flag_counts(records)
        done.contamination = contamination_figures(
            [r for r in records if r], [e.name for e in evalsets]
        )
        recorded = {**settings.to_dict(), "against": [_described(e) for e in evalsets]}
        if run.read_config().get("curation") != recorded:
            run.save_config(curation=recorded)
    done.seconds = round(time.monotonic() - began, 3)
    return done


def _compare(
    rows: list[Row],
    normal: list[str],
    sigs: np.ndarray,
    settings: CurateSettings,
    evalsets: Sequence[EvalSet],
    done: Curated,
) -> list[dict[str, Any]]:
    """Every row's new record: compared with the others, and checked against the sets it
    was not checked against yet."""
    ids = [row["id"] for row in rows]
    duplicate_of, nearest = dedup.near_duplicates(ids, normal, sigs, settings.threshold)
    found = {}
    for evalset in evalsets:
        todo = [i for i, row in enumerate(rows) if _unchecked(row, settings, evalset)]
        found[evalset.name] = _matches(rows, normal, todo, evalset, settings)
        done.checked[evalset.name] = len(todo)
    return [_record(row, settings, evalsets, duplicate_of, nearest, found) for row in rows]


def _digest(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _check_key(digest: str, ngram: int, threshold: float) -> str:
    """What a sample was checked against: a set's content and the match settings."""
    return _digest(digest, ngram, threshold)


def _described(evalset: EvalSet) -> dict[str, Any]:
    return {**evalset.describe(), "prompts": len(evalset.prompts), "digest": evalset.digest}


def _signatures(
    store: RunStore,
    rows: list[Row],
    normal: list[str],
    digests: list[str],
    stored: dict[str, tuple[str, bytes]],
    missing: list[int],
    settings: CurateSettings,
) -> np.ndarray:
    """Every row's signature as one matrix (a row of MinHash values each): the stored ones,
    and the `missing` ones made and stored in batches (a killed curation keeps what it
    hashed)."""
    sigs = np.zeros((len(rows), settings.num_perm), dtype=np.uint32)
    fresh = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        made = dedup.signatures([normal[i] for i in batch], settings.ngram, settings.num_perm)
        store.save_signatures(
            [
                (rows[i]["id"], digests[i], dedup.to_bytes(m))
                for i, m in zip(batch, made, strict=True)
            ]
        )
        for i, sig in zip(batch, made, strict=True):
            sigs[i], fresh[i] = sig.hashvalues, True
    for i, row in enumerate(rows):
        if not fresh[i]:
            sigs[i] = dedup.from_bytes(stored[row["id"]][1]).hashvalues
    return sigs


def _stale(row: Row, settings: CurateSettings, evalsets: Sequence[EvalSet]) -> bool:
    record = row["curation"]
    if not record or record.get("dedup") != settings.dedup_key:
        return True
    if set(record.get("checked") or {}) != {e.name for e in evalsets}:
        return True
    return any(_unchecked(row, settings, e) for e in evalsets)


def _unchecked(row: Row, settings: CurateSettings, evalset: EvalSet) -> bool:
    checked = (row["curation"] or {}).get("checked") or {}
    return checked.get(evalset.name) != settings.check_key(evalset)


def _matches(
    rows: list[Row], normal: list[str], todo: list[int], evalset: EvalSet, settings: CurateSettings
) -> dict[str, dict[str, Any]]:
    """sample id -> (overlap words, template words, matches) for the rows in `todo`."""
    index = EvalIndex(evalset, settings.match_ngram)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(todo), BATCH):
        batch = []
        for i in todo[start : start + BATCH]:
            row = rows[i]
            batch.append(
                Text(
                    row["id"],
                    "instruction",
                    normal[i].split(),
                    with_stated(row["constraints"], row.get("stated")),
                )
            )
            batch.append(Text(row["id"], "response", words(row["response"] or "")))
        for overlap in index.overlaps(batch, settings.match_threshold, constraint_sentences):
            entry = found.setdefault(overlap.sample, {"words": 0, "template": 0, "matches": []})
            entry["words"] += overlap.words
            entry["template"] += overlap.template
            entry["matches"] += overlap.matches
    return found


def _record(
    row: Row,
    settings: CurateSettings,
    evalsets: Sequence[EvalSet],
    duplicate_of: dict[str, Neighbour],
    nearest: dict[str, Neighbour],
    found: dict[str, dict[str, dict[str, Any]]],
) -> dict[str, Any]:
    """The sample's new curation record (checkpoints/curation.py)."""
    before = row["curation"] or {}
    sample = row["id"]
    record: dict[str, Any] = {"flags": [], "dedup": settings.dedup_key, "checked": {}}
    if sample in duplicate_of:
        neighbour = duplicate_of[sample]
        record["near_duplicate"] = {"of": neighbour.id, "similarity": neighbour.similarity}
        record["flags"].append(f"near_duplicate_of:{neighbour.id}")
    if sample in nearest:
        record["nearest"] = {"id": nearest[sample].id, "similarity": nearest[sample].similarity}
    matches, overlap = [], {}
    for evalset in evalsets:
        name = evalset.name
        record["checked"][name] = settings.check_key(evalset)
        if _unchecked(row, settings, evalset):
            entry = found[name].get(sample, {"words": 0, "template": 0, "matches": []})
            overlap[name] = {"words": entry["words"], "template": entry["template"]}
            matches += entry["matches"]
        else:  # checked before against this very set: its findings stand
            overlap[name] = (before.get("overlap") or {}).get(name, {"words": 0, "template": 0})
            matches += [m for m in before.get("contaminated") or [] if m["against"] == name]
    if matches:
        record["contaminated"] = matches
    record["overlap"] = overlap
    flagged = {f"contaminated:{m['against']}:{m['key']}" for m in matches}
    record["flags"] = sorted(flagged) + record["flags"]
    return record
