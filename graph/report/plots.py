"""The report's plots: matplotlib figures drawn to PNG and inlined as data: URIs."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any, cast

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

STATUS_COLOURS = {"accepted": "#3b8c5a", "rejected": "#c9873a", "failed": "#b8474b"}
PROMPT_COLOUR, COMPLETION_COLOUR, TIME_COLOUR = "#7c93c3", "#2f3e5c", "#8a6fb0"
BAR_COLOUR = "#4a6fa5"


def plot(draw: Callable[[Figure, Any], None], data: Any, height: float, width: float = 6.0) -> str:
    """A matplotlib figure as an <img> with a data: URI (no file, no network)."""
    figure = Figure(figsize=(width, max(height, 1.6)), layout="constrained")
    draw(figure, data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": "decif"})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="plot" src="data:image/png;base64,{encoded}"></figure>'


def _nothing(axes: Axes, what: str = "no samples") -> None:
    axes.text(0.5, 0.5, what, ha="center", va="center", color="#5b6375", transform=axes.transAxes)
    axes.set_axis_off()


def _tidy(axes: Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=9)


def outcome_plot(figure: Figure, by_reason: list[dict]) -> None:
    axes = figure.add_subplot()
    if not by_reason:
        return _nothing(axes)
    rows = list(reversed(by_reason))  # largest on top
    bars = axes.barh(
        [f"{r['status']}: {r['reason']}" for r in rows],
        [r["samples"] for r in rows],
        color=[STATUS_COLOURS.get(r["status"], BAR_COLOUR) for r in rows],
    )
    axes.bar_label(bars, padding=3, fontsize=9)
    axes.set_xlabel("samples", fontsize=9)
    cast(MaxNLocator, axes.xaxis.get_major_locator()).set_params(integer=True)
    _tidy(axes)


def rate_plot(figure: Figure, data: tuple[str, list[tuple[str, float, str]]]) -> None:
    """Horizontal bars of rates (0-1), each labelled with its counts, under an x label."""
    xlabel, groups = data
    axes = figure.add_subplot()
    if not groups:
        return _nothing(axes)
    groups = list(reversed(groups))
    bars = axes.barh([g[0] for g in groups], [100 * g[1] for g in groups], color=BAR_COLOUR)
    axes.bar_label(bars, [g[2] for g in groups], padding=3, fontsize=8)
    axes.set_xlim(0, 112)
    axes.set_xlabel(xlabel, fontsize=9)
    _tidy(axes)


def nodes_plot(figure: Figure, nodes: list[dict]) -> None:
    tokens, seconds = figure.subplots(1, 2, sharey=True)
    if not nodes:
        _nothing(tokens, "no LLM calls")
        return _nothing(seconds, "")
    nodes = list(reversed(nodes))
    names = [n["node"] for n in nodes]
    positions = range(len(nodes))
    tokens.barh(
        [p + 0.2 for p in positions],
        [n["prompt_tokens"] for n in nodes],
        height=0.4,
        color=PROMPT_COLOUR,
        label="prompt",
    )
    tokens.barh(
        [p - 0.2 for p in positions],
        [n["completion_tokens"] for n in nodes],
        height=0.4,
        color=COMPLETION_COLOUR,
        label="completion",
    )
    tokens.set_yticks(list(positions), names)
    tokens.set_xlabel("tokens (all calls)", fontsize=9)
    tokens.legend(fontsize=8, frameon=False, ncols=2, loc="lower left", bbox_to_anchor=(0, 1))
    bars = seconds.barh(list(positions), [n["seconds"] for n in nodes], color=TIME_COLOUR)
    seconds.bar_label(bars, [f"{n['calls']} calls" for n in nodes], padding=3, fontsize=8)
    seconds.set_xlabel("LLM seconds (all calls)", fontsize=9)
    seconds.set_xlim(0, max(n["seconds"] for n in nodes) * 1.35 or 1)
    _tidy(tokens)
    _tidy(seconds)


def distributions_plot(figure: Figure, panels: list[tuple[str, dict]]) -> None:
    for axes, (name, dist) in zip(figure.subplots(1, len(panels)), panels, strict=True):
        axes.set_title(name, fontsize=9)
        if not dist["counts"]:
            _nothing(axes)
            continue
        values = list(dist["counts"])
        bars = axes.bar(values, list(dist["counts"].values()), color=BAR_COLOUR)
        axes.bar_label(bars, padding=2, fontsize=8)
        axes.set_ylabel("samples", fontsize=9)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.margins(y=0.2)
        _tidy(axes)
