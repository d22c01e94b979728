"""A fake LLM of fixed latency for overhead benchmarks: it sleeps, then answers whatever
the JSON schema asks for (distinct items, passing verdicts), so every graph path that a
real model would take on a good day runs, and only the orchestration costs time."""

from __future__ import annotations

import hashlib
import json
import threading
import time

from nodes.llm import LLM, Completion, Messages, Sampling
from nodes.meta import REQUEST_PATTERN, SCENARIO_PATTERN


class FixedLatencyLLM(LLM):
    name = "fixed-latency"

    def __init__(self, latency_s: float):
        self.latency_s = latency_s
        self.calls = 0
        self._lock = threading.Lock()

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        time.sleep(self.latency_s)
        with self._lock:
            self.calls += 1
        return Completion(good_reply(messages, schema), 10, 10, self.latency_s)


# The one constraint type the good replies meet (no commas in them): benchmarks draw it
# so every sample passes its code check and is judged, as on a good model's day.
BENCH_TYPES = ("punctuation:no_comma",)
# LLM latencies one such sample takes end to end: instruction, consistency, answer and
# criteria (in parallel), judge - what the benchmarks' LLM-bound ideals divide by.
SERIAL_CALLS = 4


def good_reply(messages: Messages, schema: dict | None) -> str:
    """What a good model would answer to `messages` under `schema`: distinct list items,
    a consistent instruction, passing verdicts, an answer without commas."""
    tag = hashlib.sha1(messages[-1]["content"].encode()).hexdigest()[:6]
    fields = (schema or {}).get("properties", {})
    if "items" in fields:
        count, pattern = fields["items"]["maxItems"], fields["items"]["items"]["pattern"]
        if pattern == SCENARIO_PATTERN:
            reply = [f"A person number {i} in case {tag} needs help today." for i in range(count)]
        elif pattern == REQUEST_PATTERN:
            reply = [f"do task {tag}{i}" for i in range(count)]
        else:  # domains
            reply = [f"Field {tag}{i}" for i in range(count)]
        return json.dumps({"items": reply})
    if "instruction" in fields:
        return json.dumps({"instruction": f"Write a short note about case {tag}."})
    if "conflict" in fields:
        return json.dumps({"conflict": False, "explanation": "consistent"})
    if "questions" in fields:
        return json.dumps({"questions": ["Is it a note?", "Is it short?"]})
    if "verdicts" in fields:
        return json.dumps({"verdicts": ["YES"] * fields["verdicts"]["minItems"]})
    # an answer of 5 to 400 words: replies of every length, as a real model's
    return f"A short note about case {tag}: " + " ".join(["word"] * (5 + int(tag, 16) % 396))
