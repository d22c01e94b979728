"""What `--run` names: a URL mistyped is refused, never made a directory of that name, and
a password in a PostgreSQL URL is never shown - not in output, errors, logs, the run's
config, its statistics or its HTML report."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from fake_server import deterministic_reply, serving
from fakes import TESTS

from checkpoints.urls import looks_like_url, redact, scrub
from graph.cli import cli

SECRET = "s3cret-Pw"
SCENARIOS = TESTS.parent / "examples" / "scenarios.jsonl"

MISTYPED = [
    f"postgresql:/decif:{SECRET}@127.0.0.1:55432/db",  # one slash
    f"postgressql://decif:{SECRET}@127.0.0.1:55432/db",  # the scheme misspelt
    f"postgres:decif:{SECRET}@127.0.0.1/db",  # no slashes
    f"decif:{SECRET}@127.0.0.1:55432/db",  # no scheme
    f"postgresql://decif:{SECRET}@127.0.0.1:5432x/db",  # not a port
    f"postgresql://decif:{SECRET}@127.0.0.1/db?sslmode=verify&colour=blue",  # libpq refuses
]
COMMANDS = {
    "run": ["--scenarios", SCENARIOS],
    "worker": [],
    "meta": [],
    "pipeline": [],
    "inspect": [],
    "stats": [],
    "export": ["--out", "out/data.jsonl"],
}


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("url", MISTYPED)
def test_a_mistyped_url_is_refused_in_one_line_without_its_password(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command, options in COMMANDS.items():
        result = invoke(command, "--run", url, *options)
        assert result.exit_code == 2, (command, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert SECRET not in result.output and ":***@" in result.output, result.output
        assert list(tmp_path.iterdir()) == [], f"{command} created {list(tmp_path.iterdir())}"


@pytest.mark.parametrize(
    ("spec", "url_like"),
    [
        ("runs/demo", False),
        ("runs:2024/demo", False),
        ("postgres-runs", False),
        ("/data/me@work/run", False),
        ("postgresql:/u@h/db", True),
        ("mysql://u@h/db", True),
        ("u:pw@h/db", True),
    ],
)
def test_what_reads_as_a_url(spec, url_like):
    assert looks_like_url(spec) is url_like


def test_passwords_are_masked_wherever_they_are_written():
    assert redact("postgresql://decif:pw@h:5432/db") == "postgresql://decif:***@h:5432/db"
    assert redact("postgresql://decif@h/db") == "postgresql://decif@h/db"
    assert redact("postgresql://u:p@ss:w@h/db") == "postgresql://u:***@h/db"  # all of it
    assert redact("postgresql://h/db?password=pw&sslmode=off") == (
        "postgresql://h/db?password=***&sslmode=off"
    )
    url = "postgresql://u:pw9@h/db"
    assert scrub(f'bad "{url}" (pw9)', url) == 'bad "postgresql://u:***@h/db" (***)'


def test_a_run_with_a_password_never_shows_it(postgres_run, tmp_path, monkeypatch, caplog):
    """A whole run in PostgreSQL whose URL holds a password: the run's output, its
    config, statistics (text, JSON, HTML), inspection and export, and the logs."""
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    url = postgres_run.replace("postgres@", f"postgres:{SECRET}@")  # trust auth ignores it
    file = tmp_path / "scenarios.jsonl"
    file.write_text("".join(json.dumps({"request": f"task {i}", "scenario": f"Person {i}."}) + "\n"
                            for i in range(2)))  # fmt: skip
    with serving(deterministic_reply) as server:
        ran = invoke("run", "--run", url, "--scenarios", file, "--backend", "openai",
                     "--base-url", server.base_url, "--constraint-types",
                     "punctuation:no_comma", "--no-progress")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert f"postgresql://postgres:***@{url.split('@')[1]}" in ran.output
    shown = [ran.output]
    for args in (
        ["stats"],
        ["stats", "--json", "--html", tmp_path / "report.html"],
        ["inspect"],
        ["export", "--out", tmp_path / "data.jsonl"],
    ):
        result = invoke(*args, "--run", url)
        assert result.exit_code == 0, result.output
        shown.append(result.output)
    sample = json.loads(invoke("inspect", "--run", url, "--json").output)[0]["id"]
    shown.append(invoke("inspect", "--run", url, sample).output)
    shown.append((tmp_path / "report.html").read_text())
    import psycopg

    with psycopg.connect(url) as conn:
        shown.append(json.dumps(conn.execute("select * from run_config").fetchall()))
    shown.append(caplog.text)
    assert not [text for text in shown if SECRET in text]

    gone = invoke("stats", "--run", url.replace(url.split(":")[-1].split("/")[0], "9"))
    assert gone.exit_code == 1 and SECRET not in gone.output and ":***@" in gone.output


def test_an_endpoint_url_holds_no_password(tmp_path):
    result = invoke("run", "--run", tmp_path / "run", "--scenarios", SCENARIOS, "--backend",
                    "openai", "--base-url", f"http://me:{SECRET}@127.0.0.1:9/v1")  # fmt: skip
    assert result.exit_code == 2 and SECRET not in result.output
    assert "OPENAI_API_KEY" in result.output and not (tmp_path / "run").exists()
