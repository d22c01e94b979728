"""What curation records on a sample, and what it means for an export.

`decif curate` writes one JSON object into the `curation` column of each accepted sample
(`graph/curate/` computes it):

    flags           ["near_duplicate_of:<id>", "contaminated:<NAME>:<eval key>", ...]
    near_duplicate  {"of": id, "similarity": s}: an earlier kept sample this one repeats
    nearest         {"id": id, "similarity": s}: its most similar other sample, if one was
                    found (a diversity figure)
    contaminated    [{"against", "key", "field", "score", "span", "template_share"}]
    overlap         {NAME: {"words": w, "template": t}}: the sample's words inside n-grams
                    it shares with that evaluation set, and how many of them lie in decif's
                    own constraint sentences (a template hit, not a leaked prompt)
    checked         {NAME: digest}: the evaluation set (content and settings) it was
                    checked against
    dedup           the digest of the near-duplicate settings it was compared under

A sample with flags is left out of exports; why is its *reason*, one per sample, so that
`decif stats`, the export summary and the dataset card count the same thing: the first
contamination (`contaminated:<NAME>`), else `near_duplicate`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

NEAR_DUPLICATE = "near_duplicate"
CONTAMINATED = "contaminated"
# Where the signatures of a run's accepted instructions are kept, so a rerun hashes only
# the samples it has not seen: id, the digest of the text and settings they were made
# from, and the MinHash values as bytes.
SIGNATURES_TABLE = "curation_signatures"


def reason(curation: dict[str, Any] | None) -> str | None:
    """Why an export leaves this sample out (None: it is not flagged)."""
    if not curation:
        return None
    for match in curation.get("contaminated") or []:
        return f"{CONTAMINATED}:{match['against']}"
    return NEAR_DUPLICATE if curation.get("near_duplicate") else None


def flag_counts(curations: Iterable[dict[str, Any] | None]) -> Counter:
    """How many samples each reason leaves out."""
    return Counter(r for r in map(reason, curations) if r)


def curation_figures(db: Any, config: dict[str, Any]) -> dict[str, Any]:
    """The run's curation as figures for `decif stats` (a SQLite connection over the
    samples table; `config` is the run's, whose `curation` section says how it was made)."""
    columns = {row[1] for row in db.execute("pragma table_info(samples)")}
    records = []
    if "curation" in columns:
        sql = "select curation from samples where status = 'accepted'"
        records = [json.loads(row[0]) if row[0] else None for row in db.execute(sql)]
    curated = [r for r in records if r is not None]
    settings = config.get("curation") or {}
    near = [r["near_duplicate"] for r in curated if r.get("near_duplicate")]
    return {
        "accepted": len(records),
        "curated": len(curated),
        "uncurated": len(records) - len(curated),
        "left_out": dict(flag_counts(records).most_common()),
        "near_duplicates": len(near),
        "exact_duplicates": sum(1 for n in near if n["similarity"] >= 1.0),
        "contamination": contamination_figures(
            curated, [a["name"] for a in settings.get("against", [])]
        ),
        "settings": settings,
    }


CONTAMINATION_FIGURES = (
    "samples",  # samples with a match
    "matches",  # (sample, prompt) matches
    "in_instruction",  # samples matched in their instruction
    "in_response",  # ... in their response
    "template_hits",  # samples whose every match lies mostly in decif's constraint sentences
    "overlap_words",  # words of all samples inside n-grams shared with the set
    "template_words",  # how many of those lie in decif's constraint sentences
)


def contamination_figures(
    records: Iterable[dict[str, Any]], names: Iterable[str] = ()
) -> dict[str, dict[str, int]]:
    """Per evaluation set, what the curation records say about overlap with it."""
    per_set: dict[str, Counter] = {name: Counter() for name in names}
    for record in records:
        for name, counts in (record.get("overlap") or {}).items():
            per_set.setdefault(name, Counter()).update(
                overlap_words=counts["words"], template_words=counts["template"]
            )
        by_set: dict[str, list[dict]] = {}
        for match in record.get("contaminated") or []:
            by_set.setdefault(match["against"], []).append(match)
        for name, matches in by_set.items():
            figures = per_set.setdefault(name, Counter())
            figures["samples"] += 1
            figures["matches"] += len(matches)
            figures["in_instruction"] += any(m["field"] == "instruction" for m in matches)
            figures["in_response"] += any(m["field"] == "response" for m in matches)
            figures["template_hits"] += all(m["template_share"] >= 0.5 for m in matches)
    return {name: {k: per_set[name][k] for k in CONTAMINATION_FIGURES} for name in sorted(per_set)}
