"""A backend may declare sample-stage defaults of its own (`Backend.sample_defaults`): the
embedded CPU model runs without refinement and with one constraint per instruction, unless
the command line says otherwise; other backends keep decif's defaults."""

from __future__ import annotations

import random

from click.testing import CliRunner

from graph.cli import cli
from graph.cli.generate import sample_settings
from nodes.constraints import DrawContext, draw_constraints, types_of
from nodes.state import SampleSettings

# What click hands a command when no sample option is given.
NOT_GIVEN = {
    "mode": "constrained",
    "phrasing": "woven",
    "personas": None,
    "catalogue": None,
    "types": (),
    "max_refine_rounds": None,
    "max_attempts": 3,
    "candidates": None,
    "max_constraints": None,
    "max_tokens": 512,
}


def test_the_embedded_backend_defaults_to_no_refinement_and_one_limit_on_a_count():
    settings = sample_settings("llamacpp", 7, **NOT_GIVEN)
    assert (settings.max_refine_rounds, settings.max_constraints) == (0, 1)
    assert (settings.max_criteria, settings.candidates, settings.max_tokens) == (1, 1, 512)
    assert settings.instruction_tries == 3
    assert "punctuation:no_comma" in settings.types and len(settings.types) == 9
    assert all(kind.verifiable for kind in settings.drawable_types())


def test_a_catalogue_or_types_given_replace_the_backends_types():
    chosen = sample_settings("llamacpp", 0, **NOT_GIVEN | {"catalogue": "decif"})
    assert (chosen.catalogue, chosen.types, chosen.max_constraints) == ("decif", (), 1)
    assert len(chosen.drawable_types()) == 31
    only = sample_settings("llamacpp", 0, **NOT_GIVEN | {"types": ("detectable_format:title",)})
    assert only.types == ("detectable_format:title",)


def test_options_given_on_the_command_line_win_over_the_backends_defaults():
    given = NOT_GIVEN | {"max_refine_rounds": 2, "max_constraints": 3, "candidates": 4}
    settings = sample_settings("llamacpp", 0, **given)
    assert (settings.max_refine_rounds, settings.max_constraints, settings.candidates) == (2, 3, 4)


def test_a_backend_without_defaults_of_its_own_keeps_decifs():
    settings = sample_settings("openai", 0, **NOT_GIVEN)
    default = SampleSettings()
    assert (settings.max_refine_rounds, settings.max_constraints) == (2, None)
    assert (settings.candidates, settings.types, settings.catalogue) == (
        default.candidates,
        (),
        "all",
    )


def test_help_says_which_backend_has_which_default():
    result = CliRunner().invoke(cli, ["run", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    assert "[default: 2; 0 on llamacpp]" in text
    assert "[default: 5; 1 on llamacpp]" in text


def test_the_count_drawn_is_capped_and_an_old_runs_settings_read_without_a_cap():
    context = DrawContext("plan a trip", "A student in Lisbon wants a cheap trip to Porto.")
    types = types_of(["ifeval", "ifevalg", "decif", "llm"])
    counts = {len(draw_constraints(random.Random(i), context, types, most=1)) for i in range(200)}
    assert counts == {1}
    uncapped = {len(draw_constraints(random.Random(i), context, types)) for i in range(200)}
    assert max(uncapped) > 1
    saved = SampleSettings().to_dict()
    del saved["max_constraints"]  # a run made before the setting existed
    assert SampleSettings.from_dict(saved).max_constraints is None
