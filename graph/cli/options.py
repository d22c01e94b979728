"""The options the commands share, grouped: the run directory, the backend, the sample
stage's settings, the meta stages' sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from nodes.llm import backends
from nodes.llm.backend import all_options


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


class BackendName(click.ParamType):
    """--backend: the name of a registered backend (`nodes.llm.backend`), looked up when
    the option is read, so one registered after the commands were built is a choice too."""

    name = "backend"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{'|'.join(backends())}]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if value not in backends():
            choices = ", ".join(repr(name) for name in backends())
            self.fail(f"{value!r} is not one of {choices}.", param, ctx)
        return value


def with_options(options: Iterable[click.Option]) -> Callable:
    """Add ready-made click options (a backend's own) to a command."""
    options = tuple(options)

    def apply(command: Callable) -> Callable:
        for option in reversed(options):  # as click.option does: the first listed first
            if isinstance(command, click.Command):
                command.params.append(option)
            else:
                command.__dict__.setdefault("__click_params__", []).append(option)
        return command

    return apply


backend_options = stack(
    click.option(
        "--backend",
        type=BackendName(),
        default="llamacpp",
        show_default=True,
        help="; ".join(f"{name}: {kind.summary}" for name, kind in backends().items()) + ".",
    ),
    click.option(
        "--model",
        help="GGUF path (llamacpp), model name or directory (vllm), or served model "
        "name (openai; default: the server's first model).",
    ),
    with_options(all_options()),
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
    from nodes.constraints import known, lookup

    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    unknown = [n for n in names if lookup(n) is None]
    if unknown:
        raise click.BadParameter(
            f"unknown constraint type {', '.join(unknown)}; see decif constraints"
        )
    return tuple(dict.fromkeys(known(n).id for n in names))


def backends_with(field: str) -> list[str]:
    """The backends that declare a default of their own for this sample setting."""
    return [name for name, backend in backends().items() if field in backend.sample_defaults]


def default_help(field: str, value: object) -> str:
    """`[default: VALUE; V on BACKEND ...]` for --help: decif's default and the backends
    that declare their own (`Backend.sample_defaults`)."""
    own = [
        f"{backend.sample_defaults[field]} on {name}"
        for name, backend in backends().items()
        if field in backend.sample_defaults
    ]
    return f"[default: {'; '.join([str(value), *own])}]"


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
        help="Constraint types drawn: decif (IFEval's 25, start phrase, output format, and "
        "4 judged by the LLM) or all (also open-instruct's 29 IF-RLVR training types). "
        "IFBench's types are never drawn: they are evaluation data [default: all; "
        + "; ".join(f"on {name}, the types below" for name in backends_with("types"))
        + "].",
    ),
    click.option(
        "--constraint-types",
        "types",
        callback=constraint_types,
        metavar="ID,...",
        help="Draw only these constraint types (ids or names, comma-separated) [default: the "
        "catalogue's; "
        + "; ".join(
            f"on {name}, {len(backends()[name].sample_defaults['types'])} limits on counts "
            "a small model meets (README: On the embedded model)"
            for name in backends_with("types")
        )
        + "].",
    ),
    click.option(
        "--phrasing",
        type=click.Choice(["woven", "appended"]),
        default="woven",
        show_default=True,
        help="woven: the model writes the drawn constraints into the request in the person's "
        "words; each is kept only if the text holds its exact values and the LLM confirms "
        "its meaning, else it is appended. appended: every constraint is appended in one of "
        "its phrasings (a run made before this option keeps appending).",
    ),
    click.option(
        "--personas",
        type=click.IntRange(0),
        help="Personas written per scenario; each sample's instruction is written in the "
        "voice of one drawn from them (0: none) [default: 5 on vllm and openai, 0 on "
        "llamacpp]. A scenario file's own personas are used as they are.",
    ),
    click.option(
        "--turns",
        type=click.IntRange(1),
        default=1,
        show_default=True,
        help="User turns per conversation. After a verified turn the same person writes a "
        "follow-up with constraints of its own, each held for that turn only or from now on; "
        "every answer is checked against everything in force at it (1: one instruction and "
        "its answer).",
    ),
    click.option(
        "--system-constraints",
        type=click.IntRange(0),
        default=0,
        show_default=True,
        help="Constraints stated in a system message and checked at every turn, drawn from "
        "the types a system prompt sets: language, case, format, punctuation and forbidden "
        "words, start and end phrases, role, tone, audience.",
    ),
    click.option(
        "--keep-prefix",
        is_flag=True,
        help="A conversation whose later turn cannot pass keeps its verified turns "
        "(accepted, reason verified_prefix) instead of being rejected whole.",
    ),
    click.option(
        "--max-refine-rounds",
        type=click.IntRange(0),
        help="Consistency refinements before going on with the conflict recorded "
        + default_help("max_refine_rounds", 2),
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
        help="Responses sampled per round (one request with n=K on vLLM and servers, K calls "
        "on llama.cpp); each is verified and the first that passes is kept. The others stay "
        "in the trajectory: failing ones make DPO pairs " + default_help("candidates", 1),
    ),
    click.option(
        "--max-constraints",
        type=click.IntRange(1, 5),
        help="Constraints per instruction at most (and per later message of a "
        "conversation): the count is drawn with DecIF's weights (1 to 5), then capped "
        + default_help("max_constraints", 5),
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
