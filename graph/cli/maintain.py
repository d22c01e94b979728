"""`decif prune`: make a finished run small."""

from __future__ import annotations

import click

from checkpoints.protocols import Run
from checkpoints.runs import RunDir
from graph.cli.common import BadInput, require_run
from graph.cli.options import run_dir_option


@click.command()
@run_dir_option
def prune(run_dir: Run) -> None:
    """Drop the step-by-step checkpoints of finished samples, then VACUUM.

    Each finished sample keeps its row in RUN/samples.db (with its final state: every
    consistency round, attempt, check and LLM call), which statistics and exports read,
    and its last checkpoint. Unfinished samples and those a rerun retries keep all their
    checkpoints, so the run still resumes. After pruning, `decif inspect RUN ID` shows a
    sample's final state instead of its steps. Takes the run's write lock: not while a
    run is writing.
    """
    from checkpoints.prune import finished_threads, run_size
    from checkpoints.prune import prune as prune_run

    require_run(run_dir)
    if not isinstance(run_dir, RunDir):
        raise BadInput(f"decif prune works on a run in a directory; {run_dir} is a database")
    with run_dir.writing("decif prune"):
        path = run_dir.path
        finished = len(finished_threads(path))
        before = run_size(path)
        dropped = prune_run(path)
        after = run_size(path)
    per = (
        f" ({before / 1024 / finished:.1f} -> {after / 1024 / finished:.1f} KB per finished sample)"
        if finished
        else ""
    )
    click.echo(
        f"{run_dir}: dropped {dropped} checkpoints of {finished} finished samples; "
        f"{before / 1024:.0f} KB -> {after / 1024:.0f} KB{per}"
    )
