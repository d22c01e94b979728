"""P3: completion tokens/s of decif on vLLM - in process (`--backend vllm`) and against
vLLM's OpenAI server (`--backend openai`) - each over the same work done stage by stage
(one batch per stage: the reference implementation's design), on the same engine
settings. Each way runs in a fresh process with a fresh engine.

Needs the vLLM venv and a Hugging Face model folder (bench/convert_smollm2_to_hf.py;
../shared/VLLM_ON_CPU.md). On this project's CPU machine:

    python bench/vllm_throughput.py --model /tmp/models/smollm2-hf [--samples 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
# The CPU build's engine dies on a seeded request under chunked prefill ("CPU Generator does
# not use offset", ../shared/VLLM_ON_CPU.md): off, in process as at the server.
ENGINE = {
    "dtype": "float32",
    "max_model_len": 2048,
    "enforce_eager": True,
    "enable_chunked_prefill": False,
}
STRUCTURED = {"backend": "xgrammar", "disable_any_whitespace": True}
# decif keeps every sample in flight, as the stage-wise design batches every scenario: the
# same batch at the start. (A sample that fails early - the 135M model often writes a task
# that only repeats its request - leaves the batch, where the stage-wise design carries
# every scenario through every stage.)


def scenarios(count: int):
    """`count` distinct scenarios: the bundled examples, varied when more are wanted."""
    from graph.scenarios import load_scenarios, make_scenario

    items = load_scenarios(ROOT / "examples" / "scenarios.jsonl")
    return [
        make_scenario(s.request, f"{s.scenario} (case {n})", s.domain)
        for n, s in ((n, items[n % len(items)]) for n in range(count))
    ]


def settings(max_tokens: int):
    """The graph's straight path (no refinement, one attempt): the stage-wise run does
    exactly these stages."""
    from nodes.state import SampleSettings

    # Appended statements: the stage-wise way below does the same work as the graph.
    return SampleSettings(
        max_tokens=max_tokens, max_refine_rounds=0, max_attempts=1, phrasing="appended"
    )


def decif_run(llm, count: int, max_tokens: int) -> tuple[float, int]:
    """(seconds, completion tokens) of run_samples through `llm`."""
    from checkpoints import SampleStore
    from graph.runner import run_samples

    items = scenarios(count)
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        asyncio.run(run_samples(run_dir, llm, items, settings(max_tokens), len(items), False))
        seconds = time.perf_counter() - start
        tokens = sum(r["completion_tokens"] for r in SampleStore(run_dir).rows())
    return seconds, tokens


def in_process(model: str, count: int, max_tokens: int) -> tuple[float, int]:
    from nodes.llm.vllm import VLLMLLM

    return decif_run(VLLMLLM(model=model, **ENGINE), count, max_tokens)


def stage_wise(model: str, count: int, max_tokens: int) -> tuple[float, int]:
    """The sample graph's stages, each one batch over all scenarios (vllm.LLM.generate
    with one SamplingParams per prompt), on the engine VLLMLLM builds."""
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from nodes.consistency import CONSISTENCY_SCHEMA
    from nodes.constraints import DrawContext, draw_constraints
    from nodes.constraints.stating import compose, kind, sentence, without_checked
    from nodes.decompose import criteria_schema
    from nodes.instruction import INSTRUCTION_SCHEMA
    from nodes.judge import verdict_schema
    from nodes.llm import parse_json
    from nodes.llm.vllm import VLLMLLM
    from prompts import render

    backend = VLLMLLM(model=model, **ENGINE)
    engine = backend.engine  # driven below batch by batch, not by the backend's loop
    run = settings(max_tokens)
    items = scenarios(count)
    tokens = 0

    def batch(prompt: str, values: list[dict], schema, node: str) -> list[str]:
        nonlocal tokens
        prompts = [backend.render(render(prompt, **v)) for v in values]
        params = [
            SamplingParams(
                temperature=s.temperature,
                top_p=s.top_p,
                top_k=s.top_k,
                max_tokens=s.max_tokens,
                seed=s.seed,
                structured_outputs=StructuredOutputsParams(json=schema) if schema else None,
            )
            for s in (run.sampling(node, item.id) for item in items[: len(values)])
        ]
        outputs = backend_generate(engine, prompts, params)
        tokens += sum(len(o.outputs[0].token_ids) for o in outputs)
        return [o.outputs[0].text for o in outputs]

    start = time.perf_counter()
    drawn = [
        draw_constraints(run.rng(i.id), DrawContext(i.request, i.scenario), run.drawable_types())
        for i in items
    ]
    tasks = batch(
        "make_instruction",
        [
            {
                "request": i.request,
                "voice": "",
                "scenario": i.scenario,
                "constraints": "\n".join(f"- {sentence(c)}" for c in d if kind(c).bind is None),
            }
            for i, d in zip(items, drawn, strict=True)
        ],
        INSTRUCTION_SCHEMA,
        "make_instruction",
    )
    instructions = []
    for item, task, d in zip(items, tasks, drawn, strict=True):
        try:
            text = str(parse_json(task)["instruction"])
        except (ValueError, KeyError, TypeError):
            text = task
        instructions.append(compose(text, d, run.rng(item.id)))
    texts = [i for i, _, _ in instructions]
    batch(
        "check_consistency",
        [{"instruction": t} for t in texts],
        CONSISTENCY_SCHEMA,
        "check_consistency",
    )
    answers = batch("answer", [{"instruction": t} for t in texts], None, "answer")
    criteria = batch(
        "decompose",
        [{"instruction": without_checked(t, c, s)} for t, c, s in instructions],
        criteria_schema(run.max_criteria),
        "decompose",
    )
    questions = []
    for reply in criteria:
        try:
            questions.append([str(q) for q in parse_json(reply)["questions"]][:12] or ["Ok?"])
        except (ValueError, KeyError, TypeError):
            questions.append(["Is the response relevant?"])
    values = [
        {
            "instruction": t,
            "response": a,
            "questions": "\n".join(f"{n}. {q}" for n, q in enumerate(qs, 1)),
            "count": len(qs),
        }
        for t, a, qs in zip(texts, answers, questions, strict=True)
    ]
    for count_ in sorted({len(qs) for qs in questions}):  # one schema per verdict count
        group = [v for v in values if v["count"] == count_]
        batch("judge", group, verdict_schema(count_), "judge")
    return time.perf_counter() - start, tokens


def backend_generate(engine, prompts: list[str], params: list) -> list:
    """One batch through the engine, run to completion (what vllm.LLM.generate does)."""
    from vllm.sampling_params import RequestOutputKind

    for n, (prompt, param) in enumerate(zip(prompts, params, strict=True)):
        param.output_kind = RequestOutputKind.FINAL_ONLY
        engine.add_request(f"stage-{time.monotonic_ns()}-{n}", prompt, param)
    done = {}
    while engine.has_unfinished_requests():
        for output in engine.step():
            if output.finished:
                done[output.request_id] = output
    return [done[k] for k in sorted(done, key=lambda k: int(k.rsplit("-", 1)[1]))]


def served(model: str, count: int, max_tokens: int) -> tuple[float, int]:
    """decif's openai backend against vLLM's OpenAI server (continuous batching)."""
    from nodes.llm.openai import OpenAILLM

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
        "--served-model-name", "bench", "--dtype", "float32", "--max-model-len", "2048",
        "--enforce-eager", "--no-enable-chunked-prefill", "--port", str(port),
        "--structured-outputs-config", json.dumps(STRUCTURED),  # as VLLMLLM sets it
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                time.sleep(2)
        return decif_run(OpenAILLM(f"http://127.0.0.1:{port}/v1"), count, max_tokens)
    finally:
        server.terminate()
        server.wait()


WAYS = {"stage-wise": stage_wise, "in-process": in_process, "server": served}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model folder")
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--way", choices=list(WAYS), help=argparse.SUPPRESS)  # one child
    args = parser.parse_args()
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    for sub in ("vllm-cache", "inductor"):
        (SCRATCH / sub).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    if args.way:
        seconds, tokens = WAYS[args.way](args.model, args.samples, args.max_tokens)
        print(json.dumps({"seconds": seconds, "tokens": tokens}))
        return
    rates = {}
    for way in WAYS:
        child = [sys.executable, __file__, "--model", args.model, "--samples",
                 str(args.samples), "--max-tokens", str(args.max_tokens), "--way", way]  # fmt: skip
        out = subprocess.run(child, capture_output=True, text=True, check=True).stdout
        # vLLM logs to stdout too, even after the result: take the result's own line
        result = json.loads(next(li for li in out.splitlines() if li.startswith('{"seconds"')))
        rates[way] = result["tokens"] / result["seconds"]
        print(f"{way:>10}: {result['tokens']} tokens in {result['seconds']:.1f} s = "
              f"{rates[way]:.1f} tokens/s", flush=True)  # fmt: skip
    base = rates["stage-wise"]
    print(f"in process / stage-wise: {rates['in-process'] / base:.2f}; "
          f"server / stage-wise: {rates['server'] / base:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
