"""How the constraints were stated (`checkpoints.phrasing_stats`), for the text and HTML
reports: per type woven and appended, fidelity failures, distinct statements."""

from __future__ import annotations

from typing import Any

from graph.report.format import share

COLUMNS = ("type", "woven", "appended", "woven %", "distinct statements", "appended because")


def phrasing_rows(phrasing: dict[str, Any]) -> list[tuple]:
    return [
        (
            t["type"],
            t["woven"],
            t["appended"],
            share(t["woven"], t["woven"] + t["appended"]),
            t["distinct_statements"],
            ", ".join(f"{why} {n}" for why, n in sorted(t["appended_because"].items())) or "-",
        )
        for t in phrasing["by_type"]
    ]


def phrasing_summary(phrasing: dict[str, Any]) -> str:
    failed = ", ".join(f"{k} {n}" for k, n in phrasing["fidelity_failures"].items())
    restated, personas = phrasing["restated_criteria"], phrasing["personas"]
    return (
        f"{phrasing['woven']} of {phrasing['statements']} constraints woven"
        f" ({share(phrasing['woven'], phrasing['statements'])}); fidelity failures: {failed};"
        f" criteria dropped for restating a code check: {restated['criteria']} in"
        f" {restated['samples']} samples; personas: {personas['samples']} samples,"
        f" {personas['distinct']} distinct"
    )


def phrasing_lines(stats: dict[str, Any]) -> list[str]:
    phrasing = stats["phrasing"]
    lines = ["", f"phrasing: {phrasing_summary(phrasing)}"]
    lines += [
        f"  {r[0]:<46} woven {r[1]:>4}  appended {r[2]:>4}  distinct {r[4]:>3}  {r[5]}"
        for r in phrasing_rows(phrasing)
    ]
    return lines
