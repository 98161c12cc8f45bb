"""Fixtures of the integration tests: real servers on 127.0.0.1 (uvicorn, Werkzeug)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
import uvicorn
from werkzeug.serving import make_server

# The Django suite is a project of its own (settings, pytest-django), run in a subprocess by
# test_django.py under each Django release.
collect_ignore = ["django_suite"]


@contextmanager
def running_uvicorn(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn on a free 127.0.0.1 port, in a thread; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during startup (see the log above)")
        thread.join(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def running_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    """``app`` under Werkzeug's development server (Flask's) on a free 127.0.0.1 port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def quiet_werkzeug() -> Iterator[None]:
    """Keeps Werkzeug's request log out of the test output."""
    import logging

    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def serve_wsgi(quiet_werkzeug: None) -> Iterator[Callable[[Callable[..., Any]], str]]:
    """``url = serve_wsgi(app)``: a WSGI app on Werkzeug (Flask's server), stopped at teardown."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(running_wsgi(app))


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    """``url = serve_asgi(app)``: an ASGI app on uvicorn, stopped at teardown."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(running_uvicorn(app))


def _run_in_fresh_thread(coroutine: Coroutine[Any, Any, Any]) -> Any:
    # Once a browser test has used Playwright's sync API, an event loop stays running in the main
    # thread (microsoft/playwright-pytest#167): asyncio.run refuses to start there.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """``run_async(coroutine)``: ``asyncio.run`` on a fresh thread, whatever ran before."""
    return _run_in_fresh_thread
