"""What a graph run depends on besides its state: the LLM client and the run's settings.

They come with each run as LangGraph's runtime context (`graph.invoke(input, config,
context=SampleContext(llm, settings))`), so a graph is compiled once and without a client
(to draw it, to serve it), and every node says in its signature what it uses
(`runtime: Runtime[SampleContext]`).

Left out, a field is the embedded model's: the default backend, loaded at the first
context that needs it and once per process, and the settings that suit it. A context given
as JSON (LangGraph's own server, `{"settings": {...}}`) is read into the same types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from nodes.llm import LLM, make_llm
from nodes.state import SMALL_META, MetaSettings, SampleSettings


@cache
def default_llm() -> LLM:
    """The default backend (the embedded SmolLM2 on llama.cpp), loaded once."""
    return make_llm()


@dataclass(frozen=True)
class SampleContext:
    """The sample graph's dependencies: the client every LLM node calls, and the settings
    that decide what the graph does (draws, rounds, attempts, candidates, sampling)."""

    llm: LLM = field(default_factory=default_llm)
    settings: SampleSettings = field(default_factory=SampleSettings)

    def __post_init__(self) -> None:
        if isinstance(self.settings, dict):
            object.__setattr__(self, "settings", SampleSettings.from_dict(self.settings))


@dataclass(frozen=True)
class MetaContext:
    """The meta graph's dependencies: the client, and the stages' sizes."""

    llm: LLM = field(default_factory=default_llm)
    settings: MetaSettings = SMALL_META

    def __post_init__(self) -> None:
        if isinstance(self.settings, dict):
            sizes: dict[str, Any] = self.settings
            object.__setattr__(self, "settings", replace(SMALL_META, **sizes))
