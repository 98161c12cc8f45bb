"""Fixtures for the webhook tests: real uvicorn servers on 127.0.0.1, file-backed stores."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn


def _resolve(app: Any) -> Any:
    if isinstance(app, str):
        module_name, _, attr = app.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
        return target
    return app


@contextmanager
def running_uvicorn(app: Any, **config: Any) -> Iterator[str]:
    """Run ``app`` (an ASGI app or ``"module:attr"``) under uvicorn on a free 127.0.0.1 port in a
    thread; yields the base URL once the server accepts connections, stops it afterwards."""
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "on"}
    settings.update(config)
    server = uvicorn.Server(uvicorn.Config(_resolve(app), host="127.0.0.1", port=0, **settings))
    started = threading.Event()
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets)
        started.set()  # uvicorn has no start callback: signal right after its own startup

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    while not started.wait(0.05):
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during startup (see the log above)")
    if server.should_exit:
        thread.join(10)
        raise RuntimeError("uvicorn failed to start (see the log above)")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def serve_asgi() -> Iterator[Callable[..., str]]:
    """Start an ASGI app (object or ``"module:attr"``) under a real uvicorn; returns its URL.

    ``url = serve_asgi(hooks.asgi())``; extra keyword arguments go to ``uvicorn.Config``. Every
    server started is stopped at teardown.
    """
    stack: list[Any] = []

    def start(app: Any, **config: Any) -> str:
        manager = running_uvicorn(app, **config)
        url = manager.__enter__()
        stack.append(manager)
        return url

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh SQLite store URL in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'events.db'}"


def _writable(path: Path) -> bool:
    try:
        with path.open("r+b"):
            return True
    except OSError:
        return False


@pytest.fixture
def make_read_only() -> Iterator[Callable[[Path], None]]:
    """Make files truly unwritable, also for root (``chattr +i``); skips if impossible here."""
    immutable: list[Path] = []

    def make(path: Path) -> None:
        path.chmod(0o444)
        if _writable(path) and shutil.which("chattr"):
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode == 0:
                immutable.append(path)
        if _writable(path):
            pytest.skip("cannot make a file read-only here (root without chattr)")

    yield make
    for path in immutable:
        subprocess.run(["chattr", "-i", str(path)], check=False)
