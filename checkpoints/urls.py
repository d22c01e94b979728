"""The spelling of a run's place: a directory, or a PostgreSQL URL. A `--run` meant as a
URL but mistyped (`postgresql:/u:pw@host/db`, `postgressql://...`) must not become a
directory named after it, and a password written into one must never be shown: what a
run prints, logs and records names it as `postgresql://USER:***@HOST/DB`.
"""

from __future__ import annotations

import re

POSTGRES = ("postgresql://", "postgres://")  # libpq's two URI prefixes
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")
_SCHEME_SLASHES = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/+")
_QUERY_PASSWORD = re.compile(r"(password=)[^&]*", re.IGNORECASE)
MASK = "***"


class BadRunURL(ValueError):
    """A `--run` that looks like a URL but is not a PostgreSQL one (bad input)."""


def is_postgres(spec: str) -> bool:
    return spec.startswith(POSTGRES)


def looks_like_url(spec: str) -> bool:
    """Whether `spec` was meant as a URL rather than a directory: a scheme followed by a
    slash (`postgresql:/...`, `postgressql://...`), a user or password before an `@`
    ahead of any slash, or a scheme that begins like PostgreSQL's."""
    first = spec.split("/", 1)[0]
    if ":" in first and "@" in first:
        return True
    scheme = _SCHEME.match(spec)
    if scheme is None:
        return False
    return spec[scheme.end() :].startswith("/") or scheme[0].lower().startswith("postg")


def redact(spec: str) -> str:
    """`spec` with any password masked: the user information's after its first colon,
    and a `password=` parameter's. Safe on a malformed URL too (it masks more, never
    less): a URL's user name cannot hold a colon, a password may hold anything."""
    spec = _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", spec)
    where = _userinfo_password(spec)
    return spec if where is None else f"{spec[: where[0]]}{MASK}{spec[where[1] :]}"


def scrub(text: str, spec: str) -> str:
    """`text` (an error message, say) with `spec` and every password in it masked."""
    text = text.replace(spec, redact(spec))
    where = _userinfo_password(spec)
    secrets = [spec[where[0] : where[1]]] if where else []
    secrets += [m[len("password=") :] for m in _QUERY_PASSWORD.findall(spec)]
    for secret in filter(None, secrets):
        text = text.replace(secret, MASK)
    return text


def _userinfo_password(spec: str) -> tuple[int, int] | None:
    """Where the password of `spec`'s user information is: from its first colon after
    the scheme to the last `@`."""
    at = spec.rfind("@")
    if at < 0:
        return None
    prefix = _SCHEME_SLASHES.match(spec)
    colon = spec.find(":", prefix.end() if prefix else 0, at)
    return None if colon < 0 else (colon + 1, at)


def check_postgres_url(spec: str) -> None:
    """Refuse, in words that never show its password, a URL libpq would not read."""
    if not is_postgres(spec):
        raise BadRunURL(
            f"--run {redact(spec)} is not a PostgreSQL URL (nor a directory name): write "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, or a plain directory path"
        )
    for port in _ports(spec):
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise BadRunURL(f"--run {redact(spec)}: {port!r} is not a port (1-65535)")
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return  # opening the run says what to install
    try:
        conninfo_to_dict(spec)
    except Exception as err:  # psycopg.ProgrammingError: libpq cannot read it
        reason = scrub(" ".join(str(err).split()), spec)
        raise BadRunURL(f"--run {redact(spec)} is not a usable PostgreSQL URL: {reason}") from None


def _ports(spec: str) -> list[str]:
    """The ports of a URL's hosts (`host:port`, `[::1]:port`, comma-separated), as
    written; libpq checks them only when it connects."""
    authority = re.split(r"[/?]", spec.split("://", 1)[1], maxsplit=1)[0]
    hosts = authority[authority.rfind("@") + 1 :]
    found = (re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::(.*))?", host) for host in hosts.split(","))
    return [m[2] for m in found if m and m[2] is not None]
