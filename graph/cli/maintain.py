"""`decif prune`: make a finished run small."""

from __future__ import annotations

from pathlib import Path

import click

from checkpoints.lock import run_lock
from graph.cli.common import require_run
from graph.cli.options import run_dir_option


@click.command()
@run_dir_option
def prune(run_dir: Path) -> None:
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
    with run_lock(run_dir, "decif prune"):
        finished = len(finished_threads(run_dir))
        before = run_size(run_dir)
        dropped = prune_run(run_dir)
        after = run_size(run_dir)
    per = (
        f" ({before / 1024 / finished:.1f} -> {after / 1024 / finished:.1f} KB per finished sample)"
        if finished
        else ""
    )
    click.echo(
        f"{run_dir}: dropped {dropped} checkpoints of {finished} finished samples; "
        f"{before / 1024:.0f} KB -> {after / 1024:.0f} KB{per}"
    )
