"""A real PostgreSQL server for the tests: started on 127.0.0.1 (a free port, a temporary data
directory) from the Debian ``postgresql`` package's binaries, or the one
``JIVO_TEST_POSTGRES_URL`` names.

Root cannot run ``postgres``: as root the server runs as the ``postgres`` user (which the
Debian package creates). Without binaries or a URL the PostgreSQL tests are skipped — except
under CI (``CI`` set, as ``.ci/run`` does), where that is a failure: a PostgreSQL test may
never be skipped there.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

URL_ENV = "JIVO_TEST_POSTGRES_URL"

__all__ = ["URL_ENV", "PostgresServer", "postgres_server", "required"]


def required() -> bool:
    """Whether a PostgreSQL test must run (CI): never skipped there."""
    return bool(os.environ.get("CI"))


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries and no ``JIVO_TEST_POSTGRES_URL``."""


class PostgresServer:
    """A server the tests may create databases on; ``url`` is its maintenance database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def database_url(self, name: str) -> str:
        """The URL of database ``name`` on this server."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def create_database(self, prefix: str = "jivo_test") -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def execute(self, sql: str, database_url: str | None = None) -> None:
        """Run ``sql`` (autocommit) on the maintenance database or ``database_url``."""
        import psycopg

        with psycopg.connect(database_url or self.url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


def _bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server the tests use (see the module docstring); stopped and removed at exit."""
    url = os.environ.get(URL_ENV)
    if url:
        yield PostgresServer(url)
        return
    bindir = _bindir()
    if bindir is None:
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries (apt-get install postgresql) and no {URL_ENV}"
        )
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")  # created by Debian's postgresql package
        run_as = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="jivo-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if owner is not None:
        for path in (base, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    log = base / "server.log"
    try:
        subprocess.run(
            [
                *run_as,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "jivo",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets} "
            "-c max_connections=200 -c shared_buffers=64MB"
        )
        subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace")
        if log.exists():
            detail += log.read_text(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"starting PostgreSQL failed: {detail}") from exc
    try:
        yield PostgresServer(f"postgresql://jivo@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)
