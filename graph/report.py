"""A run's statistics as one self-contained HTML page, readable offline.

Everything is inside the file: CSS in a <style> block, the plots as data: URI PNGs drawn
with matplotlib, the graph picture as inline SVG. No scripts, fonts or images are
fetched, so the page can be mailed, archived or opened on a machine with no network.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

STATUS_COLOURS = {"accepted": "#3b8c5a", "rejected": "#c9873a", "failed": "#b8474b"}
PROMPT_COLOUR, COMPLETION_COLOUR, TIME_COLOUR = "#7c93c3", "#2f3e5c", "#8a6fb0"
BAR_COLOUR = "#4a6fa5"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2333;
       margin: 0; background: #f6f7fa; line-height: 1.4; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.2em; margin: 1.8em 0 0.6em; border-bottom: 1px solid #d5d9e3;
     padding-bottom: 4px; }
.subtitle { color: #5b6375; margin: 0 0 1em; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: white; border: 1px solid #dfe3ec; border-radius: 8px; padding: 10px 16px;
        min-width: 120px; }
.card .value { font-size: 1.5em; font-weight: 600; }
.card .name { color: #5b6375; font-size: 0.85em; }
.row { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
.row > * { flex: 1 1 420px; min-width: 0; }
.row.wide > * { flex-basis: 100%; }
figure { margin: 0; background: white; border: 1px solid #dfe3ec; border-radius: 8px;
         padding: 8px; }
figure img, figure svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
table { border-collapse: collapse; background: white; font-size: 0.9em; width: 100%;
        border: 1px solid #dfe3ec; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef3; text-align: left; }
th { background: #eef1f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.graph figure { max-width: 560px; }
.empty { color: #5b6375; font-style: italic; }
"""


