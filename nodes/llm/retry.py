"""Bounded retries with jittered exponential backoff, accounted for.

A remote server fails in ways that are nobody's fault for long: a dropped connection, a
5xx, a timeout, or an HTTP 200 whose content is empty or prose where JSON was asked for.
Retrying within the call turns those into a short wait instead of a sample that is lost
for good (a malformed reply is the model's fault and is never retried on a rerun). Every
retried try is kept on the completion, so the sample's `llm_calls` counts what was paid.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from nodes.llm.base import Completion, usable


@dataclass(frozen=True)
class RequestRetries:
    """How one request to a server is timed out and tried again (not LangGraph's
    `RetryPolicy`, which reruns a whole node)."""

    timeout_s: float = 120.0  # per request: a hung server holds a sample this long per try
    retries: int = 3  # tries after the first
    backoff_s: float = 1.0  # the first wait; it doubles each time, with jitter

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based): full jitter, so many
        samples that failed together do not all come back at the same instant."""
        return random.uniform(0.5, 1.0) * min(30.0, self.backoff_s * 2**retry)


def with_retries(
    call: Callable[[], Completion],
    schema: dict | None,
    policy: RequestRetries,
    transient: tuple[type[BaseException], ...],
    *,
    attempts: int | None = None,
    delay: Callable[[int], float] | None = None,
) -> Completion:
    """Run `call` until it returns a usable reply, up to `policy.retries` more times.

    A transient exception on the last try is raised; an unusable reply on the last try
    is returned as it is, for the node to record as malformed. A caller with several
    places to send a request (`nodes.llm.pool`) sets the number of `attempts` in all and
    the `delay` before retry i: another server is tried at once, the same one after a
    backoff."""
    tries: list[dict] = []
    attempts = policy.retries + 1 if attempts is None else attempts
    delay = delay or policy.delay
    for retry in range(attempts - 1):
        start = time.perf_counter()
        try:
            completion = call()
        except transient as err:
            error = " ".join(f"{type(err).__name__}: {err}".split())[:300]
            tries.append(_try(0, 0, time.perf_counter() - start, error))
        else:
            if usable(completion.text, schema):
                completion.tries = tries
                return completion
            what = "no JSON in the reply" if completion.text.strip() else "empty reply"
            tries.append(
                _try(
                    completion.prompt_tokens,
                    completion.completion_tokens,
                    completion.latency_s,
                    what,
                )
            )
        if pause := delay(retry):
            time.sleep(pause)
    completion = call()  # the last try: what it raises or returns stands
    completion.tries = tries
    return completion


def _try(prompt: int, completion: int, latency: float, error: str) -> dict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "latency_s": round(latency, 4),
        "retried": error,
    }
