"""A real PostgreSQL server for tests: initdb in a scratch folder, started on a free
loopback port, stopped at the end. Debian's `postgresql` package provides the binaries
(`.ci/run` installs it); where they are absent the tests that need them are skipped with
the reason. PostgreSQL will not run as root, so as root it runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def binaries() -> Path | None:
    """The folder with initdb and postgres, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _as_server_user() -> tuple[list[str], int | None]:
    """The command prefix and uid to run PostgreSQL under (it refuses root)."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "postgres", "--"], pwd.getpwnam("postgres").pw_uid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_DATA: dict[str, Path] = {}  # each running server's URL -> its data folder, for pg_ctl()


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields the URL of its `postgres` database (trust auth)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    prefix, uid = _as_server_user()
    home = Path(tempfile.mkdtemp(prefix="decif-pg-"))
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if uid is not None:
        for path in (home, sockets):
            os.chown(path, uid, -1)
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
    port = _free_port()
    server = subprocess.Popen(
        [
            *prefix,
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        _DATA[url] = data
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        if _DATA.pop(url, None) and (data / "postmaster.pid").exists():  # restarted by pg_ctl
            subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "stop", "-D", str(data),
                            "-m", "immediate"], capture_output=True)  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def pg_ctl(url: str, action: str, *options: str) -> None:
    """`pg_ctl ACTION` on the server `url` is on (one `postgres_server` started): e.g.
    `restart -m fast` ends every session, `restart -m immediate` kills them, `stop`,
    `start`; returns once the server has done it (`-w`)."""
    data = _DATA[url.rsplit("/", 1)[0] + "/postgres"]
    prefix, _ = _as_server_user()
    log = str(data.parent / "pg_ctl.log")
    if action == "start":  # as it was started (restart reads this file itself)
        started = shlex.split((data / "postmaster.opts").read_text())[3:]  # after postgres -D
        options = ("-o", shlex.join(started), *options)
    subprocess.run([*prefix, str(binaries() / "pg_ctl"), action, "-D", str(data), "-w",
                    "-l", log, *options], check=True, capture_output=True)  # fmt: skip


def new_database(server_url: str) -> str:
    """A fresh, empty database on the server: one per test."""
    import psycopg

    name = f"decif_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"
