"""The openai backend against a local OpenAI-compatible HTTP server (stdlib, scripted):
what decif sends, what it reads back, and the sample graph run through it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import good_script
from fakes import prompt_name, reply_text, scripted

from checkpoints import SampleStore
from graph.cli import cli
from nodes.llm import Sampling, ask_n
from nodes.llm.openai import OpenAILLM
from prompts import render


class ScriptedServer(ThreadingHTTPServer):
    """Serves /v1/models and /v1/chat/completions with replies chosen by prompt file."""

    def __init__(self, script: dict):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []
        self.finish_reason = "stop"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.authorizations.append(self.headers.get("Authorization"))
        self.reply({"object": "list", "data": [{"id": "tiny", "object": "model"}]})

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.authorizations.append(self.headers.get("Authorization"))
        self.server.requests.append(request)
        name = prompt_name(request["messages"])
        scripted_as, reply = scripted(self.server.script, name, lambda replies: replies[0])
        reply = reply_text(reply, name, scripted_as, request["messages"])
        text = reply if isinstance(reply, str) else json.dumps(reply)
        self.reply(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": request["model"],
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": text + " *" * i},
                        "finish_reason": self.server.finish_reason,
                    }
                    for i in range(request.get("n", 1))  # sample i ends in i stars
                ],
                "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
            }
        )


@pytest.fixture
def server():
    server = ScriptedServer(good_script())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def decif_run(base_url: str, run: Path, *options: str):
    """`decif run` of one scenario against the server at `base_url`."""
    scenarios = run.parent / "scenarios.jsonl"
    scenarios.write_text(json.dumps({"request": "write a poem", "scenario": "A teacher."}) + "\n")
    arguments = ["run", "--run", run, "--scenarios", scenarios, "--backend", "openai"]
    arguments += ["--constraint-types", "punctuation:no_comma"]  # what the scripted answer meets
    arguments += ["--base-url", base_url, "--no-progress", *options]
    return CliRunner().invoke(cli, list(map(str, arguments)))


SCHEMA = {"type": "object", "properties": {"verdicts": {"type": "array"}}}


def test_sampling_and_schema_reach_the_server(server):
    llm = OpenAILLM(server.base_url)
    assert llm.name == "openai:tiny"  # the served model is found by itself
    sampling = Sampling(temperature=0.6, top_p=0.8, top_k=20, max_tokens=99, seed=7)
    completion = llm.complete(render("answer", instruction="hi"), sampling, SCHEMA)
    sent = server.requests[-1]
    assert (sent["temperature"], sent["top_p"], sent["top_k"]) == (0.6, 0.8, 20)
    assert (sent["max_tokens"], sent["seed"]) == (99, 7)
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert (completion.prompt_tokens, completion.completion_tokens) == (42, 7)


def test_candidates_are_one_request_with_n(server):
    llm = OpenAILLM(server.base_url)
    texts, calls = ask_n(llm, "answer", Sampling(seed=3), 3, "answer", instruction="hi")
    assert len(server.requests) == 1 and server.requests[0]["n"] == 3
    first = good_script()["answer"]
    assert texts == [first, first + " *", first + " * *"]
    assert len(calls) == 1  # one request, accounted once


def test_a_reply_cut_by_max_tokens_comes_back_as_text(server):
    """Not an exception: the node records it as malformed (a regression seen with the
    openai SDK's parse path)."""
    server.finish_reason = "length"
    server.script = {"judge": '{"verdicts": ["YE'}
    llm = OpenAILLM(server.base_url)
    messages = render("judge", instruction="i", response="r", questions="1. q", count=1)
    completion = llm.complete(messages, Sampling(max_tokens=5), SCHEMA)
    assert completion.text == '{"verdicts": ["YE'


def test_decif_run_against_the_server(server, tmp_path):
    run = tmp_path / "run"
    result = decif_run(server.base_url, run)
    assert result.exit_code == 0, result.output
    [row] = SampleStore(run).rows()
    assert row["status"] == "accepted"
    assert row["prompt_tokens"] == 42 * row["llm_calls"]
    assert json.loads((run / "config.json").read_text())["llm"] == "openai:tiny"


def test_a_server_that_goes_away_mid_run_is_one_line_error(server, tmp_path, use_scripted):
    use_scripted(OpenAILLM(server.base_url))  # the probe still answers
    server.shutdown()
    server.server_close()
    result = decif_run(server.base_url, tmp_path / "run", "--backend", "scripted")
    assert result.exit_code == 1
    assert "the backend failed (lost http://127.0.0.1:" in result.output
    assert "Cannot connect to host" in result.output
    assert "after 4 tries); finished work is kept, rerun to resume" in result.output
    assert "rerun to resume" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(SampleStore(tmp_path / "run").rows()) == []  # nothing misleading recorded


def test_the_api_key_comes_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    OpenAILLM(server.base_url).complete(render("answer", instruction="hi"), Sampling())
    assert server.authorizations == ["Bearer sk-test", "Bearer sk-test"]  # probe, then call
