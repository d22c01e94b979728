"""A run in PostgreSQL, on a real server started for the tests: the same samples, tables,
inspection, statistics and export as a run in a directory; leases that keep workers apart;
and several real worker processes, one killed, finishing one run exactly once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NO_COMMAS
from fake_server import deterministic_reply, serving
from fakes import ScriptedLLM, decif_process, numbered_scenarios
from test_runner import SCENARIOS, per_sample_script

from checkpoints.runs import open_run
from checkpoints.stats import run_stats
from graph.cli import cli
from graph.runner import run_samples

MARGIN_S = 0.3  # a response sent this shortly before a kill may not have been saved yet


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_run_in_postgresql_has_the_samples_a_run_in_a_directory_has(postgres_run, tmp_path):
    for where in (postgres_run, tmp_path / "local"):
        asyncio.run(
            run_samples(
                where,
                ScriptedLLM(per_sample_script()),
                SCENARIOS,
                NO_COMMAS,
                concurrency=3,
                progress=False,
            )  # fmt: skip
        )
    database, local = open_run(postgres_run).store(), open_run(tmp_path / "local").store()
    assert database.counts() == local.counts() == {"accepted": 6}
    keys = ("id", "position", "status", "reason", "instruction", "response", "constraints")
    assert [{k: r[k] for k in keys} for r in database.rows()] == [
        {k: r[k] for k in keys} for r in local.rows()
    ]
    assert database.progress() == {"total": 6, "done": 6, "open": 0}

    # a rerun finds nothing to do and calls nothing
    again = ScriptedLLM(per_sample_script())
    asyncio.run(run_samples(postgres_run, again, SCENARIOS, NO_COMMAS, progress=False))
    assert again.calls == []

    # inspect, stats and export read it as they read a directory
    listing = invoke("inspect", "--run", postgres_run)
    assert listing.exit_code == 0, listing.output
    assert all(s.id in listing.output for s in SCENARIOS)
    steps = invoke("inspect", "--run", postgres_run, SCENARIOS[0].id)
    assert "#1 make_instruction" in steps.output and "attempt 1: passed" in steps.output
    figures, reference = run_stats(postgres_run), run_stats(tmp_path / "local")
    for key in ("by_status", "by_reason", "constraint_types", "llm_totals", "nodes"):
        assert figures[key] == reference[key], key
    exports = []
    for where in (postgres_run, tmp_path / "local"):
        out = tmp_path / f"export-{len(exports)}.jsonl"
        # every sample, near-duplicates of each other included ("Write about scenario N")
        assert invoke("export", "--run", where, "--out", out, "--include-flagged").exit_code == 0
        exports.append(out.read_text())
    assert exports[0] == exports[1] and exports[0].count("\n") == 6


def wait_until_lapsed(store, count: int) -> None:
    """Until `count` leases have lapsed by the database's own clock (the one claims use)."""
    lapsed = "select count(*) as n from queue where not done and lease_until < now()"
    deadline = time.monotonic() + 60
    while store.conn.execute(lapsed).fetchone()["n"] < count:
        assert time.monotonic() < deadline, "the leases never lapsed"
        time.sleep(0.05)


def test_a_lease_keeps_other_workers_off_until_it_lapses(postgres_run):
    store = open_run(postgres_run).store()
    store.enqueue([{"position": i, **s.to_dict()} for i, s in enumerate(SCENARIOS)])
    first = store.claim("a", 4, lease_s=1)
    assert [r["position"] for r in first] == [0, 1, 2, 3]
    assert [r["position"] for r in store.claim("b", 4, lease_s=1)] == [4, 5]
    assert store.claim("b", 4, lease_s=1) == []  # everything is leased
    assert store.renew("a", [first[0]["id"]], lease_s=30) == {first[0]["id"]}
    # a's other leases and all of b's lapse, by the database's clock; a's renewed one holds
    wait_until_lapsed(store, 5)
    taken = {r["id"] for r in store.claim("c", 10, lease_s=30)}
    assert first[0]["id"] not in taken and len(taken) == 5
    # a worker that lost a sample to another cannot record it any more
    sample = {"id": first[1]["id"], "position": 1, "domain": "", "request": "r", "scenario": "s"}
    assert store.complete("a", sample, {"status": "accepted", "reason": "x"}) is None
    assert store.get(first[1]["id"]) is None
    assert store.complete("c", sample, {"status": "accepted", "reason": "x"}) is not None
    assert store.progress()["done"] == 1


