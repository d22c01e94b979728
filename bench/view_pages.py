"""How fast `decif view` serves a big run: seconds per page of the sample list (default,
filtered, searched, sorted, the last page), one sample and the review queue, on a run of
--samples samples against the same run with 1,000, and their ratio.

The rows are real ones: a run of 200 samples is made by a fake LLM in process, then its
rows are copied under new ids and positions until the run holds the number asked.

    python bench/view_pages.py [--samples 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from fake_llm import BENCH_TYPES, FixedLatencyLLM
from starlette.testclient import TestClient

from checkpoints.runs import open_run
from checkpoints.tables import SAMPLE_COLUMNS
from graph.runner import run_samples
from graph.scenarios import make_scenario
from graph.view.app import build_app
from graph.view.security import Guard
from nodes.state import SampleSettings

SEED_SAMPLES = 200
PAGES = {
    "list": "/",
    "accepted": "/?status=accepted",
    "search": "/?search=case%2017",
    "sort by attempts": "/?sort=attempts&order=desc",
    "last page": "/?page={last}",
    "one sample": "/samples/{sample}",
    "review queue": "/queue?reviewer=bench",
}


def make_run(path: Path, samples: int) -> None:
    scenarios = [make_scenario(f"task {i}", f"A person in case {i}.") for i in range(SEED_SAMPLES)]
    settings = SampleSettings(types=BENCH_TYPES)
    asyncio.run(run_samples(path, FixedLatencyLLM(0), scenarios, settings, 16, False))
    columns = list(SAMPLE_COLUMNS)
    with closing(sqlite3.connect(path / "samples.db")) as db, db:
        seed = db.execute(f"select {', '.join(columns)} from samples").fetchall()
        copies = (
            [f"c{n:07d}" if c == "id" else n if c == "position" else v
             for c, v in zip(columns, seed[n % len(seed)], strict=True)]
            for n in range(len(seed), samples)
        )  # fmt: skip
        db.executemany(
            f"insert into samples ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            copies,
        )


def time_pages(path: Path, repeats: int = 3) -> dict[str, float]:
    guard = Guard("127.0.0.1", 8765)
    client = TestClient(build_app(open_run(path), guard), base_url="http://127.0.0.1:8765")
    with closing(sqlite3.connect(path / "samples.db")) as db:
        total = db.execute("select count(*) from samples").fetchone()[0]
        sample = db.execute("select id from samples order by position desc").fetchone()[0]
    figures = {}
    for name, url in PAGES.items():
        url = url.format(last=-(-total // 50), sample=sample)
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - start)
            assert response.status_code in (200, 303), (url, response.status_code)
        figures[name] = min(seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        make_run(small, 1000)
        make_run(big, args.samples)
        size_mb = (big / "samples.db").stat().st_size / 1e6
        a, b = time_pages(small), time_pages(big)
    print(f"seconds per page (best of 3): 1,000 samples vs {args.samples:,} ({size_mb:.0f} MB)")
    for name in PAGES:
        print(f"  {name:<18} {a[name]:7.3f}  {b[name]:7.3f}  x{b[name] / a[name]:.1f}")


if __name__ == "__main__":
    main()
