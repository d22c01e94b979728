"""A run's statistics as one self-contained HTML page, readable offline.

Everything is inside the file: CSS in a <style> block, the plots as data: URI PNGs drawn
with matplotlib, the graph picture as inline SVG. No scripts, fonts or images are
fetched, so the page can be mailed, archived or opened on a machine with no network.
"""

from __future__ import annotations

from html import escape
from typing import Any

from graph.report.calibration import calibration_section
from graph.report.diversity import dataset_sections
from graph.report.format import or_dash, run_facts, share
from graph.report.htmltable import table as _table
from graph.report.phrasing import COLUMNS, phrasing_rows, phrasing_summary
from graph.report.plots import (
    distributions_plot,
    nodes_plot,
    outcome_plot,
    plot,
    rate_plot,
)
from graph.report.turns import turn_section

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
.warnings ul { background: #fff4e5; border: 1px solid #e6b36a; border-radius: 8px;
               padding: 10px 10px 10px 30px; }
.ok { color: #3b8c5a; }
"""


def html_report(stats: dict[str, Any], graph_svg: str, title: str) -> str:
    """The whole page for `checkpoints.stats.run_stats` output and a graph SVG."""
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
{report_body(stats, graph_svg)}
</main>
</body>
</html>
"""


def report_body(stats: dict[str, Any], graph_svg: str) -> str:
    """The report's content, every value escaped: the page's, and the viewer's run page."""
    status = stats["by_status"]
    refinement = stats["refinement"]
    attempts = stats["attempts_per_accepted"]
    criteria = stats["criteria_per_instruction"]
    totals = stats["llm_totals"]
    total = stats["total"]
    cards = [
        ("samples", total),
        *((name, f"{count} ({share(count, total)})") for name, count in status.items()),
        (
            "refined",
            f"{refinement['refined_samples']} ({share(refinement['refined_samples'], total)})",
        ),
        ("mean attempts / accepted", or_dash(attempts["mean"])),
        ("mean criteria", or_dash(criteria["mean"])),
        ("LLM calls", totals["calls"]),
        ("tokens in / out", f"{totals['prompt_tokens']} / {totals['completion_tokens']}"),
        ("LLM seconds", totals["seconds"]),
    ]
    sections = [
        _section(
            "Outcomes",
            plot(outcome_plot, stats["by_reason"], height=0.5 + 0.35 * len(stats["by_reason"])),
            _table(
                ["status", "reason", "samples"],
                [(r["status"], r["reason"], r["samples"]) for r in stats["by_reason"]],
            ),
        ),
        _section(
            "Constraints: drawn, stated, and passed in code or by the judge",
            plot(
                rate_plot,
                (
                    "passed (% of checked attempts)",
                    [
                        (c["type"], c["pass_rate"] or 0, f"{c['passed']}/{c['checked']}")
                        for c in stats["constraint_types"]
                    ],
                ),
                height=0.6 + 0.3 * len(stats["constraint_types"]),
            ),
            _table(
                ["type", "by", "drawn", "stated", "dropped", "checked", "passed", "rate"],
                [
                    (
                        c["type"],
                        or_dash(c["checked_by"]),
                        c["drawn"],
                        c["stated"],
                        c["dropped"],
                        c["checked"],
                        c["passed"],
                        share(c["passed"], c["checked"]),
                    )
                    for c in stats["constraint_types"]
                ],
            ),
            wide=True,
        ),
        _section(
            "Acceptance by number of constraints",
            plot(
                rate_plot,
                (
                    "accepted (% of samples)",
                    [
                        (str(g["constraints"]), g["rate"], f"{g['accepted']}/{g['samples']}")
                        for g in stats["acceptance_by_constraint_count"]
                    ],
                ),
                height=0.6 + 0.35 * len(stats["acceptance_by_constraint_count"]),
            ),
            _acceptance_table(
                "constraints", stats["acceptance_by_constraint_count"], "constraints"
            ),
        ),
        _section(
            "Tokens and time per node",
            plot(nodes_plot, stats["nodes"], height=0.8 + 0.45 * len(stats["nodes"]), width=7.5),
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
        turn_section(stats, _section),
        _endpoints_section(stats.get("endpoints", [])),
        calibration_section(stats.get("calibration")),
        _section(
            "How the constraints were stated",
            f"<p>{escape(phrasing_summary(stats['phrasing']))}</p>",
            _table(COLUMNS, phrasing_rows(stats["phrasing"])),
            wide=True,
        ),
        _section(
            "Refinement, attempts and criteria",
            plot(
                distributions_plot,
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
                    ("share refined", share(refinement["refined_samples"], total)),
                    ("mean refinement rounds", or_dash(refinement["rounds"]["mean"])),
                    ("conflicts left unresolved", refinement["unresolved_conflicts"]),
                    ("accepted samples", attempts["samples"]),
                    ("mean attempts per accepted sample", or_dash(attempts["mean"])),
                    ("instructions with criteria", criteria["samples"]),
                    ("mean criteria per instruction", or_dash(criteria["mean"])),
                ],
            ),
            wide=True,
        ),
        dataset_sections(stats, _section, _table),
    ]
    card_html = "".join(
        f'<div class="card"><div class="value">{escape(str(v))}</div>'
        f'<div class="name">{escape(name)}</div></div>'
        for name, v in cards
    )
    return f"""<p class="subtitle">run {escape(str(stats["run"]))}</p>
<div class="cards">{card_html}</div>
{_warnings(stats["warnings"])}
<section><h2>What made this data</h2>{_table(["", ""], run_facts(stats))}</section>
{"".join(sections)}
<section class="graph">
<h2>The sample graph</h2>
<figure>{_inline_svg(graph_svg)}</figure>
</section>
"""


def _warnings(found: list[str]) -> str:
    if not found:
        return '<p class="ok">No warnings: nothing in the figures looks wrong.</p>'
    items = "".join(f"<li>{escape(w)}</li>" for w in found)
    return f'<section class="warnings"><h2>Warnings</h2><ul>{items}</ul></section>'


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


def _endpoints_section(endpoints: list[dict[str, Any]]) -> str:
    """Per server of a pool; nothing for a run on one server."""
    if len(endpoints) < 2:
        return ""
    columns = {  # heading: figure
        "endpoint": "endpoint",
        "calls": "calls",
        "errors (retried)": "errors",
        "prompt tokens": "prompt_tokens",
        "completion tokens": "completion_tokens",
        "seconds": "seconds",
        "seconds / call": "mean_seconds",
    }
    table = _table(list(columns), [[e[k] for k in columns.values()] for e in endpoints])
    return _section("Calls per endpoint", "", table, wide=True)


def _acceptance_table(name: str, groups: list[dict], key: str) -> str:
    return _table(
        [name, "samples", "accepted", "rate"],
        [(g[key], g["samples"], g["accepted"], f"{100 * g['rate']:.0f}%") for g in groups],
    )
