"""A run's conversations (`checkpoints.turn_stats`) as text lines and as an HTML section of
the report and the viewer: per turn, reached and verified; per scope, checks passed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.report.format import counted, share
from graph.report.htmltable import table


def turn_rows(figures: dict[str, Any]) -> list[tuple]:
    return [
        (f"turn {t['turn']}", t["reached"], t["verified"], share(t["verified"], t["reached"]))
        for t in figures["per_turn"]
    ]


def scope_rows(figures: dict[str, Any]) -> list[tuple]:
    return [
        (s["scope"], s["checked"], s["passed"], share(s["passed"], s["checked"]))
        for s in figures["by_scope"]
    ]


def prefix_line(figures: dict[str, Any]) -> str:
    return (
        f"{counted(figures['samples'], 'conversation')}; {figures['kept_prefix']} accepted "
        "with their verified turns only (--keep-prefix)"
    )


def turn_lines(stats: dict[str, Any]) -> list[str]:
    figures = stats.get("conversations")
    if not figures:
        return []
    lines = ["", f"conversations: {prefix_line(figures)}"]
    lines.append(f"  {'turn':<38} {'reached':>8} {'verified':>9} {'rate':>6}")
    lines += [f"  {n:<38} {a:>8} {b:>9} {r:>6}" for n, a, b, r in turn_rows(figures)]
    lines.append(f"  {'checks by scope':<38} {'checked':>8} {'passed':>9} {'rate':>6}")
    lines += [f"  {n:<38} {a:>8} {b:>9} {r:>6}" for n, a, b, r in scope_rows(figures)]
    return lines


def turn_section(stats: dict[str, Any], section: Callable[..., str]) -> str:
    figures = stats.get("conversations")
    if not figures:
        return ""
    per_turn = table(["turn", "reached", "verified", "rate"], turn_rows(figures))
    by_scope = table(["checks by scope", "checked", "passed", "rate"], scope_rows(figures))
    return section(f"Conversations: {prefix_line(figures)}", per_turn, by_scope)
