"""The one LLM client the nodes call, over LangChain wrappers: one module per backend
(`llamacpp`, `openai`, `vllm`), the shared call types in `base`, retries in `retry`.

`langchain_community` is imported in the backend modules and nowhere else: it is being
sunset upstream, so its use stays in one replaceable place. Backends are imported when
built, so importing this package costs no model runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nodes.llm.ask import ask, ask_json, ask_n
from nodes.llm.base import (
    LLM,
    BackendError,
    Completion,
    Messages,
    Sampling,
    parse_json,
    strip_think,
)
from nodes.llm.retry import RetryPolicy

BACKENDS = ("llamacpp", "vllm", "openai")

__all__ = [
    "BACKENDS",
    "LLM",
    "BackendError",
    "Completion",
    "Messages",
    "RetryPolicy",
    "Sampling",
    "ask",
    "ask_json",
    "ask_n",
    "make_llm",
    "parse_json",
    "strip_think",
]


def make_llm(
    backend: str = "llamacpp",
    model: str | None = None,
    base_url: str | Sequence[str] | None = None,
    **options: Any,
) -> LLM:
    """Build a backend from CLI-style options, with errors a user can act on.

    `base_url` (openai) is one URL or several: one is the single-server client as it
    always was (`max_in_flight` is then the runner's to bound); several make a pool
    (`nodes.llm.pool`) whose in-flight requests `max_in_flight` bounds."""
    if backend == "llamacpp":
        from nodes.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(model_path=model, **options)
    if backend == "openai":
        urls = [base_url] if isinstance(base_url, str) else list(base_url or ())
        if not urls:
            raise BackendError(
                "the openai backend needs --base-url (e.g. http://localhost:8000/v1)"
            )
        if len(urls) == 1:
            from nodes.llm.openai import OpenAILLM

            options.pop("max_in_flight", None)
            return OpenAILLM(base_url=urls[0], model=model, **options)
        from nodes.llm.pool import PooledLLM

        return PooledLLM(urls, model=model, **options)
    if backend == "vllm":
        if not model:
            raise BackendError("the vllm backend needs --model (a Hugging Face model directory)")
        from nodes.llm.vllm import VLLMLLM

        return VLLMLLM(model=model, **options)
    raise BackendError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
