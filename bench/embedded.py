"""P2: does decif run the embedded model at llama.cpp's own speed?

Runs scenarios through `run_samples` on the llamacpp backend, recording every call, then
replays the very same calls (messages, sampling, seed, JSON schema) on llama-cpp-python's
`Llama` called directly with the best settings for these cores (all physical cores,
512-token batches). Prints decif's wall time over the sum of its LLM call times (the
graph's own share), and llama.cpp's completion tokens/s inside decif over direct.

    python bench/embedded.py [--samples 3] [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from graph.runner import run_samples
from graph.scenarios import load_scenarios
from nodes.llm import LLM, Completion, Messages, Sampling
from nodes.llm.llamacpp import BATCH, LlamaCppLLM, embedded_model_path, physical_cores
from nodes.state import SampleSettings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios.jsonl"


class Recording(LLM):
    """The llamacpp backend, every call kept: what was asked and what it cost."""

    def __init__(self, llm: LlamaCppLLM):
        self.llm, self.name = llm, llm.name
        self.calls: list[tuple[Messages, Sampling, dict | None, Completion]] = []

    def complete(self, messages: Messages, sampling: Sampling, schema: dict | None = None):
        completion = self.llm.complete(messages, sampling, schema)
        self.calls.append((messages, sampling, schema, completion))
        return completion


def replay_direct(calls: list) -> tuple[float, int]:
    """(seconds, completion tokens) of the same calls on `Llama` directly."""
    from llama_cpp import Llama

    threads = physical_cores()
    model = Llama(
        embedded_model_path(),
        n_ctx=4096,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=BATCH,
        n_ubatch=BATCH,
        verbose=False,
    )
    seconds, tokens = 0.0, 0
    for messages, sampling, schema, _ in calls:
        extra = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        start = time.perf_counter()
        reply = model.create_chat_completion(
            messages,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
            **extra,
        )
        seconds += time.perf_counter() - start
        tokens += reply["usage"]["completion_tokens"]
    return seconds, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    scenarios = load_scenarios(EXAMPLES)[: args.samples]
    llm = Recording(LlamaCppLLM())
    settings = SampleSettings(max_tokens=args.max_tokens)
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        asyncio.run(run_samples(run_dir, llm, scenarios, settings, 1, False))
        wall = time.perf_counter() - start
    in_llm = sum(c.latency_s for *_, c in llm.calls)
    tokens = sum(c.completion_tokens for *_, c in llm.calls)
    direct_s, direct_tokens = replay_direct(llm.calls)
    print(f"{len(scenarios)} samples, {len(llm.calls)} LLM calls, {physical_cores()} threads")
    print(f"decif wall {wall:.1f} s, in the LLM {in_llm:.1f} s: ratio {wall / in_llm:.3f}")
    print(
        f"completion tokens/s: decif {tokens / in_llm:.1f} ({tokens} tokens), Llama direct "
        f"{direct_tokens / direct_s:.1f} ({direct_tokens} tokens): ratio "
        f"{(tokens / in_llm) / (direct_tokens / direct_s):.3f}"
    )
    print(json.dumps({"wall_over_llm": wall / in_llm, "llm_seconds": in_llm}))


if __name__ == "__main__":
    main()
