"""What keeps the viewer safe to run: who may reach it, and who may write reviews.

- **Loopback by default.** Bound to a loopback address, the viewer answers only requests
  whose Host header names that address or `localhost` on its port: a web page elsewhere
  cannot rebind its own name to 127.0.0.1 and read the run (DNS rebinding).
- **A token off loopback.** Bound to any other address, every request must carry the
  server's token: once in the URL (`?token=...`, which sets an HttpOnly, SameSite=Strict
  cookie and redirects to the same page without it), then in the cookie, or as
  `Authorization: Bearer TOKEN`.
- **Cross-site writes refused.** Every form that writes carries a per-server CSRF token
  that only pages of the viewer itself hold; a POST also fails when the browser says it
  comes from another site (`Sec-Fetch-Site`) or from another origin (`Origin`).
- **No scripts.** Model text is escaped by the templates (autoescape); on top of that, the
  Content-Security-Policy runs no script at all (the viewer needs none) and loads nothing
  from elsewhere.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

TOKEN_COOKIE = "decif_view_token"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # "same-origin", not "no-referrer": under no-referrer a browser sends `Origin: null`
    # with every POST, and the origin check below could not tell our forms from others
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """One server's secrets and rules (see the module doc)."""

    def __init__(self, host: str, port: int, token: str | None = None):
        self.loopback = is_loopback(host)
        if not self.loopback and not token:
            raise ValueError("off loopback the viewer needs a token")
        self.token = token
        self.csrf = secrets.token_urlsafe(32)
        self.hosts = (
            {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]", host)}
            if self.loopback
            else None  # any name: the token decides
        )

    def host_allowed(self, request: Request) -> bool:
        return self.hosts is None or request.headers.get("host", "") in self.hosts

    def token_given(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        bearer = auth[7:] if auth.lower().startswith("bearer ") else None
        return bearer or request.cookies.get(TOKEN_COOKIE)

    def same_site(self, request: Request) -> bool:
        """A POST from the viewer's own pages (as far as the browser tells)."""
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        return origin is None or origin == f"{request.url.scheme}://{host}"

    def csrf_ok(self, form_token: str) -> bool:
        return hmac.compare_digest(form_token.encode(), self.csrf.encode())


def _matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class GuardMiddleware(BaseHTTPMiddleware):
    """Host, token and cross-site checks before any page; security headers after."""

    def __init__(self, app, guard: Guard):
        super().__init__(app)
        self.guard = guard

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        guard = self.guard
        if not guard.host_allowed(request):
            return self.secure(PlainTextResponse("unexpected Host header", status_code=400))
        if guard.token:
            query_token = request.query_params.get("token")
            if query_token is not None and _matches(query_token, guard.token):
                return self.secure(self.enter(request))
            if not _matches(guard.token_given(request), guard.token):
                message = "this viewer needs its token: open the URL `decif view` printed"
                return self.secure(PlainTextResponse(message, status_code=401))
        if request.method == "POST" and not guard.same_site(request):
            return self.secure(PlainTextResponse("cross-site request refused", status_code=403))
        return self.secure(await call_next(request))

    def enter(self, request: Request) -> Response:
        """The token from the URL into a cookie, and the same page without it."""
        rest = {k: v for k, v in request.query_params.multi_items() if k != "token"}
        url = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.guard.token or "", httponly=True, samesite="strict")
        return response

    @staticmethod
    def secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
