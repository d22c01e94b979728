"""A pool of OpenAI-compatible endpoints (several `--base-url`), against real loopback
servers in the test process, each with its own latency, capacity or failures: where
requests go, what happens when a server dies and comes back, how many requests each
server is given as its latency changes, and what a run records of it."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from conftest import NO_COMMAS, good_script
from fake_server import FakeOpenAI, scripted_reply

import nodes.llm.pool
from checkpoints import SampleStore
from checkpoints.stats import run_stats
from graph.cli import cli
from graph.report import html_report, text_summary
from graph.runner import run_samples
from graph.scenarios import make_scenario
from nodes.llm import BackendError, Completion, Sampling, make_llm
from nodes.llm.aimd import Limit
from nodes.llm.openai import OpenAILLM
from nodes.llm.pool import EJECT_AFTER, PooledLLM
from prompts import render

MESSAGES = render("answer", instruction="Write a haiku.")


def ok(body: dict) -> str:
    return "A reply."


class Server:
    """A FakeOpenAI that a test can stop (its port then refuses connections) and start
    again on the same port."""

    def __init__(self, reply: Callable = ok, **options):
        self.reply, self.options, self.port = reply, options, 0
        self.start()

    def start(self) -> None:
        self.fake = FakeOpenAI(self.reply, port=self.port, **self.options)
        self.port = self.fake.server_address[1]
        threading.Thread(target=self.fake.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.fake.stopped.set()
        self.fake.shutdown()
        self.fake.server_close()
        assert not self.fake.errors, self.fake.errors[0]

    @property
    def url(self) -> str:
        return self.fake.base_url


@contextmanager
def servers(*replies: Callable, **options) -> Iterator[list[Server]]:
    started = [Server(reply, **options) for reply in replies]
    try:
        yield started
    finally:
        for server in started:
            if not server.fake.stopped.is_set():
                server.stop()


@contextmanager
def pool_of(running: list[Server], **options) -> Iterator[PooledLLM]:
    pool = PooledLLM([s.url for s in running], **options)
    try:
        yield pool
    finally:
        pool.close()


def hammer(pool: PooledLLM, threads: int, requests: int) -> list[Completion]:
    """`threads` callers, each sending one request after another, `requests` in all (a
    count, not a time: a busy machine takes longer, the pool sees the same); every
    completion. A caller's exception fails the test."""
    done: list[Completion] = []
    errors: list[BaseException] = []
    left = iter(range(requests))
    lock = threading.Lock()

    def caller() -> None:
        try:
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                done.append(pool.complete(MESSAGES, Sampling()))
        except BaseException as err:
            errors.append(err)

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors[0]
    return done


