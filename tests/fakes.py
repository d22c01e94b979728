"""A scripted LLM for deterministic graph tests: replies are chosen by which prompt
file the request was rendered from (recognised by its system message)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from nodes.llm import LLM, Backend, Completion, Messages, Sampling
from prompts import load, names

TESTS = Path(__file__).parent
Reply = str | dict | list | Callable[[Messages], str]


def prompt_name(messages: Messages) -> str:
    """Which prompt file rendered these messages (a $placeholder in a system section,
    such as a conversation's own system prompt, matches any text)."""
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    for name, pattern in _system_patterns().items():
        if pattern.fullmatch(system):
            return name
    raise KeyError(f"no prompt file has the system message {system[:60]!r}")


@cache
def _system_patterns() -> dict[str, re.Pattern]:
    patterns = {}
    for name in names():
        template = dict((role, t.template) for role, t in load(name)).get("system", "")
        fixed = re.split(r"\$\w+", template)
        patterns[name] = re.compile(".*".join(re.escape(part) for part in fixed), re.DOTALL)
    return patterns


# A script without replies for a woven prompt answers it with those of its plain twin, and
# one without replies for a conversation's prompt with those of its single-turn twin; a
# consistency reply then says YES to every fidelity question it did not answer.
TWINS = {
    "make_woven_instruction": "make_instruction",
    "check_woven_consistency": "check_consistency",
    "decompose_woven": "decompose",
    "make_woven_followup": "make_followup",
    "check_turn_consistency": "check_consistency",
    "refine_turn": "refine",
    "answer_turn": "answer",
    "decompose_turn": "decompose",
    "judge_turn": "judge",
}
ANSWERED = ("check_woven_consistency", "check_turn_consistency")  # fidelity questions asked
_QUESTION = re.compile(r"^\d+\. Does the instruction ask for exactly", re.MULTILINE)


def with_answers(reply: Reply, messages: Messages) -> Reply:
    if isinstance(reply, dict) and "answers" not in reply:
        return reply | {"answers": ["YES"] * len(_QUESTION.findall(messages[-1]["content"]))}
    return reply


def scripted(script: dict, name: str, pick: Callable[[list], Reply]) -> tuple[str, Reply]:
    """The script's entry for prompt `name` (its twin's when it has none), and the reply
    `pick` takes from it: (the name scripted, the reply)."""
    scripted = name if name in script else TWINS.get(name, name)
    replies = script[scripted]
    return scripted, pick(replies if isinstance(replies, list) else [replies])


def reply_text(reply: Reply, name: str, scripted: str, messages: Messages) -> str:
    """A scripted reply as the model's text: a function called, a twin's consistency
    verdict given its YES answers, a value as JSON."""
    reply = reply(messages) if callable(reply) else reply
    if scripted != name and name in ANSWERED:
        reply = with_answers(reply, messages)
    return reply if isinstance(reply, str) else json.dumps(reply)


class ScriptedLLM(LLM):
    """Replies per prompt name, consumed in order (the last one repeats).

    A reply may be text, a JSON-able value (sent as JSON text), or a function of the
    messages. Every call is logged in `calls`, and appended to `log_path` when given.
    """

    name = "scripted"

    def __init__(
        self,
        script: dict[str, Reply | Sequence[Reply]],
        delay_s: float = 0.0,
        log_path: str | Path | None = None,
    ):
        self.script = {
            k: list(v) if isinstance(v, list | tuple) else [v] for k, v in script.items()
        }
        self.delay_s = delay_s
        self.log_path = Path(log_path) if log_path else None
        self.calls: list[dict] = []
        self._served: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def complete(self, messages: Messages, sampling: Sampling, schema: dict | None = None):
        name = prompt_name(messages)
        with self._lock:
            key = name if name in self.script else TWINS.get(name, name)
            served = self._served[key]
            self._served[key] += 1
            scripted_as, reply = scripted(
                self.script, name, lambda replies: replies[min(served, len(replies) - 1)]
            )
        if self.delay_s:
            time.sleep(self.delay_s)
        text = reply_text(reply, name, scripted_as, messages)
        call = {"prompt": name, "user": messages[-1]["content"], "seed": sampling.seed}
        with self._lock:
            self.calls.append(call)
            if self.log_path:
                with self.log_path.open("a") as log:
                    log.write(json.dumps(call) + "\n")
        return Completion(
            text, prompt_tokens=10, completion_tokens=len(text.split()), latency_s=0.01
        )

    def count(self, name: str) -> int:
        """Calls of prompt `name`; a plain prompt's count includes its woven twin's."""
        return sum(1 for c in self.calls if name in (c["prompt"], TWINS.get(c["prompt"])))


def scripted_backend(llm: LLM) -> type[Backend]:
    """The backend `scripted`, whose client is `llm`, declared as a backend module declares
    one; registered (`nodes.llm.register`), `decif ... --backend scripted` runs on it."""

    class Scripted(Backend):
        name = "scripted"
        summary = "a scripted LLM (tests)"
        default_concurrency = 1  # as the default backend: one sample at a time
        small_by_default = True

        @classmethod
        def build(cls, model: str | None, concurrency: int | None = None, **options) -> LLM:
            return llm

    return Scripted


def python_process(script: Path, *args: str, **popen) -> subprocess.Popen:
    """Run `script` (with `args`) in a real Python process that imports decif and these
    test helpers."""
    env = {**os.environ, "PYTHONPATH": f"{TESTS.parent}{os.pathsep}{TESTS}"}
    command = [sys.executable, str(script), *args]
    before = popen.pop("preexec_fn", None)  # the caller's own, run after ours

    def prepare() -> None:
        interruptible()
        if before is not None:
            before()

    return subprocess.Popen(command, env=env, preexec_fn=prepare, **popen)


def numbered_scenarios(folder: Path, count: int) -> Path:
    """A scenarios file of `count` distinct scenarios in `folder`, for runs whose replies
    do not depend on the scenario."""
    path = folder / "scenarios.jsonl"
    lines = [{"request": f"task {i}", "scenario": f"Person {i} needs help."} for i in range(count)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def decif_process(*arguments: object, **popen) -> subprocess.Popen:
    """A real `decif` command-line process (`python -m graph.cli`) on this checkout."""
    command = [sys.executable, "-m", "graph.cli", *map(str, arguments)]
    return subprocess.Popen(command, cwd=TESTS.parent, preexec_fn=interruptible, **popen)


def interruptible() -> None:
    """In the child, before it starts: Ctrl-C's default, which Python turns into
    KeyboardInterrupt. A shell without job control starts a background command with SIGINT
    ignored, and the children of a test suite run that way would inherit it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_when(process: subprocess.Popen, log: Path, ready: Callable[[str], bool], pause: float):
    """SIGKILL `process` `pause` seconds after its call log first satisfies `ready`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and ready(log.read_text())):
        time.sleep(0.02)
    time.sleep(pause)
    process.send_signal(signal.SIGKILL)
    process.wait()


def run_to_end(script: Path) -> None:
    assert python_process(script).wait(timeout=120) == 0
