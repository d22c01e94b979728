"""How varied a run's constraint statements are: per type, how many statements, the share
woven into the request, and how many distinct ones (normalised: numbers as #, quoted values
as ...); overall, distinct statements per 100. With --ifeval, also how many instructions
share an 8-word run with IFEval's prompts (its `input_data.jsonl`), and how many of those
overlaps lie inside one of decif's own appended statements.

    python bench/phrasing.py --run runs/demo [--ifeval input_data.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from checkpoints.phrasing_stats import normalised
from checkpoints.runs import open_run

NGRAM = 8


def grams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def diversity(rows: list[dict]) -> None:
    seen: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        for how in row.get("stated") or []:
            text = how["text"] or f"({how['style'] or 'fixed sentence'})"
            seen[how["id"]].append((how["how"], normalised(text)))
    print(f"{'type':<46} {'stated':>6} {'woven':>6} {'distinct':>8}")
    total = distinct = woven = 0
    for type_, statements in sorted(seen.items(), key=lambda kv: -len(kv[1])):
        kinds = {t for _, t in statements}
        share = sum(h == "woven" for h, _ in statements) / len(statements)
        print(f"{type_:<46} {len(statements):>6} {share:>6.0%} {len(kinds):>8}")
        total, distinct = total + len(statements), distinct + len(kinds)
        woven += sum(h == "woven" for h, _ in statements)
    if total:
        print(
            f"\n{total} statements, {woven / total:.0%} woven; {distinct} distinct per type "
            f"summed ({100 * distinct / total:.1f} per 100 statements)"
        )


def overlap(rows: list[dict], ifeval: Path) -> None:
    prompts = [json.loads(line)["prompt"] for line in ifeval.read_text().splitlines() if line]
    theirs = set().union(*map(grams, prompts))
    hits = own = 0
    for row in rows:
        shared = grams(row["instruction"] or "") & theirs
        if not shared:
            continue
        hits += 1
        appended = [s["text"] for s in row.get("stated") or [] if s["how"] == "appended"]
        mine = set().union(set(), *map(grams, appended))
        own += shared <= mine
    print(
        f"\nIFEval ({len(prompts)} prompts): {hits} of {len(rows)} instructions share an "
        f"{NGRAM}-word run with one; in {own} of them every shared run lies inside decif's "
        "own appended statements"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="run directory or PostgreSQL URL")
    parser.add_argument("--ifeval", type=Path, help="IFEval's input_data.jsonl")
    args = parser.parse_args()
    rows = [r for r in open_run(args.run).store().rows() if r["instruction"]]
    diversity(rows)
    if args.ifeval:
        overlap(rows, args.ifeval)


if __name__ == "__main__":
    main()
