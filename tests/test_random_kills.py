"""Issue 7's "done means": real `decif run` processes against an OpenAI-compatible server,
SIGKILLed at random moments and rerun until one finishes, make the same data as a run
that was never interrupted, and pay again only for the calls in flight at the kills."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner
from fake_server import deterministic_reply, serving
from fakes import decif_process, numbered_scenarios

from checkpoints import SampleStore
from graph.cli import cli
from graph.scenarios import load_scenarios

KILLS = 10
# A response sent this shortly before a kill may not have been checkpointed yet.
MARGIN_S = 0.3


def decif_run(run_dir: Path, scenarios: Path, base_url: str) -> subprocess.Popen:
    """A real `decif run` process on the openai backend; its errors go to RUN.log."""
    arguments = ["run", "--run", run_dir, "--scenarios", scenarios, "--base-url", base_url]
    arguments += ["--backend", "openai", "--concurrency", "4", "--seed", "7", "--no-progress"]
    arguments += ["--constraint-types", "punctuation:no_comma"]  # what the answers meet
    with open(f"{run_dir}.log", "a") as errors:
        return decif_process(*arguments, stdout=subprocess.DEVNULL, stderr=errors)


def export(run_dir: Path) -> bytes:
    out = run_dir / "export.jsonl"
    result = CliRunner().invoke(cli, ["export", "--run", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_runs_killed_at_random_moments_make_the_same_data_as_one_uninterrupted_run(tmp_path):
    scenarios = numbered_scenarios(tmp_path, 16)
    rng = random.Random(7)
    with (
        serving(deterministic_reply, latency_s=0.2) as server,
        serving(deterministic_reply, latency_s=0.2) as reference_server,
    ):
        reference = decif_run(tmp_path / "reference", scenarios, reference_server.base_url)
        run_dir, kills, start_ups, exits = tmp_path / "run", [], [], None
        while exits is None:
            started = time.monotonic()
            process = decif_run(run_dir, scenarios, server.base_url)
            # each rerun makes progress (1-4 answers) before a kill at a random moment
            progress = rng.randint(1, 4)
            while (
                process.poll() is None and sum(r.answered for r in server.since(started)) < progress
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.1))
            if server.since(started):
                start_ups.append(server.since(started)[0].received - started)
            if len(kills) == KILLS or process.poll() is not None:
                exits = process.wait(timeout=60)
            else:
                process.kill()
                kills.append(time.monotonic())
                process.wait()
        assert reference.wait(timeout=60) == 0, (tmp_path / "reference.log").read_text()
    assert (exits, len(kills)) == (0, KILLS), (tmp_path / "run.log").read_text()

    outcomes = {r["id"]: (r["status"], r["reason"]) for r in SampleStore(run_dir).rows()}
    assert sorted(outcomes) == sorted(s.id for s in load_scenarios(scenarios))  # once each
    reference_rows = SampleStore(tmp_path / "reference").rows()
    assert outcomes == {r["id"]: (r["status"], r["reason"]) for r in reference_rows}
    assert export(run_dir) == export(tmp_path / "reference")
    # A call is paid twice only when its first request was in flight at a kill.
    in_flight = [r for at in kills for r in server.in_flight(at, MARGIN_S)]
    repeated = server.repeats()
    assert {r.body for r in repeated} <= {r.body for r in in_flight}
    assert len(repeated) <= len(in_flight)
    print(
        f"\n{len(server.requests)} requests ({len(reference_server.requests)} uninterrupted), "
        f"{len(repeated)} repeated, {len(in_flight)} in flight at {len(kills)} kills; "
        f"start-up to the first request {min(start_ups):.1f}-{max(start_ups):.1f} s "
        f"({sum(start_ups):.0f} s in all)"
    )
