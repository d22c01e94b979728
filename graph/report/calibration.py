"""The judge's agreement with human reviews (`checkpoints.calibration`), as text lines and
as an HTML section of the report and the viewer."""

from __future__ import annotations

from html import escape
from typing import Any

from graph.report.format import counted
from graph.report.htmltable import table

NO_REVIEWS = "no reviews yet: review samples in `decif view --run RUN`"
COLUMNS = ("kind", "verdicts", "accuracy", "precision YES", "recall YES", "kappa")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def judge_rows(calibration: dict[str, Any]) -> list[tuple]:
    """One row per kind, the overall figures first."""
    judge = calibration["judge"]
    groups = [{"kind": "all", **judge["overall"]}, *judge["by_kind"]]
    return [
        (
            g["kind"],
            g["judgements"],
            percent(g["accuracy"]),
            percent(g["precision_yes"]),
            percent(g["recall_yes"]),
            _kappa(g["kappa"]),
        )
        for g in groups
    ]


def headline(calibration: dict[str, Any]) -> str:
    return (
        f"{counted(calibration['reviews'], 'review')} of "
        f"{counted(calibration['reviewed_samples'], 'sample')} by "
        f"{counted(len(calibration['reviewers']), 'reviewer')}"
    )


def dropped_line(calibration: dict[str, Any]) -> str:
    """What the reviews imply for the accepted set."""
    d = calibration["accepted_dropped"]
    if not d["accepted_decided"]:
        return "accepted samples a reviewer would drop: no accepted sample kept or dropped yet"
    return (
        f"accepted samples a reviewer would drop: {d['dropped']} of {d['accepted_decided']} "
        f"decided ({percent(d['share'])}; 95% interval {percent(d['low'])}-{percent(d['high'])})"
        f" - of {d['accepted_total']} accepted"
    )


def reviewers_line(calibration: dict[str, Any]) -> str:
    a = calibration["reviewers_agreement"]
    if not a["samples"]:
        return "reviewer agreement: no sample reviewed by two reviewers yet"
    parts = [
        f"{what} {g['agree']}/{g['pairs']} ({percent(g['share'])}, kappa {_kappa(g['kappa'])})"
        for what, g in (("keep/drop", a["decision"]), ("verdicts", a["verdicts"]))
        if g["pairs"]
    ]
    return f"reviewer agreement on {a['samples']} samples: {'; '.join(parts) or 'nothing shared'}"


def calibration_lines(calibration: dict[str, Any] | None) -> list[str]:
    """For `decif stats`' text output."""
    if not calibration or not calibration["reviews"]:
        return ["", f"judge calibration: {NO_REVIEWS}"]
    lines = ["", f"judge calibration ({headline(calibration)})"]
    lines.append(
        f"  {COLUMNS[0]:<34} {COLUMNS[1]:>8} {COLUMNS[2]:>8} {COLUMNS[3]:>13} {COLUMNS[4]:>10}"
        f" {COLUMNS[5]:>6}"
    )
    lines += [
        f"  {kind:<34} {n:>8} {acc:>8} {prec:>13} {rec:>10} {kap:>6}"
        for kind, n, acc, prec, rec, kap in judge_rows(calibration)
    ]
    return [*lines, f"  {dropped_line(calibration)}", f"  {reviewers_line(calibration)}"]


def calibration_section(calibration: dict[str, Any] | None) -> str:
    """For the HTML report and the viewer's run page."""
    heading = "<h2>The judge, calibrated against human reviews</h2>"
    if not calibration or not calibration["reviews"]:
        empty = f'<p class="empty">{escape(NO_REVIEWS)}</p>'
        return f'<section id="calibration">{heading}{empty}</section>\n'
    facts = "".join(
        f"<li>{escape(line)}</li>"
        for line in (dropped_line(calibration), reviewers_line(calibration))
    )
    return (
        f'<section id="calibration">{heading}<p class="subtitle">{escape(headline(calibration))}'
        f"</p>{table(COLUMNS, judge_rows(calibration))}<ul>{facts}</ul></section>\n"
    )
