"""Pictures of a compiled LangGraph graph: Mermaid and ASCII text (LangGraph's own), PNG
and SVG images (laid out in `graph.layout`, drawn in `graph.canvas`), so no network
service, graphviz binary or browser is needed.
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph.state import CompiledStateGraph

from graph.canvas import render
from graph.layout import layout

Format = Literal["mermaid", "ascii", "png", "svg"]
FORMATS: tuple[Format, ...] = ("mermaid", "ascii", "png", "svg")


def draw(compiled: CompiledStateGraph, fmt: Format) -> str | bytes:
    """The graph in `fmt`: bytes for png, text for the others."""
    drawing = compiled.get_graph()
    if fmt == "mermaid":
        return drawing.draw_mermaid()
    if fmt == "ascii":
        return drawing.draw_ascii()
    if fmt in ("png", "svg"):
        return render(layout(drawing), fmt)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
