"""Any OpenAI-compatible server (`vllm serve`, SGLang, llama.cpp's server), spoken to
directly: aiohttp on an event loop of the client's own.

Concurrent samples become concurrent requests, which the server batches. decif speaks
the chat-completions protocol itself rather than through LangChain's `ChatOpenAI`:
against a fast server the client is on the critical path, and `ChatOpenAI` (its callback
layer, the SDK's request and response models) and httpx (from threads, or its async
client's connection pool) cost several times the CPU per call of aiohttp on one loop, even
with many threads waiting on it (the figures are in the README's "Performance"). So the
nodes' threads hand their requests to one aiohttp loop and wait for the reply. Timeouts
and retries are decif's own (`RequestRetries`), so every retried request is counted in the
sample's `llm_calls` and an empty or non-JSON HTTP 200 is retried too.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import threading
import time
from typing import Any, NamedTuple

import aiohttp

from nodes.llm.base import LLM, BackendError, Completion, Messages, Sampling
from nodes.llm.retry import RequestRetries, with_retries


class ServerFault(RuntimeError):
    """A reply worth another try: a rate limit or a server error (429, 5xx)."""


class RequestRefused(ValueError):
    """The server refused this request (400: a prompt too long, say): this sample's
    trouble, recorded as its `llm_error`, not the run's."""


# Errors worth another try: the connection, a timeout, a rate limit, a server error.
TRANSIENT = (aiohttp.ClientError, TimeoutError, ServerFault)


class Reply(NamedTuple):
    status: int
    text: str


class Transport:
    """One aiohttp session on an event loop of its own, and the calls every client of an
    OpenAI-compatible server makes: a pool of endpoints shares one (one loop thread, one
    connection pool), as a single endpoint does. Thread-safe: any thread may wait on it."""

    def __init__(self, api_key: str | None, timeout: float):
        headers = {
            # local servers take any key
            "Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"
        }
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="openai-client", daemon=True).start()
        self.session = self.wait(self._open(headers, timeout))
        atexit.register(self.close)

    async def _open(self, headers: dict[str, str], timeout: float) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            headers=headers,
            # as many open connections as samples in flight: one per request
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        )

    def wait(self, coroutine: Any) -> Any:
        """Run `coroutine` on the client's loop and wait for it, from any thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def fetch(self, method: str, url: str, body: dict | None = None, **options) -> Reply:
        async with self.session.request(method, url, json=body, **options) as reply:
            return Reply(reply.status, await reply.text())

    def close(self) -> None:
        """Close the connections (at exit by default: no warnings about open sockets)."""
        if not self.loop.is_closed() and not self.session.closed:
            asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result(5)

    async def served_models(self, base_url: str) -> list[str]:
        """The models `base_url` serves (GET /models), or one clear BackendError."""
        try:
            reply = await self.fetch("GET", f"{base_url}/models", timeout=aiohttp.ClientTimeout(10))
            if reply.status >= 400:
                raise ValueError(f"HTTP {reply.status}")
            body = json.loads(reply.text)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            reason = str(err) or type(err).__name__
            raise BackendError(f"cannot reach {base_url}/models: {reason}") from err
        data = body.get("data", []) if isinstance(body, dict) else []
        return [m["id"] for m in data if isinstance(m, dict) and "id" in m]

    def post(self, base_url: str, body: dict[str, Any]) -> Completion:
        """One chat completion request, timed, read; no retries (the caller's)."""
        start = time.perf_counter()
        reply = self.wait(self.fetch("POST", f"{base_url}/chat/completions", body))
        return _read(reply, time.perf_counter() - start, base_url)


class OpenAILLM(LLM):
    """Thread-safe: the runner's concurrent samples call it from many threads at once."""

    several_per_request = True

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
    ):
        self.base_url = base_url.rstrip("/")
        self.retry = RequestRetries(timeout_s=timeout, retries=retries)
        self.transport = Transport(api_key, timeout)
        # probed once, so an unreachable server is one clear error up front
        served = self.transport.wait(self.transport.served_models(self.base_url))
        self.model = choose_model(self.base_url, served, model)
        self.name = f"openai:{self.model}"

    def close(self) -> None:
        self.transport.close()

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        return self.complete_n(messages, sampling, 1, schema)

    def complete_n(
        self, messages: Messages, sampling: Sampling, n: int, schema: dict | None = None
    ) -> Completion:
        """`n` samples in one request (the server's `n`): the first as `text`, the others
        in `more`."""
        body = request_body(self.model, messages, sampling, schema, n)
        try:
            return with_retries(
                lambda: self.transport.post(self.base_url, body), schema, self.retry, TRANSIENT
            )
        except (TimeoutError, aiohttp.ClientError) as err:
            raise gave_up(err, self.base_url, self.retry, self.retry.retries + 1) from err


def choose_model(base_url: str, served: list[str], model: str | None) -> str:
    """The model asked for, which the server must serve when it lists any; by default
    the first it serves."""
    if model is None:
        if not served:
            raise BackendError(f"{base_url} serves no model; pass --model")
        return served[0]
    if served and model not in served:
        raise BackendError(f"{base_url} does not serve {model!r} (it serves {', '.join(served)})")
    return model


def gave_up(
    err: TimeoutError | aiohttp.ClientError, where: str, retry: RequestRetries, tries: int
) -> BackendError:
    """The error that stops a run when a server stayed silent or unreachable through
    every try: the run cannot go on without it, so no sample is failed for it."""
    if isinstance(err, TimeoutError):
        return BackendError(
            f"{where} did not answer within {retry.timeout_s:g} s ({tries} tries); "
            "is the server hung or overloaded?"
        )
    return BackendError(f"lost {where} ({type(err).__name__}: {err}) after {tries} tries")


def request_body(
    model: str, messages: Messages, sampling: Sampling, schema: dict | None, n: int = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k,  # vLLM, SGLang and llama.cpp's server read it
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
    }
    if schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema},
        }
    if n > 1:
        body["n"] = n
    return body


def _read(reply: Reply, latency: float, base_url: str) -> Completion:
    """A chat completion, or the error its status means. A reply cut by max_tokens comes
    back as the text it has, for the node to record as malformed."""
    if reply.status == 429 or reply.status >= 500:
        raise ServerFault(f"HTTP {reply.status}: {reply.text[:200]}")
    if reply.status in (401, 403, 404):
        raise BackendError(f"{base_url} answered HTTP {reply.status}: {reply.text[:200]}")
    if reply.status >= 400:
        raise RequestRefused(f"HTTP {reply.status}: {reply.text[:300]}")
    try:
        body = json.loads(reply.text)
        texts = [c["message"]["content"] or "" for c in body["choices"]]
    except (ValueError, KeyError, TypeError) as err:
        raise ServerFault(f"not a chat completion: {reply.text[:200]}") from err
    usage = body.get("usage") or {}
    first, *more = texts or [""]
    return Completion(
        first,
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
        latency,
        more=more,
    )
