"""Backends as a registry: what a backend module declares is what the command line offers,
checks and builds."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fakes import ScriptedLLM

from graph.cli import cli
from nodes.llm import LLM, Completion, OptionError, Sampling, backends, make_llm
from nodes.llm.ask import ask_n


def test_every_registered_backend_and_its_options_are_in_the_help():
    help_text = CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output
    for name, backend in backends().items():
        assert name in help_text and backend.summary in help_text
        for option in backend.options:
            assert option.opts[0] in help_text, option.opts


def test_make_llm_checks_the_options_before_building():
    with pytest.raises(OptionError, match="unknown backend 'tgi'; choose one of llamacpp"):
        make_llm("tgi")
    with pytest.raises(OptionError, match="the openai backend needs --base-url"):
        make_llm("openai")
    with pytest.raises(OptionError, match="the vllm backend needs --model"):
        make_llm("vllm")
    with pytest.raises(OptionError, match="GGUF model file not found: /nope.gguf"):
        make_llm("llamacpp", model="/nope.gguf")


class SeveralPerRequest(LLM):
    """Declares that it samples several responses in one request."""

    name = "several"
    several_per_request = True

    def __init__(self) -> None:
        self.requests: list[int] = []

    def complete(self, messages, sampling, schema=None) -> Completion:
        return self.complete_n(messages, sampling, 1, schema)

    def complete_n(self, messages, sampling, n, schema=None) -> Completion:
        self.requests.append(n)
        return Completion("first", more=[f"other {i}" for i in range(1, n)])


def test_several_samples_are_one_request_only_where_the_backend_declares_it():
    sampling = Sampling(seed=1)
    several = SeveralPerRequest()
    texts, calls = ask_n(several, "answer", sampling, 3, "answer", instruction="Write.")
    assert (texts, several.requests, len(calls)) == (["first", "other 1", "other 2"], [3], 1)

    one_at_a_time = ScriptedLLM({"answer": ["a", "b", "c"]})
    texts, calls = ask_n(one_at_a_time, "answer", sampling, 3, "answer", instruction="Write.")
    assert (texts, len(calls)) == (["a", "b", "c"], 3)
    assert len({c["seed"] for c in one_at_a_time.calls}) == 3  # each call its own seed
    assert one_at_a_time.status() is None  # no state of its own for the progress bar
