"""Where a picture of a LangGraph graph puts its boxes and arrows: grandalf's Sugiyama
layers, with the edges that close a loop found first, so they can be drawn as arcs beside
their nodes instead of hidden under the forward edges. Distances are in points.
"""

from __future__ import annotations

from dataclasses import dataclass

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from grandalf.utils import Poset
from langchain_core.runnables.graph import Graph as LangGraphDrawing
from langgraph.constants import END, START

FONT_SIZE = 10.0  # points; every layout distance below is in points too
NODE_HEIGHT = 28.0
NODE_PADDING = 26.0
LAYER_GAP = 62.0
NODE_GAP = 34.0


@dataclass
class Box:
    """A node's box, centred on (x, y), y growing upwards."""

    label: str
    x: float
    y: float
    w: float
    h: float
    terminal: bool  # START or END

    def border_towards(self, x: float, y: float) -> tuple[float, float]:
        """Where the segment from the centre towards (x, y) leaves the box."""
        dx, dy = x - self.x, y - self.y
        if dx == dy == 0:
            return self.x, self.y
        scale = min(
            self.w / 2 / abs(dx) if dx else float("inf"),
            self.h / 2 / abs(dy) if dy else float("inf"),
        )
        return self.x + dx * scale, self.y + dy * scale


@dataclass
class Arrow:
    source: str
    target: str
    points: list[tuple[float, float]]  # centre to centre, through the layout's bend points
    label: str | None
    conditional: bool
    loopback: bool


@dataclass
class Layout:
    boxes: dict[str, Box]
    arrows: list[Arrow]


class _Viewer:
    """The size grandalf lays out for a vertex, and the route it gives an edge."""

    def __init__(self, w: float = 0.0, h: float = 0.0):
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = points


def label_of(node_id: str) -> str:
    return {START: "START", END: "END"}.get(node_id, node_id)


def loopback_edges(node_ids: list[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by a depth-first walk in declaration order, so the
    loop's way back (refine -> check_consistency) is the one drawn as an arc."""
    order = {n: i for i, n in enumerate(node_ids)}
    children: dict[str, list[str]] = {n: [] for n in node_ids}
    for source, target in edges:
        children[source].append(target)
    for targets in children.values():
        targets.sort(key=order.__getitem__)
    state: dict[str, str] = {}  # "open" while on the walk's path, then "done"
    loops: set[tuple[str, str]] = set()
    for root in node_ids:
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(children[root]))]
        while stack:
            node, rest = stack[-1]
            child = next(rest, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                loops.add((node, child))
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(children[child])))
    return loops


def layout(drawing: LangGraphDrawing) -> Layout:
    """Place nodes in layers (grandalf's Sugiyama layout) and route the edges."""
    node_ids = list(drawing.nodes)
    vertices = {}
    for node_id in node_ids:
        text = label_of(node_id)
        vertex = Vertex(node_id)
        vertex.view = _Viewer(0.6 * FONT_SIZE * len(text) + NODE_PADDING, NODE_HEIGHT)
        vertices[node_id] = vertex
    pairs = [(e.source, e.target) for e in drawing.edges]
    loops = loopback_edges(node_ids, pairs)
    edges = []
    for source, target in pairs:
        edge = Edge(vertices[source], vertices[target])
        edge.view = _Viewer()
        edges.append(edge)
    graph = Graph(list(vertices.values()), edges)
    for component in graph.C:  # grandalf gathers a component's edges in a set: keep our order
        component.sE = Poset([e for e in edges if e in component.sE])
    inverted = [e for e, pair in zip(edges, pairs, strict=True) if pair in loops]
    for component in graph.C:
        sugiyama = SugiyamaLayout(component)
        sugiyama.xspace, sugiyama.yspace = NODE_GAP, LAYER_GAP
        sugiyama.dw, sugiyama.dh = 8.0, NODE_HEIGHT  # long edges' bend points
        roots = [v for v in component.sV if v.data == START] or None
        sugiyama.init_all(roots=roots, inverted_edges=[e for e in inverted if e in component.sE])
        sugiyama.draw()
    # Components are laid out side by side; grandalf's y grows downwards, ours upwards.
    boxes: dict[str, Box] = {}
    shift: dict[str, float] = {}  # grandalf's x -> ours, per node
    offset = 0.0
    for component in graph.C:
        left = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
        right = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
        for v in component.sV:
            x, y = v.view.xy
            shift[v.data] = offset - left
            terminal = v.data in (START, END)
            boxes[v.data] = Box(
                label_of(v.data), x + shift[v.data], -y, v.view.w, v.view.h, terminal
            )
        offset += right - left + NODE_GAP
    arrows = [
        Arrow(
            source=e.source,
            target=e.target,
            points=[(x + shift[e.source], -y) for x, y in edge.view.points],
            label=e.data if isinstance(e.data, str) else None,
            conditional=e.conditional,
            loopback=(e.source, e.target) in loops,
        )
        for e, edge in zip(drawing.edges, edges, strict=True)
    ]
    return Layout(boxes, arrows)