def test_other_settings_on_a_run_in_postgresql_are_refused(postgres_run, tmp_path, use_scripted):
    use_scripted(ScriptedLLM({}))  # no model is loaded, whatever happens
    scripted = ("--backend", "scripted")
    file = tmp_path / "s.jsonl"
    file.write_text(json.dumps({"request": "a task", "scenario": "A person."}) + "\n")
    open_run(postgres_run).save_config(settings={"mode": "constrained"}, backend="llamacpp")
    result = invoke("run", *scripted, "--run", postgres_run, "--scenarios", file, "--mode", "wild")
    assert result.exit_code == 2
    assert "mode: 'constrained' -> 'wild'" in result.output
    assert f"{postgres_run.split('@')[1]}" in result.output  # the run is named (test_run_urls)
    reseeded = invoke("worker", *scripted, "--run", postgres_run, "--seed", "7")
    assert reseeded.exit_code == 2 and "leave --seed out" in reseeded.output
    lonely = invoke("worker", *scripted, "--run", tmp_path / "dir")
    assert lonely.exit_code == 2 and "works on a run in PostgreSQL" in lonely.output


def test_a_worker_joining_takes_no_lock_the_others_hold(postgres_run):
    """Workers start together, and one may already be writing: opening the run must not
    take locks on its tables (creating them again, `if not exists`, did: a deadlock)."""
    import psycopg

    from checkpoints.postgres import PostgresStore

    open_run(postgres_run).store()  # the first worker made the tables
    with psycopg.connect(postgres_run) as busy:  # a transaction left open, as mid-write
        busy.execute("insert into queue (id) values ('held')")
        busy.execute("insert into samples (id) values ('held')")
        impatient = f"{postgres_run}?options=-c%20lock_timeout%3D2000"
        PostgresStore(impatient).close()  # waiting for those locks raises LockNotAvailable


def decif(run: str, *arguments: object, log: Path) -> subprocess.Popen:
    with log.open("a") as errors:
        return decif_process(
            *arguments, "--run", run, "--no-progress", stdout=errors, stderr=errors
        )


WORKER_OPTIONS = ("--backend", "openai", "--concurrency", "2", "--lease", "5")


def test_workers_share_a_run_and_take_over_from_one_that_dies(postgres_run, tmp_path):
    """A `decif run` and two `decif worker`s on one run, sharing a pool of three servers,
    one worker killed mid-run: every sample is worked and recorded once, only the calls in
    flight at the kill are made again, and the export is the one a single process on one
    server makes with the same seed."""
    scenarios = numbered_scenarios(tmp_path, 16)
    run_options = ("--scenarios", scenarios, "--seed", "7", "--constraint-types",
                   "punctuation:no_comma")  # fmt: skip
    log = tmp_path / "workers.log"
    with serving(deterministic_reply, latency_s=0.2) as server:
        alone = decif(str(tmp_path / "alone"), "run", *run_options, *WORKER_OPTIONS[:2],
                      "--base-url", server.base_url, log=tmp_path / "alone.log")  # fmt: skip
        assert alone.wait(timeout=120) == 0, (tmp_path / "alone.log").read_text()
        solo = len(server.requests)

    with ExitStack() as stack:
        pool = [stack.enter_context(serving(deterministic_reply, latency_s=0.2)) for _ in "abc"]
        urls = [a for server in pool for a in ("--base-url", server.base_url)]
        first = decif(postgres_run, "run", *run_options, *WORKER_OPTIONS, *urls, log=log)
        while not open_run(postgres_run).store().has_table("queue") or not requests(pool):
            time.sleep(0.05)
        helpers = [decif(postgres_run, "worker", *WORKER_OPTIONS, *urls, log=log) for _ in "ab"]
        while sum(r.answered for r in requests(pool)) < 20:  # the helpers are working
            time.sleep(0.02)
        helpers[0].kill()
        killed_at = time.monotonic()
        helpers[0].wait()
        for process in (first, helpers[1]):
            assert process.wait(timeout=120) == 0, log.read_text()

    store = open_run(postgres_run).store()
    assert store.progress() == {"total": 16, "done": 16, "open": 0}
    assert sorted(r["position"] for r in store.rows()) == list(range(16))  # once each
    assert all(server.requests for server in pool)  # the pool used every server
    in_flight = [r for server in pool for r in server.in_flight(killed_at, MARGIN_S)]
    made, seen, repeated = requests(pool), set(), []
    for request in made:  # calls paid twice, on whichever servers
        if request.body in seen:
            repeated.append(request)
        seen.add(request.body)
    assert {r.body for r in repeated} <= {r.body for r in in_flight}
    assert len(made) == solo + len(repeated)
    exports = []
    for where in (postgres_run, tmp_path / "alone"):
        out = tmp_path / f"export-{len(exports)}.jsonl"
        assert invoke("export", "--run", where, "--out", out).exit_code == 0
        exports.append(out.read_bytes())
    assert exports[0] == exports[1]
    print(f"\n{len(made)} requests ({solo} alone), {len(repeated)} repeated")


