"""What the commands share: the LLM, the run's write lock and config checks, and the
mapping of every error a user can cause or meet to one line (options: graph/cli/options.py).

Nothing heavy is imported here (no LangGraph, LangChain, model runtime or matplotlib):
`decif --help` and the read-only commands start fast; a command imports what it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from checkpoints.config import RunConfigError, RunFileError, check_same
from checkpoints.lock import RunLocked
from checkpoints.protocols import Run, is_shared
from checkpoints.store import SAMPLES_DB
from checkpoints.tables import STATUSES
from checkpoints.urls import BadRunURL
from graph.scenarios import ScenarioError
from nodes.llm import LLM, BackendError, OptionError, backend_named, make_llm
from nodes.state import SMALL_META, MetaSettings

# --base-url as the commands get it: None, one server, or several (a pool)
BaseUrl = str | tuple[str, ...] | None


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
        except (ScenarioError, RunConfigError, OptionError, BadRunURL) as err:
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


def open_llm(backend: str, model: str | None, concurrency: int | None, **options: Any) -> LLM:
    """The backend the options ask for, for `concurrency` samples at once; only the
    options that backend declares reach it. Options wrong for it are bad input (exit 2,
    `OptionError`); a backend that cannot start is an environment failure (exit 1)."""
    kind = backend_named(backend)
    chosen = {name: options[name] for name in kind.option_names() if name in options}
    return make_llm(backend, model, concurrency, **chosen)


def default_concurrency(backend: str) -> int:
    """Samples worked at once unless --concurrency says: the backend's own choice."""
    return backend_named(backend).default_concurrency


def open_for_run(run: Run, backend: str, model: str | None, concurrency: int, **options) -> LLM:
    """The backend for a run that may have been started before: refused when the run was
    made with another backend (checked before a model is loaded) or model (checked with
    the name the backend resolves, e.g. a server's default model)."""
    same_model(run, backend)
    if is_shared(run) and "timeout" in options:  # its database, as long as a server
        run.wait_for_database(options["timeout"])
    llm = open_llm(backend, model, concurrency, **options)
    same_model(run, backend, llm.name)
    return llm


def same_model(run: Run, backend: str, llm_name: str | None = None) -> None:
    """Refuse to resume a run with another backend or model: its samples would mix."""
    requested = {"backend": backend} | ({"llm": llm_name} if llm_name else {})
    check_same(
        run,
        "model",
        "rerun with the same --backend and --model, or use a new --run",
        **requested,
    )


def require_run(run: Run) -> None:
    if not run.exists():
        raise BadInput(f"{run} is not a decif run (no {SAMPLES_DB}); start one with decif run")


def execute(coroutine: Coroutine) -> Any:
    """Run one async stage; a lost backend ends it with one line (Ctrl-C and disk errors
    are the group's to report)."""
    from graph.sample_thread import FATAL_ERRORS

    try:
        return asyncio.run(coroutine)
    except FATAL_ERRORS as err:
        message = " ".join(str(err).split()) or type(err).__name__
        raise click.ClickException(
            f"the backend failed ({message}); finished work is kept, rerun to resume"
        ) from None


def summary(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def meta_settings(backend: str, seed: int, **sizes: int | None) -> MetaSettings:
    preset = SMALL_META if backend_named(backend).small_by_default else MetaSettings()
    chosen = {k: v for k, v in sizes.items() if v is not None}
    return replace(preset, seed=seed, **chosen)


def enough_for(settings: MetaSettings, samples: int) -> MetaSettings:
    """Caps for a pipeline that were not given: requests enough for about twice the
    scenarios drawn, from as many domains - not the reference's full fan-out (millions of
    scenarios) for a handful of samples."""
    requests = settings.max_requests or max(1, -(-2 * samples // settings.scenarios_per_request))
    return replace(settings, max_requests=requests, max_domains=settings.max_domains or requests)
