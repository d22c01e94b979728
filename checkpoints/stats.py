"""A run's figures, computed from its samples table (`<run>/samples.db`).

Plain SQL over the table and over the final states kept in it (SQLite's JSON functions
reach `llm_calls`, `constraints`, `criteria`), so every figure can be checked by hand
with `sqlite3`. The result is a JSON-serialisable dict; `decif stats` prints it and
`graph.report` turns it into an HTML page.

Refinement rounds are counted as `refine` calls made, so a round whose re-check then
failed still counts. Criteria per instruction are over samples that got criteria.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from checkpoints.calibration import calibration_figures
from checkpoints.config import RunFileError
from checkpoints.curation import curation_figures
from checkpoints.diversity import diversity_figures
from checkpoints.phrasing_stats import phrasing_figures, phrasing_warnings
from checkpoints.protocols import Run
from checkpoints.quality import constraint_figures, warnings
from checkpoints.runs import as_run
from checkpoints.store import SAMPLES_DB
from checkpoints.tables import STATUSES
from checkpoints.turn_stats import conversation_figures

# Every LLM call of every sample: one row per element of the state's llm_calls.
CALLS = """
    select s.id, j.key as position, json_extract(j.value, '$.node') as node,
           json_extract(j.value, '$.prompt_tokens') as prompt_tokens,
           json_extract(j.value, '$.completion_tokens') as completion_tokens,
           json_extract(j.value, '$.latency_s') as latency_s,
           json_extract(j.value, '$.endpoint') as endpoint,
           json_extract(j.value, '$.retried') as retried
    from samples s, json_each(s.state, '$.llm_calls') j
"""


def run_stats(run: Run | str | Path) -> dict[str, Any]:
    """Every figure of a run (a `checkpoints.runs` run, or a run directory), as plain JSON
    types."""
    run = as_run(run)
    with run.samples_db() as db:
        db.row_factory = sqlite3.Row
        try:
            total = db.execute("select count(*) from samples").fetchone()[0]
        except sqlite3.DatabaseError as err:
            raise RunFileError(
                f"{run}/{SAMPLES_DB} is not a usable SQLite database ({err}); restore it from a "
                "backup, or move it away and rerun the run's command to rebuild it from the "
                "checkpoints"
            ) from None
        figures = {
            "run": str(run),
            "total": total,
            "by_status": status_counts(db),
            "by_reason": rows(
                db,
                """select status, reason, count(*) as samples from samples
                   group by status, reason order by samples desc, status, reason""",
            ),
            "constraint_types": constraint_figures(db),
            "phrasing": phrasing_figures(db),
            "acceptance_by_constraint_count": rows(
                db,
                f"""select json_array_length(constraints) as constraints, {_ACCEPTANCE}
                    from samples s group by 1 order by 1""",
            ),
            "refinement": refinement(db, total),
            "attempts_per_accepted": distribution(
                db, "select attempts from samples where status = 'accepted'"
            ),
            "nodes": rows(
                db,
                f"""select node, count(*) as calls,
                       sum(prompt_tokens) as prompt_tokens,
                       sum(completion_tokens) as completion_tokens,
                       round(sum(latency_s), 3) as seconds,
                       round(avg(prompt_tokens), 1) as mean_prompt_tokens,
                       round(avg(completion_tokens), 1) as mean_completion_tokens,
                       round(avg(latency_s), 3) as mean_seconds
                    from ({CALLS}) group by node order by min(position), node""",
            ),
            "llm_totals": dict(
                db.execute(
                    f"""select count(*) as calls,
                           coalesce(sum(prompt_tokens), 0) as prompt_tokens,
                           coalesce(sum(completion_tokens), 0) as completion_tokens,
                           round(coalesce(sum(latency_s), 0), 3) as seconds
                        from ({CALLS})"""
                ).fetchone()
            ),
            "endpoints": endpoint_figures(db),
            "criteria_per_instruction": distribution(
                db,
                """select json_array_length(criteria) from samples
                   where json_array_length(criteria) > 0""",
            ),
            "meta": meta_costs(db),
            "finished": dict(
                db.execute(
                    """select min(finished_at) as first, max(finished_at) as last
                       from samples"""
                ).fetchone()
            ),
        }
        figures["conversations"] = conversation_figures(db)
        figures["calibration"] = calibration_figures(db)
        figures["config"] = run.read_config()
        figures["curation"] = curation_figures(db, figures["config"])
        figures["diversity"] = diversity_figures(db)
        figures["warnings"] = warnings(db, figures) + phrasing_warnings(figures)
        return figures


# Samples, accepted ones and their share, for a group of samples aliased `s`.
_ACCEPTANCE = """count(*) as samples,
    sum(s.status = 'accepted') as accepted,
    round(avg(s.status = 'accepted'), 4) as rate"""


def endpoint_figures(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per server of a pool (calls that recorded an `endpoint`): its calls, the tries
    that failed there and were retried (`errors`), its tokens and latency."""
    return rows(
        db,
        f"""select endpoint, count(*) as calls, count(retried) as errors,
               sum(prompt_tokens) as prompt_tokens,
               sum(completion_tokens) as completion_tokens,
               round(sum(latency_s), 3) as seconds,
               round(avg(latency_s), 3) as mean_seconds
            from ({CALLS}) where endpoint is not null group by endpoint order by endpoint""",
    )


def meta_costs(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """The meta stages' LLM calls, tokens and seconds per stage (none before a meta run)."""
    exists = db.execute(
        "select 1 from sqlite_master where type = 'table' and name = 'meta_llm_calls'"
    ).fetchone()
    if not exists:
        return []
    return rows(
        db,
        """select node, count(*) as calls, sum(prompt_tokens) as prompt_tokens,
               sum(completion_tokens) as completion_tokens, round(sum(latency_s), 3) as seconds
           from meta_llm_calls group by node order by min(rowid)""",
    )


def rows(db: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in db.execute(sql)]


def status_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Counts by status, every status present (0 when none)."""
    counts = dict(db.execute("select status, count(*) from samples group by status").fetchall())
    return {status: counts.get(status, 0) for status in STATUSES}


def distribution(db: sqlite3.Connection, sql: str) -> dict[str, Any]:
    """How often each value of a one-column query occurs, and their mean.

    Keys are strings ("1", "2", ...) so the dict survives a JSON round trip unchanged."""
    values = [row[0] for row in db.execute(sql)]
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return {
        "samples": len(values),
        "mean": round(sum(values) / len(values), 3) if values else None,
        "counts": {str(value): counts[value] for value in sorted(counts)},
    }


def refinement(db: sqlite3.Connection, total: int) -> dict[str, Any]:
    """How many samples needed the consistency loop, how often, and how it ended."""
    rounds = distribution(
        db,
        f"""select count(c.node) from samples s
            left join ({CALLS}) c on c.id = s.id and c.node = 'refine'
            group by s.id""",
    )
    refined = sum(n for r, n in rounds["counts"].items() if r != "0")
    unresolved = db.execute("select count(*) from samples where unresolved_conflict").fetchone()
    return {
        "refined_samples": refined,
        "refined_share": round(refined / total, 4) if total else None,
        "rounds": rounds,
        "unresolved_conflicts": unresolved[0],
    }
