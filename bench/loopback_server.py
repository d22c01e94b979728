"""An OpenAI-compatible server for benchmarks: answers every chat completion after a fixed
latency with what a good model would say (`fake_llm.good_reply`: verdicts of a few
tokens to answers of hundreds, each reported as its length), on aiohttp, so that
thousands of requests in flight cost it little CPU. Run it in its own process:

    python bench/loopback_server.py --latency 0.2   # prints the port, then serves

With `--slots K` it serves K requests at once and queues the rest, as a GPU server does
past its batch size (a request then takes its wait plus the latency): the capacity that
makes a pool of endpoints worth having.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys

from aiohttp import web
from fake_llm import good_reply


def app(latency_s: float, slots: int = 0) -> web.Application:
    served = {"chat": 0}
    batch = asyncio.Semaphore(slots) if slots else contextlib.nullcontext()

    async def count(request: web.Request) -> web.Response:
        return web.json_response(served)

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "bench", "object": "model"}]})

    async def chat(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        served["chat"] += 1
        async with batch:
            await asyncio.sleep(latency_s)
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
        choices = [
            {
                "index": i,
                "message": {"role": "assistant", "content": good_reply(body["messages"], schema)},
                "finish_reason": "stop",
            }
            for i in range(body.get("n", 1))
        ]
        # a word a token: replies of every length, in the same time (as a server whose
        # latency is its fixed cost per request, or a network's)
        tokens = max(len(c["message"]["content"].split()) for c in choices)
        usage = {"prompt_tokens": 100, "completion_tokens": tokens, "total_tokens": 100 + tokens}
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": choices,
                "usage": usage,
            }
        )

    application = web.Application()
    application.router.add_get("/v1/models", models)
    application.router.add_post("/v1/chat/completions", chat)
    application.router.add_get("/v1/count", count)  # chat completions served so far
    return application


async def serve(latency_s: float, slots: int) -> None:
    runner = web.AppRunner(app(latency_s, slots), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)  # the port, for the bench
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--slots", type=int, default=0, help="requests served at once (0: all)")
    args = parser.parse_args()
    sys.exit(asyncio.run(serve(args.latency, args.slots)))
