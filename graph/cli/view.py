"""`decif view`: serve a run in the browser."""

from __future__ import annotations

import secrets

import click

from checkpoints.runs import Run
from graph.cli.common import require_run
from graph.cli.options import run_dir_option


@click.command()
@run_dir_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback needs a token (--token, or one is "
    "made up and printed in the URL).",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--token",
    envvar="DECIF_VIEW_TOKEN",
    help="Require this token of every request (in the URL once, then a cookie). "
    "Off loopback one is required; env DECIF_VIEW_TOKEN.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the viewer in a browser.")
def view(run_dir: Run, host: str, port: int, token: str | None, open_browser: bool) -> None:
    """Look at a run in the browser, review samples, and calibrate the judge.

    \b
    /          the samples: filter by status, reason, constraint type, domain,
               curation flag and review state; search the text; sort; paged
    /samples/ID  one sample: constraints and checks, every consistency round,
               attempt and candidate, verdicts, LLM calls - and its review form
    /queue     the review queue: a seeded random order, statuses in turn
    /reviews   every review, and the judge's agreement with the reviewers
    /run       the run's figures and plots (decif stats --html) and the graph

    Works while the run is being written (add ?refresh=10 to a page to reload it every
    10 s): it reads the run and never takes its write lock. Reviews go to the run's
    `reviews` table. Model text is shown as text, never as HTML; no script runs.
    """
    from graph.view import serve
    from graph.view.security import is_loopback

    require_run(run_dir)
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)

    def ready(url: str) -> None:
        click.echo(f"decif view: {run_dir} at {url} (Ctrl-C to stop)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(run_dir, host, port, token, ready)
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down
        pass
    except OSError as err:
        if err.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise click.ClickException(
                f"port {port} on {host} is in use: give another --port (0 picks a free one)"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {err.strerror}") from None
    click.echo("decif view: stopped")
