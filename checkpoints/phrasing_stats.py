"""How a run's constraints were stated: per type the share woven into the request and
appended (and why), the fidelity checks that failed, how many distinct statements the
instructions hold, the criteria dropped for restating a code check, and the personas.

A statement is counted by its normalised text: lower case, spaces collapsed, numbers as
"#" and quoted values as "…", so "under 120 words" and "under 300 words" are one
phrasing, and two woven sentences that say it differently are two.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from typing import Any

_STATED = """
    select json_extract(j.value, '$.id') as type, json_extract(j.value, '$.how') as how,
           json_extract(j.value, '$.why') as why, json_extract(j.value, '$.style') as style,
           json_extract(j.value, '$.text') as text
    from samples s, json_each(coalesce(s.stated, '[]')) j where s.instruction != ''
"""
# Why a statement was appended, grouped by the check that failed.
FAILED_CHECKS = {"missing": "value_missing", "llm_said_no": "llm_said_no"}
FAILED_CHECKS["lost_in_refine"] = "lost_in_refine"
MOSTLY_APPENDED = 0.9  # warn when a woven run appends this share of its statements
MIN_STATEMENTS = 20


def normalised(text: str) -> str:
    text = re.sub(r'"[^"]*"|\u201c[^\u201d]*\u201d', "\u2026", text.lower())
    return " ".join(re.sub(r"\d+", "#", text).split())


def phrasing_figures(db: sqlite3.Connection) -> dict[str, Any]:
    woven: Counter = Counter()
    appended: Counter = Counter()
    reasons: defaultdict[str, Counter] = defaultdict(Counter)
    texts: defaultdict[str, set] = defaultdict(set)
    failed: Counter = Counter()
    for type_, how, why, style, text in db.execute(_STATED):
        if how == "woven":
            woven[type_] += 1
            texts[type_].add(normalised(text or ""))
            continue
        appended[type_] += 1
        reasons[type_][why] += 1
        texts[type_].add(normalised(text) if text else f"({style or 'fixed sentence'})")
        check = FAILED_CHECKS.get((why or "").split(":")[0])
        if check:
            failed[check] += 1
    by_type = [
        {
            "type": type_,
            "woven": woven[type_],
            "appended": appended[type_],
            "woven_share": round(woven[type_] / (woven[type_] + appended[type_]), 4),
            "appended_because": dict(reasons[type_]),
            "distinct_statements": len(texts[type_]),
        }
        for type_ in sorted(woven | appended, key=lambda t: (-(woven[t] + appended[t]), t))
    ]
    total = sum(woven.values()) + sum(appended.values())
    restated = db.execute(
        """select count(*), coalesce(sum(json_array_length(s.state, '$.restated_criteria')), 0)
           from samples s where json_type(s.state, '$.restated_criteria') = 'array'"""
    ).fetchone()
    personas = db.execute(
        "select count(*), count(distinct persona) from samples where coalesce(persona, '') != ''"
    ).fetchone()
    return {
        "statements": total,
        "woven": sum(woven.values()),
        "woven_share": round(sum(woven.values()) / total, 4) if total else None,
        "fidelity_failures": {check: failed[check] for check in FAILED_CHECKS.values()},
        "by_type": by_type,
        "restated_criteria": {"samples": restated[0], "criteria": restated[1]},
        "personas": {"samples": personas[0], "distinct": personas[1]},
    }


def phrasing_warnings(figures: dict[str, Any]) -> list[str]:
    phrasing = figures["phrasing"]
    woven_run = (figures.get("config", {}).get("settings") or {}).get("phrasing") == "woven"
    total, woven = phrasing["statements"], phrasing["woven"]
    if woven_run and total >= MIN_STATEMENTS and (total - woven) / total >= MOSTLY_APPENDED:
        return [
            f"{total - woven} of {total} constraints were appended, not woven: the model "
            "rarely states the exact values (see phrasing; a stronger model weaves more)"
        ]
    return []
