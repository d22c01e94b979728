"""vLLM in process through `langchain_community.llms.VLLM`, behind a coalescer.

vLLM's throughput comes from many prompts per engine call, and `vllm.LLM` must not be
called from several threads, so concurrent samples queue their prompts here and one
worker thread sends whatever has gathered as one `generate` per set of sampling
parameters. The chat template is rendered with the model's tokenizer, thinking off.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any

from nodes.llm.base import BackendError, Completion, Messages, Sampling


@dataclass
class _Pending:
    prompt: str
    kwargs: dict[str, Any]
    future: Future = field(default_factory=Future)


class VLLMLLM:
    """vLLM in process via `langchain_community.llms.VLLM`, behind a coalescer.

    vLLM's throughput comes from many prompts per engine call, and `vllm.LLM` must not be
    called from several threads, so concurrent samples queue their prompts here and one
    worker thread sends whatever has gathered as one `generate` per set of sampling
    parameters. The chat template is rendered with the model's tokenizer, thinking off.
    """

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gather_s: float = 0.02,
        max_batch: int = 256,
        **vllm_kwargs: Any,
    ):
        try:
            from langchain_community.llms import VLLM
        except ImportError as err:  # pragma: no cover - depends on the extra
            raise BackendError(str(err)) from err
        try:
            import vllm  # noqa: F401
        except ImportError as err:
            raise BackendError("the vllm backend needs vLLM: pip install 'decif[vllm]'") from err
        if max_model_len:
            vllm_kwargs["max_model_len"] = max_model_len
        # Without this a small model can loop on JSON whitespace until max_tokens (seen on
        # SmolLM2: 7 of 8 valid; with it 8 of 8, and a third of the tokens).
        vllm_kwargs.setdefault(
            "structured_outputs_config", {"backend": "xgrammar", "disable_any_whitespace": True}
        )
        self.llm = VLLM(
            model=model,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            trust_remote_code=False,
            vllm_kwargs=vllm_kwargs,
        )
        self.tokenizer = self.llm.client.get_tokenizer()
        self.name = f"vllm:{model}"
        self.gather_s = gather_s
        self.max_batch = max_batch
        self.engine_calls = 0
        self._queue: queue.Queue[_Pending] = queue.Queue()
        threading.Thread(target=self._serve, name="vllm-coalescer", daemon=True).start()

    def render(self, messages: Messages) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        kwargs: dict[str, Any] = asdict(sampling)
        if schema is not None:
            from vllm.sampling_params import StructuredOutputsParams

            kwargs["structured_outputs"] = StructuredOutputsParams(json=schema)
        prompt = self.render(messages)
        pending = _Pending(prompt, kwargs)
        start = time.perf_counter()
        self._queue.put(pending)
        text = pending.future.result()
        return Completion(
            text,
            prompt_tokens=len(self.tokenizer.encode(prompt)),
            completion_tokens=len(self.tokenizer.encode(text, add_special_tokens=False)),
            latency_s=time.perf_counter() - start,
        )

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self.gather_s
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            self._generate(batch)

    def _generate(self, batch: list[_Pending]) -> None:
        """One engine call per distinct parameter set. Seeds differ per prompt, and vLLM's
        wrapper takes one SamplingParams per call, so seeds are dropped here to batch:
        the coalesced path trades per-call reproducibility for throughput."""
        groups: dict[str, list[_Pending]] = {}
        for item in batch:
            key = repr(sorted((k, repr(v)) for k, v in item.kwargs.items() if k != "seed"))
            groups.setdefault(key, []).append(item)
        for items in groups.values():
            kwargs = {k: v for k, v in items[0].kwargs.items() if k != "seed"}
            try:
                self.engine_calls += 1
                result = self.llm.generate([i.prompt for i in items], **kwargs)
            except Exception as err:  # hand the error to every waiting caller
                for item in items:
                    item.future.set_exception(err)
                continue
            for item, generations in zip(items, result.generations, strict=True):
                item.future.set_result(generations[0].text)
