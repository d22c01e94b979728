"""decif's graphs, runner and CLI.

`build_sample_graph` is loaded on first use: the nodes import `graph.state`, and an
eager import here would make `import nodes.instruction` circular.
"""

from typing import Any

from graph.state import SampleSettings, SampleState

__all__ = ["SampleSettings", "SampleState", "build_sample_graph"]


def __getattr__(name: str) -> Any:
    if name == "build_sample_graph":
        from graph.sample_graph import build_sample_graph

        return build_sample_graph
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
