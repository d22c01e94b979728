"""The commands that read a run and write something for people or trainers: `export`,
`stats` and `graph`. They never write to the run itself, so they work while it runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from checkpoints.files import write_atomic
from graph.cli.common import BadInput, base_model_option, require_run, run_dir_option
from graph.export import DATASET_INFO, FORMATS

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
    "preference: chosen (passing) vs rejected (failing) responses of one instruction (DPO).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file to write; dataset_info.json is written (or updated) beside it.",
)
@click.option("--name", help="Dataset name in dataset_info.json [default: the file's stem].")
@base_model_option
def export_command(run_dir: Path, fmt: str, out: Path, name: str | None, base_model: str) -> None:
    """Export accepted pairs for training with LLaMA-Factory.

    Writes OUT, registers it in the dataset_info.json beside it (other entries are kept),
    and writes a ready training config beside it (OUT-stem.sft.yaml, or .dpo.yaml for
    preference pairs) with the reference's recipe: full fine-tune, lr 1e-5, 3 epochs,
    cosine schedule, cutoff 8192, bf16.
    """
    from checkpoints import SampleStore

    require_run(run_dir)
    count = export_run(SampleStore(run_dir), out, fmt, name, base_model)
    info = out.parent / DATASET_INFO
    click.echo(f"{count} {fmt} records -> {out} (dataset {name or out.stem!r} in {info})")


def export_run(store, out: Path, fmt: str, name: str | None, base_model: str) -> int:
    from graph.export import export

    try:
        return export(store.rows(), out, fmt, name, base_model)
    except json.JSONDecodeError as err:
        raise click.ClickException(f"cannot export to {out}: {err}") from None


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
    picture = draw(build_graph(graph_name), fmt)
    if out is None:
        click.echo(picture)
        return
    write_atomic(out, picture)
    click.echo(f"{graph_name} graph ({fmt}) -> {out}")


def build_graph(name: str):
    """A graph to draw or read checkpoints with: no LLM is bound."""
    if name == "meta":
        from graph.meta_graph import build_meta_graph

        return build_meta_graph(llm=None)
    from graph.sample_graph import build_sample_graph

    return build_sample_graph(llm=None)


@click.command()
@run_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report (plots, tables, the sample graph).",
)
def stats(run_dir: Path, as_json: bool, html_out: Path | None) -> None:
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

    page = html_report(figures, draw(build_graph("sample"), "svg"), f"decif stats: {run_dir.name}")
    write_atomic(html_out, page)
    click.echo(f"report -> {html_out}", err=as_json)
