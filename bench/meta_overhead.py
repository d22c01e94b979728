"""How long the meta stage spends outside the LLM: graph, checkpoint and storage overhead.

Runs the meta graph (stages 1-3) through the real runner and SQLite checkpointer, with a
fake LLM that sleeps a fixed latency and returns distinct items, and prints wall time,
time inside the LLM, and the difference per call and per scenario.

    python bench/meta_overhead.py [--latency 0.05] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from fake_llm import FixedLatencyLLM

from graph.runner import run_meta
from nodes.state import MetaSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per LLM call")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    settings = MetaSettings(
        iterations=4,
        domains_per_prompt=10,
        max_domains=12,
        requests_per_domain=5,
        scenarios_per_request=6,
    )
    llm = FixedLatencyLLM(args.latency)
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        scenarios = asyncio.run(run_meta(run_dir, llm, settings, args.concurrency))
        wall = time.perf_counter() - start
    inside = llm.calls * args.latency / args.concurrency
    outside = wall - inside
    print(f"scenarios: {len(scenarios)}  llm calls: {llm.calls}  concurrency: {args.concurrency}")
    print(f"wall: {wall:.2f} s  inside the LLM (ideal): {inside:.2f} s  outside: {outside:.2f} s")
    print(
        f"overhead: {1000 * outside / llm.calls:.1f} ms per call, "
        f"{1000 * outside / len(scenarios):.2f} ms per scenario"
    )


if __name__ == "__main__":
    main()
