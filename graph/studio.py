"""The graphs for LangGraph's own tooling (`langgraph dev`, LangGraph Studio), named in
langgraph.json.

The server asks the factory for a graph whenever it needs one (to draw it, to list its
schemas, to run it); the model is loaded only at the first LLM call, and once per process,
so browsing the graph costs nothing and runs do not reload the model.
"""

from __future__ import annotations

from functools import cache

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from graph.meta_graph import build_meta_graph
from graph.sample_graph import build_sample_graph
from nodes.llm import LLM, Completion, Messages, Sampling, make_llm
from nodes.state import SMALL_META


@cache
def default_llm() -> LLM:
    """The default backend (the embedded SmolLM2 on llama.cpp), loaded once."""
    return make_llm()


class LazyLLM:
    """Stands in for the default backend until the first call needs it."""

    name = "default (loaded at first call)"

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        return default_llm().complete(messages, sampling, schema)


def sample_graph(config: RunnableConfig) -> CompiledStateGraph:
    """The sample graph on the default backend; the server brings its own checkpointer."""
    return build_sample_graph(llm=LazyLLM())


def meta_graph(config: RunnableConfig) -> CompiledStateGraph:
    """The meta graph with the small sizes that suit the embedded model."""
    return build_meta_graph(llm=LazyLLM(), settings=SMALL_META)
