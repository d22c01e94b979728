"""Two processes starting one run in PostgreSQL at the same moment, as a team starts its
workers: real `decif run` processes against a real server, on a fresh database and on
one whose tables exist."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from fake_server import deterministic_reply, serving
from fakes import decif_process, numbered_scenarios

from checkpoints.runs import open_run

SCENARIOS = 8
ASKED = """select count(*) from pg_stat_activity
           where pid <> pg_backend_pid() and query like '%advisory_lock(%'"""
WAIT_S = 120  # far more than either needs: a process that takes this long is stuck


def start_together(url: str, scenarios: Path, base_url: str, *seeds: int) -> list[tuple]:
    """`decif run` once per seed, all started at once; (exit code, output) of each.
    One still running after WAIT_S is killed and fails the test: it hung."""
    processes = [
        decif_process("run", "--run", url, "--scenarios", scenarios, "--seed", seed,
                      "--backend", "openai", "--base-url", base_url, "--concurrency", "4",
                      "--constraint-types", "punctuation:no_comma", "--no-progress",
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for seed in seeds
    ]  # fmt: skip
    ended = []
    for process in processes:
        try:
            output, _ = process.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise AssertionError(f"a decif run hung for {WAIT_S} s setting up the run") from None
        ended.append((process.returncode, output))
    return ended


def test_a_process_waiting_to_set_up_the_run_does_not_stall_the_one_setting_it_up(
    postgres_run, tmp_path
):
    """The cycle itself, made to happen: this test holds the set-up lock, a real `decif
    run` comes to wait for it, then this test runs LangGraph's migrations (their index is
    built CONCURRENTLY). The waiter must not be a transaction the index build waits for."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    from checkpoints.pg_lock import acquire
    from checkpoints.runs import SETUP

    setup = psycopg.connect(postgres_run, autocommit=True)
    acquire(setup, SETUP)
    with serving(deterministic_reply) as server:
        options = ("--backend", "openai", "--base-url", server.base_url, "--no-progress")
        scenarios = numbered_scenarios(tmp_path, SCENARIOS)
        waiter = decif_process("run", "--run", postgres_run, "--scenarios", scenarios, *options)
        try:
            while not setup.execute(ASKED).fetchone()[0]:  # the waiter has asked for the lock
                assert waiter.poll() is None, "decif run ended before setting up"
                time.sleep(0.05)
            with psycopg.connect(postgres_run, autocommit=True) as conn:
                conn.execute("set statement_timeout = '30s'")  # a stalled build fails, not hangs
                PostgresSaver(conn).setup()  # CREATE INDEX CONCURRENTLY among them
            setup.close()  # the waiter may go on
            assert waiter.wait(timeout=WAIT_S) == 0
        finally:
            waiter.kill()
            setup.close()


def test_of_two_runs_started_at_once_with_other_settings_exactly_one_proceeds(
    postgres_run, tmp_path
):
    """The settings are checked and written with no other command between: the second
    finds the first's and refuses in one line, never both writing and both working. (Both
    set up LangGraph's tables at the same moment too, as in the test above.)"""
    open_run(postgres_run).store()  # the run's tables exist (LangGraph's do not yet)
    scenarios = numbered_scenarios(tmp_path, SCENARIOS)
    with serving(deterministic_reply, latency_s=0.05) as server:
        ended = start_together(postgres_run, scenarios, server.base_url, 7, 8)
    codes = sorted(code for code, _ in ended)
    assert codes == [0, 2], ended
    (winner,) = [seed for seed, (code, _) in zip((7, 8), ended, strict=True) if code == 0]
    (refusal,) = [output.strip() for code, output in ended if code == 2]
    assert len(refusal.splitlines()) == 1 and "was started with other settings (seed:" in refusal
    run = open_run(postgres_run)
    assert run.read_config()["settings"]["seed"] == winner
    assert run.store().progress()["done"] == SCENARIOS
