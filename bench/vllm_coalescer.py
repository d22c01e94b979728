"""Measure the vLLM backend's coalescer against the real engine on CPU.

Sends 16 prompts from 16 threads at once (the coalescer should merge them into few engine
calls), then the same 16 one after another, and prints completion tokens/s for both; then
one call under a JSON schema. Needs the vLLM venv and a Hugging Face model folder (see
bench/convert_smollm2_to_hf.py and VLLM_ON_CPU.md).

    python bench/vllm_coalescer.py --model /work/models/smollm2-hf
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from nodes.judge import verdict_schema

if TYPE_CHECKING:
    from nodes.llm import Sampling
    from nodes.llm.vllm import VLLMLLM

SCRATCH = Path(os.environ.get("VLLM_SCRATCH", Path(tempfile.gettempdir()) / "vllm-scratch"))
ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_CPU_KVCACHE_SPACE": "2",
    "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
    "TMPDIR": str(SCRATCH),
    "VLLM_CACHE_ROOT": str(SCRATCH / "vllm-cache"),
    "TORCHINDUCTOR_CACHE_DIR": str(SCRATCH / "inductor"),
}
TOPICS = [
    "tea",
    "rivers",
    "bicycles",
    "volcanoes",
    "libraries",
    "owls",
    "bridges",
    "winter",
    "chess",
    "bread",
    "comets",
    "gardens",
    "trains",
    "coral",
    "violins",
    "deserts",
]
SCHEMA = verdict_schema(3)


def messages(topic: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Write three sentences about {topic}."}]


def run(llm: VLLMLLM, sampling: Sampling, concurrent: bool) -> tuple[float, int, int]:
    """Complete all prompts; return (seconds, completion tokens, engine calls used)."""
    before = llm.engine_calls
    start = time.perf_counter()
    if concurrent:
        with ThreadPoolExecutor(len(TOPICS)) as pool:
            done = list(pool.map(lambda t: llm.complete(messages(t), sampling), TOPICS))
    else:
        done = [llm.complete(messages(t), sampling) for t in TOPICS]
    seconds = time.perf_counter() - start
    return seconds, sum(c.completion_tokens for c in done), llm.engine_calls - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/work/models/smollm2-hf")
    args = parser.parse_args()
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    for sub in ("vllm-cache", "inductor"):
        (SCRATCH / sub).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nodes.llm import Sampling, parse_json
    from nodes.llm.vllm import VLLMLLM

    start = time.perf_counter()
    llm = VLLMLLM(model=args.model, dtype="float32", max_model_len=2048, enforce_eager=True)
    print(f"load: {time.perf_counter() - start:.1f} s")
    llm.complete(messages("warm-up"), Sampling(max_tokens=8))  # first-call overheads
    llm.engine_calls = 0

    sampling = Sampling(max_tokens=64, temperature=0.7)
    for label, concurrent in (("coalesced, 16 threads", True), ("sequential", False)):
        seconds, tokens, calls = run(llm, sampling, concurrent)
        print(
            f"{label}: {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.1f} tok/s, "
            f"{calls} engine calls"
        )

    question = (
        "Answer YES or NO for each: is Paris in France? Is 2+2=5? Is water wet? "
        'Reply as JSON {"verdicts": [...]}.'
    )
    verdict_prompt = [{"role": "user", "content": question}]
    reply = llm.complete(verdict_prompt, Sampling(max_tokens=64, temperature=0.7), SCHEMA)
    try:
        verdicts = parse_json(reply.text)["verdicts"]
        ok = len(verdicts) == 3 and set(verdicts) <= {"YES", "NO"}
    except (ValueError, KeyError, TypeError):
        ok = False
    print(f"schema call: {reply.text!r} -> valid with 3 verdicts: {ok}")


if __name__ == "__main__":
    main()
