"""Is the orchestration ever the bottleneck? Samples per second through the real runner,
sample graph and SQLite checkpointer, against a fake LLM of fixed latency, at several
concurrencies, beside the rate the LLM alone would allow.

    python bench/sample_overhead.py [--samples 200] [--latency 0.05] [--concurrency 1 16 64]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from fake_llm import BENCH_TYPES, SERIAL_CALLS, FixedLatencyLLM

from graph.runner import run_samples
from graph.scenarios import make_scenario
from nodes.state import SampleSettings

CALLS_PER_SAMPLE = 5  # instruction, consistency, answer + criteria (in parallel), judge
SETTINGS = SampleSettings(types=BENCH_TYPES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per LLM call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()
    scenarios = [make_scenario(f"task {i}", f"A person in case {i}.") for i in range(args.samples)]
    print(f"{args.samples} samples, {args.latency * 1000:.0f} ms per LLM call")
    for concurrency in args.concurrency:
        llm = FixedLatencyLLM(args.latency)
        with tempfile.TemporaryDirectory() as run_dir:
            start = time.perf_counter()
            counts = asyncio.run(run_samples(run_dir, llm, scenarios, SETTINGS, concurrency, False))
            wall = time.perf_counter() - start
        assert counts == {"accepted": args.samples}, counts
        ideal = concurrency / (SERIAL_CALLS * args.latency)  # samples/s if only the LLM cost
        rate = args.samples / wall
        overhead_ms = 1000 * (wall / args.samples * concurrency - SERIAL_CALLS * args.latency)
        print(
            f"concurrency {concurrency:>3}: {rate:7.1f} samples/s (LLM-bound ideal {ideal:7.1f}, "
            f"{100 * rate / ideal:5.1f}%), overhead {overhead_ms:6.1f} ms per sample, "
            f"{llm.calls} calls"
        )


if __name__ == "__main__":
    main()
