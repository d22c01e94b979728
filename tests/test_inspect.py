"""`decif inspect RUN ID`: a sample's trajectory shows every consistency round with the
instruction it checked, and every attempt with its verdicts."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from click.testing import CliRunner
from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM

from graph.cli import cli
from graph.runner import run_samples
from graph.scenarios import make_scenario

ORIGINAL = "Write a poem about rain in English and in French."
NO_COMMA = {"id": "punctuation:no_comma", "kwargs": {}}
FIRST_FIX = "Write a poem about rain in English, in four or six lines."
SECOND_FIX = "Write a four-line poem about rain in English."


def test_trajectory_shows_refinements_and_resamples(tmp_path):
    llm = ScriptedLLM(
        good_script(
            make_instruction={"instruction": ORIGINAL},
            check_consistency=[
                {"conflict": True, "explanation": "English and French at once"},
                {"conflict": True, "explanation": "four lines or six"},
                {"conflict": False, "explanation": "fine now"},
            ],
            refine=[{"instruction": FIRST_FIX}, {"instruction": SECOND_FIX}],
            answer=["Rain in two tongues, la pluie.", "Rain taps the glass,\nand sings."],
            judge=[{"verdicts": ["YES", "NO"]}, {"verdicts": ["YES", "YES"]}],
        )
    )
    scenario = make_scenario("write a poem", "A teacher needs a poem for class.")
    settings = replace(NO_COMMAS, max_refine_rounds=2, max_attempts=3)
    asyncio.run(run_samples(tmp_path, llm, [scenario], settings, progress=False))

    result = CliRunner().invoke(cli, ["inspect", "--run", str(tmp_path), scenario.id])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    assert lines[0] == f"sample {scenario.id}: accepted (all_criteria_passed)"

    steps = [line.split()[1] for line in lines if line.startswith("#")]
    assert steps == [
        "make_instruction",
        "check_consistency",
        "refine",
        "check_consistency",
        "refine",
        "check_consistency",
        "answer",
        "decompose",
        "judge",
        "answer",
        "judge",
        "accept",
    ]

    def after(line: str) -> str:
        return lines[lines.index(line) + 1]

    # each round names the instruction it checked: the original as stated (with its
    # constraint's statement), then each refinement
    stated = after("round 0: conflict - English and French at once").removeprefix("checked: ")
    assert ORIGINAL in stated and stated != ORIGINAL
    assert after("round 0: conflict - English and French at once") == f"checked: {stated}"
    assert after("round 1: conflict - four lines or six") == f"checked: {FIRST_FIX}"
    assert after("round 2: consistent - fine now") == f"checked: {SECOND_FIX}"
    assert [line for line in lines if line.startswith("instruction:")] == [
        f"instruction: {stated}",
        f"instruction: {FIRST_FIX}",
        f"instruction: {SECOND_FIX}",
    ]
    # the first rewrite no longer states the constraint: it is dropped, and says so
    assert after("dropped by the rewrite:") == "punctuation:no_comma {}"

    # both attempts, each response followed by its judgement
    assert [line for line in lines if line.startswith(("response:", "attempt"))] == [
        "response: Rain in two tongues, la pluie.",
        "attempt 1: criteria_failed [YES NO]",
        "response: Rain taps the glass, and sings.",
        "attempt 2: passed [YES YES]",
    ]
