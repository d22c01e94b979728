"""`decif pipeline`, the whole method in one command, killed and rerun as a real process:
finished work - meta prompts and sample steps alike - is never paid for twice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fakes import ScriptedLLM, kill_when, python_process, run_to_end
from test_meta_graph import script as meta_script
from test_runner import per_sample_script

from checkpoints import SampleStore
from checkpoints.stats import run_stats
from graph.cli import cli
from nodes.meta import SEED_DOMAINS

DRIVER = """
import graph.cli
from fakes import ScriptedLLM, scripted_backend
from nodes.llm import register
from test_meta_graph import script as meta_script
from test_runner import per_sample_script

llm = ScriptedLLM(per_sample_script() | meta_script(), delay_s={delay}, log_path={log!r})
register(scripted_backend(llm))
graph.cli.cli.main(
    ["pipeline", "--backend", "scripted", "--run", {run!r}, "--samples", "3", "--iterations", "2",
     "--max-domains", "2", "--max-requests", "3", "--no-progress",
     "--constraint-types", "punctuation:no_comma"]
)
"""
META_CALLS = 2 + 2 + 3  # domain prompts, one per domain, one per request
ALL_CALLS = META_CALLS + 3 * 5  # and five calls per sample that passes at once


def read_calls(log) -> list[tuple[str, str]]:
    return [(c["prompt"], c["user"]) for c in map(json.loads, log.read_text().splitlines())]


@pytest.mark.parametrize("killed_after", [4, META_CALLS + 6], ids=["in-meta", "in-samples"])
def test_killed_pipeline_finishes_without_redoing_work(tmp_path, killed_after):
    run_dir, log, delay = tmp_path / "run", tmp_path / "calls.jsonl", 0.25
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(delay=delay, log=str(log), run=str(run_dir)))
    enough = lambda text: text.count("\n") >= killed_after  # noqa: E731
    kill_when(python_process(driver), log, enough, delay / 2)
    assert killed_after <= len(read_calls(log)) < ALL_CALLS

    run_to_end(driver)
    calls = read_calls(log)
    assert len(calls) == len(set(calls)) == ALL_CALLS
    store = SampleStore(run_dir)
    assert store.counts() == {"accepted": 3}
    assert store.db["scenarios"].count == 6
    flagged = sum(run_stats(run_dir)["curation"]["left_out"].values())  # curated first
    assert len((run_dir / "export" / "decif.jsonl").read_text().splitlines()) == 3 - flagged


def test_inspect_meta_shows_the_scenario_tree(tmp_path):
    log = tmp_path / "calls.jsonl"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(delay=0, log=str(log), run=str(tmp_path / "run")))
    run_to_end(driver)
    result = CliRunner().invoke(cli, ["inspect", "--run", str(tmp_path / "run"), "--meta"])
    lines = result.output.splitlines()
    assert lines[0] in {*SEED_DOMAINS, "Sports", "Law"}
    assert sum(line.startswith("    - ") for line in lines) == 6
    assert lines[-1].startswith("dropped by the list parser: domain: over_4_words 2")


def test_pipeline_caps_the_meta_fan_out_to_what_the_samples_need():
    from graph.cli.common import enough_for
    from nodes.state import MetaSettings

    sized = enough_for(MetaSettings(), samples=1000)  # the reference's sizes
    assert sized.max_requests == 67  # 2 x 1000 scenarios / 30 per request, rounded up
    assert sized.max_domains == 67
    kept = enough_for(MetaSettings(max_domains=5, max_requests=9), samples=1000)
    assert (kept.max_domains, kept.max_requests) == (5, 9)  # given caps are the user's


PIPELINE = ["pipeline", "--backend", "scripted", "--samples", "2", "--iterations", "1",
            "--max-domains", "1", "--max-requests", "1", "--no-progress",
            "--constraint-types", "punctuation:no_comma"]  # fmt: skip


def test_the_closing_line_says_what_was_written_and_how_to_train_on_it(tmp_path, use_scripted):
    use_scripted(ScriptedLLM(per_sample_script() | meta_script()))
    result = CliRunner().invoke(cli, [*PIPELINE, "--run", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    export = tmp_path / "run" / "export"
    assert result.output.splitlines()[-1] == (
        f"{tmp_path / 'run'}: 2 accepted, 0 rejected, 0 failed; 2 pairs -> "
        f"{export / 'decif.jsonl'} (train: cd {export} && llamafactory-cli train decif.sft.yaml)"
    )
    assert len((export / "decif.jsonl").read_text().splitlines()) == 2


def test_the_closing_line_says_plainly_when_nothing_was_written(tmp_path, use_scripted):
    use_scripted(
        ScriptedLLM(per_sample_script() | meta_script() | {"judge": {"verdicts": ["NO"] * 2}})
    )
    result = CliRunner().invoke(cli, [*PIPELINE, "--run", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    last = result.output.splitlines()[-1]
    assert last.startswith(
        f"{tmp_path / 'run'}: 0 accepted, 2 rejected, 0 failed; no pairs written"
    )
    assert "no sample was accepted" in last and "pairs ->" not in last
    assert not (tmp_path / "run" / "export").exists()
