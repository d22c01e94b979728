"""A small run for the viewer's tests: one sample per outcome, and one whose response is
HTML that would run script if a page rendered it.

Each scenario names its kind ("kind html"); the kind travels in the instruction text
(`[html]`), so every later prompt knows which sample it serves.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path

from conftest import NO_COMMAS, good_script

from graph.runner import run_samples
from graph.scenarios import make_scenario

# What a response would do if rendered as HTML: set window.pwned.
HOSTILE = (
    "<script>window.pwned = 1</script> "
    '<img src="x" onerror="window.pwned = 2"> '
    '<a id="evil" href="javascript:window.pwned = 3">click me</a> rain falls'
)
QUESTIONS = {  # decompose's criteria per kind: content, format and style questions
    "first": ["Is it a poem?", "Does it have four lines?"],
    "second": ["Does it mention rain?", "Is the tone warm?"],
    "third": ["Is it a poem?", "Is it written in English?"],
    "judged_no": ["Is it a poem?", "Does it have four lines?"],
    "html": ["Does it mention rain?", "Is it a poem?"],
}
KINDS = ("first", "second", "third", "judged_no", "comma", "html", "empty")


def _kind(messages: list[dict]) -> str:
    return re.search(r"\[(\w+)\]", messages[-1]["content"]).group(1)


def view_script() -> dict:
    def instruction(messages):
        kind = re.search(r"kind (\w+)", messages[-1]["content"]).group(1)
        if kind == "empty":
            return json.dumps({"instruction": ""})
        extra = " Use <b>bold</b> words." if kind == "html" else ""
        return json.dumps({"instruction": f"[{kind}] Write a four-line poem about rain.{extra}"})

    def answer(messages):
        kind = _kind(messages)
        if kind == "html":
            return HOSTILE
        if kind == "comma":
            return "Rain, rain, go away"
        return f"Rain taps the glass\nthe {kind} street shines\nthe gutters sing\nthe day slows"

    def criteria(messages):
        return json.dumps({"questions": QUESTIONS.get(_kind(messages), ["Is it a poem?"])})

    def verdicts(messages):
        count = int(re.search(r"For each of the (\d+) questions", messages[-1]["content"])[1])
        verdict = "NO" if _kind(messages) == "judged_no" else "YES"
        return json.dumps({"verdicts": [verdict] * count})

    return good_script(
        make_instruction=instruction, answer=answer, decompose=criteria, judge=verdicts
    )


def make_view_run(path: Path, llm) -> dict[str, str]:
    """Run every kind into `path`; returns kind -> sample id."""
    scenarios = {kind: make_scenario("write a poem", f"A teacher, kind {kind}.") for kind in KINDS}
    settings = replace(NO_COMMAS, max_attempts=1)
    asyncio.run(run_samples(path, llm, list(scenarios.values()), settings, progress=False))
    return {kind: s.id for kind, s in scenarios.items()}
