"""The sample stage's settings, from the command's options and what the run recorded."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click
from click.core import ParameterSource

from checkpoints.protocols import Run
from nodes.constraints.scopes import SYSTEM_TYPES, system_types
from nodes.llm import backend_named
from nodes.state import SampleSettings

SAMPLE_SETTINGS = (
    "mode",
    "phrasing",
    "catalogue",
    "types",
    "max_refine_rounds",
    "max_attempts",
    "candidates",
    "max_constraints",
    "max_tokens",
    "turns",
    "system_constraints",
    "keep_prefix",
)


def sample_settings(backend: str, seed: int, **options: Any) -> SampleSettings:
    """The settings from the commands' options (click has checked their types); where one
    is not given, the backend's own default (`Backend.sample_defaults`), else decif's. A
    catalogue or types given replace the backend's types: both say what to draw."""
    kind = backend_named(backend)
    personas: int | None = options.pop("personas")
    if personas is None:  # a small model on the CPU writes no personas unless asked
        personas = 0 if kind.small_by_default else 5
    given = {k: options[k] for k in SAMPLE_SETTINGS if options.get(k) not in (None, ())}
    defaults = dict(kind.sample_defaults)
    if {"catalogue", "types"} & set(given):
        defaults.pop("types", None)
    settings = SampleSettings(seed=seed, personas=personas, **defaults | given)
    if settings.system_constraints and not system_types(settings.drawable_types()):
        raise click.BadParameter(
            "no constraint type drawn here can be stated in a system message; add one of "
            f"{', '.join(sorted(SYSTEM_TYPES))} to --constraint-types",
            param_hint="--system-constraints",
        )
    return settings


def as_recorded(run: Run, settings: SampleSettings) -> SampleSettings:
    """A run started before an option existed keeps what it was made with, unless the
    option is given."""
    saved = run.read_config().get("settings") or {}
    given = click.get_current_context().get_parameter_source
    if saved and "phrasing" not in saved and given("phrasing") is ParameterSource.DEFAULT:
        settings = replace(settings, phrasing="appended")
    if saved and "personas" not in saved and given("personas") is ParameterSource.DEFAULT:
        settings = replace(settings, personas=0)
    return settings
