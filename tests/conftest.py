"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from webhooks.postgres_server import PostgresServer, PostgresUnavailable, postgres_server, required

from jivo_widget.webhooks import samples


class LiveServer:
    """A real HTTP server on 127.0.0.1 that serves pages registered by the test.

    ``live_server.add("/", html)`` registers a page; ``live_server.url`` is the base URL.
    """

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.headers: dict[str, dict[str, str]] = {}
        #: The paths requested, in order (what a browser did not take from its cache).
        self.requested: list[str] = []
        pages, headers, requested = self.pages, self.headers, self.requested

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                requested.append(path)
                content_type, body = pages.get(path, ("text/plain", b""))
                self.send_response(200 if path in pages else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.get(path, {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval, in every test using this.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def add(
        self,
        path: str,
        body: str,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` (with ``headers`` besides the type and length); returns
        the absolute URL."""
        self.pages[path] = (content_type, body.encode("utf-8"))
        self.headers[path] = dict(headers or {})
        return self.url + path

    def close(self) -> None:
        """Stop the server and release its port."""
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """A real HTTP server on 127.0.0.1 for pages the test registers with ``add()``."""
    server = LiveServer()
    yield server
    server.close()


def _writable(path: Path) -> bool:
    try:
        with path.open("r+b"):
            return True
    except OSError:
        return False


class ReadOnlyFiles:
    """Makes files unwritable for the test, also for root; see the ``make_read_only`` fixture."""

    def __init__(self) -> None:
        self._immutable: list[Path] = []

    def __call__(self, path: Path, *, even_open_files: bool = False) -> None:
        """Make ``path`` read-only; skip the test if that is impossible here.

        ``even_open_files``: writes through already open descriptors must fail too, which only
        the immutable attribute (``chattr +i``, root) achieves; a mode change does not.
        """
        if not even_open_files:
            path.chmod(0o444)
        if (even_open_files or _writable(path)) and shutil.which("chattr"):
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode == 0:
                self._immutable.append(path)
        if _writable(path) or (even_open_files and path not in self._immutable):
            pytest.skip("cannot make a file read-only here (needs chattr +i as root)")

    def undo(self) -> None:
        """Make every file writable again."""
        while self._immutable:
            subprocess.run(["chattr", "-i", str(self._immutable.pop())], check=False)


@pytest.fixture
def make_read_only() -> Iterator[ReadOnlyFiles]:
    """``make_read_only(path)`` makes a file unwritable (chmod, or ``chattr +i`` for root);
    ``make_read_only.undo()`` reverts; skips the test where that is impossible."""
    files = ReadOnlyFiles()
    yield files
    files.undo()


# -- the jivo-widget console script ------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """A running ``jivo-widget serve``."""

    proc: subprocess.Popen[str]
    base: str
    store: str
    cwd: Path
    secret: str
    _stderr: str | None = None

    def url(self, secret: str | None = None) -> str:
        """The webhook URL (with the right secret unless another is given)."""
        return f"{self.base}/jivo/webhook/{self.secret if secret is None else secret}"

    def post_sample(self, event: str, **fields: object) -> None:
        """Seed one event straight over HTTP (faster than a trigger subprocess)."""
        payload = {**samples.load(event), **fields}
        assert httpx.post(self.url(), json=payload).status_code == 200

    def list_json(self, *args: str) -> list[dict[str, object]]:
        """``jivo-widget events list --json`` on this server's store."""
        result = JivoCli().run(
            "events", "list", "--json", "--store", self.store, *args, cwd=self.cwd
        )
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    def stop(self) -> str:
        """Stop with Ctrl-C and return what it wrote on stderr (again, if already stopped)."""
        if self._stderr is not None:
            return self._stderr
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self._stderr = err
        return err


class JivoCli:
    """Runs the installed ``jivo-widget`` script; see the ``jivo_cli`` fixture."""

    #: The secret tests serve with.
    secret = "cli-secret"
    #: The console script of this environment.
    exe = str(Path(sys.executable).with_name("jivo-widget"))
    free_port = staticmethod(free_port)

    def __init__(self) -> None:
        self._served: list[Served] = []

    @staticmethod
    def env(**extra: str) -> dict[str, str]:
        """This process's environment without any ``JIVO_WEBHOOK_*`` setting, plus ``extra``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIVO_WEBHOOK_")}
        return {**env, **extra}

    def run(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``jivo-widget ARGS`` to completion."""
        return subprocess.run(
            [self.exe, *args], cwd=cwd, env=self.env(**env), capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip

    def run_bytes(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
        """Run ``jivo-widget ARGS``; stdout and stderr as the exact bytes written (no newline
        translation, which would turn a ``\\r`` into ``\\n``)."""
        return subprocess.run(
            [self.exe, *args], cwd=cwd, env=self.env(**env), capture_output=True, timeout=60
        )

    def popen(self, *args: str, cwd: Path, **kwargs: Any) -> subprocess.Popen[str]:
        """Start ``jivo-widget ARGS`` (text pipes for stdout and stderr) without waiting."""
        return subprocess.Popen(
            [self.exe, *args], cwd=cwd, env=self.env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, **kwargs,
        )  # fmt: skip

    def track(self, proc: subprocess.Popen[str], cwd: Path, store: str) -> Served:
        """A ``serve`` the test started itself (``popen``), stopped at teardown; its ``base``
        is the test's to fill in."""
        served = Served(proc, "", store, cwd, self.secret)
        self._served.append(served)
        return served

    def serve(self, cwd: Path, *args: str, **env: str) -> Served:
        """Start ``jivo-widget serve ARGS`` on a free port and wait for /healthz; stopped at
        teardown if the test did not stop it."""
        port = free_port()
        store = f"sqlite:///{cwd / 'events.db'}"
        proc = subprocess.Popen(
            [self.exe, "serve", "--port", str(port), "--store", store, *args],
            cwd=cwd,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        served = Served(proc, f"http://127.0.0.1:{port}", store, cwd, self.secret)
        self._served.append(served)
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {served.stop()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"serve not healthy: {served.stop()}")
            try:
                if httpx.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet; nothing else to wait on

    def close(self) -> None:
        """Stop every ``serve`` still running."""
        while self._served:
            self._served.pop().stop()


@pytest.fixture
def jivo_cli() -> Iterator[JivoCli]:
    """The real ``jivo-widget`` script: ``jivo_cli.run("events", "list", cwd=tmp_path)``,
    ``jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret)`` (stopped at teardown)."""
    cli = JivoCli()
    yield cli
    cli.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives a browser page is marked ``browser``, so ``-m "not browser"`` runs
    everything that needs no Chromium (browser tests are marked, not kept in a folder)."""
    unmarked = [
        item.nodeid
        for item in items
        if "page" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests using the page fixture must be marked browser: " + ", ".join(unmarked)
        )


@contextmanager
def _serving(command: list[str], cwd: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"{' '.join(command)} did not start:\n{output}")
            time.sleep(0.05)  # polling a condition: the server is not up yet
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="session")
def serving() -> Callable[[list[str], Path], AbstractContextManager[str]]:
    """``with serving(command, cwd) as url:`` runs a server command (``jivo-widget demo ...``)
    with ``--port`` set to a free loopback port, in ``cwd``, until ``/healthz`` answers; yields
    its base URL and stops it afterwards."""
    return _serving


DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def issue_example() -> Path:
    """The typical callbacks module (tests/data/jivo_callbacks.py): three callbacks reading
    the contact, pushing to window.dataLayer, toggling a class and inviting on /pricing. The
    README shows the same module (a test keeps them equal)."""
    return DATA / "jivo_callbacks.py"


@pytest.fixture
def import_file() -> Callable[[Path, str], types.ModuleType]:
    """``import_file(path, name)``: the file imported as a fresh module (not left in
    ``sys.modules``), as a site imports its own callbacks module."""

    def load(path: Path, name: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the session (see ``postgres_server.py``):
    skipped without one, except under CI where a PostgreSQL test may never be skipped."""
    try:
        with postgres_server() as server:
            yield server
    except PostgresUnavailable as exc:
        if required():
            pytest.fail(f"CI must run the PostgreSQL tests: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """The URL of a new, empty database on the test server."""
    return postgres.create_database()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under CI a skipped PostgreSQL or broker (Redis, Celery) test fails the run, however it
    came to be skipped."""
    report = yield
    fixtures = getattr(item, "fixturenames", ())
    uses_postgres = "postgres" in fixtures or "postgresql" in item.name
    uses_broker = "redis_url" in fixtures or "celery" in item.nodeid
    if report.skipped and (uses_postgres or uses_broker) and required():
        report.outcome = "failed"
        what = "PostgreSQL" if uses_postgres else "broker"
        report.longrepr = f"a {what} test may not be skipped under CI: {report.longrepr}"
    return report
