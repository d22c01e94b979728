"""Several OpenAI-compatible servers of one model (`vllm serve` on N nodes, SGLang,
llama.cpp's server) used as one `LLM`: a run grows from one endpoint to many without
being another model (`name` is `openai:<model>` either way).

- **Routing**: each request goes to the healthy endpoint with the fewest requests in
  flight relative to its limit, ties taken in turn so every endpoint stays measured. A
  request beyond every limit (or beyond `max_in_flight` in all: the CLI passes twice
  `--concurrency`, as a sample has answer and decompose out at once) waits
  on a condition variable rather than being refused: a run's samples are all wanted.
- **Limits**: per endpoint, from its latency and errors (`nodes.llm.aimd`).
- **Health**: a connection error takes an endpoint out at once (its server is gone); a
  timeout, 5xx or 429 does after `EJECT_AFTER` in a row (one slow reply or one 503 of a
  busy server is no reason to lose a node). An endpoint that is out is probed (GET
  /models) after 1 s, 2 s, 4 s ... at most 60 s, and comes back with a fresh limit once
  it answers and serves the model: a restarted server is a new server.
- **Failover**: a failed try goes at once to an endpoint this request has not tried;
  the same endpoint again only after `RequestRetries`'s backoff. A request has `--retries`
  tries plus one per endpoint, and each one is a row of the sample's `llm_calls` with
  the endpoint it went to, as `with_retries` counts them for one server. When no
  endpoint is up, a request waits up to the timeout for one to come back, then raises
  `BackendError`: the run stops with one line, its finished work kept.

One `Transport` (one aiohttp loop, one connection pool) serves every endpoint, so a pool
costs the CPU of one client plus the routing (see the README's figure).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import count

import aiohttp

from nodes.llm.aimd import Limit
from nodes.llm.base import LLM, BackendError, Completion, Messages, Sampling
from nodes.llm.openai import TRANSIENT, Transport, choose_model, gave_up, request_body
from nodes.llm.retry import RequestRetries, with_retries

EJECT_AFTER = 3  # timeouts, 5xx or 429s in a row that take an endpoint out
PROBE_FIRST_S = 1.0  # the first probe of an endpoint that is out; doubles up to:
PROBE_MAX_S = 60.0
HEARTBEAT_S = 1.0  # a waiting request looks again at least this often

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Endpoint:
    """One server of the pool; changed only under the pool's lock."""

    url: str
    limit: Limit
    in_flight: int = 0
    up: bool = True
    failures: int = 0  # failed tries in a row
    down_reason: str = ""


