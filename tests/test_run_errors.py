"""Every trouble a user can cause or meet ends a command with one line that names the
problem - exit 2 for bad input, 1 for the environment - never a traceback, and nothing
finished is lost: bad scenario text, damaged run files, a directory that cannot be
written, a full disk, a hung server, a flaky one."""

from __future__ import annotations

import json
import os
import resource
import subprocess

import pytest
from click.testing import CliRunner
from conftest import good_script
from fake_server import HANG, scripted_reply, serving
from fakes import TWINS, ScriptedLLM, decif_process, prompt_name, python_process
from test_runner import SCENARIOS

from checkpoints import SampleStore
from graph.cli import cli

UNREACHABLE = "http://127.0.0.1:9/v1"  # nothing listens: a server probe would fail


def error_line(result, exit_code: int) -> str:
    """The one line a command that failed with `exit_code` printed (no traceback: the
    exception was turned into an exit)."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")
    return line


def decif(*arguments):
    return CliRunner().invoke(cli, list(map(str, arguments)))


SCRIPTED = ("--backend", "scripted")


def decif_run(run_dir, scenarios, *options):
    arguments = ["run", "--run", run_dir, "--scenarios", scenarios, "--no-progress"]
    options = ("--constraint-types", "punctuation:no_comma", "--personas", "0", *options)
    return decif(*arguments, *options)


def write_scenarios(path, scenarios=SCENARIOS):
    path.write_text("".join(json.dumps(s.as_input()) + "\n" for s in scenarios))
    return path


@pytest.fixture
def scripted(use_scripted) -> ScriptedLLM:
    """The backend `scripted` (SCRIPTED): good replies, calls counted."""
    return use_scripted(ScriptedLLM(good_script()))


@pytest.fixture
def finished_run(tmp_path, scripted):
    """A run of SCENARIOS that finished; returns (run_dir, scenarios file)."""
    run_dir, scenarios = tmp_path / "run", write_scenarios(tmp_path / "scenarios.jsonl")
    assert decif_run(run_dir, scenarios, *SCRIPTED).exit_code == 0
    scripted.calls.clear()
    return run_dir, scenarios


def test_a_lone_surrogate_in_a_scenario_is_bad_input(tmp_path):
    scenarios = tmp_path / "scenarios.jsonl"
    scenarios.write_text('{"request": "write \\ud800", "scenario": "A teacher."}\n')
    line = error_line(decif_run(tmp_path / "run", scenarios, "--base-url", UNREACHABLE), 2)
    assert line == f"Error: {scenarios} record 1: 'request' is not valid Unicode text"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("damage", ["", '{"settings": {"mode"'], ids=["empty", "cut"])
def test_a_damaged_config_json_is_one_line_and_deleting_it_resumes(finished_run, damage, scripted):
    run_dir, scenarios = finished_run
    (run_dir / "config.json").write_text(damage)
    line = error_line(decif_run(run_dir, scenarios, *SCRIPTED), 1)
    assert line.startswith(f"Error: {run_dir / 'config.json'} cannot be read (")
    assert line.endswith("restore it, or delete it to accept this command's settings for the run")

    (run_dir / "config.json").unlink()  # as the message says
    assert decif_run(run_dir, scenarios, *SCRIPTED).exit_code == 0
    assert scripted.calls == []  # the finished samples were kept
    assert SampleStore(run_dir).counts() == {"accepted": 6}


@pytest.mark.parametrize("command", ["run", "inspect", "stats", "export"])
def test_a_corrupt_samples_db_is_one_line(finished_run, command, tmp_path):
    run_dir, scenarios = finished_run
    for leftover in ("samples.db-wal", "samples.db-shm"):  # the table's pages may be there
        (run_dir / leftover).unlink()
    # A new file, not new bytes in the old one: this process still has that one open, and
    # SQLite would read it through the open connection's cache.
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"this is not a database\x00" * 200)
    garbage.replace(run_dir / "samples.db")
    if command == "run":
        result = decif_run(run_dir, scenarios, *SCRIPTED)
    else:
        extra = ["--out", tmp_path / "out.jsonl"] if command == "export" else []
        result = decif(command, "--run", run_dir, *extra)
    line = error_line(result, 1)
    assert line.startswith(f"Error: {run_dir / 'samples.db'} is not a usable SQLite database")


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs at a path (root only: it is unmounted after the test); returns
    None where mounting is not possible."""
    mounted = []

    def mount(path, options: str):
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)]
        if subprocess.run(command, capture_output=True).returncode != 0:
            return None
        mounted.append(path)
        return path

    yield mount
    for path in mounted:  # lazily: this process may still hold a file of it open
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def read_only_dir(path, tmpfs):
    """A directory nobody can create anything in. Root ignores permission bits, so as
    root it is a read-only tmpfs; otherwise a directory without write permission."""
    if os.geteuid() == 0:
        if tmpfs(path, "ro,size=64k") is None:
            pytest.skip("running as root, where permissions do not stop writes, and no tmpfs")
    else:
        path.mkdir()
        path.chmod(0o555)
    return path


