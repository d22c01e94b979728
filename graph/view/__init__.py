"""`decif view`: a run in the browser - the samples, one sample's whole story, human
review, the judge's calibration and the run's figures - served on this machine.

Built on Starlette with Jinja2 templates rendered on the server (autoescaped) and served
by uvicorn: no script runs in the page, nothing is fetched from elsewhere, and nothing is
built. The viewer reads the run and never takes its write lock, so it works while the
run is being written; the one thing it writes is the `reviews` table.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from checkpoints.runs import Run


def serve(run: Run, host: str, port: int, token: str | None, ready: Callable[[str], None]) -> None:
    """Serve `run` until Ctrl-C. The socket is bound and listening before `ready` is told
    the URL (port 0 picks a free port), so the URL works as soon as it is printed."""
    import uvicorn

    from graph.view.app import build_app
    from graph.view.security import Guard

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
        port = sock.getsockname()[1]
        guard = Guard(host, port, token)
        config = uvicorn.Config(
            build_app(run, guard), log_level="warning", access_log=False, lifespan="off"
        )
        shown = f"[{host}]" if ":" in host else host
        ready(f"http://{shown}:{port}/" + (f"?token={token}" if token else ""))
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
