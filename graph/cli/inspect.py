"""`decif inspect`: a run's samples, one sample's trajectory, or the meta stages' tree."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Any

import click

from checkpoints.protocols import Run, RunStore
from checkpoints.saver import CHECKPOINTS_DB
from checkpoints.store import SAMPLES_DB
from checkpoints.tables import STATUSES
from graph.cli.common import BadInput, require_run, summary
from graph.cli.options import run_dir_option


@click.command()
@run_dir_option
@click.argument("sample_id", required=False)
@click.option("--status", type=click.Choice(STATUSES), help="List only samples with this status.")
@click.option(
    "--meta", "show_meta", is_flag=True, help="Show the meta stages' domains, requests, scenarios."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(
    run_dir: Run, sample_id: str | None, status: str | None, show_meta: bool, as_json: bool
) -> None:
    """List a run's samples, or show one sample's trajectory.

    Without SAMPLE_ID: one line per sample (id, status, reason, instruction), with the
    samples of RUN/checkpoints.db that RUN/samples.db lacks (a graph run through the Python
    API, or samples in flight). With it: every step from the checkpoints - node, what it
    wrote, tokens and latency. With --meta: the scenario tree the meta stages made, and
    what their parser dropped.
    """
    from checkpoints.trajectory import trajectory, unrecorded_samples
    from graph.sample_graph import build_sample_graph

    require_run(run_dir)
    local = getattr(run_dir, "path", None)  # a run in a directory may lack one database
    store = run_dir.store() if not local or (local / SAMPLES_DB).exists() else None
    if show_meta:
        print_meta(store, run_dir, as_json)
        return
    has_checkpoints = not local or (local / CHECKPOINTS_DB).exists()
    with run_dir.checkpointer() if has_checkpoints else nullcontext() as saver:
        graph = build_sample_graph(saver)
        rows = list(store.rows()) if store else []
        if saver is not None:
            rows += unrecorded_samples(graph, {r["id"] for r in rows})
        if sample_id is None:
            list_samples([r for r in rows if not status or r["status"] == status], rows, as_json)
            return
        row = next((r for r in rows if r["id"] == sample_id), None)
        if row is None:
            raise BadInput(
                f"no sample {sample_id!r} in {run_dir}; list them with decif inspect --run "
                f"{run_dir}"
            )
        steps = trajectory(graph, sample_id) if saver is not None else []
    show_sample(row, steps, as_json)


def list_samples(shown: list[dict], rows: list[dict], as_json: bool) -> None:
    if as_json:
        keys = ("id", "status", "reason", "attempts", "refine_rounds", "instruction", "curation")
        click.echo(json.dumps([{k: r.get(k) for k in keys} for r in shown], indent=2))
        return
    for r in shown:
        instruction = " ".join(r["instruction"].split())[:70]
        flags = " [flagged]" if (r.get("curation") or {}).get("flags") else ""
        click.echo(f"{r['id']}  {r['status']:<8}  {r['reason']:<20}  {instruction}{flags}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    click.echo(f"{len(shown)} shown; {summary(counts)}")


def show_sample(row: dict[str, Any], steps: list[dict[str, Any]], as_json: bool) -> None:
    from checkpoints.trajectory import describe

    if as_json:
        for step in steps:
            step["at"] = str(step["at"])
        click.echo(json.dumps({"sample": row, "steps": steps}, indent=2, default=str))
        return
    click.echo(f"sample {row['id']}: {row['status']} ({row['reason']})")
    click.echo(f"request: {row['request']}\nscenario: {row['scenario']}")
    if row["error"]:
        click.echo(f"error: {row['error']}")
    if row.get("persona"):
        click.echo(f"persona: {row['persona']}")
    if row.get("turns"):
        for line in conversation_lines(row):
            click.echo(line)
    else:
        for line in constraint_lines(row.get("constraints"), row.get("stated"), row.get("checks")):
            click.echo(line)
    for line in curation_lines(row.get("curation")):
        click.echo(line)
    if not steps and row.get("state"):  # pruned: what the final state records
        click.echo("\n(step history pruned; the final state:)")
        keys = ("constraints", "stated", "dropped_constraints", "consistency", "criteria")
        final = {k: row["state"][k] for k in (*keys, "attempts") if row["state"].get(k)}
        for line in describe(final):
            click.echo(f"  {line}")
    for step in steps:
        llm = step["llm"]
        cost = (
            f"  [{llm['prompt_tokens']}+{llm['completion_tokens']} tokens,"
            f" {llm['latency_s']:.2f} s]"
            if llm["calls"]
            else ""
        )
        click.echo(f"\n#{step['step']} {step['node']}{cost}")
        if step["error"]:
            click.echo(f"  error: {step['error']}")
        for line in describe(step["update"]):
            click.echo(f"  {line}")


def constraint_lines(
    constraints: list[dict] | None, stated: list[dict] | None, checks: list[dict] | None
) -> list[str]:
    """Each constraint with its values, its check on the kept response, and how it is stated."""
    from checkpoints.trajectory import how_stated

    results = {c["id"]: c for c in checks or []}
    how = {s["id"]: s for s in stated or []}
    lines = []
    for constraint in constraints or []:
        result = results.get(constraint["id"])
        verdict = "-" if result is None else ("pass" if result["passed"] else "FAIL")
        by = f" ({result['by']})" if result else ""
        kwargs = json.dumps(constraint["kwargs"], ensure_ascii=False)
        kwargs = kwargs if len(kwargs) <= 160 else kwargs[:157] + "..."
        scope = f" [{constraint['scope']}]" if "scope" in constraint else ""
        lines.append(f"constraint {constraint['id']}{scope} {kwargs}: {verdict}{by}")
        if constraint["id"] in how:
            text = " ".join(how[constraint["id"]]["text"].split())
            lines.append(f"  {how_stated(how[constraint['id']]).split(' ', 1)[1]}: {text or '-'}")
    return lines


def conversation_lines(row: dict[str, Any]) -> list[str]:
    """A conversation turn by turn: its system message, then each turn's user message, its
    constraints, what else was in force, the checks and the kept answer."""
    from checkpoints.trajectory import held_line

    lines = [f"system message: {row['system']}"] if row.get("system") else []
    for turn in row["turns"]:
        verdict = "verified" if turn["passed"] else f"not verified ({turn['reason'] or '-'})"
        lines += ["", f"turn {turn['turn']}: {verdict}", f"user: {turn['user']}"]
        lines += constraint_lines(turn["constraints"], turn["stated"], turn["checks"])
        own = {c["id"] for c in turn["constraints"]}
        results = {c["id"]: c for c in turn["checks"]}
        for held in (c for c in turn["in_force"] if c["id"] not in own):
            result = results.get(held["id"])
            verdict = "-" if result is None else ("pass" if result["passed"] else "FAIL")
            lines.append(f"in force: {held_line(held)}: {verdict}")
        lines.append(f"answer ({turn['attempts']} attempts): {turn['response'] or '-'}")
    return lines


def print_meta(store: RunStore | None, run_dir: Run, as_json: bool) -> None:
    overview = store.meta_overview() if store else None
    if overview is None:
        raise click.ClickException(f"{run_dir} has no meta stages yet; run decif meta or pipeline")
    if as_json:
        click.echo(json.dumps(overview, indent=2, ensure_ascii=False))
        return
    for domain, requests in overview["tree"].items():
        click.echo(domain)
        for request, scenarios in requests.items():
            click.echo(f"  {request}")
            for scenario in scenarios:
                click.echo(f"    - {scenario}")
    dropped = ", ".join(f"{k} {n}" for k, n in overview["dropped"].items()) or "nothing"
    click.echo(f"dropped by the list parser: {dropped}")


def curation_lines(record: dict[str, Any] | None) -> list[str]:
    """What `decif curate` found on a sample, if it looked."""
    if not record:
        return []
    lines = [f"curation: {', '.join(record['flags']) or 'not flagged'}"]
    if near := record.get("near_duplicate"):
        lines.append(f"  near-duplicate of {near['of']} (similarity {near['similarity']})")
    for m in record.get("contaminated") or []:
        lines.append(
            f"  {m['against']} prompt {m['key']}: score {m['score']} in the {m['field']}, "
            f"{m['template_share']:.0%} in decif's constraint sentences; span: {m['span']!r}"
        )
    return lines
