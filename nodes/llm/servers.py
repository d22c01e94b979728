"""The `openai` backend: any OpenAI-compatible server (`vllm serve`, SGLang, llama.cpp's
server), one (`nodes.llm.openai`) or a pool of several serving one model
(`nodes.llm.pool`), with its command-line options. The clients are imported when one is
built: listing the options costs no HTTP client.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from nodes.llm.backend import Backend, register
from nodes.llm.base import LLM, OptionError

BASE_URLS_FILE = "decif.base_urls_file"


def read_base_urls_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--base-urls-file: its URLs, kept in the context for --base-url to add."""
    if value is None:
        return
    try:
        lines = Path(value).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise OptionError(f"cannot read --base-urls-file {value}: {err}") from None
    urls = [u for u in (line.split("#", 1)[0].strip() for line in lines) if u]
    if not urls:
        raise OptionError(f"--base-urls-file {value} lists no URL (one per line, # for comments)")
    ctx.meta[BASE_URLS_FILE] = urls


def base_urls(given: Sequence[str], listed: Sequence[str]) -> str | tuple[str, ...] | None:
    """The endpoints of --base-url and --base-urls-file, each once: None, one URL as it
    was given (the single-server client, recorded as before), or a tuple (a pool)."""
    unique: dict[str, str] = {}
    for url in (*given, *listed):
        shown = f"***@{url.rsplit('@', 1)[1]}" if "@" in url else url  # never a password
        if not url.lower().startswith(("http://", "https://")):
            raise OptionError(f"{shown!r} is not an endpoint URL: give http://HOST:PORT/v1")
        if "@" in url.split("/")[2]:  # it would be recorded, logged and shown with the run
            raise OptionError(
                f"{shown}: an endpoint URL holds no user or password; set the server's key "
                "in OPENAI_API_KEY (sent as a bearer token)"
            )
        unique.setdefault(url.rstrip("/"), url)
    urls = tuple(unique.values())
    return urls[0] if len(urls) == 1 else urls or None


@register
class OpenAI(Backend):
    name = "openai"
    summary = "any OpenAI-compatible server"
    options = (
        click.Option(
            ["--base-url"],
            multiple=True,
            callback=lambda ctx, param, value: base_urls(value, ctx.meta.get(BASE_URLS_FILE, [])),
            metavar="URL",
            help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (openai). Repeat "
            "it for a pool of servers of one model: each request goes to the least busy, "
            "in-flight requests per server adapt to its latency, a server that fails is taken "
            "out and probed again.",
        ),
        click.Option(
            ["--base-urls-file"],
            metavar="FILE",
            is_eager=True,  # read before --base-url, which adds them to its own
            expose_value=False,
            callback=read_base_urls_file,
            help="More endpoints for the pool: one URL per line, # starts a comment (openai).",
        ),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(min=1),
            default=120,
            show_default=True,
            help="Seconds to wait for one reply from a server (openai) before trying again; "
            "a run in PostgreSQL waits as long for its database to come back after a restart.",
        ),
        click.Option(
            ["--retries"],
            type=click.IntRange(0),
            default=3,
            show_default=True,
            help="Tries again after a failed request, a timeout, or an empty or unreadable "
            "reply (openai; jittered backoff). Every try is counted in the sample's LLM calls.",
        ),
    )

    @classmethod
    def check(cls, model: str | None, **options: Any) -> None:
        if not options.get("base_url"):
            raise OptionError("the openai backend needs --base-url (e.g. http://localhost:8000/v1)")

    @classmethod
    def build(cls, model: str | None, concurrency: int | None = None, **options: Any) -> LLM:
        """One URL is the single-server client (the runner bounds its requests in flight);
        several make a pool (`nodes.llm.pool`), which lets out what `concurrency` samples
        can send: two requests each, as answer and decompose run together."""
        base_url = options.pop("base_url")
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if len(urls) == 1:
            from nodes.llm.openai import OpenAILLM

            options.pop("max_in_flight", None)
            return OpenAILLM(base_url=urls[0], model=model, **options)
        from nodes.llm.pool import PooledLLM

        if concurrency and "max_in_flight" not in options:
            options["max_in_flight"] = 2 * concurrency
        return PooledLLM(urls, model=model, **options)
