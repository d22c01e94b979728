"""Number formatting shared by the text summary and the HTML page."""

from __future__ import annotations

from typing import Any


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def counted(n: int, noun: str) -> str:
    """'1 review', '2 reviews': a count with its noun."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def or_dash(value: object) -> object:
    return "-" if value is None else value


def run_facts(stats: dict[str, Any]) -> list[tuple[str, object]]:
    """What made this data: the model, the settings, time and the meta stages' cost."""
    config = stats.get("config") or {}
    settings = config.get("settings") or {}
    finished = stats.get("finished") or {}
    facts: list[tuple[str, object]] = [
        ("model", config.get("llm", "-")),
        ("backend", config.get("backend", "-")),
    ]
    facts += [
        (name, settings[key])
        for name, key in (
            ("mode", "mode"),
            ("constraint catalogue", "catalogue"),
            ("constraint types", "types"),
            ("seed", "seed"),
            ("max attempts", "max_attempts"),
            ("max refine rounds", "max_refine_rounds"),
            ("candidates", "candidates"),
            ("max constraints", "max_constraints"),
            ("max tokens", "max_tokens"),
        )
        if settings.get(key) not in (None, [], ())
    ]
    if finished.get("first") is not None:
        span = finished["last"] - finished["first"]
        facts.append(("first to last sample finished", f"{span / 60:.1f} min"))
    for stage in stats.get("meta", []):
        facts.append(
            (
                f"meta stage {stage['node']}",
                f"{stage['calls']} calls, {stage['completion_tokens']} tokens out, "
                f"{stage['seconds']:.1f} s",
            )
        )
    return facts
