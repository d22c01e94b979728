"""The viewer's pages: the sample list, one sample and its review, the review queue, the
reviews with the judge's calibration, and the run's figures. GET pages are plain
functions (Starlette runs them in its thread pool); the review POST reads its form and
writes in the pool too."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from checkpoints.browse import (
    CURATION_STATES,
    REVIEW_STATES,
    SORTS,
    STATUSES,
    Filters,
)
from checkpoints.calibration import calibration
from checkpoints.reviews import DECISIONS, ReviewError
from graph.report.calibration import calibration_section
from graph.view.sample import fingerprint, review_from_form, reviewable, sample_page

REVIEWER_COOKIE = "decif_reviewer"
MAX_FORM = 64 * 1024
SNIPPET = 160


def viewer(request: Request) -> Any:
    return request.app.state.viewer


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    v = viewer(request)
    context |= {"run_name": v.run_name, "csrf": v.guard.csrf, "refresh": _refresh(request)}
    return v.templates.TemplateResponse(request, template, context, status_code=status_code)


def _refresh(request: Request) -> int | None:
    """?refresh=N reloads the page every N seconds (at least 2), without any script."""
    value = request.query_params.get("refresh", "")
    return max(2, int(value)) if value.isdigit() else None


def _snippet(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "\u2026"


def sample_list(request: Request) -> Response:
    v = viewer(request)
    filters = Filters.from_query(dict(request.query_params))
    page = v.reader.page(filters)
    for row in page.rows:
        row["snippet"] = _snippet(row["instruction"])
        row["types"] = [c["id"] for c in row.get("constraints") or []]

    def link(**changes: Any) -> str:
        query = {k: v for k, v in dict(request.query_params).items() if v} | changes
        return "/?" + urlencode({k: v for k, v in query.items() if v not in ("", None)})

    return render(
        request,
        "list.html",
        title="Samples",
        page=page,
        f=filters,
        link=link,
        total=v.reader.total(),
        outcomes=v.reader.outcomes(),
        statuses=STATUSES,
        domains=v.reader.domains(),
        types=v.constraint_types(),
        has_curation="curation" in v.reader.columns(),
        curation_states=CURATION_STATES,
        review_states=REVIEW_STATES,
        sorts=list(SORTS),
    )


def sample(request: Request) -> Response:
    v = viewer(request)
    sample_id = request.path_params["sample_id"]
    row = v.reader.sample(sample_id)
    if row is None:
        return render(
            request,
            "error.html",
            404,
            title="No such sample",
            message=f"{v.run_name} has no finished sample {sample_id!r}",
        )
    queue = request.query_params.get("queue", "")
    return render(
        request,
        "sample.html",
        title=f"Sample {sample_id}",
        row=row,
        view=sample_page(row),
        marks=reviewable(row),
        fingerprint=fingerprint(row),
        reviews=v.reader.reviews(sample_id),
        reviewer=request.cookies.get(REVIEWER_COOKIE, ""),
        decisions=DECISIONS,
        queue=queue if queue.isdigit() else "",
        error=request.query_params.get("error", ""),
        saved=request.query_params.get("saved", ""),
    )


async def save_review(request: Request) -> Response:
    v = viewer(request)
    sample_id = request.path_params["sample_id"]
    body = await request.body()
    if len(body) > MAX_FORM:
        return Response("form too large", status_code=413)
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not v.guard.csrf_ok(form.get("csrf", "")):
        return Response("missing or wrong form token: reload the page", status_code=403)
    queue = form.get("queue", "")
    back = f"/samples/{sample_id}" + (f"?queue={queue}" if queue.isdigit() else "")
    row = await run_in_threadpool(v.reader.sample, sample_id)
    if row is None:
        return Response(f"no sample {sample_id!r}", status_code=404)
    try:
        review = review_from_form(row, form)
    except ReviewError as err:
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}{urlencode({'error': str(err)})}", status_code=303)
    await run_in_threadpool(v.reader.save_review, review)
    target = f"/queue?seed={queue}&after={sample_id}" if queue.isdigit() else f"{back}?saved=1"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(REVIEWER_COOKIE, review["reviewer"], httponly=True, samesite="strict")
    return response


def review_queue(request: Request) -> Response:
    """The next sample of the seeded, status-stratified queue that this reviewer has not
    reviewed (after `after`, when they skipped one)."""
    v = viewer(request)
    seed_text = request.query_params.get("seed", "0")
    seed = int(seed_text) if seed_text.isdigit() else 0
    reviewer = request.query_params.get("reviewer") or request.cookies.get(REVIEWER_COOKIE, "")
    reviewer = " ".join(reviewer.split())
    order = v.reader.queue(seed)
    if not reviewer:
        return render(request, "queue.html", title="Review queue", seed=seed, order=order)
    done = v.reader.reviewed_by(reviewer)
    after = request.query_params.get("after", "")
    start = order.index(after) + 1 if after in order else 0
    remaining = [i for i in order[start:] + order[:start] if i not in done]
    if not remaining:
        return render(
            request,
            "queue.html",
            title="Review queue",
            seed=seed,
            order=order,
            reviewer=reviewer,
            finished=True,
        )
    response = RedirectResponse(f"/samples/{remaining[0]}?queue={seed}", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, reviewer, httponly=True, samesite="strict")
    return response


def reviews(request: Request) -> Response:
    v = viewer(request)
    found = v.reader.reviews()
    statuses = {r["id"]: r["status"] for r in v.reader.query("select id, status from samples")}
    figures = calibration(found, statuses)
    return render(
        request,
        "reviews.html",
        title="Reviews",
        reviews=list(reversed(found)),
        statuses=statuses,
        # escaped by graph.report.calibration: figures and reviewer names only
        calibration=Markup(calibration_section(figures)),
    )


def run_page(request: Request) -> Response:
    v = viewer(request)
    return render(request, "run.html", title="Run", report=v.report())


def stylesheet(request: Request) -> Response:
    return Response(viewer(request).css, media_type="text/css")
