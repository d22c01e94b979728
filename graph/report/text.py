"""The run's figures as aligned plain text, for a terminal."""

from __future__ import annotations

from typing import Any

from graph.report.calibration import calibration_lines
from graph.report.diversity import curation_text, diversity_text
from graph.report.format import counted, run_facts, share
from graph.report.phrasing import phrasing_lines
from graph.report.turns import turn_lines


def text_summary(stats: dict[str, Any]) -> str:
    """The figures as aligned plain text, for a terminal."""
    total = stats["total"]
    outcome = ", ".join(
        f"{count} {status} ({share(count, total)})" for status, count in stats["by_status"].items()
    )
    lines = [f"run {stats['run']}: {total} samples - {outcome}"]
    lines += [f"WARNING: {w}" for w in stats["warnings"]]
    lines += ["", *(f"  {name:<30} {value}" for name, value in run_facts(stats))]
    lines += ["", "outcomes"]
    lines += [f"  {r['status']:<9} {r['reason']:<24} {r['samples']:>5}" for r in stats["by_reason"]]
    lines += [
        "",
        "constraints (drawn, stated, dropped by refinement; checked attempts passed in code"
        " or by the judge)",
        f"  {'type':<46} {'by':<5} {'drawn':>5} {'stated':>6} {'dropped':>7} {'passed':>9}"
        f" {'rate':>5}",
    ]
    lines += [
        f"  {c['type']:<46} {c['checked_by'] or '-':<5} {c['drawn']:>5} {c['stated']:>6}"
        f" {c['dropped']:>7} {str(c['passed']) + '/' + str(c['checked']):>9}"
        f" {share(c['passed'], c['checked']):>5}"
        for c in stats["constraint_types"]
    ] or ["  no constraints drawn"]
    lines += phrasing_lines(stats)
    lines += turn_lines(stats)
    lines += ["", "acceptance by number of constraints"]
    lines += [
        _acceptance_line(counted(g["constraints"], "constraint"), g)
        for g in stats["acceptance_by_constraint_count"]
    ]
    refinement = stats["refinement"]
    refined = refinement["refined_samples"]
    lines += [
        "",
        f"refinement: {refined} of {total} samples refined at least once"
        f" ({share(refined, total)}), {refinement['unresolved_conflicts']} with the conflict"
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
    lines += _endpoint_lines(stats.get("endpoints", []))
    lines += calibration_lines(stats.get("calibration"))
    return "\n".join(lines + curation_text(stats) + diversity_text(stats))


def _endpoint_lines(endpoints: list[dict[str, Any]]) -> list[str]:
    """Per server of a pool; nothing for a run on one server."""
    if len(endpoints) < 2:
        return []
    width = max(len(e["endpoint"]) for e in endpoints)
    lines = [
        "",
        "LLM calls per endpoint (errors: tries that failed there and were retried)",
        f"  {'endpoint':<{width}} {'calls':>6} {'errors':>6} {'prompt':>9} {'completion':>11}"
        f" {'s/call':>7}",
    ]
    lines += [
        f"  {e['endpoint']:<{width}} {e['calls']:>6} {e['errors']:>6} {e['prompt_tokens']:>9}"
        f" {e['completion_tokens']:>11} {e['mean_seconds']:>7.2f}"
        for e in endpoints
    ]
    return lines


def _acceptance_line(name: str, group: dict[str, Any]) -> str:
    counts = f"{group['accepted']}/{group['samples']}"
    return f"  {name:<28} {counts:>9} {share(group['accepted'], group['samples']):>5}"


def _distribution_line(name: str, distribution: dict[str, Any]) -> str:
    counts = "  ".join(f"{v}: {n}" for v, n in distribution["counts"].items()) or "none"
    mean = f"  (mean {distribution['mean']})" if distribution["mean"] is not None else ""
    return f"  {name:<30} {counts}{mean}"
