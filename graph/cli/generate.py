"""The commands that write a run: `run` (stages 4-9 on a scenarios file), `meta` (stages
1-3) and `pipeline` (everything, then the export).

Each holds the run's write lock for its whole life, refuses a rerun that would mix other
settings, another model or other scenarios into the run, and records what it was started
with in RUN/config.json.
"""

from __future__ import annotations

from pathlib import Path

import click

from checkpoints.config import check_same
from checkpoints.protocols import Run, is_shared
from graph.cli.common import (
    BadInput,
    BaseUrl,
    default_concurrency,
    enough_for,
    execute,
    meta_settings,
    open_for_run,
    summary,
)
from graph.cli.curate import against_options
from graph.cli.options import (
    META_SIZES,
    META_SIZES_HELP,
    backend_options,
    base_model_option,
    lease_option,
    meta_options,
    progress_option,
    run_dir_option,
    sample_options,
)
from graph.cli.settings import as_recorded, sample_settings
from graph.scenarios import digest, load_scenarios
from nodes.state import SampleSettings

SAME_OPTIONS = "rerun with the same options or use a new --run"


def backend_record(backend: str, model: str | None, base_url: BaseUrl, llm) -> dict:
    return {"backend": backend, "model": model, "base_url": base_url, "llm": llm.name}


@click.command()
@run_dir_option
@click.option(
    "--scenarios",
    required=True,
    type=click.Path(path_type=Path),
    help='JSONL of {"domain"?, "request", "scenario"}, a JSON array of such objects, or '
    "JSON {request: [scenario, ...]}.",
)
@click.option("--limit", type=click.IntRange(1), help="Use only the first N scenarios.")
@click.option(
    "--extend",
    is_flag=True,
    help="Add this file's scenarios to a run that was started on other scenarios "
    "(without it, a rerun must use the run's own file).",
)
@sample_options
@lease_option
@backend_options
def run(
    run_dir: Run,
    scenarios: Path,
    limit: int | None,
    extend: bool,
    lease: float,
    progress: bool,
    backend: str,
    model: str | None,
    base_url: BaseUrl,
    concurrency: int | None,
    seed: int,
    **options,
) -> None:
    """Run scenarios through the sample graph (stages 4-9).

    Each scenario is one LangGraph thread, checkpointed in RUN/checkpoints.db; each
    finished sample becomes a row of RUN/samples.db. Run the same command again to
    resume: finished samples are skipped, interrupted ones continue from their last
    checkpoint. Only one command writes to a run in a directory at a time; a run in
    PostgreSQL (--run postgresql://...) queues the scenarios, and `decif worker` on any
    machine helps work them.
    """
    from graph.runner import run_samples

    settings = sample_settings(backend, seed, **options)
    items = load_scenarios(scenarios)
    source = {"file": str(scenarios), "digest": digest(items), "count": len(items)}
    with run_dir.writing("decif run"):
        with run_dir.configuring():  # no other command between check and write
            settings = as_recorded(run_dir, settings)
            check_same(run_dir, "settings", SAME_OPTIONS, settings=settings)
            config = run_dir.read_config()
            sources = config.get("scenarios", [])
            known = [s for s in sources if s.get("digest") == source["digest"]]
            if sources and not known and not extend:
                raise BadInput(
                    f"{run_dir} was started on other scenarios ({describe(sources)}); rerun with "
                    "that file, add --extend to add these scenarios to the run, or use a new --run"
                )
            concurrency = concurrency or default_concurrency(backend)
            llm = open_for_run(run_dir, backend, model, concurrency, base_url=base_url, **options)
            run_dir.save_config(
                settings=settings,
                **backend_record(backend, model, base_url, llm),
                scenarios=with_source(sources, source),
            )
        if extend and "samples" in config:
            click.echo(
                f"note: {default_export(run_dir)} was written by decif pipeline before these "
                "samples; "
                f"refresh it with decif export --run {run_dir}",
                err=True,
            )
        counts = execute(
            run_samples(run_dir, llm, items[:limit], settings, concurrency, progress, lease)
        )
    click.echo(f"{run_dir}: {summary(counts)}")


def default_export(run: Run) -> Path:
    """RUN/export/decif.jsonl, or ./export/decif.jsonl for a run in a database."""
    return (getattr(run, "path", None) or Path(".")) / "export" / "decif.jsonl"


def with_source(sources: list[dict], source: dict) -> list[dict]:
    """The run's scenario sources with `source` among them (once)."""
    same = source.get("digest") or source.get("source")
    if any((s.get("digest") or s.get("source")) == same for s in sources):
        return sources
    return [*sources, source]


def describe(sources: list[dict]) -> str:
    return ", ".join(s.get("file") or s.get("source", "?") for s in sources)


@click.command(epilog=META_SIZES_HELP)
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
    run_dir: Run,
    out: Path | None,
    progress: bool,
    backend: str,
    model: str | None,
    base_url: BaseUrl,
    concurrency: int | None,
    seed: int,
    **options,
) -> None:
    """Generate domains, requests and scenarios (DecIF stages 1-3).

    The meta graph is the run's thread "meta" in RUN/checkpoints.db: a killed run resumes
    with only the unfinished prompts. Results land in RUN/samples.db tables domains,
    requests, scenarios (with their parent links) and meta_calls (what each call yielded
    and dropped, and why).
    """
    from graph.runner import run_meta
    from graph.scenarios import write_scenarios

    sizes = {k: options.pop(k) for k in META_SIZES}
    settings = meta_settings(backend, seed, **sizes)
    with run_dir.writing("decif meta"):
        with run_dir.configuring():  # no other command between check and write
            check_same(run_dir, "settings", SAME_OPTIONS, meta=settings)
            concurrency = concurrency or default_concurrency(backend)
            llm = open_for_run(run_dir, backend, model, concurrency, base_url=base_url, **options)
            run_dir.save_config(meta=settings, **backend_record(backend, model, base_url, llm))
        scenarios = execute(run_meta(run_dir, llm, settings, concurrency, progress))
    if out:
        write_scenarios(scenarios, out)
    tree = (run_dir.store().meta_overview() or {"tree": {}})["tree"]
    requests = sum(len(r) for r in tree.values())
    click.echo(
        f"{run_dir}: {len(tree)} domains, {requests} requests, {len(scenarios)} scenarios"
        + (f" -> {out}" if out else "")
    )


