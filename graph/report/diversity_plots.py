"""The plots of the dataset-as-a-whole sections: nearest-neighbour similarity, lengths,
samples per group, and the constraint-type co-occurrence heatmap."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from graph.report.plots import BAR_COLOUR, _nothing, _tidy

HEATMAP_TYPES = 25  # the most drawn types shown; a 60x60 grid is unreadable


def nearest_plot(figure: Figure, bins: dict[str, int]) -> None:
    axes = figure.add_subplot()
    if not any(bins.values()):
        return _nothing(axes, "no curated samples")
    bars = axes.bar(list(bins), list(bins.values()), color=BAR_COLOUR)
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_xlabel("similarity to the nearest other instruction (MinHash estimate)", fontsize=9)
    axes.set_ylabel("instructions", fontsize=9)
    axes.tick_params(axis="x", labelrotation=30)
    axes.margins(y=0.2)
    _tidy(axes)


def lengths_plot(figure: Figure, lengths: dict[str, dict[str, Any]]) -> None:
    for axes, (field, figures) in zip(figure.subplots(1, 2), lengths.items(), strict=True):
        axes.set_title(f"{field} length (words)", fontsize=9)
        histogram = figures.get("histogram")
        if not histogram:
            _nothing(axes)
            continue
        edges, counts = histogram["edges"], histogram["counts"]
        axes.bar(edges[:-1], counts, width=edges[1] - edges[0], align="edge", color=BAR_COLOUR)
        axes.set_ylabel("samples", fontsize=9)
        _tidy(axes)


def groups_plot(figure: Figure, groups: list[tuple[str, dict[str, Any]]]) -> None:
    """The most filled domains and requests."""
    for axes, (name, spread) in zip(figure.subplots(1, len(groups)), groups, strict=True):
        axes.set_title(
            f"samples per {name} (top {len(spread['top'])} of {spread['groups']})", fontsize=9
        )
        if not spread["top"]:
            _nothing(axes)
            continue
        top = list(reversed(spread["top"]))
        bars = axes.barh(
            [_short(t["name"]) for t in top], [t["samples"] for t in top], color=BAR_COLOUR
        )
        axes.bar_label(bars, padding=2, fontsize=8)
        _tidy(axes)


def heatmap_plot(figure: Figure, co: dict[str, Any]) -> None:
    """How often two constraint types were drawn for one accepted sample."""
    axes = figure.add_subplot()
    types = list(co["types"])[:HEATMAP_TYPES]
    if len(types) < 2:
        return _nothing(axes, "fewer than two constraint types drawn")
    where = {t: i for i, t in enumerate(types)}
    grid = [[0] * len(types) for _ in types]
    for pair in co["pairs"]:
        if pair["a"] in where and pair["b"] in where:
            a, b = where[pair["a"]], where[pair["b"]]
            grid[a][b] = grid[b][a] = pair["samples"]
    image = axes.imshow(grid, cmap="Blues")
    axes.set_xticks(range(len(types)), [_short(t) for t in types], rotation=90, fontsize=7)
    axes.set_yticks(range(len(types)), [_short(t) for t in types], fontsize=7)
    figure.colorbar(image, ax=axes, shrink=0.6, label="samples drawing both")


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