def html_report(stats: dict[str, Any], graph_svg: str, title: str) -> str:
    """The whole page for `checkpoints.stats.run_stats` output and a graph SVG."""
    status = stats["by_status"]
    refinement = stats["refinement"]
    attempts = stats["attempts_per_accepted"]
    criteria = stats["criteria_per_instruction"]
    totals = stats["llm_totals"]
    total = stats["total"]
    cards = [
        ("samples", total),
        *((name, f"{count} ({_share(count, total)})") for name, count in status.items()),
        (
            "refined",
            f"{refinement['refined_samples']} ({_share(refinement['refined_samples'], total)})",
        ),
        ("mean attempts / accepted", _or_dash(attempts["mean"])),
        ("mean criteria", _or_dash(criteria["mean"])),
        ("LLM calls", totals["calls"]),
        ("tokens in / out", f"{totals['prompt_tokens']} / {totals['completion_tokens']}"),
        ("LLM seconds", totals["seconds"]),
    ]
    sections = [
        _section(
            "Outcomes",
            _plot(_outcome_plot, stats["by_reason"], height=0.5 + 0.35 * len(stats["by_reason"])),
            _table(
                ["status", "reason", "samples"],
                [(r["status"], r["reason"], r["samples"]) for r in stats["by_reason"]],
            ),
        ),
        _section(
            "Acceptance by constraint type",
            _plot(
                _acceptance_plot,
                [(r["constraint_type"], r) for r in stats["acceptance_by_constraint"]],
                height=0.6 + 0.3 * len(stats["acceptance_by_constraint"]),
            ),
            _acceptance_table(
                "constraint type", stats["acceptance_by_constraint"], "constraint_type"
            ),
        ),
        _section(
            "Acceptance by number of constraints",
            _plot(
                _acceptance_plot,
                [(str(r["constraints"]), r) for r in stats["acceptance_by_constraint_count"]],
                height=0.6 + 0.35 * len(stats["acceptance_by_constraint_count"]),
            ),
            _acceptance_table(
                "constraints", stats["acceptance_by_constraint_count"], "constraints"
            ),
        ),
        _section(
            "Tokens and time per node",
            _plot(_nodes_plot, stats["nodes"], height=0.8 + 0.45 * len(stats["nodes"]), width=7.5),
            _table(
                [
                    "node",
                    "calls",
                    "prompt tokens",
                    "completion tokens",
                    "seconds",
                    "prompt / call",
                    "completion / call",
                    "seconds / call",
                ],
                [
                    (
                        n["node"],
                        n["calls"],
                        n["prompt_tokens"],
                        n["completion_tokens"],
                        n["seconds"],
                        n["mean_prompt_tokens"],
                        n["mean_completion_tokens"],
                        n["mean_seconds"],
                    )
                    for n in stats["nodes"]
                ],
            ),
            wide=True,
        ),
        _section(
            "Refinement, attempts and criteria",
            _plot(
                _distributions_plot,
                [
                    ("refinement rounds per sample", refinement["rounds"]),
                    ("attempts per accepted sample", attempts),
                    ("criteria per instruction", criteria),
                ],
                height=2.4,
                width=9,
            ),
            _table(
                ["figure", "value"],
                [
                    ("samples refined at least once", refinement["refined_samples"]),
                    ("share refined", _share(refinement["refined_samples"], total)),
                    ("mean refinement rounds", _or_dash(refinement["rounds"]["mean"])),
                    ("conflicts left unresolved", refinement["unresolved_conflicts"]),
                    ("accepted samples", attempts["samples"]),
                    ("mean attempts per accepted sample", _or_dash(attempts["mean"])),
                    ("instructions with criteria", criteria["samples"]),
                    ("mean criteria per instruction", _or_dash(criteria["mean"])),
                ],
            ),
            wide=True,
        ),
    ]
    card_html = "".join(
        f'<div class="card"><div class="value">{escape(str(v))}</div>'
        f'<div class="name">{escape(name)}</div></div>'
        for name, v in cards
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p class="subtitle">run {escape(str(stats["run"]))}</p>
<div class="cards">{card_html}</div>
{"".join(sections)}
<section class="graph">
<h2>The sample graph</h2>
<figure>{_inline_svg(graph_svg)}</figure>
</section>
</main>
</body>
</html>
"""


def _section(heading: str, plot: str, table: str, wide: bool = False) -> str:
    """A heading over a plot and its table: side by side, or stacked for wide plots."""
    layout = "row wide" if wide else "row"
    return (
        f'<section><h2>{escape(heading)}</h2><div class="{layout}">{plot}{table}</div></section>\n'
    )


def _inline_svg(svg: str) -> str:
    """The <svg> element alone: an XML prolog or DOCTYPE is not allowed inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _or_dash(value: object) -> object:
    return "-" if value is None else value


def _table(header: Sequence[str], body: Iterable[Sequence[object]]) -> str:
    body = list(body)
    if not body:
        return '<p class="empty">no samples</p>'
    numeric = [all(_numberlike(row[i]) for row in body) for i in range(len(header))]

    def cells(tag: str, values: Sequence[object]) -> str:
        return "".join(
            f"<{tag}{' class=num' if right else ''}>{escape(str(value))}</{tag}>"
            for value, right in zip(values, numeric, strict=True)
        )

    rows = "".join(f"<tr>{cells('td', row)}</tr>" for row in body)
    return f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{rows}</tbody></table>"


def _numberlike(value: object) -> bool:
    """Numbers, percentages and the '-' of a missing figure line up on the right."""
    if isinstance(value, int | float):
        return True
    text = str(value).rstrip("%")
    return text == "-" or text.replace(".", "", 1).isdigit()


def _acceptance_table(name: str, groups: list[dict], key: str) -> str:
    return _table(
        [name, "samples", "accepted", "rate"],
        [(g[key], g["samples"], g["accepted"], f"{100 * g['rate']:.0f}%") for g in groups],
    )


def _plot(draw: Callable[[Figure, Any], None], data: Any, height: float, width: float = 6.0) -> str:
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


def _outcome_plot(figure: Figure, by_reason: list[dict]) -> None:
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
    axes.xaxis.get_major_locator().set_params(integer=True)
    _tidy(axes)


def _acceptance_plot(figure: Figure, groups: list[tuple[str, dict]]) -> None:
    axes = figure.add_subplot()
    if not groups:
        return _nothing(axes)
    groups = list(reversed(groups))
    bars = axes.barh(
        [name for name, _ in groups], [100 * g["rate"] for _, g in groups], color=BAR_COLOUR
    )
    axes.bar_label(
        bars, [f"{g['accepted']}/{g['samples']}" for _, g in groups], padding=3, fontsize=8
    )
    axes.set_xlim(0, 112)
    axes.set_xlabel("accepted (% of samples)", fontsize=9)
    _tidy(axes)


def _nodes_plot(figure: Figure, nodes: list[dict]) -> None:
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


def _distributions_plot(figure: Figure, panels: list[tuple[str, dict]]) -> None:
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


def text_summary(stats: dict[str, Any]) -> str:
    """The figures as aligned plain text, for a terminal."""
    total = stats["total"]
    outcome = ", ".join(
        f"{count} {status} ({_share(count, total)})" for status, count in stats["by_status"].items()
    )
    lines = [f"run {stats['run']}: {total} samples - {outcome}", "", "outcomes"]
    lines += [f"  {r['status']:<9} {r['reason']:<24} {r['samples']:>5}" for r in stats["by_reason"]]
    lines += ["", "acceptance by constraint type (accepted/samples)"]
    lines += [
        _acceptance_line(g["constraint_type"], g) for g in stats["acceptance_by_constraint"]
    ] or ["  no constraints drawn"]
    lines += ["", "acceptance by number of constraints"]
    lines += [
        _acceptance_line(f"{g['constraints']} constraints", g)
        for g in stats["acceptance_by_constraint_count"]
    ]
    refinement = stats["refinement"]
    refined = refinement["refined_samples"]
    lines += [
        "",
        f"refinement: {refined} of {total} samples refined at least once"
        f" ({_share(refined, total)}), {refinement['unresolved_conflicts']} with the conflict"
        " left unresolved",
        "",
        "distributions (value: samples)",
        _distribution_line("refinement rounds per sample", refinement["rounds"]),
        _distribution_line("attempts per accepted sample", stats["attempts_per_accepted"]),
        _distribution_line("criteria per instruction", stats["criteria_per_instruction"]),
        "",
        "LLM calls per node (tokens and seconds summed over calls)",
        f"  {'node':<20} {'calls':>6} {'prompt':>9} {'completion':>11} {'seconds':>9}"
        f" {'s/call':>7}",
    ]
    for n in [*stats["nodes"], {"node": "total", **stats["llm_totals"]}]:
        per_call = n["seconds"] / n["calls"] if n["calls"] else 0
        lines.append(
            f"  {n['node']:<20} {n['calls']:>6} {n['prompt_tokens']:>9} "
            f"{n['completion_tokens']:>11} {n['seconds']:>9.1f} {per_call:>7.2f}"
        )
    return "\n".join(lines)


def _acceptance_line(name: str, group: dict[str, Any]) -> str:
    counts = f"{group['accepted']}/{group['samples']}"
    return f"  {name:<28} {counts:>9} {_share(group['accepted'], group['samples']):>5}"


def _distribution_line(name: str, distribution: dict[str, Any]) -> str:
    counts = "  ".join(f"{v}: {n}" for v, n in distribution["counts"].items()) or "none"
    mean = f"  (mean {distribution['mean']})" if distribution["mean"] is not None else ""
    return f"  {name:<30} {counts}{mean}"
