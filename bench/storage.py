"""P4: what a finished sample costs on disk, before and after `decif prune`, and what a
rerun of a finished run costs: seconds (the whole `decif run` command, start-up included)
and LLM calls. The samples are made by a fake LLM in process; the rerun is the real CLI
against the loopback server, which counts the requests it gets.

    python bench/storage.py [--samples 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fake_llm import BENCH_TYPES, FixedLatencyLLM

from checkpoints.prune import prune, run_size
from graph.runner import run_samples
from graph.scenarios import make_scenario
from nodes.state import SampleSettings

SETTINGS = SampleSettings(types=BENCH_TYPES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    scenarios = [make_scenario(f"task {i}", f"A person in case {i}.") for i in range(args.samples)]
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        asyncio.run(run_samples(run_dir, FixedLatencyLLM(0), scenarios, SETTINGS, 16, False))
        before = run_size(run_dir) / 1024 / args.samples
        prune(run_dir)
        after = run_size(run_dir) / 1024 / args.samples
        print(
            f"{args.samples} samples: {before:.1f} KB per finished sample, {after:.1f} after prune"
        )

        file = Path(tmp) / "scenarios.jsonl"
        file.write_text("".join(json.dumps(s.as_input()) + "\n" for s in scenarios))
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("loopback_server.py"))],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
            command = [
                sys.executable, "-m", "graph.cli", "run", "--run", str(run_dir), "--scenarios",
                str(file), "--backend", "openai", "--base-url", url, "--no-progress",
                "--constraint-types", ",".join(BENCH_TYPES),
            ]  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            calls = json.load(urllib.request.urlopen(f"{url}/count"))
        finally:
            server.terminate()
        assert done.returncode == 0, done.stderr
        print(f"rerun of the finished run: {seconds:.1f} s, {calls['chat']} LLM calls")


if __name__ == "__main__":
    main()
