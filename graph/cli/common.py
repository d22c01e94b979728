"""What the commands share: options, the LLM, the run's write lock and config checks, and
the mapping of every error a user can cause or meet to one line.

Nothing heavy is imported here (no LangGraph, LangChain, model runtime or matplotlib):
`decif --help` and the read-only commands start fast; a command imports what it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from checkpoints.config import RunConfigError, RunFileError, check_same
from checkpoints.lock import LOCK_FILE, RunLocked, run_lock
from checkpoints.store import SAMPLES_DB, STATUSES
from graph.scenarios import ScenarioError
from nodes.llm import BACKENDS, BackendError, make_llm
from nodes.state import SMALL_META, MetaSettings


class BadInput(click.ClickException):
    """The user's input cannot be used (a file, an option, a mismatch with the run)."""

    exit_code = 2


class DecifGroup(click.Group):
    """Runs a command and turns every error a user can cause or meet into one line:
    exit 2 for bad input, 1 for the environment (server, disk, permissions, run files),
    130 for Ctrl-C. Finished work is never lost by any of them."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ScenarioError, RunConfigError) as err:
            raise BadInput(str(err)) from None
        except (RunLocked, RunFileError, BackendError) as err:
            raise click.ClickException(str(err)) from None
        except KeyboardInterrupt:
            run_dir = _run_dir(ctx)
            note = f"; run the same command again to resume {run_dir}" if run_dir else ""
            click.echo(f"\ninterrupted{note}", err=True)
            sys.exit(130)
        except sqlite3.Error as err:
            where = _run_dir(ctx) or "the run"
            corrupt = getattr(err, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")
            advice = "restore the damaged file" if corrupt else "free disk space"
            raise click.ClickException(
                f"{where}: SQLite failed ({err}); {advice}, then rerun: finished work is kept"
            ) from None
        except OSError as err:
            what = f"{err.filename}: " if err.filename else ""
            raise click.ClickException(f"{what}{err.strerror or err}") from None


def _run_dir(ctx: click.Context) -> Path | None:
    return (ctx.obj or {}).get("run_dir")


def stack(*options: Callable) -> Callable:
    """Apply a group of click options in the order they are listed."""

    def apply(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def remember_run(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Keep --run where the error handler can name it."""
    root = ctx.find_root()
    root.obj = {**(root.obj or {}), "run_dir": value}
    return value


run_dir_option = click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    callback=remember_run,
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
        "--timeout",
        type=click.FloatRange(min=1),
        default=120,
        show_default=True,
        help="Seconds to wait for one reply from a server (openai) before trying again.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(0),
        default=3,
        show_default=True,
        help="Tries again after a failed request, a timeout, or an empty or unreadable reply "
        "(openai; jittered backoff). Every try is counted in the sample's LLM calls.",
    ),
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


def constraint_types(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple:
    """--constraint-types: known type ids or names, as ids."""
    from nodes.constraints import lookup

    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    unknown = [n for n in names if lookup(n) is None]
    if unknown:
        raise click.BadParameter(
            f"unknown constraint type {', '.join(unknown)}; see decif constraints"
        )
    return tuple(dict.fromkeys(lookup(n).id for n in names))


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
        "--catalogue",
        type=click.Choice(["decif", "all"]),
        default="all",
        show_default=True,
        help="Constraint types drawn: decif (IFEval's 25, start phrase, output format, and "
        "4 judged by the LLM) or all (also open-instruct's 29 IF-RLVR training types). "
        "IFBench's types are never drawn: they are evaluation data.",
    ),
    click.option(
        "--constraint-types",
        "types",
        callback=constraint_types,
        metavar="ID,...",
        help="Draw only these constraint types (ids or names, comma-separated).",
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
        "--candidates",
        type=click.IntRange(1),
        default=1,
        show_default=True,
        help="Responses sampled per round (one request with n=K on vLLM and servers, K calls "
        "on llama.cpp); each is verified and the first that passes is kept. The others stay "
        "in the trajectory: failing ones make DPO pairs.",
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

META_SIZES = (
    "iterations",
    "domains_per_prompt",
    "requests_per_domain",
    "scenarios_per_request",
    "max_domains",
    "max_requests",
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


def open_llm(backend: str, model: str | None, base_url: str | None, **options: Any):
    """The backend the options ask for; only the options that backend takes reach it.
    Options missing or wrong for it are bad input (exit 2); a backend that cannot start
    is an environment failure (exit 1)."""
    if backend == "openai" and not base_url:
        raise BadInput("the openai backend needs --base-url (e.g. http://localhost:8000/v1)")
    if backend == "vllm" and not model:
        raise BadInput("the vllm backend needs --model (a Hugging Face model directory)")
    if backend == "llamacpp" and model and not Path(model).is_file():
        raise BadInput(f"GGUF model file not found: {model}")
    takes = {
        "openai": ("timeout", "retries"),
        "vllm": ("tensor_parallel_size",),
        "llamacpp": (),
    }[backend]
    return make_llm(
        backend, model=model, base_url=base_url, **{k: options[k] for k in takes if k in options}
    )


def default_concurrency(backend: str) -> int:
    """llama.cpp runs one call at a time; batching engines and servers want many."""
    return 1 if backend == "llamacpp" else 64


@contextmanager
def writing(run_dir: Path, command: str) -> Iterator[None]:
    """Create the run directory and hold its write lock: before any model is loaded or
    server probed, so a run that cannot be written fails at once. A new run directory
    that a failed start left with nothing in it is removed again."""
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with run_lock(run_dir, command):
            yield
    except BaseException:
        if created and [p.name for p in run_dir.iterdir()] == [LOCK_FILE]:
            (run_dir / LOCK_FILE).unlink()
            run_dir.rmdir()
        raise


def same_model(run_dir: Path, backend: str, llm_name: str | None = None) -> None:
    """Refuse to resume a run with another backend or model: its samples would mix."""
    requested = {"backend": backend} | ({"llm": llm_name} if llm_name else {})
    check_same(
        run_dir,
        "model",
        "rerun with the same --backend and --model, or use a new --run",
        **requested,
    )


def require_run(run_dir: Path) -> None:
    if not (run_dir / SAMPLES_DB).exists() and not (run_dir / "checkpoints.db").exists():
        raise BadInput(f"{run_dir} is not a decif run (no {SAMPLES_DB}); start one with decif run")


def execute(coroutine: Coroutine) -> Any:
    """Run one async stage; a lost backend ends it with one line (Ctrl-C and disk errors
    are the group's to report)."""
    from graph.runner import FATAL_ERRORS

    try:
        return asyncio.run(coroutine)
    except FATAL_ERRORS as err:
        message = " ".join(str(err).split()) or type(err).__name__
        raise click.ClickException(
            f"the backend failed ({message}); finished work is kept, rerun to resume"
        ) from None


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
