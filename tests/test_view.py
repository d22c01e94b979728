"""`decif view` served in process (Starlette's test client): what each page shows, that
model text stays text, that reviews are written only by the viewer's own forms and while
a run holds its write lock, and that a run it cannot read is one page."""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from fakes import ScriptedLLM
from starlette.testclient import TestClient
from view_run import make_view_run, view_script

from checkpoints.browse import PAGE_SIZE, queue_order
from checkpoints.lock import run_lock
from checkpoints.runs import open_run
from checkpoints.stats import run_stats
from checkpoints.store import SampleStore
from graph.cli import cli
from graph.view.app import build_app
from graph.view.security import TOKEN_COOKIE, Guard

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    path = tmp_path_factory.mktemp("view-run")
    return path, make_view_run(path, ScriptedLLM(view_script()))


@pytest.fixture
def run(made, tmp_path):
    """A fresh copy of the run for each test: reviews change it."""
    copy = tmp_path / "run"
    shutil.copytree(made[0], copy)
    return copy


@pytest.fixture
def ids(made):
    return made[1]


def client(path, host: str = "127.0.0.1", token: str | None = None) -> TestClient:
    guard = Guard(host, PORT, token)
    return TestClient(build_app(open_run(path), guard), base_url=BASE)


def form_of(page: str) -> dict[str, str]:
    """The review form's hidden fields, as a browser would send them."""
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)
    return dict(hidden)


def review(c: TestClient, sample_id: str, **fields: str):
    page = c.get(f"/samples/{sample_id}").text
    return c.post(
        f"/samples/{sample_id}/review",
        data=form_of(page) | fields,
        headers={"Origin": BASE},
        follow_redirects=False,
    )


def test_model_text_is_shown_as_text(run, ids):
    page = client(run).get(f"/samples/{ids['html']}").text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert "<script" not in page and "<img" not in page and 'href="javascript:' not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # the instruction too
    listed = client(run).get("/?search=bold").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in listed and "<b>bold" not in listed