def hammer_until(pool: PooledLLM, threads: int, enough: Callable[[], bool]) -> list[Completion]:
    """`threads` callers sending one request after another until `enough()`; the
    completions that came back by then (a caller whose request is held stays out)."""
    done: list[Completion] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            while not enough():
                done.append(pool.complete(MESSAGES, Sampling()))
        except BaseException as err:
            errors.append(err)

    workers = [threading.Thread(target=caller, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    assert wait_until(enough, seconds=60)
    assert not errors, errors[0]
    return list(done)


def served_by(completions: list[Completion]) -> Counter:
    return Counter(c.endpoint for c in completions)


class Held:
    """A reply held until the test lets it go: requests stay in flight as long as needed."""

    def __init__(self) -> None:
        self.go = threading.Event()

    def __call__(self, body: dict) -> str:
        self.go.wait()
        return "A reply."


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- one endpoint or several -------------------------------------------------------------


def test_one_url_is_the_single_server_client_several_are_a_pool():
    with servers(ok, ok) as (a, b):
        single = make_llm("openai", base_url=(a.url,), max_in_flight=8)
        pool = make_llm("openai", base_url=(a.url, b.url), max_in_flight=8)
        assert isinstance(single, OpenAILLM) and isinstance(pool, PooledLLM)
        # the same name: a run can grow from one endpoint to several
        assert single.name == pool.name == "openai:tiny"
        assert re.fullmatch(r"endpoints 2/2 up, in flight 0/\d+", pool.status())
        assert pool.limit == sum(e.limit.allowed for e in pool.endpoints) <= 8
        single.close()
        pool.close()


def test_every_endpoint_must_serve_the_model():
    with servers(ok) as [a], servers(ok, models=("other",)) as [b]:
        with pytest.raises(BackendError, match=f"{b.url} does not serve 'tiny'.*same model"):
            PooledLLM([a.url, b.url])
        with pytest.raises(BackendError, match="cannot reach http://127.0.0.1:9/v1/models"):
            PooledLLM([a.url, "http://127.0.0.1:9/v1"])


# --- routing -------------------------------------------------------------------------------


def test_equal_endpoints_share_the_requests():
    """Nine requests held in flight at once on three equal endpoints: three on each."""
    held = Held()
    with servers(held, held, held) as running, pool_of(running) as pool:
        callers = [
            threading.Thread(target=pool.complete, args=(MESSAGES, Sampling())) for _ in range(9)
        ]
        for caller in callers:
            caller.start()
        assert wait_until(lambda: sum(e.in_flight for e in pool.endpoints) == 9, seconds=60)
        in_flight = [e.in_flight for e in pool.endpoints]
        held.go.set()
        for caller in callers:
            caller.join()
        counts = Counter(r.prompt for s in running for r in s.fake.requests)
        assert in_flight == [3, 3, 3]
        assert [len(s.fake.requests) for s in running] == [3, 3, 3] and counts == {"answer": 9}


def test_an_endpoint_holding_more_requests_in_flight_is_given_fewer():
    """The slow endpoint keeps its requests (here: until the test lets them go), so it
    always has more in flight; the fast one answers at once and takes the rest."""
    held = Held()
    with servers(held) as [slow], servers(ok) as [fast], pool_of([slow, fast]) as pool:
        fast_ones = hammer_until(pool, threads=8, enough=lambda: len(fast.fake.requests) >= 40)
        held.go.set()
    counts = served_by(fast_ones) + Counter({slow.url: len(slow.fake.requests)})
    assert 0 < 2 * counts[slow.url] < counts[fast.url], counts


# --- failures ------------------------------------------------------------------------------


def test_a_failed_try_goes_to_another_endpoint_and_every_try_is_counted():
    """With no retries at all, a 500 from one endpoint still ends in an answer from the
    other; the failed try is a row of its own, with its endpoint. After EJECT_AFTER
    failures in a row the failing endpoint is taken out."""
    with (
        servers(lambda body: 500, ok) as (broken, good),
        pool_of([broken, good], retries=0) as pool,
    ):
        completions = [pool.complete(MESSAGES, Sampling()) for _ in range(2 * EJECT_AFTER + 2)]
        assert pool.status().startswith("endpoints 1/2 up")
    assert {c.endpoint for c in completions} == {good.url}
    failed = [row for c in completions for row in c.records("answer") if "retried" in row]
    assert len(failed) == EJECT_AFTER
    assert all(
        r["endpoint"] == broken.url and "ServerFault: HTTP 500" in r["retried"] for r in failed
    )
    for c in completions:
        rows = c.records("answer")
        assert len(rows) == len(c.tries) + 1 and rows[-1]["endpoint"] == good.url


def test_an_endpoint_that_dies_is_taken_out_probed_and_used_again_when_it_is_back():
    with servers(ok, ok, latency_s=0.01) as (a, b), pool_of([a, b]) as pool:
        assert served_by(hammer(pool, threads=4, requests=40)).keys() == {a.url, b.url}

        a.stop()  # its port now refuses connections
        after_kill = hammer(pool, threads=4, requests=40)  # no caller sees an error
        assert {c.endpoint for c in after_kill} == {b.url}
        failovers = [row for c in after_kill for row in c.tries if row["endpoint"] == a.url]
        assert failovers and all("ClientConnectorError" in r["retried"] for r in failovers)
        assert pool.status().startswith("endpoints 1/2 up")

        a.start()  # on the same port: the next probe finds it
        # the probe's next try (1, 2, 4 ... s after the death) finds it
        assert wait_until(lambda: pool.status().startswith("endpoints 2/2 up"), seconds=60)
        assert a.url in served_by(hammer(pool, threads=4, requests=40))


class Deadlines(threading.Condition):
    """The pool's condition, keeping how long each of its waits may last, and when it
    would end at the latest."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []
        self.ends: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None, "a request never waits without a deadline"
        self.timeouts.append(timeout)
        self.ends.append(time.monotonic() + timeout)
        return super().wait(timeout)


def test_with_every_endpoint_down_a_request_fails_within_the_timeout():
    """One deadline for the request, `timeout` after every endpoint was out: every wait
    ends by it (a retry does not start another), then the request fails."""
    with servers(ok, ok) as (a, b), pool_of([a, b], timeout=2) as pool:
        pool._lock = Deadlines()
        a.stop()
        b.stop()
        with pytest.raises(BackendError, match="none of the 2 endpoints came back within 2 s"):
            pool.complete(MESSAGES, Sampling())
        waits = pool._lock
    assert waits.ends and max(waits.timeouts) <= 2, waits.timeouts
    assert max(waits.ends) - min(waits.ends) < 0.5, waits.ends  # all to the one deadline


def test_a_request_waits_for_an_endpoint_to_come_back():
    with servers(ok, ok) as (a, b), pool_of([a, b], timeout=10) as pool:
        a.stop()
        b.stop()
        threading.Timer(0.3, a.start).start()
        assert pool.complete(MESSAGES, Sampling()).endpoint == a.url


def test_a_refused_api_key_stops_the_run_naming_the_endpoint():
    with (
        servers(lambda body: 401, lambda body: 401) as running,
        pool_of(running) as pool,
        pytest.raises(BackendError, match="http://127.0.0.1:.* answered HTTP 401"),
    ):
        pool.complete(MESSAGES, Sampling())


# --- adaptive concurrency ------------------------------------------------------------------


def feed(limit: Limit, replies: int, latency_s: float, tokens: float = 7) -> None:
    """`replies` replies to an endpoint kept busy at its limit."""
    for _ in range(replies):
        limit.succeeded(latency_s, tokens, in_flight=limit.allowed)


def test_the_limit_doubles_per_round_trip_until_latency_rises_then_cuts_and_grows_by_one():
    limit = Limit(cap=64)
    feed(limit, 30, latency_s=0.1)
    assert limit.slow_start and 30 <= limit.value <= 34  # +1 per reply: doubling
    feed(limit, 40, latency_s=0.3)  # 3 x the floor: congested
    assert not limit.slow_start and limit.value <= 0.7 * 34
    low = limit.value
    feed(limit, 10 * 64, latency_s=0.1)  # back to the floor: +1 per round of replies
    assert low + 5 <= limit.value <= low + 64


def test_the_limit_stays_within_one_and_the_cap():
    limit = Limit(cap=8)
    feed(limit, 100, latency_s=0.1)
    assert limit.value == 8
    for _ in range(10):
        limit.failed()  # each error halves it
    assert limit.value == 1 and limit.allowed == 1


def test_an_idle_endpoint_does_not_grow_its_limit():
    limit = Limit(cap=64, start=16)
    for _ in range(200):
        limit.succeeded(0.1, 7, in_flight=2)  # far below its limit: no evidence it could take more
    assert limit.value == 16


def test_short_and_long_replies_that_take_the_same_time_are_not_congestion():
    """A server whose latency hardly depends on the reply's length (a fixed cost per
    request: prefill, network): a 2-token verdict takes as long as a 500-token answer."""
    limit = Limit(cap=64)
    for _ in range(60):
        limit.succeeded(0.5, 2, in_flight=limit.allowed)
        limit.succeeded(0.5, 500, in_flight=limit.allowed)
    assert limit.slow_start and limit.value == 64


def test_a_server_that_slows_every_reply_down_is_congested_whatever_their_lengths():
    limit = Limit(cap=64)
    for _ in range(20):  # the floors: every size at its own speed
        for tokens in (2, 40, 500):
            limit.succeeded(0.1 + tokens / 1000, tokens, in_flight=limit.allowed)
    grown = limit.value
    for _ in range(50):  # then the same mix, each reply three times slower
        for tokens in (2, 40, 500):
            limit.succeeded(3 * (0.1 + tokens / 1000), tokens, in_flight=limit.allowed)
    assert not limit.slow_start and limit.value <= 0.7 * grown


def test_short_and_long_replies_at_the_same_speed_per_token_are_not_congestion():
    """A 4-token verdict and a 500-token answer from an idle server cost the same per
    token once each request's fixed cost is counted."""
    limit = Limit(cap=64)
    for _ in range(60):
        limit.succeeded(0.2, 4, in_flight=limit.allowed)
        limit.succeeded(5.16, 500, in_flight=limit.allowed)
    assert limit.slow_start and limit.value == 64


class Station:
    """A server that works `capacity` requests at once, `service_s` each, and queues the
    rest, as vLLM does past its batch size: latency grows, nothing is refused.

    On a virtual clock, so what AIMD reads is a count, however busy the machine is: the
    requests that arrive are held until the test lets them go as one batch, and each
    reply begins with the latency the queue gave it - the i-th to arrive waited for
    i // capacity services ahead of it - which the pool takes as the request's latency
    (`on_station_clock`), and has as many words (the fake server's tokens) as the next of
    `lengths` says."""

    def __init__(self, capacity: int, service_s: float = 0.1, lengths: tuple[int, ...] = (1,)):
        self.capacity, self.service_s, self.lengths = capacity, service_s, lengths
        self.lengths_sent = Counter[int]()  # replies of each length in words (tokens)
        self.changed = threading.Condition()
        self.held = 0  # requests waiting for the next batch
        self.batches = 0  # batches let go so far
        self.open = False  # no longer holding (the test is over)

    def resize(self, capacity: int) -> None:
        with self.changed:
            self.capacity = capacity

    def __call__(self, body: dict) -> str:
        with self.changed:
            position, batch = self.held, self.batches
            self.held += 1
            self.changed.wait_for(lambda: self.batches > batch or self.open)
            words = self.lengths[sum(self.lengths_sent.values()) % len(self.lengths)]
            self.lengths_sent[words] += 1
            latency_s = self.service_s * (position // self.capacity + 1)
            return " ".join([str(latency_s)] + ["word"] * (words - 1))

    def let_go(self, for_good: bool = False) -> None:
        with self.changed:
            self.held, self.batches, self.open = 0, self.batches + 1, for_good
            self.changed.notify_all()


def on_station_clock(pool: PooledLLM) -> None:
    """The pool reads each reply's latency from the `Station` that sent it."""
    post = pool.transport.post

    def post_timed(base_url: str, body: dict) -> Completion:
        completion = post(base_url, body)
        completion.latency_s = float(completion.text.split()[0])
        return completion

    pool.transport.post = post_timed


@contextmanager
def batches(pool: PooledLLM, stations: list[Station]) -> Iterator[Callable[[], list[int]]]:
    """Callers that keep every place the pool allows taken, and `next_batch()`: once no
    other request can be let out and each one in flight is held at its station, the
    requests in flight per endpoint, after which the stations let them go."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            while not stop.is_set():
                pool.complete(MESSAGES, Sampling())
        except BaseException as err:
            errors.append(err)

    callers = [threading.Thread(target=caller, daemon=True) for _ in range(pool.max_in_flight)]
    for thread in callers:
        thread.start()

    def full() -> bool:
        in_flight = sum(e.in_flight for e in pool.endpoints)
        room = any(e.in_flight < e.limit.allowed for e in pool.endpoints)
        no_room = in_flight >= pool.max_in_flight or not room
        return no_room and in_flight == sum(s.held for s in stations)

    def next_batch() -> list[int]:
        assert wait_until(lambda: full() or bool(errors), seconds=60)
        assert not errors, errors[0]
        in_flight = [e.in_flight for e in pool.endpoints]
        for station in stations:
            station.let_go()
        return in_flight

    try:
        yield next_batch
    finally:
        stop.set()
        for station in stations:
            station.let_go(for_good=True)
        for thread in callers:
            thread.join(timeout=60)


LENGTHS = (1, 3, 12, 40, 150, 400)  # words (the fake server's tokens) of successive replies


def test_against_servers_whose_latency_does_not_grow_the_limit_rises_to_the_pools_bound():
    """Replies of every length in the same fixed time and never a queue: nothing says a
    server is busy, so the pool lets out all it may (not ~1 per endpoint, as a limit on
    latency per token did, short replies then looking slow)."""
    stations = [Station(capacity=64, lengths=LENGTHS) for _ in range(2)]
    with servers(*stations) as running, pool_of(running, max_in_flight=24) as pool:
        on_station_clock(pool)
        with batches(pool, stations) as next_batch:
            for _ in range(20):
                next_batch()
            assert pool.limit == 24
            assert all(e.limit.slow_start for e in pool.endpoints)  # never cut
    assert all(s.lengths_sent.keys() == set(LENGTHS) for s in stations)


def test_a_saturated_endpoint_is_given_fewer_requests_in_flight_and_recovers():
    """Two endpoints, each sent as many requests as the pool gives it, batch after batch:
    one server works one request at a time (each reply of a batch waits for those before
    it), the other all of them at once. AIMD keeps the first at a few in flight and the
    second takes the rest; once the first can work them all at once, its limit climbs."""
    narrow, wide = Station(capacity=1), Station(capacity=64)
    with servers(narrow, wide) as running, pool_of(running, max_in_flight=24) as pool:
        on_station_clock(pool)
        with batches(pool, [narrow, wide]) as next_batch:
            # past slow start, every batch: the narrow server's replies took 1, 2, 3 ...
            # services, a round's median is over twice the best once about 4 are in
            # flight, and its limit is cut (without the cut both would grow to 12)
            saturated = [next_batch() for _ in range(20)][-10:]
            assert all(2 * narrow_one < wide_one for narrow_one, wide_one in saturated), saturated

            narrow.resize(64)  # the server got a bigger batch
            recovered = [next_batch() for _ in range(20)]
            # +1 per round while it is busy and not congested: far past the cut limits
            assert pool.endpoints[0].limit.allowed >= 12, recovered
            assert recovered[-1][0] > max(narrow_one for narrow_one, _ in saturated), recovered


# --- what a run records ----------------------------------------------------------------------


def flaky(reply: Callable, every: int) -> Callable:
    """`reply`, but HTTP 503 on every `every`-th request."""
    seen = Counter()

    def answer(body: dict):
        seen["n"] += 1
        return 503 if seen["n"] % every == 0 else reply(body)

    return answer


def test_per_endpoint_figures_agree_with_the_llm_calls(tmp_path):
    script = scripted_reply(good_script())
    scenarios = [make_scenario("write a poem", f"A teacher, class {i}.") for i in range(6)]
    with servers(flaky(script, every=4), script) as (a, b), pool_of([a, b]) as pool:
        asyncio.run(run_samples(tmp_path, pool, scenarios, NO_COMMAS, 4, progress=False))
    expected: dict[str, Counter] = {}
    for row in SampleStore(tmp_path).rows():
        for call in row["state"]["llm_calls"]:
            figures = expected.setdefault(call["endpoint"], Counter())
            figures.update(
                calls=1,
                errors="retried" in call,
                prompt_tokens=call["prompt_tokens"],
                completion_tokens=call["completion_tokens"],
            )
    stats = run_stats(tmp_path)
    assert {
        e["endpoint"]: {k: e[k] for k in ("calls", "errors", "prompt_tokens", "completion_tokens")}
        for e in stats["endpoints"]
    } == {
        url: {k: figures[k] for k in ("calls", "errors", "prompt_tokens", "completion_tokens")}
        for url, figures in expected.items()
    }
    assert expected[a.url]["errors"] > 0 and set(expected) == {a.url, b.url}
    assert "LLM calls per endpoint" in text_summary(stats)
    assert "Calls per endpoint" in html_report(stats, "", "run")


def test_the_progress_bar_shows_endpoints_up_and_the_adapted_limit(tmp_path, capsys):
    script = scripted_reply(good_script())
    scenarios = [make_scenario("write a poem", f"A teacher, class {i}.") for i in range(3)]
    with servers(script, script) as (a, b), pool_of([a, b], max_in_flight=6) as pool:
        asyncio.run(run_samples(tmp_path, pool, scenarios, NO_COMMAS, 2, progress=True))
        limit = pool.limit
    last = capsys.readouterr().err.strip().splitlines()[-1].split("\r")[-1]
    assert "3/3" in last and "accepted=3" in last
    assert f"endpoints 2/2 up, in flight 0/{limit}" in last and 1 <= limit <= 6


def decif_run(run, *arguments: str):
    scenarios = run.parent / "scenarios.jsonl"
    lines = [{"request": "write a poem", "scenario": f"A teacher, class {i}."} for i in range(4)]
    scenarios.write_text("".join(json.dumps(line) + "\n" for line in lines))
    command = ["run", "--run", str(run), "--scenarios", str(scenarios), "--backend", "openai"]
    command += ["--constraint-types", "punctuation:no_comma", "--no-progress", *arguments]
    return CliRunner().invoke(cli, command)


def test_decif_run_on_two_endpoints_records_which_answered(tmp_path):
    script = scripted_reply(good_script())
    run = tmp_path / "run"
    with servers(script, script) as (a, b):
        result = decif_run(run, "--base-url", a.url, "--base-url", b.url)
    assert result.exit_code == 0, result.output
    rows = list(SampleStore(run).rows())
    assert [r["status"] for r in rows] == ["accepted"] * 4
    endpoints = Counter(c["endpoint"] for r in rows for c in r["state"]["llm_calls"])
    assert endpoints.keys() == {a.url, b.url}
    assert json.loads((run / "config.json").read_text())["llm"] == "openai:tiny"
    stats = CliRunner().invoke(cli, ["stats", "--run", str(run)])
    assert "LLM calls per endpoint" in stats.output and a.url in stats.output


def test_a_file_of_base_urls_adds_to_the_given_ones(tmp_path, monkeypatch):
    seen = {}

    def record(base_urls, **kwargs):  # the pool the openai backend makes of several URLs
        seen.update(kwargs, base_url=tuple(base_urls))
        raise BackendError("stop here")

    monkeypatch.setattr(nodes.llm.pool, "PooledLLM", record)
    listed = tmp_path / "endpoints.txt"
    listed.write_text(
        "# the GPU nodes\nhttp://gpu1:8000/v1\n\nhttp://gpu2:8000/v1  # second\nhttp://gpu0:8000/v1/\n"
    )
    result = decif_run(
        tmp_path / "run", "--base-url", "http://gpu0:8000/v1", "--base-urls-file", str(listed),
        "--concurrency", "48",
    )  # fmt: skip
    assert result.exit_code == 1 and "stop here" in result.output
    assert seen["base_url"] == ("http://gpu0:8000/v1", "http://gpu1:8000/v1", "http://gpu2:8000/v1")
    assert seen["max_in_flight"] == 2 * 48  # answer and decompose of 48 samples


@pytest.mark.parametrize(
    "listed, given, message",
    [
        ("# nothing but comments\n\n", (), "lists no URL"),
        ("localhost:8000/v1\n", (), "'localhost:8000/v1' is not an endpoint URL"),
        (None, ("ftp://gpu1/v1",), "'ftp://gpu1/v1' is not an endpoint URL"),
        ("missing", (), "cannot read --base-urls-file"),
    ],
)
def test_bad_endpoint_lists_are_one_line_errors(tmp_path, listed, given, message):
    arguments = [argument for url in given for argument in ("--base-url", url)]
    if listed is not None:
        path = tmp_path / "endpoints.txt"
        if listed != "missing":
            path.write_text(listed)
        arguments += ["--base-urls-file", str(path)]
    result = decif_run(tmp_path / "run", *arguments)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
