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
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from nodes.llm.base import BackendError, Completion, Messages, Sampling


@dataclass
class _Request:
    prompt: str
    params: Any  # vllm.SamplingParams
    future: Future = field(default_factory=Future)
    start: float = field(default_factory=time.perf_counter)


class VLLMLLM:
    """Thread-safe: many samples call `complete` at once; one engine thread serves them."""

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
        options = {"max_model_len": max_model_len, "enforce_eager": enforce_eager or None}
        options["gpu_memory_utilization"] = gpu_memory_utilization
        engine_args |= {k: v for k, v in options.items() if v is not None}
        # Without this a small model can loop on JSON whitespace until max_tokens (seen on
        # SmolLM2: 7 of 8 valid; with it 8 of 8, and a third of the tokens).
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
