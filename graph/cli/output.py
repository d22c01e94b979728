"""The commands that read a run and write something for people or trainers: `export`,
`stats` and `graph`. They never write to the run itself, so they work while it runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from checkpoints.files import write_atomic
from checkpoints.protocols import Run
from graph.cli.common import BadInput, require_run
from graph.cli.options import base_model_option, run_dir_option
from graph.export import DATASET_INFO, FORMATS
from graph.export.selection import REVIEWER_KEPT, ReviewerKept

if TYPE_CHECKING:  # imported where used: matplotlib is slow to import
    from graph.drawing import Format

GRAPHS = ("sample", "meta")


@click.command("export")
@run_dir_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="llamafactory",
    show_default=True,
    help="llamafactory: sharegpt-style messages (SFT); alpaca: instruction/input/output (SFT); "
    "dpo (alias preference): a passing vs a failing response of one instruction (DPO); "
    "rlvr: prompts with verifiable ground truth for open-instruct and verl (RL); "
    "hf: a Hugging Face datasets folder with a dataset card.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="JSONL file to write (a folder for --format hf); dataset_info.json, the training "
    "config and the format's other files are written beside it.",
)
@click.option("--name", help="Dataset name in dataset_info.json [default: OUT's stem].")
@base_model_option
@click.option(
    "--system-prompt",
    help="System prompt written into every record, so the trainer's template does not put "
    'its own default there (qwen\'s: "You are Qwen, created by Alibaba Cloud...").',
)
@click.option(
    "--reviewer-kept",
    type=click.Choice(REVIEWER_KEPT),
    default="leave-out",
    show_default=True,
    help="Samples the judge or a check rejected that a reviewer kept (decif view): leave "
    "them out (counted in the summary), or add them - only if every code check passed. "
    "Samples a reviewer dropped are always left out.",
)
@click.option(
    "--include-flagged",
    is_flag=True,
    help="Keep the samples decif curate flagged (near-duplicates, evaluation-set overlap), "
    "which are left out by default.",
)
def export_command(
    run_dir: Run,
    fmt: str,
    out: Path,
    name: str | None,
    base_model: str,
    system_prompt: str | None,
    reviewer_kept: ReviewerKept,
    include_flagged: bool,
) -> None:
    """Export accepted samples for training: SFT, DPO, RL or a Hugging Face dataset.

    The LLaMA-Factory formats register OUT in the dataset_info.json beside it (other entries
    are kept) and write a ready training config beside it (OUT-stem.sft.yaml or .dpo.yaml):
    full fine-tune, lr 1e-5, 3 epochs, cosine, cutoff 8192, bf16, and the chat template of
    --base-model. rlvr writes open-instruct's rows to OUT and, with pyarrow, verl's parquet
    and a GRPO run script (OUT-stem.verl.parquet, OUT-stem.grpo.sh) scored by decif's
    checkers. A format the run has no record for writes nothing and exits 2 saying why.

    Samples flagged by curation are left out (--include-flagged keeps them); samples
    accepted since the last curation are curated first, as the run was curated before
    (decif curate), so nothing new reaches the export unchecked.
    """

    require_run(run_dir)
    done = run_export(
        run_dir, out, fmt, name, base_model, system_prompt, reviewer_kept, include_flagged
    )
    where = f" (dataset {done.dataset!r} in {out.parent / DATASET_INFO})" if done.dataset else ""
    click.echo(f"{done.count} {fmt} records -> {out}{where}{left_out_note(done.left_out)}")
    for path in done.files:
        click.echo(f"  {path}")


def left_out_note(left_out) -> str:
    """'; left out: 3 near_duplicate, ...' for a summary line ("" when nothing was)."""
    from graph.export.selection import describe

    return f"; {describe(left_out)}" if left_out else ""


def run_export(
    run: Run,
    out: Path,
    fmt: str,
    name: str | None,
    base_model: str,
    system_prompt,
    reviewer_kept: ReviewerKept = "leave-out",
    include_flagged: bool = False,
):
    """The export, with every way it can fail as one line: exit 2 for what the user can
    change (nothing to export, a file where a folder belongs), 1 for the environment.
    Samples accepted since the last curation are curated first."""
    from checkpoints.reviews import decisions_by_sample
    from graph.cli.curate import curate_new_samples
    from graph.cli.curate import describe as curated_note
    from graph.export import MissingExtra, NothingToExport, export
    from graph.export.selection import SelectOptions

    if fmt == "hf" and out.exists() and not out.is_dir():
        raise BadInput(f"--format hf writes a folder, and {out} is a file: give another --out")
    if fmt != "hf" and out.is_dir():
        raise BadInput(f"{out} is a folder: give --out a file name such as {out / 'data.jsonl'}")
    curated = curate_new_samples(run)
    store = run.store()
    options = SelectOptions(decisions_by_sample(store.reviews()), reviewer_kept, include_flagged)
    try:
        done = export(store.rows(), out, fmt, name, base_model, system_prompt, run, options)
    except NothingToExport as err:
        raise BadInput(f"nothing to export as {fmt}: {err}") from None
    except MissingExtra as err:
        raise click.ClickException(str(err)) from None
    except json.JSONDecodeError as err:
        raise click.ClickException(f"cannot export to {out}: {err}") from None
    if curated:
        done.notes.insert(
            0, f"curated the samples accepted since the last curation: {curated_note(curated)}"
        )
    for note in done.notes:
        click.echo(f"note: {note}", err=True)
    return done


@click.command("graph")
@click.option(
    "--graph",
    "graph_name",
    type=click.Choice(GRAPHS),
    default="sample",
    show_default=True,
    help="Which graph to draw.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "ascii", "png", "svg"]),
    default="mermaid",
    show_default=True,
    help="mermaid and ascii are text; png and svg are pictures drawn locally.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write; mermaid and ascii go to stdout without it.",
)
def draw_graph(graph_name: str, fmt: str, out: Path | None) -> None:
    """Draw a graph's nodes and edges.

    Conditional edges are dashed and carry their router's label; loopbacks
    (refine -> check_consistency, judge -> answer) are drawn as arcs. PNG and SVG are
    laid out and drawn with matplotlib: no network, graphviz or browser is used.
    """
    from graph.drawing import draw

    if fmt in ("png", "svg") and out is None:
        raise BadInput(f"--format {fmt} is a picture: give --out FILE to write it to")
    picture = draw(build_graph(graph_name), cast("Format", fmt))
    if out is None:
        click.echo(picture)
        return
    write_atomic(out, picture)
    click.echo(f"{graph_name} graph ({fmt}) -> {out}")


def build_graph(name: str):
    """A graph to draw: compiled as every run uses it (the client comes with a run)."""
    if name == "meta":
        from graph.meta_graph import build_meta_graph

        return build_meta_graph()
    from graph.sample_graph import build_sample_graph

    return build_sample_graph()


@click.command()
@run_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report (plots, tables, the sample graph).",
)
def stats(run_dir: Run, as_json: bool, html_out: Path | None) -> None:
    """Summarise a run: what became of its samples, and what it cost.

    Counts by status and reason; acceptance by constraint type and by number of
    constraints; how many samples were refined and how often; attempts per accepted
    sample; criteria per instruction; LLM calls, tokens and seconds per node. The figures
    come from RUN/samples.db. The HTML report opens offline: everything is inside it.
    """
    from checkpoints.stats import run_stats
    from graph.report import text_summary

    require_run(run_dir)
    figures = run_stats(run_dir)
    click.echo(json.dumps(figures, indent=2) if as_json else text_summary(figures))
    if html_out is None:
        return
    from graph.drawing import draw
    from graph.report import html_report

    title = f"decif stats: {str(run_dir).rstrip('/').rsplit('/', 1)[-1]}"
    page = html_report(figures, str(draw(build_graph("sample"), "svg")), title)
    write_atomic(html_out, page)
    click.echo(f"report -> {html_out}", err=as_json)
