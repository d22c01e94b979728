"""`decif run` against a loopback OpenAI-compatible server: a model that weaves the
constraints in its own words keeps them woven, with no appended statement, and its
accepted responses pass every code check; a model that drops a value gets the appended
statement; the export asks for exactly the constraints each instruction states."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from conftest import good_script
from fake_server import scripted_reply, serving

from checkpoints.store import SampleStore
from graph.cli import cli
from graph.scenarios import make_scenario
from nodes.constraints import check, statements
from nodes.constraints.stating import values

TYPES = "punctuation:no_comma,keywords:existence,detectable_content:postscript"
SCENARIOS = [
    make_scenario("write a poem", f"A gardener wants poem {i} about tomatoes.") for i in range(6)
]


def own_words(requirement: str) -> str:
    """The reference sentence said the way a person might: same values, other words."""
    return requirement.replace("The response must", "I need the answer to", 1)


def weaving(drop_values: bool):
    def reply(messages) -> str:
        user = messages[-1]["content"]
        asked = re.findall(r"^- (.*?)(?: \(keep exactly: .*\))?$", user, re.MULTILINE)
        if drop_values:  # says what it wants, loses the exact values
            asked = [re.sub(r'"[^"]*"', "some words", r) for r in asked]
        woven = " ".join(own_words(r) for r in asked)
        return json.dumps({"instruction": f"Write a short poem about my tomatoes. {woven}"})

    return reply


def answer(messages) -> str:
    """A response that meets every requirement the instruction states."""
    user = messages[-1]["content"]
    marker = re.search(
        r'postscript (?:beginning|starting|that opens|that starts) with "([^"]+)"', user
    )
    marker = marker or re.search(r'postscript starting "([^"]+)"', user)
    words = re.findall(r'"([a-z]+)"', user)
    lines = ["Red tomatoes ripen in the sun", " ".join(words) or "green leaves"]
    if marker:
        lines.append(f"{marker.group(1)} Water them at dawn")
    return "\n".join(lines)


def judge(messages) -> str:
    count = int(re.search(r"For each of the (\d+) questions", messages[-1]["content"]).group(1))
    return json.dumps({"verdicts": ["YES"] * count})


def run(tmp_path, drop_values: bool) -> list[dict]:
    scenarios = tmp_path / "scenarios.jsonl"
    scenarios.write_text("".join(json.dumps(s.as_input()) + "\n" for s in SCENARIOS))
    script = good_script(make_woven_instruction=weaving(drop_values), answer=answer, judge=judge)
    with serving(scripted_reply(script)) as server:
        result = CliRunner().invoke(
            cli,
            ["run", "--run", str(tmp_path / "run"), "--scenarios", str(scenarios),
             "--no-progress", "--backend", "openai", "--base-url", server.base_url,
             "--constraint-types", TYPES, "--personas", "0"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = {request.prompt for request in server.requests}
    assert "make_woven_instruction" in names and "make_instruction" not in names
    return list(SampleStore(tmp_path / "run").rows())


def test_woven_constraints_stay_woven_and_accepted_responses_pass_every_check(tmp_path):
    rows = run(tmp_path, drop_values=False)
    assert any(r["status"] == "accepted" for r in rows)
    for row in rows:
        assert row["constraints"] and all(s["how"] == "woven" for s in row["stated"])
        # nothing appended: the instruction is the model's text alone (appending adds a
        # paragraph), and none of decif's own sentences is in it
        assert (
            row["instruction"].startswith("Write a short poem") and "\n" not in row["instruction"]
        )
        for constraint in row["constraints"]:
            sentences = statements(constraint["id"], constraint["kwargs"])
            assert not any(s in row["instruction"] for s in sentences if s[:1].isupper())
            assert all(v.found(row["instruction"]) for v in values(constraint))
            if row["status"] == "accepted":
                assert check(constraint["id"], constraint["kwargs"], row["response"])


def test_a_woven_text_that_drops_a_value_gets_the_appended_statement(tmp_path):
    rows = run(tmp_path, drop_values=True)
    appended = [
        (s, c)
        for row in rows
        for s, c in zip(row["stated"], row["constraints"], strict=True)
        if s["how"] == "appended"
    ]
    assert appended
    for how, constraint in appended:
        assert how["why"].startswith("missing:")
        assert how["text"] in statements(constraint["id"], constraint["kwargs"])
    for row in rows:  # whatever was dropped is appended: every value is stated
        for constraint, how in zip(row["constraints"], row["stated"], strict=True):
            assert all(v.found(row["instruction"]) for v in values(constraint))
            assert how["how"] == "woven" or how["text"] in row["instruction"]


def test_the_export_asks_for_exactly_what_each_instruction_states(tmp_path):
    rows = run(tmp_path, drop_values=True)
    out = tmp_path / "rl.jsonl"
    # every accepted sample, near-duplicates of the fake's few instructions included
    export = ["export", "--run", str(tmp_path / "run"), "--format", "rlvr", "--out", str(out)]
    result = CliRunner().invoke(cli, [*export, "--include-flagged"])
    assert result.exit_code == 0, result.output
    by_prompt = {r["instruction"]: r for r in rows if r["status"] == "accepted"}
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert exported and len(exported) == len(by_prompt)
    for record in exported:
        row = by_prompt[record["messages"][-1]["content"]]
        [truth] = json.loads(record["ground_truth"])
        assert truth["instruction_id"] == [c["id"] for c in row["constraints"]]
        assert truth["kwargs"] == [c["kwargs"] for c in row["constraints"]]
        for constraint in row["constraints"]:  # each one the instruction states
            assert all(v.found(row["instruction"]) for v in values(constraint))