@pytest.mark.parametrize("parent", ["read-only", "a file"])
def test_a_run_directory_that_cannot_be_made_fails_before_the_server_is_probed(
    tmp_path, parent, tmpfs
):
    if parent == "read-only":
        where, why = read_only_dir(tmp_path / "ro", tmpfs), ("Read-only", "Permission denied")
    else:
        where, why = tmp_path / "file", ("Not a directory",)
        where.write_text("")
    run_dir, scenarios = where / "run", write_scenarios(tmp_path / "scenarios.jsonl")
    result = decif_run(run_dir, scenarios, "--backend", "openai", "--base-url", UNREACHABLE)
    line = error_line(result, 1)
    assert line.startswith(f"Error: {run_dir}: ")
    assert any(reason in line for reason in why), line


DISK_DRIVER = """
import graph.cli
from fakes import ScriptedLLM, scripted_backend
from nodes.llm import register
from test_runner import per_sample_script

llm = ScriptedLLM(per_sample_script(), log_path={log!r})
register(scripted_backend(llm))
graph.cli.cli.main(["run", "--backend", "scripted", "--run", {run!r}, "--scenarios", {scenarios!r},
                    "--no-progress", "--constraint-types", "punctuation:no_comma"])
"""


def test_a_full_disk_stops_the_run_with_one_line_and_the_rerun_loses_nothing(tmp_path, tmpfs):
    """A real process on a 600 KB tmpfs (root), or with files capped at 500 KB
    (RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail instead of killing it)."""
    disk = tmpfs(tmp_path / "disk", "size=600k")
    limit = (
        (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (500_000,) * 2)) if not disk else None
    )
    run_dir, log = (disk or tmp_path) / "run", tmp_path / "calls.jsonl"
    scenarios = write_scenarios(tmp_path / "scenarios.jsonl")
    driver = tmp_path / "driver.py"
    driver.write_text(DISK_DRIVER.format(log=str(log), run=str(run_dir), scenarios=str(scenarios)))
    full = python_process(driver, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    _, error = full.communicate(timeout=60)
    assert full.returncode == 1
    [line] = error.splitlines()
    reason = "database or disk is full" if disk else "disk I/O error"
    assert line == (
        f"Error: {run_dir}: SQLite failed ({reason}); free disk space, then rerun: finished "
        "work is kept"
    )
    finished = {r["id"] for r in SampleStore(run_dir).rows()}
    assert 1 <= len(finished) < 6, "the disk filled up mid-run"

    if disk:
        subprocess.run(["mount", "-o", "remount,size=50m", str(disk)], check=True)
    assert python_process(driver).wait(timeout=60) == 0  # with space
    calls = [(c["prompt"], c["user"]) for c in map(json.loads, log.read_text().splitlines())]
    assert len(set(calls)) == 30
    assert len(calls) - 30 <= 2, "more than the calls in flight at the failure were redone"
    rows = list(SampleStore(run_dir).rows())
    assert len(rows) == 6 and {r["status"] for r in rows} == {"accepted"}


def test_a_hung_server_ends_the_run_with_one_line(tmp_path):
    scenarios = write_scenarios(tmp_path / "scenarios.jsonl", SCENARIOS[:1])
    with serving(lambda body: HANG) as server:
        run = ["run", "--run", tmp_path / "run", "--scenarios", scenarios, "--no-progress"]
        run += ["--backend", "openai", "--base-url", server.base_url]
        run += ["--timeout", "1", "--retries", "1"]
        process = decif_process(*run, stderr=subprocess.PIPE, text=True)
        _, error = process.communicate(timeout=60)
    assert process.returncode == 1
    [line] = error.splitlines()
    assert line.startswith("Error: the backend failed (")
    assert f"{server.base_url} did not answer within 1 s (2 tries)" in line
    assert len(server.requests) == 2  # the first try and one retry, then the run stops
    first, retry = server.requests
    # the retry waited for the first try's timeout (1 s) and a backoff of at most 1 s: the
    # earliest it may come; the two tries are all there were (the run was not left hanging)
    assert retry.received - first.received >= 1


FAULTS = {
    "make_instruction": 500,
    "check_consistency": "I think it is consistent.",  # prose under a JSON schema
    "answer": "",
    "decompose": "",
    "judge": "The answer looks fine.",
}


GOOD = scripted_reply(good_script())


def faulty_once(body: dict, seen: set[str]):
    """Each request's first try meets a fault; asked again, the server answers."""
    key = json.dumps(body, sort_keys=True)
    if key in seen:
        return GOOD(body)
    seen.add(key)
    return FAULTS[TWINS.get(name := prompt_name(body["messages"]), name)]


def test_transient_faults_are_retried_within_the_call_and_counted(tmp_path):
    scenarios = write_scenarios(tmp_path / "scenarios.jsonl", SCENARIOS[:2])
    seen: set[str] = set()
    with serving(lambda body: faulty_once(body, seen)) as server:
        result = decif_run(tmp_path / "run", scenarios, "--backend", "openai", "--base-url",
                           server.base_url, "--retries", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(SampleStore(tmp_path / "run").rows())
    assert {r["status"] for r in rows} == {"accepted"}
    assert all(r["llm_calls"] == 10 for r in rows)  # 5 calls, each tried twice
    assert sum(r["llm_calls"] for r in rows) == len(server.requests)
    retried = [c["retried"] for r in rows for c in r["state"]["llm_calls"] if "retried" in c]
    assert len(retried) == 10
    assert sum("HTTP 500" in why for why in retried) == 2  # make_instruction's
    assert retried.count("empty reply") == 4  # answer's and decompose's
    assert retried.count("no JSON in the reply") == 4  # check_consistency's and judge's


def test_without_retries_a_fault_sticks_and_only_errors_are_retried_on_rerun(tmp_path):
    scenarios = write_scenarios(tmp_path / "scenarios.jsonl", SCENARIOS[:1])
    seen: set[str] = set()
    with serving(lambda body: faulty_once(body, seen)) as server:

        def run():
            options = ["--backend", "openai", "--base-url", server.base_url, "--retries", "0"]
            assert decif_run(tmp_path / "run", scenarios, *options).exit_code == 0
            [row] = SampleStore(tmp_path / "run").rows()
            return row

        row = run()  # make_instruction's 500
        assert (row["status"], row["reason"]) == ("failed", "llm_error")
        assert "ServerFault: HTTP 500" in row["error"]
        row = run()  # retried: make_instruction answers, check_consistency replies prose
        assert (row["status"], row["reason"]) == ("failed", "consistency_malformed")
        assert row["state"]["malformed_reply"] == FAULTS["check_consistency"]
        asked = len(server.requests)
        run()  # the model's fault is final: nothing is asked again
        assert len(server.requests) == asked == 3
