"""The viewer as a Starlette app: routes, templates, the guard, and one clear page for
every way a run can fail to be read."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from checkpoints.browse import reader
from checkpoints.config import RunFileError
from checkpoints.runs import Run
from graph.view import pages
from graph.view.security import Guard, GuardMiddleware

VIEW_CSS = Path(__file__).with_name("view.css")


class Viewer:
    """What every page needs: the run, its reader, the guard, the templates."""

    def __init__(self, run: Run, guard: Guard):
        from graph.report.page import CSS

        self.run = run
        self.run_name = str(run).rstrip("/").rsplit("/", 1)[-1] or str(run)
        self.reader = reader(run)
        self.guard = guard
        self.css = CSS + VIEW_CSS.read_text(encoding="utf-8")
        # autoescape on every template: model text is data, never markup
        environment = Environment(
            loader=PackageLoader("graph.view", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
        )
        environment.filters["when"] = when
        self.templates = Jinja2Templates(env=environment)
        self._graph_svg: str | None = None
        self._lock = threading.Lock()

    def constraint_types(self) -> list[str]:
        """The types the run draws from (its settings), for the list's filter."""
        from nodes.state import SampleSettings

        saved = (self.run.read_config() or {}).get("settings") or {}
        try:
            return sorted(t.id for t in SampleSettings.from_dict(saved).drawable_types())
        except (KeyError, TypeError, ValueError):  # settings of another version
            return []

    def report(self) -> Markup:
        """The run's figures as `decif stats --html` lays them out (its own escaping)."""
        from checkpoints.stats import run_stats
        from graph.report.page import report_body

        return Markup(report_body(run_stats(self.run), self.graph_svg()))

    def graph_svg(self) -> str:
        with self._lock:
            if self._graph_svg is None:
                from graph.cli.output import build_graph
                from graph.drawing import draw

                self._graph_svg = str(draw(build_graph("sample"), "svg"))
            return self._graph_svg


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def unreadable(request: Request, err: Exception) -> Response:
    """A run that cannot be read (missing, corrupt, a database gone): one page saying so."""
    message = " ".join(str(err).split()) or type(err).__name__
    return pages.render(
        request,
        "error.html",
        503,
        title="The run cannot be read",
        message=message,
    )


def build_app(run: Run, guard: Guard) -> Starlette:
    routes = [
        Route("/", pages.sample_list),
        Route("/samples/{sample_id}", pages.sample),
        Route("/samples/{sample_id}/review", pages.save_review, methods=["POST"]),
        Route("/queue", pages.review_queue),
        Route("/reviews", pages.reviews),
        Route("/run", pages.run_page),
        Route("/style.css", pages.stylesheet),
    ]
    handlers: dict[Any, Any] = {
        RunFileError: unreadable,
        sqlite3.Error: unreadable,
        OSError: unreadable,
    }
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GuardMiddleware, guard=guard)],
        exception_handlers=handlers,
    )
    app.state.viewer = Viewer(run, guard)
    return app
