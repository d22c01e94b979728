"""How nodes call the LLM: a prompt file rendered with values, the reply with think blocks
removed, parsed as JSON when a schema was asked for."""

from __future__ import annotations

from typing import Any

from nodes.llm.base import LLM, Completion, Sampling, parse_json, strip_think
from prompts import render


def ask(
    llm: LLM, prompt: str, sampling: Sampling, schema: dict | None = None, **values: object
) -> Completion:
    """Render prompt file `prompt` and run it, under `schema` when given; think blocks
    removed from the reply."""
    completion = llm.complete(render(prompt, **values), sampling, schema)
    completion.text = strip_think(completion.text)
    return completion


def ask_json(
    llm: LLM, prompt: str, sampling: Sampling, schema: dict, **values: object
) -> tuple[Any, Completion]:
    """`ask` under a JSON schema, parsed; the value is None when the reply is not JSON."""
    completion = ask(llm, prompt, sampling, schema, **values)
    try:
        return parse_json(completion.text), completion
    except ValueError:  # JSONDecodeError is one
        return None, completion
