"""What every backend shares: the call's inputs (messages, sampling), its result and
accounting (`Completion`), the one interface a node calls (`LLM`), and reply parsing.

Nothing here imports LangChain or a model runtime, so importing it is cheap: the CLI's
`--help` and `inspect` never pay for a backend they do not use.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

Messages = list[dict[str, str]]

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)


class BackendError(RuntimeError):
    """The backend cannot be used as configured (missing package, unreachable server...)."""


class OptionError(BackendError):
    """The options given cannot make this backend (no --base-url for a server, a model
    file that is not there): the user's input to correct, not the environment."""


class LLMCallError(Exception):
    """One LLM call failed for this sample only (a request the server refused, a reply a
    backend could not read): the sample's `llm_error`. What fails outside a call is not
    the model's and is not recorded as if it were."""


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters for one call; the reference defaults."""

    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    max_tokens: int = 1024
    seed: int | None = None

    def with_seed(self, *parts: object) -> Sampling:
        """A copy whose seed is derived from `parts`, so a rerun samples the same."""
        digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
        return replace(self, seed=int.from_bytes(digest[:4], "big") & 0x7FFFFFFF)

    def capped(self, max_tokens: int) -> Sampling:
        """A copy that generates at most `max_tokens` (a short structured reply needs
        no more; the run's limit still applies when it is lower)."""
        return replace(self, max_tokens=min(self.max_tokens, max_tokens))


@dataclass
class Completion:
    """One call's reply and cost; `tries` holds the unusable replies or errors that were
    retried before it (each one cost a request, so each is accounted for)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    tries: list[dict[str, Any]] = field(default_factory=list)
    more: list[str] = field(default_factory=list)  # the other samples of an n > 1 request
    # the server that answered, when a pool of them could have (nodes.llm.pool)
    endpoint: str | None = None

    def records(self, node: str) -> list[dict[str, Any]]:
        """The per-call accounting rows kept in the graph state: a row per retried try,
        then this reply's (with its `endpoint` when one is set)."""
        final = {
            "node": node,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 4),
        }
        if self.endpoint is not None:
            final["endpoint"] = self.endpoint
        return [{"node": node, **t} for t in self.tries] + [final]


class LLM(ABC):
    """What a node needs: one chat completion, optionally constrained to a JSON schema.

    The abilities some backends have beyond that are declared here, with what a backend
    without them does, so a caller asks the client rather than probing it:

    - `several_per_request`: `complete_n(messages, sampling, n)` samples `n` responses to
      one prompt in one request (vLLM, OpenAI-compatible servers: `n`); its completion
      holds the first as `text` and the others in `more`, with the request's tokens and
      latency. Without it, `nodes.llm.ask.ask_n` makes `n` seeded calls.
    - `status()`: one line on the client's own state for the progress bar (a pool of
      servers: endpoints up, requests in flight), or None.
    """

    name: str
    several_per_request: ClassVar[bool] = False

    @abstractmethod
    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion: ...

    def complete_n(
        self, messages: Messages, sampling: Sampling, n: int, schema: dict | None = None
    ) -> Completion:
        raise NotImplementedError(f"{self.name} samples one response per request")

    def status(self) -> str | None:
        return None


def strip_think(text: str) -> str:
    """Remove reasoning-model think blocks (closed or left open) and surrounding space."""
    return _THINK.sub("", text).strip()


def parse_json(text: str) -> Any:
    """Parse a JSON reply: as it is, else a fenced block in it, else its outermost braces.

    Raw newlines inside strings are accepted (strict=False): llama.cpp's JSON grammar lets
    a model write them, and they are no reason to lose a reply.
    """
    text = strip_think(text)
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    start, end = text.find("{"), text.rfind("}")
    candidates = [text, fenced.group(1) if fenced else None, text[start : end + 1]]
    for candidate in filter(None, candidates):
        try:
            return json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON found in the reply")


def usable(text: str, schema: dict | None) -> bool:
    """Whether a reply can be used at all: not empty, and JSON when a schema asked for it.

    A server that answers HTTP 200 with nothing, or with prose under a JSON schema, has
    not done what was asked; a backend may retry such a reply before giving it to a node.
    """
    if not strip_think(text):
        return False
    if schema is None:
        return True
    try:
        parse_json(text)
    except ValueError:
        return False
    return True
