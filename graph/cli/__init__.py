"""The `decif` command line: one module per kind of command, wired here.

Commands import what they run when they run, so `decif --help` starts fast.
"""

from __future__ import annotations

import click

from graph.cli.catalogue import constraints
from graph.cli.common import DecifGroup
from graph.cli.curate import curate_command
from graph.cli.generate import meta, pipeline, run, worker
from graph.cli.inspect import inspect
from graph.cli.maintain import prune
from graph.cli.output import draw_graph, export_command, stats
from graph.cli.view import view


@click.group(cls=DecifGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="decif")
def cli() -> None:
    """Synthesise verified instruction-following data with DecIF, as a LangGraph
    state machine.

    \b
    decif pipeline  the whole method: meta stages, samples, curation, export, in one command
    decif meta      stages 1-3: domains -> requests -> scenarios
    decif run       scenarios -> instructions, responses, judgements (samples.db)
    decif worker    help work a run in PostgreSQL, from any machine
    decif inspect   list samples, or follow one sample step by step
    decif curate    flag near-duplicates and evaluation-set overlap (exports leave them out)
    decif export    accepted pairs -> LLaMA-Factory JSONL + dataset_info.json
    decif stats     a run's figures: text, JSON, or an offline HTML report
    decif view      look at a run in the browser, review samples, calibrate the judge
    decif graph     draw a graph: Mermaid, ASCII, PNG or SVG
    decif constraints  the constraint types a sample draws, and how each is verified
    decif prune     drop finished samples' step-by-step checkpoints (a run made small)
    """


for command in (
    pipeline,
    meta,
    run,
    inspect,
    curate_command,
    export_command,
    stats,
    draw_graph,
    constraints,
    prune,
    worker,
    view,
):
    cli.add_command(command)
