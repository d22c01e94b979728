"""A verdict does not depend on timing: the checkers' first use from many threads at once,
in a fresh interpreter (as a run starts its samples, or an RL reward worker its batch),
gives the verdicts one thread gives. And a fault in decif outside an LLM call is never
recorded as the model's."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from conftest import NO_COMMAS, good_script
from fakes import TESTS, ScriptedLLM

from checkpoints import SampleStore
from checkpoints.stats import run_stats
from graph.runner import run_samples
from graph.scenarios import make_scenario

THREADS = 16

# Every code-checkable type with kwargs drawn from a seeded RNG, against responses that
# need NLTK's sentences and word tokens and langdetect's languages; each thread starts
# at its own place in the list, so sixteen first uses meet at once.
VERDICTS = """
import json, random, sys, threading
from nodes.constraints import REGISTRY, DrawContext, check

responses = [
    "this is a plain english answer, written entirely in lowercase. it has two sentences.",
    "THIS ANSWER IS WRITTEN IN CAPITAL LETTERS ONLY. IT SAYS NOTHING ELSE!",
    "Voici une réponse écrite en français. Elle contient deux phrases.",
    "Dr. Smith went to Washington. He didn't stay long... Why? NASA called!!",
]
context = DrawContext("plan a trip", "A student in Lisbon wants a cheap weekend trip.")
cases = []
for i, kind in enumerate(sorted(REGISTRY.values(), key=lambda k: k.id)):
    if kind.check is not None:
        kwargs = kind.draw(random.Random(i), context)
        if kind.bind is not None:
            kwargs = kind.bind(kwargs, "Plan a cheap weekend trip from Lisbon.")
        cases += [(kind.id, kwargs, r) for r in responses]

def verdicts(order):
    out = {}
    for n in order:
        try:
            out[n] = check(*cases[n])
        except Exception as err:
            out[n] = f"{type(err).__name__}: {err}"
    return out

threads = int(sys.argv[1])
if threads == 1:
    found = verdicts(range(len(cases)))
else:
    found, barrier = {}, threading.Barrier(threads)
    def work(t):
        barrier.wait()
        start = t * len(cases) // threads
        found.update(verdicts([(start + n) % len(cases) for n in range(len(cases))]))
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
print(json.dumps([found[n] for n in range(len(cases))]))
"""


def verdicts_in_a_fresh_process(threads: int) -> list:
    done = subprocess.run(
        [sys.executable, "-c", VERDICTS, str(threads)],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


def test_many_threads_checking_at_once_in_a_fresh_process_agree_with_one():
    one = verdicts_in_a_fresh_process(1)
    assert len(one) > 200 and True in one and False in one
    assert not [v for v in one if isinstance(v, str)], "a checker raised on a response"
    for _ in range(2):  # a first-use race shows in some fresh processes, not in every one
        assert verdicts_in_a_fresh_process(THREADS) == one


def test_a_fault_outside_an_llm_call_is_decifs_not_the_models(tmp_path, monkeypatch):
    """A checker that raises is recorded as `internal_error` (never `llm_error`, which
    says the LLM call failed), `decif stats` warns about it, and a rerun with the fault
    gone finishes the sample from its last checkpoint without repeating an LLM call."""
    import nodes.judge

    def broken(*args):
        raise RuntimeError("partially initialized module")

    scenarios = [make_scenario("write a poem", "A teacher needs a poem.")]
    monkeypatch.setattr(nodes.judge, "check", broken)
    asyncio.run(run_samples(tmp_path, ScriptedLLM(good_script()), scenarios, NO_COMMAS, 1, False))
    (row,) = SampleStore(tmp_path).rows()
    assert (row["status"], row["reason"]) == ("failed", "internal_error")
    assert row["error"] == "RuntimeError: partially initialized module"
    assert any("fault in decif" in w for w in run_stats(tmp_path)["warnings"])

    monkeypatch.undo()
    again = ScriptedLLM(good_script())
    asyncio.run(run_samples(tmp_path, again, scenarios, NO_COMMAS, 1, False))
    assert SampleStore(tmp_path).counts() == {"accepted": 1}
    assert [c["prompt"] for c in again.calls] == ["judge"]  # only the step that raised


def test_a_failed_llm_call_is_the_samples_llm_error(tmp_path):
    def refused(messages):
        raise ValueError("HTTP 400: the prompt is longer than the context")

    scenarios = [make_scenario("write a poem", "A teacher needs a poem.")]
    llm = ScriptedLLM(good_script(answer=refused))
    asyncio.run(run_samples(tmp_path, llm, scenarios, NO_COMMAS, 1, False))
    (row,) = SampleStore(tmp_path).rows()
    assert (row["status"], row["reason"]) == ("failed", "llm_error")
    assert row["error"] == "ValueError: HTTP 400: the prompt is longer than the context"