def test_no_script_may_run_on_any_page(run):
    policy = client(run).get("/").headers["content-security-policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy


def count(page: str) -> tuple[int, int]:
    shown, total = re.search(r'id="match-count">(\d+) of (\d+) samples', page).groups()
    return int(shown), int(total)


def test_the_list_filters_searches_and_sorts(run, ids):
    c = client(run)
    assert count(c.get("/").text) == (7, 7)
    assert count(c.get("/?status=accepted").text) == (4, 7)
    assert count(c.get("/?reason=criteria_failed").text) == (1, 7)
    assert count(c.get("/?constraint=punctuation:no_comma").text) == (7, 7)
    assert count(c.get("/?constraint=keywords:existence").text) == (0, 7)
    search = c.get("/?search=RAIN,%20RAIN").text  # case-insensitive, in the response
    assert count(search) == (1, 7) and ids["comma"] in search
    assert count(c.get("/?search=100%25").text) == (0, 7)  # % is literal
    order = re.findall(r'class="sample-link">(\w+)<', c.get("/?sort=position&order=desc").text)
    assert order == [ids[k] for k in reversed(list(ids))]


def test_pages_of_a_large_run(tmp_path):
    store = SampleStore(tmp_path)
    for i in range(2 * PAGE_SIZE + 3):
        sample = {"id": f"s{i:04d}", "position": i, "domain": "d", "request": "r", "scenario": "x"}
        store.record(sample, {"status": "accepted", "reason": "all_criteria_passed"})
    c = client(tmp_path)
    last = c.get("/?page=3").text
    assert count(last) == (2 * PAGE_SIZE + 3, 2 * PAGE_SIZE + 3)
    assert re.findall(r'class="sample-link">(\w+)<', last) == ["s0100", "s0101", "s0102"]
    assert "next &rarr;" not in last and "next &rarr;" in c.get("/?page=2").text


def test_a_review_is_saved_shown_and_counted(run, ids):
    c = client(run)
    answer = review(
        c, ids["first"], reviewer="ann", decision="drop", note="too short", **{
            "criteria-0": "right", "criteria-1": "wrong"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].endswith("?saved=1")
    page = c.get(answer.headers["location"]).text
    assert "Review saved." in page and "too short" in page
    assert count(c.get("/?review=dropped").text) == (1, 7)
    assert count(c.get("/?review=unreviewed").text) == (6, 7)
    figures = run_stats(run)["calibration"]
    assert figures["judge"]["overall"]["judgements"] == 2
    assert figures["judge"]["overall"]["accuracy"] == 0.5
    kinds = {k["kind"]: k["accuracy"] for k in figures["judge"]["by_kind"]}
    assert kinds == {"content": 1.0, "format": 0.0}
    assert figures["accepted_dropped"]["dropped"] == 1
    assert "judge calibration (1 review of 1 sample by 1 reviewer)" in (
        CliRunner().invoke(cli, ["stats", "--run", str(run)]).output
    )
    assert "1 of 1 decided" in c.get("/reviews").text


def test_a_second_review_by_the_same_reviewer_replaces_the_first(run, ids):
    c = client(run)
    review(c, ids["first"], reviewer="ann", decision="drop")
    review(c, ids["first"], reviewer="ann", decision="keep")
    review(c, ids["first"], reviewer="bob", decision="keep")
    reviews = SampleStore(run).reviews(ids["first"])
    assert sorted((r["reviewer"], r["decision"]) for r in reviews) == [
        ("ann", "keep"),
        ("bob", "keep"),
    ]
    agreement = run_stats(run)["calibration"]["reviewers_agreement"]
    assert agreement["samples"] == 1 and agreement["decision"]["share"] == 1.0


@pytest.mark.parametrize(
    "change",
    [
        {"csrf": "forged"},
        {"headers": {"Origin": "http://evil.example"}},
        {"headers": {"Origin": BASE, "Sec-Fetch-Site": "cross-site"}},
        {"headers": {"Origin": BASE, "Host": "evil.example:8765"}},
    ],
    ids=["no-token", "other-origin", "cross-site", "rebound-host"],
)
def test_cross_site_reviews_are_refused(run, ids, change):
    c = client(run)
    fields = form_of(c.get(f"/samples/{ids['first']}").text) | {"reviewer": "x", "decision": "drop"}
    fields |= {k: v for k, v in change.items() if k != "headers"}
    answer = c.post(
        f"/samples/{ids['first']}/review",
        data=fields,
        headers=change.get("headers", {"Origin": BASE}),
        follow_redirects=False,
    )
    assert answer.status_code in (400, 403)
    assert SampleStore(run).reviews() == []


def test_a_form_for_a_changed_sample_is_refused(run, ids):
    c = client(run)
    answer = review(c, ids["first"], reviewer="ann", decision="keep", fingerprint="stale")
    assert "error=" in answer.headers["location"]
    assert "reload it" in c.get(answer.headers["location"]).text
    assert SampleStore(run).reviews() == []


def test_off_loopback_every_request_needs_the_token(run):
    c = client(run, host="0.0.0.0", token="s3cret")
    assert c.get("/").status_code == 401
    entered = c.get("/?token=s3cret&status=failed", follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/?status=failed"
    assert c.cookies.get(TOKEN_COOKIE) == "s3cret"
    assert c.get("/").status_code == 200
    fresh = client(run, host="0.0.0.0", token="s3cret")
    assert fresh.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert fresh.get("/?token=wrong").status_code == 401
    with pytest.raises(ValueError):
        Guard("0.0.0.0", PORT, None)


def test_reviews_are_written_while_a_run_holds_its_lock(run, ids):
    with closing(sqlite3.connect(run / "samples.db")) as db:
        before = db.execute("select * from samples order by id").fetchall()
    with run_lock(run, "decif run"):  # what a running `decif run` holds
        c = client(run)
        assert c.get("/").status_code == 200
        assert review(c, ids["second"], reviewer="ann", decision="keep").status_code == 303
    with closing(sqlite3.connect(run / "samples.db")) as db:
        assert db.execute("select * from samples order by id").fetchall() == before
    assert [r["reviewer"] for r in SampleStore(run).reviews()] == ["ann"]


def test_a_run_it_cannot_read_is_one_page(run):
    c = client(run)
    (run / "samples.db").write_bytes(b"this is not a database" * 100)
    for name in ("samples.db-wal", "samples.db-shm"):
        (run / name).unlink(missing_ok=True)
    for path in ("/", "/reviews", "/samples/x"):
        page = c.get(path)
        assert page.status_code == 503
        assert "The run cannot be read" in page.text and "Traceback" not in page.text


def test_the_review_queue_is_seeded_and_takes_the_statuses_in_turn(run, ids):
    candidates = [(f"a{i}", "accepted") for i in range(4)] + [("r0", "rejected")]
    order = queue_order(candidates, seed=3)
    assert order == queue_order(list(reversed(candidates)), seed=3)
    assert order[1] == "r0" and order != queue_order(candidates, seed=4)
    c = client(run)
    first = c.get("/queue?seed=0&reviewer=ann", follow_redirects=False).headers["location"]
    sample_id = first.split("/samples/")[1].split("?")[0]
    assert sample_id in {ids["first"], ids["second"], ids["third"], ids["html"]}  # accepted
    saved = review(c, sample_id, reviewer="ann", decision="keep", queue="0")
    second = c.get(saved.headers["location"], follow_redirects=False).headers["location"]
    assert ids["judged_no"] in second  # the only rejected sample the judge gave verdicts on


def test_the_run_page_holds_the_report_and_the_graph(run):
    page = client(run).get("/run").text
    assert "Constraints: drawn, stated, and passed" in page and "<svg" in page
    assert "The judge, calibrated against human reviews" in page


def test_view_refuses_what_is_not_a_run_and_a_port_in_use(run, tmp_path):
    missing = CliRunner().invoke(cli, ["view", "--run", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a decif run" in missing.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = CliRunner().invoke(cli, ["view", "--run", str(run), "--port", str(port)])
    assert taken.exit_code == 1 and f"port {port} on 127.0.0.1 is in use" in taken.output


def test_a_run_in_postgresql(postgres_run):
    made = make_view_run(postgres_run, ScriptedLLM(view_script()))
    c = client(postgres_run)
    assert count(c.get("/?status=accepted&search=rain").text) == (4, 7)
    assert review(c, made["judged_no"], reviewer="ann", decision="keep", **{
        "criteria-0": "wrong"}).status_code == 303  # fmt: skip
    figures = run_stats(postgres_run)["calibration"]
    assert figures["judge"]["overall"]["table"]["judge NO / human YES"] == 1
    assert count(c.get("/?review=kept").text) == (1, 7)
