"""The options the commands share, grouped: the run directory, the backend, the sample
stage's settings, the meta stages' sizes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from nodes.llm import BACKENDS


def stack(*options: Callable) -> Callable:
    """Apply a group of click options in the order they are listed."""

    def apply(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def remember_run(ctx: click.Context, param: click.Parameter, value: str | None):
    """--run as a run (a directory, or a postgresql:// database), kept where the error
    handler can name it."""
    from checkpoints.runs import open_run

    run = open_run(value) if value else None
    root = ctx.find_root()
    root.obj = {**(root.obj or {}), "run_dir": run}
    return run


run_dir_option = click.option(
    "--run",
    "run_dir",
    required=True,
    metavar="DIR|URL",
    callback=remember_run,
    help="Run directory (created if missing, resumed if it exists), or a PostgreSQL "
    "database, postgresql://USER@HOST/DB, that many workers share.",
)


BASE_URLS_FILE = "decif.base_urls_file"


def read_base_urls_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--base-urls-file: its URLs, kept in the context for --base-url to add."""
    from pathlib import Path

    from graph.cli.common import BadInput

    if value is None:
        return
    try:
        lines = Path(value).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"cannot read --base-urls-file {value}: {err}") from None
    urls = [u for u in (line.split("#", 1)[0].strip() for line in lines) if u]
    if not urls:
        raise BadInput(f"--base-urls-file {value} lists no URL (one per line, # for comments)")
    ctx.meta[BASE_URLS_FILE] = urls


def base_urls(given: tuple[str, ...], listed: list[str]) -> str | tuple[str, ...] | None:
    """The endpoints of --base-url and --base-urls-file, each once: None, one URL as it
    was given (the single-server client, recorded as before), or a tuple (a pool)."""
    from graph.cli.common import BadInput

    unique: dict[str, str] = {}
    for url in (*given, *listed):
        if not url.lower().startswith(("http://", "https://")):
            raise BadInput(f"{url!r} is not an endpoint URL: give http://HOST:PORT/v1")
        unique.setdefault(url.rstrip("/"), url)
    urls = tuple(unique.values())
    return urls[0] if len(urls) == 1 else urls or None


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
    click.option(
        "--base-url",
        multiple=True,
        callback=lambda ctx, param, value: base_urls(value, ctx.meta.get(BASE_URLS_FILE, [])),
        metavar="URL",
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (openai). Repeat it "
        "for a pool of servers of one model: each request goes to the least busy, in-flight "
        "requests per server adapt to its latency, a server that fails is taken out and "
        "probed again.",
    ),
    click.option(
        "--base-urls-file",
        metavar="FILE",
        is_eager=True,  # read before --base-url, which adds them to its own
        expose_value=False,
        callback=read_base_urls_file,
        help="More endpoints for the pool: one URL per line, # starts a comment (openai).",
    ),
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
    click.option("--dtype", default="auto", show_default=True, help="Weights' dtype (vllm)."),
    click.option("--max-model-len", type=click.IntRange(1), help="Context length (vllm)."),
    click.option(
        "--enforce-eager/--no-enforce-eager",
        default=False,
        help="Run without CUDA graphs / torch.compile: faster start, slower steps (vllm).",
    ),
    click.option(
        "--gpu-memory-utilization",
        type=click.FloatRange(0, 1, min_open=True),
        help="Share of GPU memory vLLM may take (vllm).",
    ),
    click.option(
        "--engine-arg",
        "engine_args",
        multiple=True,
        callback=lambda ctx, param, value: parse_engine_args(value),
        metavar="KEY=VALUE",
        help="Any other vLLM engine argument, repeatable; VALUE is read as JSON when it "
        "parses (e.g. --engine-arg max_num_seqs=512 --engine-arg enable_prefix_caching=true).",
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

lease_option = click.option(
    "--lease",
    type=click.FloatRange(min=5),
    default=60,
    show_default=True,
    help="Seconds a worker holds the samples it claimed without renewing them (a run in "
    "PostgreSQL): a dead worker's samples go to the others this long after it died.",
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
    help="The model_name_or_path written into the LLaMA-Factory training config; its chat "
    "template is chosen from the name.",
)
META_SIZES_HELP = (
    "Sizes default to the reference's (1000 prompts x 25 domains, 50 requests per domain, "
    "30 scenarios per request) on a GPU backend, and to a small set on the embedded CPU model "
    "(1 x 8 domains, capped at 3; 4 requests each, capped at 6; 3 scenarios each)."
)


def parse_engine_args(pairs: tuple[str, ...]) -> dict[str, Any]:
    """--engine-arg KEY=VALUE pairs; a VALUE that parses as JSON is taken as such."""
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--engine-arg")
        try:
            args[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            args[key.strip()] = value
    return args
