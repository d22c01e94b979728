"""A laid-out graph drawn with matplotlib (no pyplot, so no global backend state) as PNG
or SVG: boxes, forward arrows, loopback arcs beside their nodes, and edge labels placed
where they cover no node and no other label.
"""

from __future__ import annotations

import io
import math
from typing import Literal

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from graph.layout import FONT_SIZE, Arrow, Box, Layout

LABEL_FONT_SIZE = 8.5
MARGIN = 24.0
LOOP_BULGE = 34.0  # how far a loopback arc swings out beside its nodes

NODE_FILL, NODE_EDGE = "#eef2fb", "#4a5f8c"
TERMINAL_FILL, TERMINAL_TEXT = "#2f3e5c", "white"
EDGE_COLOUR, LOOP_COLOUR, LABEL_COLOUR = "#55627a", "#b5562b", "#333333"


def render(placed: Layout, fmt: Literal["png", "svg"]) -> str | bytes:
    """Draw a layout with matplotlib (no pyplot, so no global backend state)."""
    canvas = _Canvas(placed.boxes)
    loops = [a for a in placed.arrows if a.loopback]
    for arrow in loops:  # their labels first: they have one place each
        canvas.loopback(arrow)
    for arrow in placed.arrows:
        if not arrow.loopback:
            canvas.forward(arrow)
    for box in placed.boxes.values():
        canvas.box(box)
    return canvas.save(fmt)


