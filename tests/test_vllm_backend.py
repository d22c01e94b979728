"""The vllm backend against the real vLLM engine.

Needs vLLM and a Hugging Face model folder (DECIF_VLLM_MODEL), so it runs where those
exist - on a GPU, or on this CPU with the recipe of shared/VLLM_ON_CPU.md:
`bench/convert_smollm2_to_hf.py` makes the folder. Without them it is skipped.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from checkpoints import SampleStore
from graph import SampleSettings
from graph.runner import run_samples
from graph.scenarios import make_scenario
from nodes.judge import verdict_schema
from nodes.llm import Sampling, parse_json

MODEL = os.environ.get("DECIF_VLLM_MODEL", "")
pytest.importorskip("vllm")
pytestmark = pytest.mark.skipif(not os.path.isdir(MODEL), reason="set DECIF_VLLM_MODEL")


@pytest.fixture(scope="module")
def llm():
    from nodes.llm.vllm import VLLMLLM

    return VLLMLLM(model=MODEL, dtype="float32", max_model_len=2048, enforce_eager=True)


def test_schema_constrains_the_verdicts(llm):
    schema = verdict_schema(3)
    messages = [{"role": "user", "content": "Is the sky blue? Is fire cold? Is 2 > 1?"}]
    completion = llm.complete(messages, Sampling(max_tokens=64), schema)
    assert len(parse_json(completion.text)["verdicts"]) == 3
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0


def test_concurrent_samples_share_engine_steps(llm, tmp_path):
    """Continuous batching: the requests of concurrent samples are decoded in the same
    engine steps, so the engine takes far fewer steps than tokens were generated."""
    scenarios = [make_scenario(f"request {i}", f"A person in situation {i}.") for i in range(4)]
    before = llm.steps
    settings = SampleSettings(max_tokens=128, max_attempts=1, max_refine_rounds=0)
    asyncio.run(run_samples(tmp_path, llm, scenarios, settings, concurrency=4, progress=False))
    rows = list(SampleStore(tmp_path).rows())
    assert len(rows) == 4
    assert not [
        r["error"] for r in rows if r["reason"] == "llm_error"
    ]  # e.g. a grammar vLLM rejects
    tokens = sum(r["completion_tokens"] for r in rows)
    assert llm.steps - before < 0.7 * tokens


def test_candidates_are_one_request(llm):
    messages = [{"role": "user", "content": "Name a colour."}]
    completion = llm.complete_n(messages, Sampling(max_tokens=8, seed=1), 3)
    assert len(completion.more) == 2
    assert completion.completion_tokens > 0


def test_meta_stages_run_on_the_engine(llm, tmp_path):
    from graph.runner import run_meta
    from nodes.state import SMALL_META

    scenarios = asyncio.run(run_meta(tmp_path, llm, SMALL_META, concurrency=8))
    db = SampleStore(tmp_path).db
    assert db["domains"].count >= 3  # the seeds at least
    assert db["meta_calls"].count == 1 + db["domains"].count + db["requests"].count
    assert len(scenarios) == db["scenarios"].count
