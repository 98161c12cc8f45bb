"""A real Redis server for the Celery tests: started on 127.0.0.1 (a free port, no persistence)
from the Debian ``redis-server`` package's binary, or the one ``JIVO_TEST_REDIS_URL`` names.

Without the binary or a URL the Celery tests are skipped — except under CI (``CI`` set, as
``.ci/run`` does, which installs the package), where that is a failure: as with PostgreSQL, a
broker test may never be skipped there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

URL_ENV = "JIVO_TEST_REDIS_URL"

__all__ = ["URL_ENV", "RedisUnavailable", "free_port", "redis_server"]


class RedisUnavailable(RuntimeError):
    """No ``redis-server`` binary and no ``JIVO_TEST_REDIS_URL``."""


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    """Whether a Redis server answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """The broker URL the tests use (see the module docstring); the server is stopped at
    exit."""
    url = os.environ.get(URL_ENV)
    if url:
        yield url
        return
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        raise RedisUnavailable(
            f"no redis-server binary (apt-get install redis-server) and no {URL_ENV}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="jivo-redis-"))
    port = free_port()
    log = workdir / "redis.log"
    settings = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
    settings |= {"dir": str(workdir), "logfile": str(log)}
    arguments = [part for name, value in settings.items() for part in (f"--{name}", value)]
    proc = subprocess.Popen(
        [binary, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                detail = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"starting redis-server failed: {detail[-2000:]}")
            time.sleep(0.02)  # the server is starting; nothing to wait on but its port
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)
