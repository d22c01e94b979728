"""How nodes call the LLM: a prompt file rendered with values, the reply with think blocks
removed, parsed as JSON when a schema was asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nodes.llm.base import (
    LLM,
    BackendError,
    Completion,
    LLMCallError,
    Sampling,
    parse_json,
    strip_think,
)
from prompts import render


@contextmanager
def calling() -> Iterator[None]:
    """An exception raised by a call is the call's (`LLMCallError`), except a backend that
    cannot go on at all and the machine's own trouble, which stop the run as they are."""
    try:
        yield
    except (BackendError, OSError):
        raise
    except Exception as err:
        raise LLMCallError(f"{type(err).__name__}: {err}") from err


def ask(
    llm: LLM, prompt: str, sampling: Sampling, schema: dict | None = None, **values: object
) -> Completion:
    """Render prompt file `prompt` and run it, under `schema` when given; think blocks
    removed from the reply."""
    messages = render(prompt, **values)
    with calling():
        completion = llm.complete(messages, sampling, schema)
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


def ask_n(
    llm: LLM,
    prompt: str,
    sampling: Sampling,
    n: int,
    node: str,
    history: Sequence[dict[str, str]] = (),
    **values: object,
) -> tuple[list[str], list[dict[str, Any]]]:
    """`n` responses to one prompt, think blocks removed, and the accounting rows of the
    calls that made them: one request where the backend samples several at once (`n` on
    vLLM and OpenAI-compatible servers), else `n` calls, each with its own seed. The chat
    turns of `history` (a conversation so far) go before the prompt's last message."""
    *head, last = render(prompt, **values)
    messages = [*head, *history, last]
    with calling():
        if n > 1 and llm.several_per_request:
            completions = [llm.complete_n(messages, sampling, n)]
        else:
            seeds = [sampling] + [sampling.with_seed(sampling.seed, i) for i in range(1, n)]
            completions = [llm.complete(messages, s) for s in seeds]
    texts = [strip_think(t) for c in completions for t in (c.text, *c.more)]
    return texts, [row for c in completions for row in c.records(node)]
