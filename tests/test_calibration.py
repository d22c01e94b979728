"""The judge calibrated against reviews: figures checked against hand-computed values, the
verdicts a reviewer can mark, and an export that honours what reviewers decided."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from fakes import ScriptedLLM
from view_run import make_view_run, view_script

from checkpoints.calibration import agreement, calibration, kappa, wilson
from checkpoints.criterion_kinds import criterion_kind
from checkpoints.reviews import ReviewError, review_row
from checkpoints.store import SampleStore
from graph.cli import cli
from graph.export.selection import select
from graph.view.sample import reviewable


def judgement(question: str, judge: str, right: bool, **constraint) -> dict:
    return {"question": question, "judge": judge, "right": right, **constraint}


def a_review(sample: str, reviewer: str, decision: str, *marks: dict, constraints=()) -> dict:
    return {
        "sample_id": sample,
        "reviewer": reviewer,
        "decision": decision,
        "criteria": list(marks),
        "constraints": list(constraints),
    }


def test_agreement_figures_by_hand():
    pairs = [("YES", "YES")] * 40 + [("YES", "NO")] * 10 + [("NO", "YES")] * 5
    figures = agreement(pairs + [("NO", "NO")] * 45)
    # accuracy 85/100; precision 40/50; recall 40/45; kappa (0.85 - 0.5) / (1 - 0.5)
    assert (figures["accuracy"], figures["precision_yes"]) == (0.85, 0.8)
    assert figures["recall_yes"] == round(40 / 45, 4) and figures["kappa"] == 0.7
    assert agreement([])["accuracy"] is None
    assert kappa({("YES", "YES"): 5, ("YES", "NO"): 0, ("NO", "YES"): 0, ("NO", "NO"): 0}) is None


def test_wilson_interval():
    assert wilson(3, 20) == (0.0524, 0.3604)  # the textbook value
    low, high = wilson(0, 10)
    assert low == 0.0 and 0.27 < high < 0.28  # not the normal approximation's [0, 0]
    assert wilson(0, 0) is None


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Is the answer factually correct?", "content"),
        ("Does it mention the budget?", "content"),
        ("Does the response have exactly three bullet points?", "format"),
        ("Is it under 120 words?", "format"),
        ("Does the response start with 'Dear'?", "format"),
        ("Is the tone formal?", "style"),
        ("Is it concise?", "style"),
    ],
)
def test_criterion_kinds(question, kind):
    assert criterion_kind(question) == kind


def test_calibration_from_reviews():
    tone = {"id": "llm_judged:style_tone", "kwargs": {"tone": "formal"}}
    reviews = [
        a_review(
            "s1", "ann", "drop",
            judgement("Is it a poem?", "YES", True),
            judgement("Does it have four lines?", "YES", False),
            constraints=[judgement("Is it formal?", "YES", False, **tone)],
        ),
        a_review("s1", "bob", "keep", judgement("Is it a poem?", "YES", True)),
        a_review("s2", "ann", "keep", judgement("Is it a poem?", "NO", False)),
        a_review("s3", "ann", "", judgement("Is it a poem?", "NO", True)),
    ]  # fmt: skip
    statuses = {"s1": "accepted", "s2": "rejected", "s3": "rejected", "s4": "accepted"}
    figures = calibration(reviews, statuses)
    overall = figures["judge"]["overall"]
    assert (overall["judgements"], overall["agree"]) == (6, 3)
    assert overall["table"] == {
        "judge YES / human YES": 2,
        "judge YES / human NO": 2,
        "judge NO / human YES": 1,
        "judge NO / human NO": 1,
    }
    kinds = {k["kind"]: k["judgements"] for k in figures["judge"]["by_kind"]}
    assert kinds == {"content": 4, "format": 1, "llm_judged:style_tone": 1}
    # s1: ann dropped, bob kept -> dropped; s4 undecided: 1 of 1 accepted decided
    assert figures["accepted_dropped"] | {} == {
        "accepted_decided": 1,
        "dropped": 1,
        "share": 1.0,
        "low": wilson(1, 1)[0],
        "high": 1.0,
        "accepted_total": 2,
    }
    both = figures["reviewers_agreement"]
    assert both["samples"] == 1
    assert both["decision"]["pairs"] == 1 and both["decision"]["agree"] == 0
    assert both["verdicts"]["pairs"] == 1 and both["verdicts"]["share"] == 1.0


def test_a_review_needs_a_reviewer_and_something_reviewed():
    with pytest.raises(ReviewError, match="reviewer"):
        review_row("s1", "  ", "keep", [], [])
    with pytest.raises(ReviewError, match="nothing to save"):
        review_row("s1", "ann", "", [], [])
    with pytest.raises(ReviewError, match="keep or drop"):
        review_row("s1", "ann", "maybe", [], [])


def test_the_llm_judged_constraints_are_reviewed_apart_from_the_criteria():
    tone = {"id": "llm_judged:style_tone", "kwargs": {"tone": "formal"}}
    question = "Is the response written in a formal tone throughout?"
    row = {
        "constraints": [{"id": "punctuation:no_comma", "kwargs": {}}, tone],
        "criteria": [question, "Is it a poem?"],
        "verdicts": ["NO", "YES"],
    }
    marks = reviewable(row)
    assert marks["criteria"] == [{"index": 1, "question": "Is it a poem?", "judge": "YES"}]
    assert marks["constraints"] == [{"index": 1, **tone, "question": question, "judge": "NO"}]
    assert reviewable(row | {"verdicts": []}) == {"criteria": [], "constraints": []}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """The viewer's run with scripted reviews: the first accepted sample dropped, the
    judge-rejected one and the one that failed its comma check kept."""
    path = tmp_path_factory.mktemp("reviewed")
    ids = make_view_run(path, ScriptedLLM(view_script()))
    store = SampleStore(path)
    for kind, decision in (("first", "drop"), ("judged_no", "keep"), ("comma", "keep")):
        store.save_review(review_row(ids[kind], "ann", decision, [], []))
    return path, ids


def test_export_leaves_out_dropped_samples_and_says_so(reviewed, tmp_path):
    run, ids = reviewed
    out = tmp_path / "data.jsonl"
    # the samples are near-duplicates of each other: keep what curation flags, to see reviews alone
    command = ["export", "--run", str(run), "--out", str(out), "--include-flagged"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("3 llamafactory records") for line in lines)  # 4, 1 dropped
    assert "left out: 2 kept_by_reviewer_not_added, 1 dropped_by_reviewer" in result.output
    assert "--reviewer-kept add" in result.output
    assert "the first street" not in out.read_text()


def test_export_adds_kept_samples_only_when_asked_and_only_if_code_passed(reviewed, tmp_path):
    run, ids = reviewed
    out = tmp_path / "data.jsonl"
    command = ["export", "--run", str(run), "--out", str(out), "--reviewer-kept", "add"]
    command.append("--include-flagged")  # as above
    result = CliRunner().invoke(cli, command)
    lines = result.output.splitlines()
    assert any(line.startswith("4 llamafactory records") for line in lines), result.output
    assert "1 kept_by_reviewer_check_failed" in result.output  # the comma sample
    answers = [json.loads(line)["messages"][-1]["content"] for line in out.open()]
    assert any("judged_no street" in a for a in answers)
    assert not any("Rain, rain" in a for a in answers)


def test_select_without_reviews_takes_the_accepted_samples():
    rows = [{"id": "a", "status": "accepted"}, {"id": "b", "status": "rejected"}]
    chosen, left_out = select(rows)
    assert [r["id"] for r in chosen] == ["a"] and not left_out


def test_stats_json_and_html_carry_the_calibration(reviewed, tmp_path):
    run, _ = reviewed
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    result = CliRunner().invoke(
        cli, ["stats", "--run", str(copy), "--json", "--html", str(tmp_path / "r.html")]
    )
    figures = json.loads(result.output.split("\nreport ->")[0])["calibration"]
    assert figures["reviews"] == 3 and figures["accepted_dropped"]["dropped"] == 1
    assert "The judge, calibrated against human reviews" in (tmp_path / "r.html").read_text()
