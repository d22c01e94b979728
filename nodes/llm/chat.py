"""Messages into LangChain's chat types, and token counts out of its results: the two
ends every LangChain-wrapped backend shares. LangChain is imported only when a backend
that needs it is built."""

from __future__ import annotations

from typing import Any

from nodes.llm.base import Messages


def to_langchain(messages: Messages) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def usage(result: Any) -> tuple[int, int]:
    """Token counts from a LangChain LLMResult (llm_output) or its message metadata."""
    counts = (result.llm_output or {}).get("token_usage") or {}
    if counts:
        return int(counts.get("prompt_tokens", 0)), int(counts.get("completion_tokens", 0))
    message = getattr(result.generations[0][0], "message", None)
    meta = getattr(message, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))
