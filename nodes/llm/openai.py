"""Any OpenAI-compatible server (`vllm serve`, SGLang, llama.cpp's server), spoken to
directly: aiohttp on an event loop of the client's own.

Concurrent samples become concurrent requests, which the server batches. decif speaks
the chat-completions protocol itself rather than through LangChain's `ChatOpenAI`:
against a fast server the client is on the critical path. Measured on this project's
2-core machine against bench/loopback_server.py (CPU per call, 64 calls in flight):
`ChatOpenAI` 3.2 ms (its callback layer, then the SDK's request and response models);
httpx from 64 threads 1.9 ms, its async client 18 ms (its connection pool); aiohttp on
one loop 0.6 ms even when 64 threads wait on it, 0.7 ms at 256. So the nodes' threads
hand their requests to one aiohttp loop and wait for the reply. Timeouts and retries are
decif's own (`RetryPolicy`), so every retried request is counted in the sample's
`llm_calls` and an empty or non-JSON HTTP 200 is retried too.
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

from nodes.llm.base import BackendError, Completion, Messages, Sampling
from nodes.llm.retry import RetryPolicy, with_retries


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


class OpenAILLM:
    """Thread-safe: the runner's concurrent samples call it from many threads at once."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
    ):
        self.base_url = base_url.rstrip("/")
        self.retry = RetryPolicy(timeout_s=timeout, retries=retries)
        self._headers = {
            # local servers take any key
            "Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"
        }
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="openai-client", daemon=True).start()
        self._session = self._wait(self._open(timeout))
        atexit.register(self.close)
        served = self._served_models()
        if model is None:
            if not served:
                raise BackendError(f"{self.base_url} serves no model; pass --model")
            model = served[0]
        elif served and model not in served:
            raise BackendError(
                f"{self.base_url} does not serve {model!r} (it serves {', '.join(served)})"
            )
        self.model = model
        self.name = f"openai:{model}"

    async def _open(self, timeout: float) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            headers=self._headers,
            # as many open connections as samples in flight: one per request
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        )

    def _wait(self, coroutine: Any) -> Any:
        """Run `coroutine` on the client's loop and wait for it, from any thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _fetch(self, method: str, path: str, body: dict | None = None, **options) -> Reply:
        async with self._session.request(
            method, f"{self.base_url}{path}", json=body, **options
        ) as reply:
            return Reply(reply.status, await reply.text())

    def close(self) -> None:
        """Close the connections (at exit by default: no warnings about open sockets)."""
        if not self._loop.is_closed() and not self._session.closed:
            asyncio.run_coroutine_threadsafe(self._session.close(), self._loop).result(5)

    def _served_models(self) -> list[str]:
        """Probe /models once, so an unreachable server is one clear error up front."""
        try:
            reply = self._wait(self._fetch("GET", "/models", timeout=aiohttp.ClientTimeout(10)))
            if reply.status >= 400:
                raise ValueError(f"HTTP {reply.status}")
            body = json.loads(reply.text)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            reason = str(err) or type(err).__name__
            raise BackendError(f"cannot reach {self.base_url}/models: {reason}") from err
        data = body.get("data", []) if isinstance(body, dict) else []
        return [m["id"] for m in data if isinstance(m, dict) and "id" in m]

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        return self.complete_n(messages, sampling, 1, schema)

    def complete_n(
        self, messages: Messages, sampling: Sampling, n: int, schema: dict | None = None
    ) -> Completion:
        """`n` samples in one request (the server's `n`): the first as `text`, the others
        in `more`."""
        body = self._body(messages, sampling, schema) | ({"n": n} if n > 1 else {})

        def once() -> Completion:
            start = time.perf_counter()
            reply = self._wait(self._fetch("POST", "/chat/completions", body))
            return _read(reply, time.perf_counter() - start, self.base_url)

        try:
            return with_retries(once, schema, self.retry, TRANSIENT)
        except TimeoutError as err:
            raise BackendError(
                f"{self.base_url} did not answer within {self.retry.timeout_s:g} s "
                f"({self.retry.retries + 1} tries); is the server hung or overloaded?"
            ) from err
        except aiohttp.ClientError as err:
            raise BackendError(
                f"lost {self.base_url} ({type(err).__name__}: {err}) after "
                f"{self.retry.retries + 1} tries"
            ) from err

    def _body(self, messages: Messages, sampling: Sampling, schema: dict | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
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
        return body


def _read(reply: Reply, latency: float, base_url: str) -> Completion:
    """A chat completion, or the error its status means. A reply cut by max_tokens comes
    back as the text it has, for the node to record as malformed."""
    if reply.status == 429 or reply.status >= 500:
        raise ServerFault(f"HTTP {reply.status}: {reply.text[:200]}")
    if reply.status in (401, 403, 404):
        raise BackendError(f"{reply.request.url} answered HTTP {reply.status}: {reply.text[:200]}")
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