@click.command(epilog=META_SIZES_HELP)
@run_dir_option
@meta_options
@click.option(
    "--samples",
    type=click.IntRange(1),
    default=8,
    show_default=True,
    help="Scenarios drawn (seeded) for the sample stage; a larger number on a rerun "
    "keeps the samples drawn before and adds more.",
)
@sample_options
@against_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Export file [default: RUN/export/decif.jsonl].",
)
@base_model_option
@backend_options
def pipeline(
    run_dir: Run,
    samples: int,
    progress: bool,
    against: tuple,
    field: str,
    out: Path | None,
    base_model: str,
    backend: str,
    model: str | None,
    base_url: BaseUrl,
    concurrency: int | None,
    seed: int,
    **options,
) -> None:
    """The whole DecIF method in one command: meta graph -> samples -> curation -> export.

    Unless capped by options, the meta stages generate about twice the scenarios that
    --samples draws (requests from that many domains), not the reference's full fan-out.
    Curation flags near-duplicates (and overlap with the --against evaluation sets), which
    the export leaves out. Every stage is checkpointed in RUN: kill it at any point and
    run the same command again to go on where it stopped.
    """
    from graph.cli.curate import describe, run_curation
    from graph.cli.output import left_out_note, run_export
    from graph.runner import draw_scenarios, run_meta, run_samples

    sizes = {k: options.pop(k) for k in META_SIZES}
    meta_ = enough_for(meta_settings(backend, seed, **sizes), samples)
    settings = sample_settings(backend, seed, **options)
    with run_dir.writing("decif pipeline"):
        with run_dir.configuring():  # no other command between check and write
            settings = as_recorded(run_dir, settings)
            check_same(run_dir, "settings", SAME_OPTIONS, meta=meta_, settings=settings)
            concurrency = concurrency or default_concurrency(backend)
            llm = open_for_run(run_dir, backend, model, concurrency, base_url=base_url, **options)
            sources = run_dir.read_config().get("scenarios", [])
            run_dir.save_config(
                meta=meta_,
                settings=settings,
                **backend_record(backend, model, base_url, llm),
                samples=samples,
                scenarios=with_source(sources, {"source": "decif meta"}),
            )
        scenarios = execute(run_meta(run_dir, llm, meta_, concurrency, progress))
        click.echo(f"meta: {len(scenarios)} scenarios", err=True)
        drawn = draw_scenarios(scenarios, samples, seed)
        counts = execute(run_samples(run_dir, llm, drawn, settings, concurrency, progress))
        curated = run_curation(run_dir, against or None, field)
        click.echo(f"curate: {describe(curated)}", err=True)
        out = out or default_export(run_dir)
        try:
            done = run_export(run_dir, out, "llamafactory", None, base_model, None)
        except BadInput as err:  # the run succeeded; it only has nothing to train on yet
            click.echo(f"{run_dir}: {summary(counts)}; no pairs written ({err.message})")
            return
    config = next(path for path in done.files if path.suffix == ".yaml")
    click.echo(
        f"{run_dir}: {summary(counts)}; {done.count} pairs -> {out}{left_out_note(done.left_out)}"
        f" (train: cd {config.parent} && llamafactory-cli train {config.name})"
    )


@click.command()
@run_dir_option
@lease_option
@progress_option
@backend_options
def worker(
    run_dir: Run,
    lease: float,
    progress: bool,
    backend: str,
    model: str | None,
    base_url: BaseUrl,
    concurrency: int | None,
    seed: int,
    **options,
) -> None:
    """Work a PostgreSQL run beside its other workers, on this machine's backend.

    Claims unfinished samples of the run (leases, renewed while it works), works them,
    and claims more until none is left open; a worker that dies has its samples taken
    over by the others once its leases lapse (--lease), each resumed from its last
    checkpoint. The run's settings and model are those `decif run --run URL --scenarios
    FILE` started it with: the worker's backend must serve the same model.
    """
    from graph.worker import work

    if not is_shared(run_dir):
        raise BadInput(
            f"decif worker works on a run in PostgreSQL (--run postgresql://...); {run_dir} "
            "is a directory, which one command writes at a time: use decif run"
        )
    config = run_dir.read_config()
    if "settings" not in config:
        raise BadInput(
            f"{run_dir} has no samples to work yet: start it with decif run --run URL "
            "--scenarios FILE (on any machine)"
        )
    settings = SampleSettings.from_dict(config["settings"])
    given = click.get_current_context().get_parameter_source("seed")
    if given is click.core.ParameterSource.COMMANDLINE and seed != settings.seed:
        raise BadInput(
            f"{run_dir} runs with --seed {settings.seed}, which decif run set; a worker takes "
            "the run's settings: leave --seed out"
        )
    with run_dir.writing("decif worker"):
        concurrency = concurrency or default_concurrency(backend)
        llm = open_for_run(run_dir, backend, model, concurrency, base_url=base_url, **options)
        counts = execute(work(run_dir, llm, settings, concurrency, progress, lease))
    click.echo(f"{run_dir}: {summary(counts)}")