class PooledLLM(LLM):
    """Thread-safe: the runner's node threads call it at once."""

    several_per_request = True

    def __init__(
        self,
        base_urls: Sequence[str],
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        max_in_flight: int = 64,
    ):
        urls = list(dict.fromkeys(url.rstrip("/") for url in base_urls))
        if not urls:
            raise BackendError("a pool of endpoints needs at least one base URL")
        self.retry = RequestRetries(timeout_s=timeout, retries=retries)
        self.max_in_flight = max(1, max_in_flight)
        self.transport = Transport(api_key, timeout)
        self.model = self._common_model(urls, model)
        self.name = f"openai:{self.model}"
        self.endpoints = [Endpoint(url, Limit(self.max_in_flight)) for url in urls]
        self._lock = threading.Condition()
        self._in_flight = 0
        self._turn = 0
        self._probes: set[Future] = set()

    def _common_model(self, urls: list[str], model: str | None) -> str:
        """The model asked for (default: the first endpoint's first), which every
        endpoint must serve: checked once, at start, all endpoints at once."""

        async def ask_all() -> list:
            asked = (self.transport.served_models(url) for url in urls)
            return await asyncio.gather(*asked, return_exceptions=True)

        served = self.transport.wait(ask_all())
        for result in served:
            if isinstance(result, BaseException):
                raise result
        model = choose_model(urls[0], served[0], model)
        for url, names in zip(urls[1:], served[1:], strict=True):
            try:
                choose_model(url, names, model)
            except BackendError as err:
                raise BackendError(f"{err}; every --base-url must serve the same model") from None
        return model

    @property
    def limit(self) -> int:
        """Requests the pool lets out at once now: its endpoints' limits, at most
        `max_in_flight`."""
        with self._lock:
            return self._limit()

    def status(self) -> str:
        """One line for the progress bar, e.g. "endpoints 3/4 up, in flight 57/64"."""
        with self._lock:
            up = sum(e.up for e in self.endpoints)
            return (
                f"endpoints {up}/{len(self.endpoints)} up, "
                f"in flight {self._in_flight}/{self._limit()}"
            )

    def close(self) -> None:
        for probe in list(self._probes):
            probe.cancel()
        self.transport.close()

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        return self.complete_n(messages, sampling, 1, schema)

    def complete_n(
        self, messages: Messages, sampling: Sampling, n: int, schema: dict | None = None
    ) -> Completion:
        """As `OpenAILLM.complete_n`, on the pool: the tries (and their rows in
        `completion.tries`) may go to several endpoints."""
        body = request_body(self.model, messages, sampling, schema, n)
        tried: list[Endpoint] = []
        backoffs = count()

        def once() -> Completion:
            endpoint = self._acquire(tried)
            tried.append(endpoint)
            return self._send(endpoint, body)

        def delay(retry: int) -> float:
            if any(e.up and e not in tried for e in self.endpoints):
                return 0.0  # another server: no reason to wait
            return self.retry.delay(next(backoffs))

        attempts = self.retry.retries + len(self.endpoints)
        try:
            completion = with_retries(
                once, schema, self.retry, TRANSIENT, attempts=attempts, delay=delay
            )
        except (TimeoutError, aiohttp.ClientError) as err:
            raise gave_up(err, tried[-1].url, self.retry, attempts) from err
        for row, endpoint in zip(completion.tries, tried, strict=False):
            row["endpoint"] = endpoint.url
        return completion

    def _send(self, endpoint: Endpoint, body: dict) -> Completion:
        try:
            completion = self.transport.post(endpoint.url, body)
        except TRANSIENT as err:
            self._release(endpoint, failure=err)
            raise
        except BaseException:  # a refused request (400) says nothing about the server
            self._release(endpoint)
            raise
        completion.endpoint = endpoint.url
        self._release(endpoint, completion=completion)
        return completion

    def _acquire(self, tried: list[Endpoint]) -> Endpoint:
        """A place for one request, waiting while every endpoint is full; when none is
        up, waiting up to the timeout for one to come back."""
        deadline = None
        with self._lock:
            while True:
                endpoint = self._pick(tried)
                if endpoint is not None:
                    endpoint.in_flight += 1
                    self._in_flight += 1
                    return endpoint
                if any(e.up for e in self.endpoints):
                    self._lock.wait(HEARTBEAT_S)  # a reply, a grown limit or a cut wakes it
                    continue
                now = time.monotonic()
                deadline = deadline or now + self.retry.timeout_s
                if now >= deadline:
                    raise BackendError(self._all_down())
                self._lock.wait(deadline - now)

    def _pick(self, tried: list[Endpoint]) -> Endpoint | None:
        """The healthy endpoint with room and the fewest in flight for its limit, one
        this request has not tried first; None when there is no room."""
        if self._in_flight >= self.max_in_flight:
            return None
        self._turn += 1
        best, best_key = None, (True, 0.0)
        for i in range(len(self.endpoints)):
            e = self.endpoints[(self._turn + i) % len(self.endpoints)]
            if e.up and e.in_flight < e.limit.allowed:
                key = (e in tried, e.in_flight / e.limit.value)
                if best is None or key < best_key:
                    best, best_key = e, key
        return best

    def _release(
        self,
        endpoint: Endpoint,
        completion: Completion | None = None,
        failure: BaseException | None = None,
    ) -> None:
        """A try ended: update the endpoint's limit and health, wake as many waiting
        requests as there are places freed."""
        with self._lock:
            endpoint.in_flight -= 1
            self._in_flight -= 1
            before = endpoint.limit.allowed
            if completion is not None:
                endpoint.failures = 0
                tokens = completion.completion_tokens / (1 + len(completion.more))
                in_flight = endpoint.in_flight + 1
                latency, prompt = completion.latency_s, completion.prompt_tokens
                endpoint.limit.succeeded(latency, tokens, in_flight, prompt)
            elif failure is not None:
                endpoint.failures += 1
                endpoint.limit.failed()
                gone = isinstance(failure, aiohttp.ClientConnectionError)
                if endpoint.up and (gone or endpoint.failures >= EJECT_AFTER):
                    self._take_out(endpoint, failure)
            self._lock.notify(1 + max(0, endpoint.limit.allowed - before))

    def _take_out(self, endpoint: Endpoint, failure: BaseException) -> None:
        endpoint.up = False
        endpoint.down_reason = " ".join(f"{type(failure).__name__}: {failure}".split())[:160]
        log.info("%s is out: %s", endpoint.url, endpoint.down_reason)
        probe = asyncio.run_coroutine_threadsafe(self._probe(endpoint), self.transport.loop)
        self._probes.add(probe)
        probe.add_done_callback(self._probes.discard)
        self._lock.notify_all()  # requests waiting for it now wait for any endpoint

    async def _probe(self, endpoint: Endpoint) -> None:
        """GET /models with a doubling pause until the endpoint serves the model again."""
        pause = PROBE_FIRST_S
        while True:
            await asyncio.sleep(pause)
            try:
                served = await self.transport.served_models(endpoint.url)
                choose_model(endpoint.url, served, self.model)
                break
            except BackendError as err:
                endpoint.down_reason = str(err)[:160]
            pause = min(PROBE_MAX_S, 2 * pause)
        with self._lock:
            endpoint.up, endpoint.failures = True, 0
            endpoint.limit = Limit(self.max_in_flight)
            log.info("%s is back", endpoint.url)
            self._lock.notify_all()

    def _limit(self) -> int:
        up = sum(e.limit.allowed for e in self.endpoints if e.up)
        return min(self.max_in_flight, up)

    def _all_down(self) -> str:
        reasons = "; ".join(f"{e.url} ({e.down_reason})" for e in self.endpoints)
        return (
            f"none of the {len(self.endpoints)} endpoints came back within "
            f"{self.retry.timeout_s:g} s: {reasons}"
        )
