"""A run in PostgreSQL when what it stands on goes away: its database restarts, as
databases do (an upgrade, a failover, a crash), or the run stops mid-write. Real `decif`
processes against a real server that the test restarts with `pg_ctl`. Within --timeout
the workers reconnect and go on; past it, each stops with one line that says what
became of the samples it held."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable

from fake_server import deterministic_reply, serving
from fakes import decif_process, numbered_scenarios
from postgres_server import pg_ctl

SCENARIOS = 24
WAIT_S = 120


def query(url: str, sql: str) -> tuple:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()


def done(url: str) -> int:
    return query(url, "select count(*) from queue where done")[0]


def wait_for(condition: Callable[[], bool], *processes: subprocess.Popen) -> None:
    """Until `condition()` holds; every process must still be running meanwhile."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert all(p.poll() is None for p in processes), "a decif process ended early"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


def start(url: str, command: str, base_url: str, *options: object) -> subprocess.Popen:
    common = ("--backend", "openai", "--base-url", base_url, "--concurrency", "3",
              "--lease", "10", "--no-progress")  # fmt: skip
    return decif_process(command, "--run", url, *options, *common,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_two_workers_survive_a_fast_and_an_immediate_restart(own_postgres_run, tmp_path):
    url, joined = own_postgres_run, threading.Event()

    def once_both_work(body: dict) -> str:  # no reply before the worker holds samples too
        joined.wait(WAIT_S)
        return deterministic_reply(body)

    scenarios = numbered_scenarios(tmp_path, SCENARIOS)
    with serving(once_both_work, latency_s=0.2) as server:
        run = start(url, "run", server.base_url, "--scenarios", scenarios,
                    "--constraint-types", "punctuation:no_comma")  # fmt: skip
        wait_for(lambda: server.requests, run)  # the run is set up and working
        worker = start(url, "worker", server.base_url)
        leased = f"select count(*) from queue where lease_owner like '%:{worker.pid}'"
        wait_for(lambda: query(url, leased)[0] > 0, run, worker)
        joined.set()
        for mode in ("fast", "immediate"):
            pg_ctl(url, "restart", "-m", mode)
            goal = min(done(url) + 2, SCENARIOS)
            wait_for(lambda goal=goal: done(url) >= goal, run, worker)  # and they go on
        ended = [p.communicate(timeout=WAIT_S) for p in (run, worker)]

    assert [p.returncode for p in (run, worker)] == [0, 0], ended
    assert [errors for _, errors in ended] == ["", ""]  # no traceback, no stray line
    rows = query(url, "select count(*), count(distinct position) from samples")
    assert rows == (SCENARIOS, SCENARIOS)  # none lost, none doubled
    assert query(url, "select count(*) from samples where status = 'failed'") == (0,)
    assert query(url, "select count(*) from queue where lease_owner is not null") == (0,)


def test_a_worker_whose_database_stays_away_stops_in_one_line(own_postgres_run, tmp_path):
    url, scenarios = own_postgres_run, numbered_scenarios(tmp_path, SCENARIOS)
    with serving(deterministic_reply, latency_s=0.2) as server:
        run = start(url, "run", server.base_url, "--scenarios", scenarios,
                    "--constraint-types", "punctuation:no_comma", "--timeout", "2")  # fmt: skip
        wait_for(lambda: server.requests, run)  # the run is set up and working
        wait_for(lambda: done(url) >= 2, run)
        pg_ctl(url, "stop", "-m", "fast")
        output, errors = run.communicate(timeout=WAIT_S)
    pg_ctl(url, "start")

    assert run.returncode == 1
    assert len(errors.strip().splitlines()) == 1, errors
    assert "did not come back within 2 s (--timeout)" in errors
    held = int(errors.split("could not give back its ")[1].split()[0])
    leased = query(url, "select count(*) from queue where lease_owner is not null")[0]
    assert held == leased > 0  # what it said it could not give back, and nothing else


def test_a_checkpoint_write_whose_sample_is_cancelled_is_finished_not_cut(postgres_run, caplog):
    """A run stopping (a lost backend, Ctrl-C) cancels its samples, some in the middle of
    writing a checkpoint: the write finishes before the connection closes, rather than
    leaving psycopg's pipeline half open ("error ignored in rollback ...")."""
    import asyncio

    from langgraph.checkpoint.base import empty_checkpoint

    from checkpoints.runs import open_run

    config = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}

    async def cancel_a_write_then_read() -> object:
        run = open_run(postgres_run)
        with contextlib.suppress(ConnectionError):
            async with run.async_checkpointer() as saver:
                write = asyncio.ensure_future(saver.aput(config, empty_checkpoint(), {}, {}))
                await asyncio.sleep(0)  # it has begun
                write.cancel()
                raise ConnectionError("the backend is gone")  # the run stops
        async with run.async_checkpointer() as saver:
            return await saver.aget_tuple(config)

    assert asyncio.run(cancel_a_write_then_read()) is not None
    assert "error ignored" not in caplog.text
