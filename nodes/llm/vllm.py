"""vLLM in process, batching continuously.

LangChain's `VLLM` wrapper builds and owns the engine (`vllm.LLM`). decif drives that
engine's request loop itself, in one thread of its own (`vllm.LLM` must not be called
from several threads): a prompt joins the running batch at the engine's next step, the
moment its sample issues it, with its own `SamplingParams` - seed and JSON schema kept -
and each sample goes on as soon as its own reply is finished. No rounds and no barrier:
the same continuous batching that makes vLLM's server fast, without the HTTP. (The
wrapper's `generate` would run one batch to completion per call: every sample waits for
the batch's longest reply, and prompts with other parameters wait for the next batch.)

The chat template is rendered with the model's tokenizer, thinking off.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import click

from nodes.llm.backend import Backend, register
from nodes.llm.base import LLM, BackendError, Completion, Messages, OptionError, Sampling


@dataclass
class _Request:
    prompt: str
    params: Any  # vllm.SamplingParams
    future: Future = field(default_factory=Future)
    start: float = field(default_factory=time.perf_counter)


class VLLMLLM(LLM):
    """Thread-safe: many samples call `complete` at once; one engine thread serves them."""

    several_per_request = True

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        enforce_eager: bool = False,
        gpu_memory_utilization: float | None = None,
        **engine_args: Any,
    ):
        try:
            import vllm  # noqa: F401
            from langchain_community.llms import VLLM
        except ImportError as err:
            raise BackendError("the vllm backend needs vLLM: pip install 'decif[vllm]'") from err
        options: dict[str, Any] = {"max_model_len": max_model_len}
        options["enforce_eager"] = enforce_eager or None
        options["gpu_memory_utilization"] = gpu_memory_utilization
        engine_args |= {k: v for k, v in options.items() if v is not None}
        # Without this a small model can loop on JSON whitespace until max_tokens (the README's
        # "Performance" has what it did to SmolLM2).
        engine_args.setdefault(
            "structured_outputs_config", {"backend": "xgrammar", "disable_any_whitespace": True}
        )
        try:
            wrapper = VLLM(
                model=model,
                tensor_parallel_size=tensor_parallel_size,
                dtype=dtype,
                trust_remote_code=False,
                vllm_kwargs=engine_args,
            )
        except Exception as err:  # vLLM raises many kinds; all mean the engine cannot start
            raise BackendError(f"vLLM cannot start {model}: {err}") from err
        self.engine = wrapper.client.llm_engine
        self.tokenizer = wrapper.client.get_tokenizer()
        self.name = f"vllm:{model}"
        self.steps = 0  # engine steps taken: the batches the engine ran
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._ids = itertools.count()
        self._error: BaseException | None = None
        threading.Thread(target=self._serve, name="vllm-engine", daemon=True).start()

    def render(self, messages: Messages) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        return self.complete_n(messages, sampling, 1, schema)

    def complete_n(
        self, messages: Messages, sampling: Sampling, n: int, schema: dict | None = None
    ) -> Completion:
        """`n` samples of one prompt in one engine request (`SamplingParams.n`): the first
        as `text`, the others in `more`."""
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

        params = SamplingParams(
            n=n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
            structured_outputs=StructuredOutputsParams(json=schema) if schema else None,
            output_kind=RequestOutputKind.FINAL_ONLY,  # one output per request, when done
        )
        if self._error is not None:
            raise BackendError(f"the vLLM engine stopped: {self._error}")
        request = _Request(self.render(messages), params)
        self._queue.put(request)
        output = request.future.result()
        first, *more = (o.text for o in output.outputs)
        return Completion(
            first,
            prompt_tokens=len(output.prompt_token_ids or ()),
            completion_tokens=sum(len(o.token_ids) for o in output.outputs),
            latency_s=time.perf_counter() - request.start,
            more=more,
        )

    def _serve(self) -> None:
        """The engine loop: add what has arrived, take one step, hand out what finished.
        Blocks only when the engine has nothing to do."""
        waiting: dict[str, _Request] = {}
        try:
            while True:
                idle = not self.engine.has_unfinished_requests()
                arrived = [self._queue.get()] if idle else []
                while True:
                    try:
                        arrived.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                for request in arrived:
                    self._add(request, waiting)
                if not self.engine.has_unfinished_requests():
                    continue
                self.steps += 1
                for output in self.engine.step():
                    if output.finished and output.request_id in waiting:
                        waiting.pop(output.request_id).future.set_result(output)
        except BaseException as err:  # the engine died: nobody may wait forever
            self._error = err
            for request in [*waiting.values(), *self._drain()]:
                request.future.set_exception(BackendError(f"the vLLM engine stopped: {err}"))

    def _add(self, request: _Request, waiting: dict[str, _Request]) -> None:
        request_id = str(next(self._ids))
        try:
            self.engine.add_request(request_id, request.prompt, request.params)
        except Exception as err:  # this request's fault (too long, say): only it fails
            request.future.set_exception(err)
            return
        waiting[request_id] = request

    def _drain(self) -> list[_Request]:
        drained = []
        while True:
            try:
                drained.append(self._queue.get_nowait())
            except queue.Empty:
                return drained


def parse_engine_args(pairs: tuple[str, ...]) -> dict[str, Any]:
    """--engine-arg KEY=VALUE pairs; a VALUE that parses as JSON is taken as such."""
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--engine-arg")
        try:
            args[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            args[key.strip()] = value
    return args


@register
class VLLM(Backend):
    name = "vllm"
    summary = "vLLM in process on a GPU"
    options = (
        click.Option(
            ["--tensor-parallel-size"],
            type=click.IntRange(1),
            default=1,
            show_default=True,
            help="GPUs per model (vllm).",
        ),
        click.Option(["--dtype"], default="auto", show_default=True, help="Weights' dtype (vllm)."),
        click.Option(["--max-model-len"], type=click.IntRange(1), help="Context length (vllm)."),
        click.Option(
            ["--enforce-eager/--no-enforce-eager"],
            default=False,
            help="Run without CUDA graphs / torch.compile: faster start, slower steps (vllm).",
        ),
        click.Option(
            ["--gpu-memory-utilization"],
            type=click.FloatRange(0, 1, min_open=True),
            help="Share of GPU memory vLLM may take (vllm).",
        ),
        click.Option(
            ["--engine-arg", "engine_args"],
            multiple=True,
            callback=lambda ctx, param, value: parse_engine_args(value),
            metavar="KEY=VALUE",
            help="Any other vLLM engine argument, repeatable; VALUE is read as JSON when it "
            "parses (e.g. --engine-arg max_num_seqs=512 --engine-arg "
            "enable_prefix_caching=true).",
        ),
    )

    @classmethod
    def check(cls, model: str | None, **options: Any) -> None:
        if not model:
            raise OptionError("the vllm backend needs --model (a Hugging Face model directory)")

    @classmethod
    def build(cls, model: str | None, concurrency: int | None = None, **options: Any) -> LLM:
        assert model is not None  # check() refused it
        engine_args = options.pop("engine_args", None) or {}
        return VLLMLLM(model=model, **options, **engine_args)
