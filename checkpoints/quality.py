"""Is this data usable? Per constraint type, how often it was drawn, stated in the
instruction, and passed - in code, or by the judge for the types only language can check -
and the warnings a run's figures call for.

The pass rate is the constraint's own (checked attempts that passed), not the acceptance
of the samples that carried it: a sample accepted in mixed case must not make
"all upper case" look 100% followed. Plain SQL over the samples table's final states.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# Every constraint a sample stated (instruction written) or drew - a conversation's at every
# turn and in its system message (the columns hold them all); `j.type` skips runs made
# before constraints had parameters (a list of ids then).
_STATED = """
    select json_extract(j.value, '$.id') as type, s.id as sample, s.status, s.instruction != ''
        as stated
    from samples s, json_each(s.constraints) j where j.type = 'object'
"""
_DROPPED = """
    select json_extract(j.value, '$.id') as type, s.id as sample
    from samples s, json_each(s.dropped_constraints) j where j.type = 'object'
"""
# Every attempt: a single answer's, and those of each turn of a conversation.
_ATTEMPTS = """
    select a.value as attempt from samples s, json_each(s.state, '$.attempts') a
    union all
    select a.value from samples s, json_each(s.state, '$.turns') t,
        json_each(t.value, '$.attempts') a
"""
_CHECKS = f"""
    select json_extract(c.value, '$.id') as type, json_extract(c.value, '$.by') as by,
           json_extract(c.value, '$.passed') as passed
    from ({_ATTEMPTS}) a, json_each(a.attempt, '$.checks') c
"""

# Warning thresholds: enough evidence, and a share that says something is off.
MIN_VERDICTS = 20
ALL_YES = 0.98
MIN_SAMPLES = 10
MIN_CHECKS = 5
DEGENERATE_SHARE = 0.1


def constraint_figures(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """One row per constraint type seen in the run, most drawn first."""
    rows = db.execute(
        f"""
        with stated as ({_STATED}), dropped as ({_DROPPED}), checks as ({_CHECKS}),
        types as (select type from stated union select type from dropped)
        select t.type,
            (select count(*) from stated where type = t.type)
                + (select count(*) from dropped where type = t.type) as drawn,
            (select count(*) from stated where type = t.type and stated) as stated,
            (select count(*) from dropped where type = t.type) as dropped,
            (select max(by) from checks where type = t.type) as checked_by,
            (select count(*) from checks where type = t.type) as checked,
            (select coalesce(sum(passed), 0) from checks where type = t.type) as passed,
            (select count(*) from stated where type = t.type and status = 'accepted')
                as accepted_samples
        from types t order by drawn desc, t.type
        """
    ).fetchall()
    keys = ("type", "drawn", "stated", "dropped", "checked_by", "checked", "passed", "accepted")
    figures = [dict(zip(keys, row, strict=True)) for row in rows]
    for f in figures:
        f["pass_rate"] = round(f["passed"] / f["checked"], 4) if f["checked"] else None
    return figures


def warnings(db: sqlite3.Connection, figures: dict[str, Any]) -> list[str]:
    """What looks wrong in the run, in words."""
    found = []
    total = figures["total"]
    verdicts = db.execute(
        f"""select count(*), coalesce(sum(v.value = 'YES'), 0)
            from ({_ATTEMPTS}) a, json_each(a.attempt, '$.verdicts') v"""
    ).fetchone()
    if verdicts[0] >= MIN_VERDICTS and verdicts[1] / verdicts[0] >= ALL_YES:
        found.append(
            f"the judge said YES to {verdicts[1]} of {verdicts[0]} criteria: it may not be "
            "judging at all (try a stronger judge model)"
        )
    degenerate = sum(
        r["samples"]
        for r in figures["by_reason"]
        if r["reason"].endswith(("repeats_request", "echoes_prompt"))
    )
    if total >= MIN_SAMPLES and degenerate / total >= DEGENERATE_SHARE:
        found.append(
            f"{degenerate} of {total} instructions only repeated their request or echoed "
            "decif's prompt (the model is too weak to write instructions)"
        )
    dropped = sum(f["dropped"] for f in figures["constraint_types"])
    if dropped:
        found.append(
            f"{dropped} constraints were dropped by refinement (no longer stated, so not "
            "checked); see dropped_constraints in the samples table"
        )
    never = [
        f["type"]
        for f in figures["constraint_types"]
        if f["checked"] >= MIN_CHECKS and not f["passed"]
    ]
    if never:
        found.append(f"never passed: {', '.join(never)}")
    faults = sum(r["samples"] for r in figures["by_reason"] if r["reason"] == "internal_error")
    if faults:
        found.append(
            f"{faults} samples failed on a fault in decif, not the model (internal_error; the "
            "exception is in the error column): please report it; a rerun retries them"
        )
    if total >= MIN_SAMPLES and figures["by_status"].get("failed", 0) / total > 0.5:
        found.append("more than half of the samples failed: see the outcomes")
    return found
