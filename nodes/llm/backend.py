"""Backends as a registry: a backend module declares a `Backend` - its name, its
command-line options with their checks, and how to build its client - and registers it.
A registered backend is a choice of `--backend`, its options are part of every command
that opens a backend (and of their `--help`), and `make_llm` builds it; tests register a
scripted one the same way.

The modules of decif's own backends are imported when the registry is first read, so
importing `nodes.llm` costs no backend; each keeps its runtime (llama.cpp, vLLM, the HTTP
client) out of its imports until a client is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any, ClassVar

import click

from nodes.llm.base import LLM, OptionError

# decif's own backends, in the order `--backend` lists them
BUILT_IN = ("nodes.llm.llamacpp", "nodes.llm.vllm", "nodes.llm.servers")

REGISTRY: dict[str, type[Backend]] = {}


class Backend:
    """A kind of LLM client that decif builds from command-line options.

    `options` are click options, declared once here with their types and ranges; a
    command gives the backend only the values of its own options. `check` refuses, with
    an `OptionError` (bad input), options that cannot build it, before anything is
    loaded; `build` makes the client (a `BackendError` when the environment cannot)."""

    name: ClassVar[str]
    summary: ClassVar[str]  # what --backend's help says of it
    options: ClassVar[tuple[click.Option, ...]] = ()
    # samples worked at once when --concurrency is not given
    default_concurrency: ClassVar[int] = 64
    # a small model on the CPU: the meta stages default to small sizes, not the reference's
    small_by_default: ClassVar[bool] = False
    # sample-stage settings (`nodes.state.SampleSettings` fields) this backend's runs take
    # where the command line does not set them: a small model needs other ones to verify
    # anything at all (see the llamacpp backend)
    sample_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def option_names(cls) -> list[str]:
        return [option.name for option in cls.options if option.name and option.expose_value]

    @classmethod
    def check(cls, model: str | None, **options: Any) -> None:
        """Refuse options that cannot make this backend (OptionError); nothing by default."""

    @classmethod
    def build(cls, model: str | None, concurrency: int | None = None, **options: Any) -> LLM:
        """The client, for `concurrency` samples worked at once (None: not known)."""
        raise NotImplementedError


def register(backend: type[Backend]) -> type[Backend]:
    """Make `backend` a choice of --backend (a class decorator); a later registration
    under the same name replaces the earlier one."""
    REGISTRY[backend.name] = backend
    return backend


def backends() -> dict[str, type[Backend]]:
    """Every registered backend by name, decif's own first."""
    for module in BUILT_IN:
        import_module(module)
    return dict(REGISTRY)


def backend_named(name: str) -> type[Backend]:
    known = backends()
    if name not in known:
        raise OptionError(f"unknown backend {name!r}; choose one of {', '.join(known)}")
    return known[name]


def all_options() -> Iterator[click.Option]:
    """Every registered backend's options, each name once (backends may share one)."""
    seen: set[str | None] = set()
    for backend in backends().values():
        for option in backend.options:
            if option.name not in seen:
                seen.add(option.name)
                yield option


def make_llm(
    backend: str = "llamacpp",
    model: str | None = None,
    concurrency: int | None = None,
    **options: Any,
) -> LLM:
    """Build a registered backend from CLI-style options, with errors a user can act on:
    `OptionError` for options that cannot make it, `BackendError` when it cannot start."""
    kind = backend_named(backend)
    kind.check(model, **options)
    return kind.build(model, concurrency, **options)
