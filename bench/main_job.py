"""The README's main job on several seeds: does a newcomer's first run make a dataset?

Runs `decif pipeline --run DIR --max-tokens 512 --seed S` (the README's command, one seed
each, in a fresh run directory under a temporary folder) on the embedded model, one seed
after the other, and prints per seed: the pairs in DIR/export/decif.jsonl, how many of
them passed at least one code check (a verified constraint, not only the judge), the
samples by status, wall time and CPU time (the command's user + system seconds: on a
shared machine wall time grows with the load, CPU time much less), then the totals and
the load average before and after.

    python bench/main_job.py [--seeds 10] [--first 0] [--keep] [-- more pipeline options]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = ["pipeline", "--max-tokens", "512", "--no-progress"]
STATUSES = ("accepted", "rejected", "failed")
HEADER = ("seed", "pairs", "verified", "acc/rej/fail", "wall s", "cpu s")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def outcome(run: Path) -> dict:
    """Pairs exported, pairs with a code check passed, and samples by status."""
    export = run / "export" / "decif.jsonl"
    pairs = len(export.read_text().splitlines()) if export.exists() else 0
    with sqlite3.connect(run / "samples.db") as db:
        rows = db.execute("select status, checks from samples").fetchall()
    statuses = {s: sum(1 for status, _ in rows if status == s) for s in STATUSES}
    verified = sum(
        1
        for status, checks in rows
        if status == "accepted" and any(c["by"] == "code" for c in json.loads(checks or "[]"))
    )
    return {"pairs": pairs, "verified": verified, **statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds [10]")
    parser.add_argument("--first", type=int, default=0, help="the first seed [0]")
    parser.add_argument("--keep", action="store_true", help="keep the run directories")
    parser.add_argument("extra", nargs="*", help="more `decif pipeline` options, after --")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="decif-main-job-"))
    load_before = os.getloadavg()
    print(f"decif pipeline --run DIR {' '.join(COMMAND[1:])} --seed S {' '.join(args.extra)}")
    print("{:>4} {:>5} {:>8} {:>12} {:>7} {:>6}".format(*HEADER))
    results = []
    try:
        for seed in range(args.first, args.first + args.seeds):
            run = root / f"seed{seed}"
            command = [sys.executable, "-m", "graph.cli", *COMMAND, "--run", str(run)]
            command += ["--seed", str(seed), *args.extra]
            cpu, start = cpu_seconds(), time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            if done.returncode:
                print(f"{seed:>4} failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
                continue
            result = outcome(run) | {"wall": wall, "cpu": cpu, "last": done.stdout.strip()}
            results.append(result)
            counts = f"{result['accepted']}/{result['rejected']}/{result['failed']}"
            print(
                f"{seed:>4} {result['pairs']:>5} {result['verified']:>8} {counts:>12} "
                f"{wall:>7.0f} {cpu:>6.0f}",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if not results:
        return
    walls = sorted(r["wall"] for r in results)
    with_pair = sum(1 for r in results if r["pairs"])
    with_verified = sum(1 for r in results if r["verified"])
    print(
        f"seeds with a pair: {with_pair}/{args.seeds}; with a code-verified pair: "
        f"{with_verified}/{args.seeds}; pairs: {sum(r['pairs'] for r in results)}"
    )
    print(
        f"wall s: median {walls[len(walls) // 2]:.0f}, max {walls[-1]:.0f}, total "
        f"{sum(walls):.0f}; cpu s: median "
        f"{sorted(r['cpu'] for r in results)[len(results) // 2]:.0f}"
    )
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before {', '.join(f'{x:.1f}' for x in load_before)}; "
        f"after {', '.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} cores"
    )
    if args.keep:
        print(f"runs kept in {root}")


if __name__ == "__main__":
    main()
