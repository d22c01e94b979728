"""decif's graphs, runner and CLI."""

from graph.sample_graph import build_sample_graph
from graph.state import SampleSettings, SampleState

__all__ = ["SampleSettings", "SampleState", "build_sample_graph"]
