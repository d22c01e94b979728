"""decif's graphs, runner and CLI.

`build_sample_graph` is imported on first use: it pulls in LangGraph, which the CLI's
quick commands (`--help`, listings) should not pay for.
"""

from typing import Any

from nodes.state import SampleSettings, SampleState

__all__ = ["SampleSettings", "SampleState", "build_sample_graph"]


def __getattr__(name: str) -> Any:
    if name == "build_sample_graph":
        from graph.sample_graph import build_sample_graph

        return build_sample_graph
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