class _Canvas:
    """One matplotlib figure in layout units (points), sized to what was drawn on it."""

    def __init__(self, boxes: dict[str, Box]):
        self.boxes = boxes
        self.figure = Figure()
        self.axes = self.figure.add_axes((0, 0, 1, 1))
        self.axes.set_axis_off()
        self.extent: list[tuple[float, float]] = []
        # labels may not cover a node or another label
        self.taken = [_rect(b.x, b.y, b.w, b.h) for b in boxes.values()]
        lefts = [b.x - b.w / 2 for b in boxes.values()]
        rights = [b.x + b.w / 2 for b in boxes.values()]
        self.centre = (min(lefts) + max(rights)) / 2

    def box(self, box: Box) -> None:
        rounding = box.h / 2 if box.terminal else 7
        self.axes.add_patch(
            FancyBboxPatch(
                (box.x - box.w / 2, box.y - box.h / 2),
                box.w,
                box.h,
                boxstyle=f"round,pad=0,rounding_size={rounding}",
                facecolor=TERMINAL_FILL if box.terminal else NODE_FILL,
                edgecolor=TERMINAL_FILL if box.terminal else NODE_EDGE,
                linewidth=1.2,
                zorder=3,
            )
        )
        self.axes.text(
            box.x,
            box.y,
            box.label,
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            fontweight="bold" if box.terminal else "normal",
            color=TERMINAL_TEXT if box.terminal else "#1d2740",
            zorder=4,
        )
        self.extent += [
            (box.x - box.w / 2, box.y - box.h / 2),
            (box.x + box.w / 2, box.y + box.h / 2),
        ]

    def forward(self, arrow: Arrow) -> None:
        """A straight arrow, or a smooth one through the layout's bend points."""
        source, target = self.boxes[arrow.source], self.boxes[arrow.target]
        points = list(arrow.points)
        points[0] = source.border_towards(*points[1])
        points[-1] = target.border_towards(*points[-2])
        codes = [Path.MOVETO]
        vertices = [points[0]]
        for bend, following in zip(points[1:-1], points[2:], strict=False):
            vertices += [bend, _midpoint(bend, following)]
            codes += [Path.CURVE3, Path.CURVE3]
        vertices.append(points[-1])
        codes.append(Path.LINETO)
        self.arrow(Path(vertices, codes), arrow.conditional, EDGE_COLOUR)
        if arrow.label:
            self.label(arrow.label, points, EDGE_COLOUR)

    def loopback(self, arrow: Arrow) -> None:
        """An arc out of the source's side and into the target's, on the side of the
        graph the two nodes lean to, clear of the nodes in the layers it passes."""
        source, target = self.boxes[arrow.source], self.boxes[arrow.target]
        side = 1.0 if (source.x + target.x) / 2 >= self.centre else -1.0
        low, high = sorted((source.y, target.y))
        between = [b for b in self.boxes.values() if low <= b.y <= high]
        # the outermost side of the two nodes and of what lies beside them on that side
        edges = [b.x + side * b.w / 2 for b in (source, target)]
        edges += [
            b.x + side * b.w / 2 for b in between if side * (b.x - source.x) > 0 and b.y != low
        ]
        outer = (max if side > 0 else min)(edges) + side * LOOP_BULGE
        start = (source.x + side * source.w / 2, source.y)
        end = (target.x + side * target.w / 2, target.y)
        if source is target:  # a node that loops on itself: out and back in one side
            start, end = (start[0], start[1] + source.h / 4), (end[0], end[1] - source.h / 4)
            outer = start[0] + side * LOOP_BULGE
        lift = source.h / 2 if source is target else 0.0
        controls = [(outer, start[1] + lift), (outer, end[1] - lift)]
        path = Path([start, *controls, end], [Path.MOVETO] + [Path.CURVE4] * 3)
        self.arrow(path, arrow.conditional, LOOP_COLOUR)
        if arrow.label:
            # a cubic's midpoint lies 3/4 of the way from its ends' midpoint to its controls'
            x = (start[0] + end[0]) / 8 + 0.75 * outer
            if source is target:  # beside the little loop, not on it
                x += side * (label_size(arrow.label)[0] / 2 + 2)
            self.label(arrow.label, [(x, (source.y + target.y) / 2)], LOOP_COLOUR)

    def arrow(self, path: Path, dashed: bool, colour: str) -> None:
        self.axes.add_patch(
            FancyArrowPatch(
                path=path,
                arrowstyle="-|>",
                mutation_scale=11,
                linestyle=(0, (4, 3)) if dashed else "solid",
                linewidth=1.1,
                color=colour,
                shrinkA=0,
                shrinkB=0,
                zorder=2,
            )
        )
        self.extent += np.asarray(path.vertices).tolist()

    def label(self, text: str, points: list[tuple[float, float]], colour: str) -> None:
        """Put an edge's label on the first free spot along its line, middle first."""
        w, h = label_size(text)
        spots = [_along(points, t) for t in (0.5, 0.62, 0.38, 0.74, 0.26, 0.85, 0.15)]
        at = next(
            (p for p in spots if not any(_overlap(_rect(*p, w, h), r) for r in self.taken)),
            spots[0],
        )
        self.taken.append(_rect(*at, w, h))
        self.extent += [(at[0] - w / 2, at[1] - h / 2), (at[0] + w / 2, at[1] + h / 2)]
        self.axes.text(
            *at,
            text,
            ha="center",
            va="center",
            fontsize=LABEL_FONT_SIZE,
            color=LABEL_COLOUR,
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.2",
                "facecolor": "white",
                "edgecolor": colour,
                "linewidth": 0.6,
            },
        )

    def save(self, fmt: Literal["png", "svg"]) -> str | bytes:
        xs, ys = [p[0] for p in self.extent], [p[1] for p in self.extent]
        left, right = min(xs) - MARGIN, max(xs) + MARGIN
        bottom, top = min(ys) - MARGIN, max(ys) + MARGIN
        self.axes.set_xlim(left, right)
        self.axes.set_ylim(bottom, top)
        self.figure.set_size_inches((right - left) / 72, (top - bottom) / 72)
        buffer = io.BytesIO()
        # svg: text stays text (searchable, small); no date, so a graph gives the same file
        # svg: no date (same graph, same file) and no creator link to matplotlib.org
        metadata = {"Software": "decif"} if fmt == "png" else {"Date": None, "Creator": None}
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "decif"}):
            self.figure.savefig(buffer, format=fmt, dpi=144, metadata=metadata)
        data = buffer.getvalue()
        return data if fmt == "png" else data.decode()


def label_size(text: str) -> tuple[float, float]:
    """About how wide and tall an edge label's box is (no renderer needed to guess)."""
    return 0.6 * LABEL_FONT_SIZE * len(text) + 8, LABEL_FONT_SIZE + 6


Rect = tuple[float, float, float, float]  # left, bottom, right, top


def _rect(x: float, y: float, w: float, h: float) -> Rect:
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _along(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    """The point a fraction t of the way along a polyline."""
    if len(points) == 1:
        return points[0]
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False)]
    remaining = t * sum(lengths)
    for (a, b), length in zip(zip(points, points[1:], strict=False), lengths, strict=True):
        if remaining <= length and length:
            f = remaining / length
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
        remaining -= length
    return points[-1]


def _midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
