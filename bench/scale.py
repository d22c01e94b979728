"""Scale-out: one run in PostgreSQL worked by 1, 2, 4 worker processes against a pool of
1, 4, 8 OpenAI-compatible endpoints on loopback, each answering after a fixed latency
with a fixed number of batch slots (a GPU server's capacity: more requests queue). Prints
samples/s against the ideal for each grid point, and the workers' CPU per LLM call.

The ideal is the smaller of two bounds: the endpoints' capacity (endpoints x slots calls
at once, each sample's LLM calls as the run counted them; none with --slots 0) and the
workers' concurrency (workers x --concurrency samples in flight, each SERIAL_CALLS
latencies long: the latency-bound ideal). The endpoints' replies are of every length
(verdicts of a few tokens, answers of hundreds) in the same time, so a limit that read
length as load would show here. "in flight" is the calls the endpoints were serving on
average (Little's law: their rate times the latency; calls waiting for a slot not
counted). The rate is taken in steady state: the LLM calls the endpoints took between 10%
and 90% of the samples done, over that time, in samples' worth of calls - process
start-up and the tail do not count, nor does work begun before the window (many samples
are in flight at once).
Everything shares this machine's cores: where the measured rate stops following the
ideal, the ceiling is the CPU (the workers' ms per call says how much).

    python bench/scale.py [--samples 400] [--latency 0.2] [--slots 16] [--concurrency 32]
                          [--workers 1 2 4] [--endpoints 1 4 8]

Needs PostgreSQL's binaries (apt-get install postgresql), as the tests do.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from math import inf
from pathlib import Path

from fake_llm import BENCH_TYPES, SERIAL_CALLS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL server, started the same way

from postgres_server import new_database, postgres_server  # noqa: E402

from checkpoints.runs import open_run  # noqa: E402


def start_endpoints(count: int, latency: float, slots: int, stack: ExitStack) -> list[str]:
    urls = []
    for _ in range(count):
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("loopback_server.py")),
             "--latency", str(latency), "--slots", str(slots)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        stack.callback(server.terminate)
        urls.append(f"http://127.0.0.1:{server.stdout.readline().strip()}/v1")
    return urls


def decif(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "graph.cli", *arguments],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def measure(
    server: str, scenarios: Path, urls: list[str], workers: int, args: argparse.Namespace
) -> tuple[float, float, float]:
    """(samples/s in steady state, LLM calls per sample, the workers' CPU ms per LLM call,
    start-up included) for one grid point: one
    `decif run` that queues the scenarios and works them, and workers - 1 `decif worker`
    started once the run exists."""
    url = new_database(server)
    run = open_run(url)
    endpoints = [a for u in urls for a in ("--base-url", u)]
    common = ["--backend", "openai", *endpoints, "--concurrency", str(args.concurrency)]
    common += ["--no-progress", "--personas", "0"]  # the SERIAL_CALLS the ideal counts
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    processes = [
        decif("run", "--run", url, "--scenarios", str(scenarios), "--constraint-types",
              ",".join(BENCH_TYPES), *common)
    ]  # fmt: skip
    while "settings" not in run.read_config():
        time.sleep(0.05)
    processes += [decif("worker", "--run", url, *common) for _ in range(workers - 1)]
    store, marks = run.store(), {}
    low, high = args.samples // 10, args.samples - args.samples // 10
    while any(p.poll() is None for p in processes):
        done = store.progress()["done"]
        for mark in (low, high):
            if done >= mark and mark not in marks:
                marks[mark] = (served(urls), time.perf_counter())
        time.sleep(0.02)
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"a decif process failed: {process.stderr.read()[-2000:]}")
    counts = store.counts()
    assert counts == {"accepted": args.samples}, counts
    calls = sum(row["llm_calls"] for row in store.rows())
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    (calls_low, t_low), (calls_high, t_high) = marks[low], marks[high]
    per_sample = calls / args.samples
    rate = (calls_high - calls_low) / (t_high - t_low) / per_sample
    return rate, per_sample, 1000 * cpu_s / calls


def served(urls: list[str]) -> int:
    """Chat completions the endpoints have taken so far (bench/loopback_server.py counts)."""
    total = 0
    for url in urls:
        with urllib.request.urlopen(f"{url}/count", timeout=10) as reply:
            total += json.load(reply)["chat"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per call")
    parser.add_argument(
        "--slots", type=int, default=16, help="calls an endpoint serves at once (0: any number)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="samples per worker")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        server = stack.enter_context(postgres_server())
        all_urls = start_endpoints(max(args.endpoints), args.latency, args.slots, stack)
        scenarios = Path(scratch) / "scenarios.jsonl"
        scenarios.write_text(
            "".join(
                json.dumps({"request": f"task {i}", "scenario": f"A person in case {i}."}) + "\n"
                for i in range(args.samples)
            )
        )
        print(
            f"{args.samples} samples; endpoints answer in {args.latency * 1000:.0f} ms, "
            f"{args.slots or 'any number of'} calls at once; replies of 5 to 400 tokens; "
            f"{args.concurrency} samples in flight per worker"
        )
        print("endpoints workers  samples/s  ideal   of ideal  in flight  worker CPU ms/call")
        for count in args.endpoints:
            for workers in args.workers:
                rate, calls, per_call = measure(server, scenarios, all_urls[:count], workers, args)
                capacity = count * args.slots / (calls * args.latency) if args.slots else inf
                ideal = min(capacity, workers * args.concurrency / (SERIAL_CALLS * args.latency))
                in_flight = rate * calls * args.latency  # Little's law, at the servers
                print(
                    f"{count:>9} {workers:>7} {rate:>10.1f} {ideal:>6.1f} "
                    f"{100 * rate / ideal:>8.0f}% {in_flight:>9.1f} {per_call:>12.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
