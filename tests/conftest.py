"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest


class LiveServer:
    """A real HTTP server on 127.0.0.1 that serves pages registered by the test.

    ``live_server.add("/", html)`` registers a page; ``live_server.url`` is the base URL.
    """

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                content_type, body = pages.get(path, ("text/plain", b""))
                self.send_response(200 if path in pages else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
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

    def add(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
        """Serve ``body`` at ``path``; returns the absolute URL."""
        self.pages[path] = (content_type, body.encode("utf-8"))
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
