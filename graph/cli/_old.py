"""The `decif` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path

import click

from checkpoints import SampleStore, open_checkpointer
from checkpoints.store import SAMPLES_DB, STATUSES
from checkpoints.trajectory import describe, trajectory
from graph.export import DATASET_INFO, FORMATS, export
from graph.meta_graph import build_meta_graph
from graph.runner import (
    FATAL_ERRORS,
    RunConfigError,
    check_run_settings,
    draw_scenarios,
    run_meta,
    run_samples,
    save_run_config,
)
from graph.sample_graph import build_sample_graph
from graph.scenarios import ScenarioError, load_scenarios, write_scenarios
from graph.state import SMALL_META, MetaSettings, SampleSettings
from nodes.llm import BACKENDS, BackendError, make_llm


def stack(*options):
    """Apply a group of click options in the order they are listed."""

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


run_dir_option = click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory; created if missing, resumed if it exists.",
)

backend_options = stack(
    click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default="llamacpp",
        show_default=True,
        help="llamacpp: a GGUF on the CPU (default: the embedded SmolLM2-135M); "
        "vllm: vLLM in process on a GPU; openai: any OpenAI-compatible server.",
    ),
    click.option(
        "--model",
        help="GGUF path (llamacpp), model name or directory (vllm), or served model "
        "name (openai; default: the server's first model).",
    ),
    click.option("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1"),
    click.option(
        "--tensor-parallel-size",
        type=click.IntRange(1),
        default=1,
        show_default=True,
        help="GPUs per model (vllm).",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1),
        help="LLM tasks in flight at once [default: 1 for llamacpp, 64 otherwise].",
    ),
    click.option(
        "--seed", type=int, default=0, show_default=True, help="Run seed: draws and sampling."
    ),
)

progress_option = click.option(
    "--progress/--no-progress", default=True, help="Show a progress bar on stderr."
)

sample_options = stack(
    click.option(
        "--mode",
        type=click.Choice(["constrained", "wild"]),
        default="constrained",
        show_default=True,
        help="constrained: 1-5 catalogue constraints per instruction; "
        "wild: general instructions without constraints.",
    ),
    click.option(
        "--max-refine-rounds",
        type=click.IntRange(0),
        default=2,
        show_default=True,
        help="Consistency refinements before going on with the conflict recorded.",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(1),
        default=3,
        show_default=True,
        help="Responses tried per instruction before it is rejected.",
    ),
    click.option(
        "--max-tokens",
        type=click.IntRange(16),
        default=1024,
        show_default=True,
        help="Token limit of every sample-stage generation.",
    ),
    progress_option,
)

meta_options = stack(
    click.option("--iterations", type=click.IntRange(1), help="Domain prompts (stage 1)."),
    click.option("--domains-per-prompt", type=click.IntRange(1), help="Domains asked per prompt."),
    click.option("--requests-per-domain", type=click.IntRange(1), help="Requests per domain."),
    click.option("--scenarios-per-request", type=click.IntRange(1), help="Scenarios per request."),
    click.option("--max-domains", type=click.IntRange(1), help="Cap on domains (seeded sample)."),
    click.option("--max-requests", type=click.IntRange(1), help="Cap on requests (seeded sample)."),
)
base_model_option = click.option(
    "--base-model",
    default="meta-llama/Llama-3.1-8B",
    show_default=True,
    help="The model_name_or_path written into the LLaMA-Factory training config.",
)
META_SIZES_HELP = (
    "Sizes default to the reference's (1000 prompts x 25 domains, 50 requests per domain, "
    "30 scenarios per request) on a GPU backend, and to a small set on the embedded CPU model "
    "(1 x 8 domains, capped at 3; 4 requests each, capped at 6; 3 scenarios each)."
)


def open_llm(backend: str, model: str | None, base_url: str | None, tensor_parallel_size: int):
    options = {"tensor_parallel_size": tensor_parallel_size} if backend == "vllm" else {}
    try:
        return make_llm(backend, model=model, base_url=base_url, **options)
    except BackendError as err:
        raise click.ClickException(str(err)) from None


def default_concurrency(backend: str) -> int:
    """llama.cpp runs one call at a time; batching engines and servers want many."""
    return 1 if backend == "llamacpp" else 64


def require_run(run_dir: Path) -> SampleStore:
    if not (run_dir / SAMPLES_DB).exists():
        raise click.ClickException(
            f"{run_dir} is not a decif run (no {SAMPLES_DB}); start one with decif run"
        )
    return SampleStore(run_dir)


def execute(coroutine: Coroutine, run_dir: Path):
    """Run one async stage; an interrupt or a lost backend ends it with a resumable note."""
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; run the same command again to resume {run_dir}", err=True)
        sys.exit(130)
    except FATAL_ERRORS as err:
        message = " ".join(str(err).split()) or type(err).__name__
        raise click.ClickException(
            f"the backend failed ({message}); finished work is kept, rerun to resume"
        ) from None


def checked(run_dir: Path, **sections: SampleSettings | MetaSettings) -> None:
    try:
        for name, settings in sections.items():
            check_run_settings(run_dir, settings, name)
    except RunConfigError as err:
        raise click.ClickException(str(err)) from None


def summary(counts: Counter) -> str:
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def meta_settings(backend: str, seed: int, **sizes: int | None) -> MetaSettings:
    preset = SMALL_META if backend == "llamacpp" else MetaSettings()
    chosen = {k: v for k, v in sizes.items() if v is not None}
    return replace(preset, seed=seed, **chosen)


def enough_for(settings: MetaSettings, samples: int) -> MetaSettings:
    """Caps for a pipeline that were not given: requests enough for about twice the
    scenarios drawn, from as many domains - not the reference's full fan-out (millions of
    scenarios) for a handful of samples."""
    requests = settings.max_requests or max(1, -(-2 * samples // settings.scenarios_per_request))
    return replace(settings, max_requests=requests, max_domains=settings.max_domains or requests)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="decif")
def cli() -> None:
    """Synthesise verified instruction-following data with DecIF, as a LangGraph
    state machine.

    \b
    decif pipeline  the whole method: meta stages, samples, export, in one command
    decif meta      stages 1-3: domains -> requests -> scenarios
    decif run       scenarios -> instructions, responses, judgements (samples.db)
    decif inspect   list samples, or follow one sample step by step
    decif export    accepted pairs -> LLaMA-Factory JSONL + dataset_info.json
    decif stats     a run's figures: text, JSON, or an offline HTML report
    decif graph     draw a graph: Mermaid, ASCII, PNG or SVG
    """


@cli.command()
@run_dir_option
@click.option(
    "--scenarios",
    required=True,
    type=click.Path(path_type=Path),
    help='JSONL of {"domain"?, "request", "scenario"}, or JSON {request: [scenario, ...]}.',
)
@click.option("--limit", type=click.IntRange(1), help="Use only the first N scenarios.")
@sample_options
@backend_options
def run(
    run_dir: Path,
    scenarios: Path,
    limit: int | None,
    mode: str,
    max_refine_rounds: int,
    max_attempts: int,
    max_tokens: int,
    progress: bool,
    backend: str,
    model: str | None,
    base_url: str | None,
    tensor_parallel_size: int,
    concurrency: int | None,
    seed: int,
) -> None:
    """Run scenarios through the sample graph (stages 4-9).

    Each scenario is one LangGraph thread, checkpointed in RUN/checkpoints.db; each
    finished sample becomes a row of RUN/samples.db. Run the same command again to
    resume: finished samples are skipped, interrupted ones continue from their last
    checkpoint.
    """
    settings = SampleSettings(
        mode=mode,
        seed=seed,
        max_refine_rounds=max_refine_rounds,
        max_attempts=max_attempts,
        max_tokens=max_tokens,
    )
    try:
        items = load_scenarios(scenarios)[:limit]
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    checked(run_dir, settings=settings)
    llm = open_llm(backend, model, base_url, tensor_parallel_size)
    save_run_config(
        run_dir,
        settings=settings,
        backend=backend,
        model=model,
        base_url=base_url,
        scenarios=str(scenarios),
        llm=llm.name,
    )
    concurrency = concurrency or default_concurrency(backend)
    counts = execute(run_samples(run_dir, llm, items, settings, concurrency, progress), run_dir)
    click.echo(f"{run_dir}: {summary(counts)}")


@cli.command(epilog=META_SIZES_HELP)
@run_dir_option
@meta_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the scenarios to this JSONL file (for decif run --scenarios), and in "
    "the reference's JSON shape {request: [scenario, ...]} beside it (.json).",
)
@progress_option
@backend_options
def meta(
    run_dir: Path,
    out: Path | None,
    progress: bool,
    backend: str,
    model: str | None,
    base_url: str | None,
    tensor_parallel_size: int,
    concurrency: int | None,
    seed: int,
    **sizes: int | None,
) -> None:
    """Generate domains, requests and scenarios (DecIF stages 1-3).

    The meta graph is the run's thread "meta" in RUN/checkpoints.db: a killed run resumes
    with only the unfinished prompts. Results land in RUN/samples.db tables domains,
    requests, scenarios (with their parent links) and meta_calls (what each call yielded
    and dropped, and why).
    """
    settings = meta_settings(backend, seed, **sizes)
    checked(run_dir, meta=settings)
    llm = open_llm(backend, model, base_url, tensor_parallel_size)
    save_run_config(run_dir, meta=settings, backend=backend, model=model, llm=llm.name)
    concurrency = concurrency or default_concurrency(backend)
    scenarios = execute(run_meta(run_dir, llm, settings, concurrency, progress), run_dir)
    if out:
        write_scenarios(scenarios, out)
    store = SampleStore(run_dir)
    click.echo(
        f"{run_dir}: {store.db['domains'].count} domains, {store.db['requests'].count} "
        f"requests, {len(scenarios)} scenarios" + (f" -> {out}" if out else "")
    )


@cli.command(epilog=META_SIZES_HELP)
@run_dir_option
@meta_options
@click.option(
    "--samples",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Scenarios drawn (seeded) for the sample stage.",
)
@sample_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Export file [default: RUN/export/decif.jsonl].",
)
@base_model_option
@backend_options
def pipeline(
    run_dir: Path,
    samples: int,
    mode: str,
    max_refine_rounds: int,
    max_attempts: int,
    max_tokens: int,
    progress: bool,
    out: Path | None,
    base_model: str,
    backend: str,
    model: str | None,
    base_url: str | None,
    tensor_parallel_size: int,
    concurrency: int | None,
    seed: int,
    **sizes: int | None,
) -> None:
    """The whole DecIF method in one command: meta graph -> samples -> export.

    Unless capped by options, the meta stages generate about twice the scenarios that
    --samples draws (requests from that many domains), not the reference's full fan-out.
    Every stage is checkpointed in RUN: kill it at any point and run the same command
    again to go on where it stopped.
    """
    meta_ = enough_for(meta_settings(backend, seed, **sizes), samples)
    settings = SampleSettings(
        mode=mode,
        seed=seed,
        max_refine_rounds=max_refine_rounds,
        max_attempts=max_attempts,
        max_tokens=max_tokens,
    )
    checked(run_dir, meta=meta_, settings=settings)
    llm = open_llm(backend, model, base_url, tensor_parallel_size)
    save_run_config(
        run_dir,
        meta=meta_,
        settings=settings,
        backend=backend,
        model=model,
        base_url=base_url,
        llm=llm.name,
        samples=samples,
    )
    concurrency = concurrency or default_concurrency(backend)
    scenarios = execute(run_meta(run_dir, llm, meta_, concurrency, progress), run_dir)
    click.echo(f"meta: {len(scenarios)} scenarios", err=True)
    drawn = draw_scenarios(scenarios, samples, seed)
    counts = execute(run_samples(run_dir, llm, drawn, settings, concurrency, progress), run_dir)
    out = out or run_dir / "export" / "decif.jsonl"
    exported = export_run(SampleStore(run_dir), out, "llamafactory", None, base_model)
    click.echo(f"{run_dir}: {summary(counts)}; {exported} pairs -> {out}")


@cli.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.argument("sample_id", required=False)
@click.option("--status", type=click.Choice(STATUSES), help="List only samples with this status.")
@click.option(
    "--meta", "show_meta", is_flag=True, help="Show the meta stages' domains, requests, scenarios."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(
    run_dir: Path, sample_id: str | None, status: str | None, show_meta: bool, as_json: bool
) -> None:
    """List a run's samples, or show one sample's trajectory.

    Without SAMPLE_ID: one line per sample (id, status, reason, instruction). With it:
    every step from the checkpoints - node, what it wrote, tokens and latency. With
    --meta: the scenario tree the meta stages made, and what their parser dropped.
    """
    store = require_run(run_dir)
    if show_meta:
        print_meta(store, run_dir, as_json)
        return
    if sample_id is None:
        rows = list(store.rows(status))
        if as_json:
            keys = ("id", "status", "reason", "attempts", "refine_rounds", "instruction")
            click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], indent=2))
            return
        for r in rows:
            instruction = " ".join(r["instruction"].split())[:70]
            click.echo(f"{r['id']}  {r['status']:<8}  {r['reason']:<20}  {instruction}")
        counts = store.counts()
        click.echo(f"{len(rows)} shown; {summary(counts)}")
        return
    row = store.get(sample_id)
    if row is None:
        raise click.ClickException(
            f"no sample {sample_id!r} in {run_dir}; list them with decif inspect --run {run_dir}"
        )
    with open_checkpointer(run_dir) as saver:
        steps = trajectory(build_sample_graph(llm=None, checkpointer=saver), sample_id)
    if as_json:
        for step in steps:
            step["at"] = str(step["at"])
        click.echo(json.dumps({"sample": row, "steps": steps}, indent=2, default=str))
        return
    click.echo(f"sample {sample_id}: {row['status']} ({row['reason']})")
    click.echo(f"request: {row['request']}\nscenario: {row['scenario']}")
    if row["error"]:
        click.echo(f"error: {row['error']}")
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


def print_meta(store: SampleStore, run_dir: Path, as_json: bool) -> None:
    overview = store.meta_overview()
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


@cli.command("export")
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
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
    store = require_run(run_dir)
    count = export_run(store, out, fmt, name, base_model)
    info = out.parent / DATASET_INFO
    click.echo(f"{count} {fmt} records -> {out} (dataset {name or out.stem!r} in {info})")


def export_run(store: SampleStore, out: Path, fmt: str, name: str | None, base_model: str) -> int:
    try:
        return export(store.rows(), out, fmt, name, base_model)
    except (OSError, json.JSONDecodeError) as err:
        raise click.ClickException(f"cannot export to {out}: {err}") from None


GRAPHS = {"sample": build_sample_graph, "meta": build_meta_graph}


# matplotlib and the drawing code are imported inside these commands: they are slow to
# import, and the other commands do not need them.


@cli.command("graph")
@click.option(
    "--graph",
    "graph_name",
    type=click.Choice(list(GRAPHS)),
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
        raise click.ClickException(f"--format {fmt} is a picture: give --out FILE to write it to")
    picture = draw(GRAPHS[graph_name](llm=None), fmt)
    if out is None:
        click.echo(picture)
        return
    try:
        if isinstance(picture, bytes):
            out.write_bytes(picture)
        else:
            out.write_text(picture, encoding="utf-8")
    except OSError as err:
        raise click.ClickException(f"cannot write {out}: {err.strerror or err}") from None
    click.echo(f"{graph_name} graph ({fmt}) -> {out}")


@cli.command()
@click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory (made by decif run).",
)
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
    from graph.drawing import draw
    from graph.report import html_report, text_summary

    require_run(run_dir)
    figures = run_stats(run_dir)
    click.echo(json.dumps(figures, indent=2) if as_json else text_summary(figures))
    if html_out is None:
        return
    graph_svg = draw(build_sample_graph(llm=None), "svg")
    page = html_report(figures, graph_svg, f"decif stats: {run_dir.name}")
    try:
        html_out.write_text(page, encoding="utf-8")
    except OSError as err:
        raise click.ClickException(f"cannot write {html_out}: {err.strerror or err}") from None
    click.echo(f"report -> {html_out}", err=as_json)


if __name__ == "__main__":
    cli()
