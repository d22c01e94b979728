"""The one LLM client the nodes call, over LangChain wrappers: one module per backend
(`llamacpp`, `openai`, `vllm`), each registered in `backend` with its options; the shared
call types in `base`, retries in `retry`.

`langchain_community` is imported in the backend modules and nowhere else: it is being
sunset upstream, so its use stays in one replaceable place. A backend's runtime is
imported when its client is built, so importing this package costs no model runtime.
"""

from __future__ import annotations

from nodes.llm.ask import ask, ask_json, ask_n
from nodes.llm.backend import Backend, backend_named, backends, make_llm, register
from nodes.llm.base import (
    LLM,
    BackendError,
    Completion,
    LLMCallError,
    Messages,
    OptionError,
    Sampling,
    parse_json,
    strip_think,
)
from nodes.llm.retry import RequestRetries

__all__ = [
    "LLM",
    "Backend",
    "BackendError",
    "Completion",
    "LLMCallError",
    "Messages",
    "OptionError",
    "RequestRetries",
    "Sampling",
    "ask",
    "ask_json",
    "ask_n",
    "backend_named",
    "backends",
    "make_llm",
    "parse_json",
    "register",
    "strip_think",
]
