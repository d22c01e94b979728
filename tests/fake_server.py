"""An OpenAI-compatible server on loopback, in the test process (stdlib, threaded), that
tells what it was asked and what it answered: the other side of the wire for tests that
kill, starve or confuse real `decif` processes.

The reply to each chat completion is `reply(body)`: text (an HTTP 200 with that content),
an int (that HTTP error status), or `HANG` (no answer until the server stops). Every
request is logged with when it came, when the server was done with it and whether it was
answered, so a test can tell which requests were in flight at a given moment.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fakes import prompt_name, reply_text, scripted, with_answers

HANG = object()  # a reply that never comes
Reply = Callable[[dict], "str | int | object"]


@dataclass
class Request:
    body: str  # the request's JSON, canonical: equal bodies are the same call
    prompt: str  # the prompt file it was rendered from
    received: float  # time.monotonic()
    ended: float | None = None  # when the server was done with it; None until then
    answered: bool = False  # the whole response was written (the client may be gone)


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True
    # connections waiting to be accepted: as many as a pool's callers open at once (the
    # default, 5, drops the rest's SYN, and they connect a second later)
    request_queue_size = 128

    def __init__(
        self,
        reply: Reply,
        models: tuple[str, ...] = ("tiny",),
        latency_s: float = 0,
        port: int = 0,  # 0: any free port; a given one to restart a server where it was
    ):
        super().__init__(("127.0.0.1", port), _Handler)
        self.reply, self.models, self.latency_s = reply, models, latency_s
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.errors: list[str] = []  # the server's own failures (a reply function's bug)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def since(self, start: float) -> list[Request]:
        """The requests received since `start` (a time.monotonic())."""
        with self.lock:
            return [r for r in self.requests if r.received >= start]

    def in_flight(self, at: float, margin_s: float) -> list[Request]:
        """Requests received by `at` that the server was not done with `margin_s` before
        it: a client killed at `at` may not have saved their result."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.received <= at and (r.ended is None or r.ended > at - margin_s)
            ]

    def repeats(self) -> list[Request]:
        """Requests whose body had been seen before: calls paid twice."""
        seen: set[str] = set()
        repeated = []
        with self.lock:
            for r in self.requests:
                if r.body in seen:
                    repeated.append(r)
                seen.add(r.body)
        return repeated

    def handle_error(self, request, client_address) -> None:
        """A killed client hanging up is expected; anything else is kept for the test."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            self.errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self) -> None:
        self.send(200, {"object": "list", "data": [{"id": m} for m in self.server.models]})

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        data = self.rfile.read(length)
        if len(data) < length:  # the client was killed while sending it
            return
        body = json.loads(data)
        request = Request(
            json.dumps(body, sort_keys=True), prompt_name(body["messages"]), time.monotonic()
        )
        with self.server.lock:
            self.server.requests.append(request)
        try:
            self.answer(body)
            request.answered = True
        finally:  # a killed client makes the write fail: the request is over all the same
            request.ended = time.monotonic()

    def answer(self, body: dict) -> None:
        reply = self.server.reply(body)
        if reply is HANG:
            self.server.stopped.wait()
            return
        time.sleep(self.server.latency_s)
        if isinstance(reply, int):
            self.send(reply, {"error": {"message": f"scripted {reply}", "type": "server_error"}})
            return
        message = {"role": "assistant", "content": reply}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        tokens = len(reply.split())  # a word a token: replies of every length say so
        usage = {"prompt_tokens": 42, "completion_tokens": tokens, "total_tokens": 42 + tokens}
        completion = {"id": "c1", "object": "chat.completion", "created": 0}
        self.send(200, completion | {"model": body["model"], "choices": [choice], "usage": usage})


@contextmanager
def serving(reply: Reply, **options) -> Iterator[FakeOpenAI]:
    """A FakeOpenAI answering in a background thread for the life of the block."""
    server = FakeOpenAI(reply, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopped.set()  # releases hung requests
        server.shutdown()
        server.server_close()
    assert not server.errors, server.errors[0]


def scripted_reply(script: dict) -> Reply:
    """Replies by prompt file, as `ScriptedLLM` gives them (the first of each)."""

    def reply(body: dict) -> str:
        name = prompt_name(body["messages"])
        scripted_as, answer = scripted(script, name, lambda replies: replies[0])
        return reply_text(answer, name, scripted_as, body["messages"])

    return reply


def deterministic_reply(body: dict) -> str:
    """Good replies that are a function of the request alone (prompt and seed), so a run
    killed anywhere and resumed ends with the very samples of an uninterrupted one.

    About one consistency check in four finds a conflict and one judgement in three says
    NO, so refinement and resampling run too; every answer meets `punctuation:no_comma`.
    A conversation's prompts (--turns) are answered as their single-turn twins are.
    """
    user = body["messages"][-1]["content"]
    seed = body.get("seed") or 0
    draw = int(hashlib.sha256(f"{user}/{seed}".encode()).hexdigest()[:8], 16)
    name = prompt_name(body["messages"])
    if name in ("make_instruction", "make_woven_instruction"):
        situation = user.split("Their situation: ")[1].split("\n")[0]
        return json.dumps({"instruction": f"Write a poem for this: {situation}"})
    if name in ("make_followup", "make_woven_followup"):
        return json.dumps({"instruction": f"Now make it shorter, take {draw % 89}."})
    if name in ("check_consistency", "check_woven_consistency", "check_turn_consistency"):
        reply = {"conflict": draw % 4 == 0, "explanation": f"checked {draw % 97}"}
        return json.dumps(with_answers(reply, body["messages"]))
    if name in ("refine", "refine_turn"):
        return json.dumps({"instruction": f"Write a short poem, take {draw % 89}."})
    if name == "write_personas":
        count = int(re.search(r"Describe (\d+) different people", user).group(1))
        return json.dumps(
            {"personas": [f"A poet, number {i}, who writes tersely." for i in range(count)]}
        )
    if name in ("answer", "answer_turn"):
        return f"Rain taps the glass\nthe street shines {seed % 1000}\nthe day slows."
    if name in ("decompose", "decompose_woven", "decompose_turn"):
        return json.dumps({"questions": ["Is it a poem?", "Does it mention rain?"]})
    if name in ("judge", "judge_turn"):
        count = int(re.search(r"For each of the (\d+) questions", user).group(1))
        verdicts = ["NO" if draw % 3 == 0 else "YES"] + ["YES"] * (count - 1)
        return json.dumps({"verdicts": verdicts})
    raise KeyError(name)
