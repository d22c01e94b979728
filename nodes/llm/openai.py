"""Any OpenAI-compatible server (`vllm serve`, SGLang, llama.cpp's server) through
LangChain's `ChatOpenAI`.

Concurrent samples become concurrent requests, which the server batches. Timeouts and
retries are decif's own (`RetryPolicy`), not the SDK's, so that every retried request is
counted in the sample's `llm_calls` and an empty or non-JSON HTTP 200 is retried too.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from nodes.llm.base import BackendError, Completion, Messages, Sampling
from nodes.llm.chat import to_langchain, usage
from nodes.llm.retry import RetryPolicy, with_retries


def _transient_errors() -> tuple[type[BaseException], ...]:
    """Errors worth another try: the connection, a timeout, a rate limit, a 5xx."""
    import openai

    return (
        openai.APIConnectionError,  # includes APITimeoutError
        openai.RateLimitError,
        openai.InternalServerError,
    )


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
        from langchain_openai import ChatOpenAI

        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"  # local: any
        self.retry = RetryPolicy(timeout_s=timeout, retries=retries)
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
        self.chat = ChatOpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            model=model,
            max_retries=0,  # retried here, counted
            timeout=self.retry.timeout_s,
        )
        self.name = f"openai:{model}"
        self._transient = _transient_errors()

    def _served_models(self) -> list[str]:
        """Probe /models once, so an unreachable server is one clear error up front."""
        try:
            request = urllib.request.Request(
                f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                body = json.load(reply)
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
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
        kwargs = self._request(sampling, schema) | ({"n": n} if n > 1 else {})
        lc_messages = to_langchain(messages)

        def once() -> Completion:
            start = time.perf_counter()
            result = self.chat.generate([lc_messages], **kwargs)
            latency = time.perf_counter() - start
            prompt, completion = usage(result)
            first, *more = (g.text for g in result.generations[0])
            return Completion(first, prompt, completion, latency, more=more)

        try:
            return with_retries(once, schema, self.retry, self._transient)
        except self._transient as err:
            import openai

            if isinstance(err, openai.APITimeoutError):
                raise BackendError(
                    f"{self.base_url} did not answer within {self.retry.timeout_s:g} s "
                    f"({self.retry.retries + 1} tries); is the server hung or overloaded?"
                ) from err
            raise

    def _request(self, sampling: Sampling, schema: dict | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": sampling.seed,
            # In the body as is: ChatOpenAI would rename max_tokens to max_completion_tokens,
            # which older OpenAI-compatible servers ignore.
            "extra_body": {"top_k": sampling.top_k, "max_tokens": sampling.max_tokens},
        }
        if schema is not None:
            # In extra_body, not `response_format=`: that sends ChatOpenAI down the SDK's
            # `.parse()` path, which raises when max_tokens cuts the JSON off; a cut reply
            # must come back as text so the node records it as malformed.
            kwargs["extra_body"]["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": schema},
            }
        return kwargs
