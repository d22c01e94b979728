"""A run's record of how its constraints were stated: the samples columns, the stats
(text and JSON), the Hugging Face rows, and the warning when a woven run only appends."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM
from test_weaving import SETTINGS, weave

from checkpoints.config import save_config
from checkpoints.store import SampleStore
from graph.export.hf import hf_records
from graph.report.text import text_summary
from graph.runner import run_samples
from graph.scenarios import make_scenario

SCENARIOS = [
    make_scenario("write a poem", f"A teacher needs poem {i} for class.") for i in range(4)
]
WRITTEN = {"personas": ["A shy student.", "A loud coach."]}


def run(tmp_path, settings, scenarios=SCENARIOS, **script):
    llm = ScriptedLLM(good_script(**({"write_personas": WRITTEN} | script)))
    asyncio.run(run_samples(tmp_path, llm, scenarios, settings, progress=False))
    return SampleStore(tmp_path)


def test_woven_statements_are_counted_per_type_with_the_personas(tmp_path):
    from checkpoints.stats import run_stats

    store = run(tmp_path, replace(SETTINGS, personas=2), make_woven_instruction=weave())
    rows = list(store.rows())
    assert all(r["stated"][0]["how"] == "woven" and r["persona"] for r in rows)
    figures = run_stats(tmp_path)["phrasing"]
    assert (figures["statements"], figures["woven"], figures["woven_share"]) == (4, 4, 1.0)
    [words] = figures["by_type"]
    assert words["type"] == "length_constraints:number_words" and words["appended"] == 0
    assert figures["personas"]["samples"] == 4 and figures["personas"]["distinct"] <= 2
    assert "phrasing: 4 of 4 constraints woven (100%)" in text_summary(run_stats(tmp_path))
    # the Hugging Face rows carry the persona and how each constraint was stated
    for record in hf_records(rows):
        assert record["persona"] in WRITTEN["personas"] and '"woven"' in record["stated"]


def test_a_woven_run_that_only_appends_is_warned_about(tmp_path):
    from checkpoints.stats import run_stats

    scenarios = [make_scenario("write a poem", f"A class needs poem {i}.") for i in range(20)]
    run(tmp_path, NO_COMMAS, scenarios)  # its text never names commas: appended
    save_config(tmp_path, settings=NO_COMMAS)
    stats = run_stats(tmp_path)
    assert stats["phrasing"]["fidelity_failures"]["value_missing"] == 20
    [row] = stats["phrasing"]["by_type"]
    assert row["appended_because"] == {"missing:comma": 20} and row["distinct_statements"] >= 3
    assert any("20 of 20 constraints were appended, not woven" in w for w in stats["warnings"])
    save_config(tmp_path, settings=replace(NO_COMMAS, phrasing="appended"))
    assert not any("appended, not woven" in w for w in run_stats(tmp_path)["warnings"])


def test_a_run_made_before_stated_was_recorded_gets_it_on_open(tmp_path):
    import sqlite_utils

    from checkpoints.tables import SAMPLE_COLUMNS

    old = {k: v for k, v in SAMPLE_COLUMNS.items() if k not in ("stated", "persona")}
    db = sqlite_utils.Database(tmp_path / "samples.db")
    constraints = [{"id": "punctuation:no_comma", "kwargs": {}}]
    db["samples"].insert(
        {"id": "a", "status": "accepted", "constraints": json.dumps(constraints)},
        pk="id",
        columns=old,
    )
    db.close()
    [row] = SampleStore(tmp_path).rows()
    assert row["stated"] == [
        {
            "id": "punctuation:no_comma",
            "how": "appended",
            "why": "phrasing_appended",
            "style": "",
            "text": "",
        }
    ]
    assert row["persona"] is None


def test_inspect_shows_how_each_constraint_is_stated_and_the_persona(tmp_path):
    from click.testing import CliRunner

    from graph.cli import cli

    store = run(tmp_path, replace(SETTINGS, personas=2), make_woven_instruction=weave())
    row = next(store.rows())
    shown = CliRunner().invoke(cli, ["inspect", "--run", str(tmp_path), row["id"]])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert f"persona: {row['persona']}" in lines
    assert f"  woven: {row['stated'][0]['text']}" in lines
    assert any(
        line.strip().startswith("as woven? YES length_constraints:number_words") for line in lines
    )
