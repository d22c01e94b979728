"""The graphs for LangGraph's own tooling (`langgraph dev`, LangGraph Studio), named in
langgraph.json: the same compiled graphs the runner uses.

A run there brings its context as JSON: `{}` runs on the embedded model (loaded at the
first run, once per process) with the settings that suit it, and `{"settings": {...}}`
changes them. Browsing and drawing the graphs loads no model.
"""

from __future__ import annotations

from graph.meta_graph import build_meta_graph
from graph.sample_graph import build_sample_graph

# The server brings its own checkpointer.
sample_graph = build_sample_graph()
meta_graph = build_meta_graph()
