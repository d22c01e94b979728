"""P1: is decif the bottleneck against a fast server? `run_samples` through the real
openai backend (HTTP client, retries, accounting), graph, SQLite checkpoints and samples
table, against a loopback OpenAI-compatible server in its own process that answers after
a fixed latency. Prints samples/s against the LLM-bound ideal and decif's CPU time per LLM
call, per concurrency.

    python bench/orchestration.py [--samples 400] [--latency 0.2] [--concurrency 16 64 256]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fake_llm import BENCH_TYPES, SERIAL_CALLS

from graph.runner import run_samples
from graph.scenarios import make_scenario
from nodes.llm.openai import OpenAILLM
from nodes.state import SampleSettings

CALLS_PER_SAMPLE = 5
SETTINGS = SampleSettings(types=BENCH_TYPES)


def measure(base_url: str, samples: int, concurrency: int, tag: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one run of `samples` samples."""
    scenarios = [make_scenario(f"task {tag} {i}", f"A person in case {i}.") for i in range(samples)]
    llm = OpenAILLM(base_url)
    with tempfile.TemporaryDirectory() as run_dir:
        start, cpu = time.perf_counter(), time.process_time()
        counts = asyncio.run(run_samples(run_dir, llm, scenarios, SETTINGS, concurrency, False))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert counts == {"accepted": samples}, counts
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 256])
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("loopback_server.py")),
            "--latency",
            str(args.latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
        measure(base_url, 8, 8, "warm-up")  # imports and first connections, not measured
        print(f"{args.samples} samples, {args.latency * 1000:.0f} ms per call at the server")
        for concurrency in args.concurrency:
            wall, cpu = measure(base_url, args.samples, concurrency, str(concurrency))
            ideal = min(concurrency, args.samples) / (SERIAL_CALLS * args.latency)
            rate = args.samples / wall
            per_call = 1000 * cpu / (args.samples * CALLS_PER_SAMPLE)
            print(
                f"concurrency {concurrency:>3}: {rate:6.1f} samples/s, ideal {ideal:6.1f} "
                f"({100 * rate / ideal:5.1f}%); decif CPU {per_call:5.2f} ms per LLM call"
            )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
