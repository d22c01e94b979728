from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

sys.path.insert(0, str(Path(__file__).parent))

from fakes import ScriptedLLM, scripted_backend  # noqa: E402

from graph import SampleSettings, build_sample_graph  # noqa: E402
from nodes.context import SampleContext  # noqa: E402

INPUT = {"request": "write a poem", "scenario": "A teacher needs a poem for class tomorrow."}
# One constraint the good answer meets, so every run states and checks it in code.
NO_COMMAS = SampleSettings(types=("punctuation:no_comma",))
CONFIG = {"configurable": {"thread_id": "sample-1"}}


def personas(messages) -> dict:
    """As many people as the prompt asks for."""
    count = int(re.search(r"Describe (\d+) different", messages[-1]["content"]).group(1))
    return {"personas": [f"A parent of {i + 2} who writes briefly." for i in range(count)]}


def good_script(**overrides) -> dict:
    """Replies under which a sample passes on the first try; override per test."""
    script = {
        "make_instruction": {"instruction": "Write a four-line poem about rain in English."},
        "make_wild_instruction": {"instruction": "Write a poem about rain."},
        "check_consistency": {"conflict": False, "explanation": "no contradictions"},
        "refine": {"instruction": "Write a four-line poem about rain."},
        "answer": "Rain taps the glass\nthe street shines\nthe gutters sing\nthe day slows.",
        "decompose": {"questions": ["Is it a poem?", "Does it have four lines?"]},
        "judge": {"verdicts": ["YES", "YES"]},
        "write_personas": personas,
    }
    return script | overrides


def pytest_collection_modifyitems(config, items):
    """Heavy tests run only when asked for with -m heavy; otherwise each one skips, saying how to
    run it, so a default run shows what it left out."""
    if "heavy" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="heavy (LLaMA-Factory loads every export): pytest -m heavy -s")
    for item in items:
        if "heavy" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def run_graph():
    """Run one sample through the sample graph on a scripted LLM; returns (state, llm, graph)."""

    def run(settings: SampleSettings | None = None, **overrides):
        llm = ScriptedLLM(good_script(**overrides))
        graph = build_sample_graph(InMemorySaver())
        context = SampleContext(llm, settings or NO_COMMAS)
        return graph.invoke(INPUT, CONFIG, context=context), llm, graph

    return run


@pytest.fixture
def use_scripted(monkeypatch):
    """Register an LLM as the backend `scripted` for one test (`--backend scripted`)."""
    from nodes.llm.backend import REGISTRY

    def use(llm):
        monkeypatch.setitem(REGISTRY, "scripted", scripted_backend(llm))
        return llm

    return use


def start_postgres():
    """A real PostgreSQL server (a context manager yielding its URL); the test that needs
    it is skipped, with the reason, where PostgreSQL or psycopg is not installed."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
    pytest.importorskip("langgraph.checkpoint.postgres", reason="langgraph-checkpoint-postgres")
    from postgres_server import binaries, postgres_server

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql")
    return postgres_server()


@pytest.fixture(scope="session")
def postgres_server_url():
    """A real PostgreSQL server for the session."""
    with start_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def own_postgres_server():
    """A server of the test module's own, which its tests may restart or stop
    (`postgres_server.pg_ctl`) without disturbing any other module's."""
    with start_postgres() as url:
        yield url


@pytest.fixture
def own_postgres_run(own_postgres_server):
    """A fresh database on the module's own server."""
    from postgres_server import new_database

    return new_database(own_postgres_server)


@pytest.fixture
def postgres_run(postgres_server_url):
    """The URL of a fresh database: a new run in PostgreSQL."""
    from postgres_server import new_database

    return new_database(postgres_server_url)
