"""The `decif` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from checkpoints import SampleStore, open_checkpointer
from checkpoints.store import SAMPLES_DB
from checkpoints.trajectory import describe, trajectory
from graph.export import DATASET_INFO, export_llamafactory
from graph.runner import RunConfigError, check_run_settings, run_samples, save_run_config
from graph.sample_graph import build_sample_graph
from graph.scenarios import ScenarioError, load_scenarios
from graph.state import SampleSettings
from nodes.llm import BACKENDS, BackendError, make_llm

STATUSES = ("accepted", "rejected", "failed")


def backend_options(command):
    """The options that pick and configure the LLM, shared by every generating command."""
    options = [
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
        click.option(
            "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1"
        ),
        click.option(
            "--tensor-parallel-size",
            type=click.IntRange(1),
            default=1,
            show_default=True,
            help="GPUs per model (vllm).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def open_llm(backend: str, model: str | None, base_url: str | None, tensor_parallel_size: int):
    options = {"tensor_parallel_size": tensor_parallel_size} if backend == "vllm" else {}
    try:
        return make_llm(backend, model=model, base_url=base_url, **options)
    except BackendError as err:
        raise click.ClickException(str(err)) from None


def require_run(run_dir: Path) -> SampleStore:
    if not (run_dir / SAMPLES_DB).exists():
        raise click.ClickException(
            f"{run_dir} is not a decif run (no {SAMPLES_DB}); start one with decif run"
        )
    return SampleStore(run_dir)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="decif")
def cli() -> None:
    """Synthesise verified instruction-following data with DecIF, as a LangGraph
    state machine.

    \b
    decif run      scenarios -> instructions, responses, judgements (samples.db)
    decif inspect  list samples, or follow one sample step by step
    decif export   accepted pairs -> LLaMA-Factory JSONL + dataset_info.json
    """


@cli.command()
@click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory; created if missing, resumed if it exists.",
)
@click.option(
    "--scenarios",
    required=True,
    type=click.Path(path_type=Path),
    help='JSONL of {"domain"?, "request", "scenario"}, or JSON {request: [scenario, ...]}.',
)
@click.option("--limit", type=click.IntRange(1), help="Use only the first N scenarios.")
@click.option(
    "--mode",
    type=click.Choice(["constrained", "wild"]),
    default="constrained",
    show_default=True,
    help="constrained: 1-5 catalogue constraints per instruction; "
    "wild: general instructions without constraints.",
)
@backend_options
@click.option(
    "--concurrency",
    type=click.IntRange(1),
    help="Samples in flight at once [default: 1 for llamacpp, 64 otherwise].",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Run seed: constraint draws and sampling.",
)
@click.option(
    "--max-refine-rounds",
    type=click.IntRange(0),
    default=2,
    show_default=True,
    help="Consistency refinements before going on with the conflict recorded.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Responses tried per instruction before it is rejected.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(16),
    default=1024,
    show_default=True,
    help="Token limit of every generation.",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
def run(
    run_dir: Path,
    scenarios: Path,
    limit: int | None,
    mode: str,
    backend: str,
    model: str | None,
    base_url: str | None,
    tensor_parallel_size: int,
    concurrency: int | None,
    seed: int,
    max_refine_rounds: int,
    max_attempts: int,
    max_tokens: int,
    progress: bool,
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
        check_run_settings(run_dir, settings)
    except (ScenarioError, RunConfigError) as err:
        raise click.ClickException(str(err)) from None
    llm = open_llm(backend, model, base_url, tensor_parallel_size)
    save_run_config(
        run_dir,
        settings,
        backend=backend,
        model=model,
        base_url=base_url,
        scenarios=str(scenarios),
        llm=llm.name,
    )
    concurrency = concurrency or (1 if backend == "llamacpp" else 64)
    try:
        counts = asyncio.run(run_samples(run_dir, llm, items, settings, concurrency, progress))
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; run the same command again to resume {run_dir}", err=True)
        sys.exit(130)
    except BackendError as err:
        raise click.ClickException(f"{err}; finished samples are kept, rerun to resume") from None
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    click.echo(f"{run_dir}: {summary}")


@cli.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.argument("sample_id", required=False)
@click.option("--status", type=click.Choice(STATUSES), help="List only samples with this status.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(run_dir: Path, sample_id: str | None, status: str | None, as_json: bool) -> None:
    """List a run's samples, or show one sample's trajectory.

    Without SAMPLE_ID: one line per sample (id, status, reason, instruction). With it:
    every step from the checkpoints - node, what it wrote, tokens and latency.
    """
    store = require_run(run_dir)
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
        click.echo(f"{len(rows)} shown; " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES))
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


@cli.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["llamafactory"]),
    default="llamafactory",
    show_default=True,
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file to write; dataset_info.json is written (or updated) beside it.",
)
@click.option("--name", help="Dataset name in dataset_info.json [default: the file's stem].")
def export(run_dir: Path, fmt: str, out: Path, name: str | None) -> None:
    """Export the accepted pairs for training with LLaMA-Factory."""
    store = require_run(run_dir)
    try:
        count = export_llamafactory(store.rows("accepted"), out, name)
    except (OSError, json.JSONDecodeError) as err:
        raise click.ClickException(f"cannot export to {out}: {err}") from None
    info = out.parent / DATASET_INFO
    click.echo(f"{count} accepted pairs -> {out} (dataset {name or out.stem!r} in {info})")


if __name__ == "__main__":
    cli()