def requests(servers: list) -> list:
    """Every request the servers received, in the order they came."""
    return sorted((r for server in servers for r in server.requests), key=lambda r: r.received)


@pytest.mark.parametrize("command", ["inspect", "stats"])
def test_an_unreachable_database_is_one_line(command):
    result = invoke(command, "--run", "postgresql://nobody@127.0.0.1:9/none")
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        "Error: cannot open the run at postgresql://nobody@127.0.0.1:9/"
    )
    assert len(result.output.strip().splitlines()) == 1


def test_the_python_api_and_the_pipeline_work_on_a_run_in_postgresql(postgres_run, tmp_path):
    from conftest import CONFIG, INPUT, good_script

    from checkpoints import open_checkpointer
    from graph import build_sample_graph
    from nodes.context import SampleContext

    with open_checkpointer(postgres_run) as saver:
        graph = build_sample_graph(saver)
        context = SampleContext(ScriptedLLM(good_script()), NO_COMMAS)
        assert graph.invoke(INPUT, CONFIG, context=context)["status"] == "accepted"
        assert len(list(graph.get_state_history(CONFIG))) > 3
    listed = invoke("inspect", "--run", postgres_run)
    assert "sample-1  accepted" in listed.output

    from test_pipeline import DRIVER

    driver = tmp_path / "driver.py"
    log = tmp_path / "calls.jsonl"
    driver.write_text(DRIVER.format(delay=0, log=str(log), run=postgres_run))
    from fakes import python_process

    assert python_process(driver, cwd=tmp_path).wait(timeout=120) == 0
    run = open_run(postgres_run)
    assert run.store().meta_overview()["tree"]  # the meta tables are in the database
    accepted = run.store().counts()["accepted"]
    assert accepted >= 3
    # a run in a database exports to ./export/ where the command ran
    flagged = sum(run_stats(postgres_run)["curation"]["left_out"].values())  # curated first
    assert (tmp_path / "export" / "decif.jsonl").read_text().count("\n") == accepted - flagged


def test_a_run_in_postgresql_made_before_stated_gets_the_columns_on_open(postgres_run):
    import psycopg

    from checkpoints.postgres import PostgresStore

    PostgresStore(postgres_run).close()  # today's tables, then made old again
    with psycopg.connect(postgres_run, autocommit=True) as conn:
        conn.execute("alter table samples drop column stated, drop column persona")
        conn.execute(
            "insert into samples (id, status, constraints) values ('a', 'accepted', %s)",
            [json.dumps([{"id": "punctuation:no_comma", "kwargs": {}}])],
        )
    store = PostgresStore(postgres_run)
    try:
        [row] = store.rows()
    finally:
        store.close()
    assert [(s["id"], s["how"]) for s in row["stated"]] == [("punctuation:no_comma", "appended")]
    assert row["persona"] is None
