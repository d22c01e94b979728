"""A run's statistics: every figure agrees with plain SQL over samples.db, and the HTML
report opens offline."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import replace

import pytest
from click.testing import CliRunner
from conftest import NO_COMMAS, good_script
from fakes import ScriptedLLM

from checkpoints import SampleStore
from checkpoints.stats import run_stats
from graph import build_sample_graph
from graph.cli import cli
from graph.drawing import draw
from graph.report import html_report
from graph.runner import run_samples
from graph.scenarios import make_scenario

# One scenario per path through the graph; the kind travels in the instruction text, so
# every later prompt knows which sample it serves.
KINDS = {
    "first": "accepted on the first attempt",
    "resample": "judged NO once, accepted on the second attempt",
    "reject": "judged NO on every attempt",
    "empty": "an empty instruction: failed at once",
    "conflict": "a conflict, refined once, then consistent and accepted",
    "stubborn": "a conflict after every refinement: goes on unresolved, accepted",
}


def mixed_script() -> dict:
    def kind_of(messages) -> str:
        return re.search(r"\[(\w+)\]", messages[-1]["content"]).group(1)

    def instruction(messages):
        kind = re.search(r"kind (\w+)", messages[-1]["content"]).group(1)
        text = "" if kind == "empty" else f"[{kind}] Write a four-line poem about rain."
        return json.dumps({"instruction": text})

    def consistency(messages):
        content = messages[-1]["content"]
        conflict = kind_of(messages) == "stubborn" or (
            kind_of(messages) == "conflict" and "(refined)" not in content
        )
        return json.dumps({"conflict": conflict, "explanation": "x"})

    def refinement(messages):
        return json.dumps({"instruction": f"[{kind_of(messages)}] (refined) Write a poem."})

    answers: Counter = Counter()

    def answer(messages):
        answers[kind_of(messages)] += 1
        return f"answer {answers[kind_of(messages)]}"

    def criteria(messages):
        count = 3 if kind_of(messages) == "first" else 2
        return json.dumps({"questions": [f"Question {i}?" for i in range(count)]})

    def verdicts(messages):
        kind, content = kind_of(messages), messages[-1]["content"]
        count = 3 if kind == "first" else 2
        fails = kind == "reject" or (kind == "resample" and "answer 1" in content)
        return json.dumps({"verdicts": ["NO" if fails else "YES"] * count})

    return good_script(
        make_instruction=instruction,
        check_consistency=consistency,
        refine=refinement,
        answer=answer,
        decompose=criteria,
        judge=verdicts,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    scenarios = [make_scenario("write a poem", f"A teacher, kind {kind}.") for kind in KINDS]
    settings = replace(NO_COMMAS, max_refine_rounds=2, max_attempts=2)
    llm = ScriptedLLM(mixed_script())
    asyncio.run(run_samples(run, llm, scenarios, settings, progress=False))
    return run


@pytest.fixture(scope="module")
def stats(run_dir):
    return run_stats(run_dir)


@pytest.fixture
def sql(run_dir):
    with closing(sqlite3.connect(run_dir / "samples.db")) as db:
        yield lambda query: db.execute(query).fetchall()


def test_the_mix_of_outcomes(stats):
    assert stats["total"] == len(KINDS)
    assert stats["by_status"] == {"accepted": 4, "rejected": 1, "failed": 1}
    assert {(r["status"], r["reason"]): r["samples"] for r in stats["by_reason"]} == {
        ("accepted", "all_criteria_passed"): 4,
        ("rejected", "criteria_failed"): 1,
        ("failed", "instruction_empty"): 1,
    }
    assert stats["attempts_per_accepted"] == {
        "samples": 4,
        "mean": 1.25,
        "counts": {"1": 3, "2": 1},
    }
    refinement = stats["refinement"]
    assert refinement["refined_samples"] == 2
    assert refinement["rounds"]["counts"] == {"0": 4, "1": 1, "2": 1}
    assert refinement["unresolved_conflicts"] == 1
    assert stats["criteria_per_instruction"]["counts"] == {"2": 4, "3": 1}


def test_counts_agree_with_sql(stats, sql):
    assert stats["total"] == sql("select count(*) from samples")[0][0]
    assert stats["by_status"] == {
        "accepted": 0,
        "rejected": 0,
        "failed": 0,
        **dict(sql("select status, count(*) from samples group by status")),
    }
    assert sorted((r["status"], r["reason"], r["samples"]) for r in stats["by_reason"]) == sorted(
        sql("select status, reason, count(*) from samples group by status, reason")
    )


def test_constraint_figures_agree_with_the_samples(stats, run_dir):
    """Recomputed in Python from each sample's final state: drawn = stated + dropped by a
    rewrite; the pass rate is the checks' own, not the samples' acceptance."""
    expected: dict[str, Counter] = {}
    for row in SampleStore(run_dir).rows():
        state = row["state"]
        for c in state.get("constraints", []):
            expected.setdefault(c["id"], Counter())["drawn"] += 1
            expected[c["id"]]["stated"] += bool(row["instruction"])
        for c in state.get("dropped_constraints", []):
            expected.setdefault(c["id"], Counter()).update(drawn=1, dropped=1)
        for attempt in state.get("attempts", []):
            for check in attempt["checks"]:
                expected[check["id"]].update(checked=1, passed=check["passed"])
    assert expected  # the run states and checks punctuation:no_comma
    for figures in stats["constraint_types"]:
        counts = expected.pop(figures["type"])
        for key in ("drawn", "stated", "dropped", "checked", "passed"):
            assert figures[key] == counts[key], key
    assert not expected


def test_acceptance_by_constraint_count_agrees_with_sql(stats, sql):
    by_count = sql(
        """select json_array_length(constraints), count(*), sum(status = 'accepted')
           from samples group by 1 order by 1"""
    )
    assert [
        (g["constraints"], g["samples"], g["accepted"])
        for g in stats["acceptance_by_constraint_count"]
    ] == by_count


def test_refinement_and_attempts_agree_with_sql(stats, sql):
    refine_calls = sql(
        """select s.id, (select count(*) from json_each(s.state, '$.llm_calls') c
                          where json_extract(c.value, '$.node') = 'refine')
           from samples s"""
    )
    assert stats["refinement"]["refined_samples"] == sum(1 for _, n in refine_calls if n)
    assert stats["refinement"]["rounds"]["counts"] == {
        str(k): v for k, v in sorted(Counter(n for _, n in refine_calls).items())
    }
    assert (
        stats["refinement"]["unresolved_conflicts"]
        == sql("select count(*) from samples where unresolved_conflict = 1")[0][0]
    )
    attempts = [a for (a,) in sql("select attempts from samples where status = 'accepted'")]
    assert stats["attempts_per_accepted"]["mean"] == round(sum(attempts) / len(attempts), 3)


def test_tokens_and_time_per_node_agree_with_sql(stats, sql):
    per_node = sql(
        """select json_extract(c.value, '$.node'), count(*),
                  sum(json_extract(c.value, '$.prompt_tokens')),
                  sum(json_extract(c.value, '$.completion_tokens')),
                  round(sum(json_extract(c.value, '$.latency_s')), 3)
           from samples, json_each(samples.state, '$.llm_calls') c group by 1"""
    )
    assert sorted(
        (n["node"], n["calls"], n["prompt_tokens"], n["completion_tokens"], n["seconds"])
        for n in stats["nodes"]
    ) == sorted(per_node)
    judge = next(n for n in stats["nodes"] if n["node"] == "judge")
    assert judge["mean_prompt_tokens"] == 10.0  # the fake reports 10 prompt tokens a call
    assert stats["llm_totals"]["calls"] == sql("select sum(llm_calls) from samples")[0][0]


def test_criteria_per_instruction_agree_with_sql(stats, sql):
    lengths = sql(
        "select json_array_length(criteria) from samples where json_array_length(criteria) > 0"
    )
    assert stats["criteria_per_instruction"]["mean"] == round(
        sum(n for (n,) in lengths) / len(lengths), 3
    )


def test_stats_are_plain_json(stats):
    assert json.loads(json.dumps(stats)) == stats


def test_html_report_is_self_contained(stats):
    svg = draw(build_sample_graph(), "svg")
    page = html_report(stats, svg, "a run")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"<(script|link)\b|@import|url\(\s*['\"]?https?:", page)
    assert svg[svg.index("<svg") :] in page
    assert page.count('<img alt="plot" src="data:image/png;base64,') >= 4
    assert "instruction_empty" in page


def test_stats_command_prints_the_counts_and_writes_the_report(run_dir, tmp_path):
    report = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["stats", "--run", str(run_dir), "--html", str(report)])
    assert result.exit_code == 0, result.output
    assert "6 samples - 4 accepted (67%), 1 rejected (17%), 1 failed (17%)" in result.output
    assert re.search(r"failed\s+instruction_empty\s+1", result.output)
    assert re.search(r"refinement rounds per sample\s+0: 4  1: 1  2: 1", result.output)
    assert f"report -> {report}" in result.output
    assert "<svg" in report.read_text()


def test_stats_command_json_is_the_dict(run_dir, stats):
    result = CliRunner().invoke(cli, ["stats", "--run", str(run_dir), "--json"])
    assert json.loads(result.output) == stats


def test_stats_refuses_a_directory_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(cli, ["stats", "--run", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a decif run" in result.output
