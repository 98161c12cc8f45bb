"""Fixtures for the webhook tests: real servers on 127.0.0.1 (the ``servers`` fixture, the one
server helper), every adapter over a WebhookApp, file-backed stores, a fresh event loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import types
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import uvicorn

from jivo_widget.webhooks import Reply, StoredEvent, WebhookApp, samples
from webhooks import django_project
from webhooks.postgres_server import PostgresServer, required
from webhooks.redis_server import RedisUnavailable, redis_server

T = TypeVar("T")

#: Every adapter, by the name the tests parametrize with.
ADAPTERS = ["asgi", "fastapi", "wsgi", "hooks.wsgi", "flask", "django"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


@contextmanager
def _uvicorn(app: Any, **config: Any) -> Iterator[str]:
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "on"}
    settings.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **settings))
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


@contextmanager
def _socketserver(server: Any) -> Iterator[str]:
    """Run a socketserver-style ``server`` (wsgiref, Werkzeug, Django's) in a thread."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _wsgi_server(app: Any, kind: str) -> Any:
    if kind == "wsgiref":  # the reference server (HTTP/1.0: no chunked bodies)
        return make_server("127.0.0.1", 0, app, WSGIServer, handler_class=_QuietHandler)
    if kind == "werkzeug":  # what `flask run` uses; terminates wsgi.input (chunked bodies)
        from werkzeug.serving import make_server as make_werkzeug_server

        return make_werkzeug_server("127.0.0.1", 0, app, threaded=True)
    if kind == "django":  # runserver's own classes
        from django.core.servers.basehttp import WSGIRequestHandler as DjangoHandler
        from django.core.servers.basehttp import WSGIServer as DjangoServer

        return make_server("127.0.0.1", 0, app, DjangoServer, handler_class=DjangoHandler)
    raise ValueError(f"unknown WSGI server {kind!r}")


class Servers:
    """Real servers on 127.0.0.1 (port 0), each in a thread, all stopped at teardown.

    ``servers.asgi(app, **uvicorn_config)`` runs an ASGI app under uvicorn;
    ``servers.wsgi(app, "wsgiref" | "werkzeug" | "django")`` a WSGI app under that server;
    ``servers.adapter(name, hooks)`` builds adapter ``name`` (:data:`ADAPTERS`) over ``hooks``
    and serves it under the server it is tested with. Each returns the base URL.
    """

    def __init__(self) -> None:
        self._stack = ExitStack()

    def asgi(self, app: Any, **config: Any) -> str:
        """Serve an ASGI app under uvicorn; its base URL."""
        return self._stack.enter_context(_uvicorn(app, **config))

    def wsgi(self, app: Any, server: str = "wsgiref") -> str:
        """Serve a WSGI app under ``server``; its base URL."""
        return self._stack.enter_context(_socketserver(_wsgi_server(app, server)))

    def django(self, urlpatterns: list[Any]) -> Any:
        """A Django WSGI application serving ``urlpatterns`` until teardown.

        Settings are process-wide and configured once (:mod:`webhooks.django_project`: the CSRF
        middleware on as in any real project); each caller's URLs are swapped in (and out
        again) with ``override_settings``.
        """
        from django.core.handlers.wsgi import WSGIHandler
        from django.test.utils import override_settings

        urls = types.ModuleType(f"jivo_test_urls_{id(urlpatterns)}")
        urls.urlpatterns = urlpatterns  # type: ignore[attr-defined]
        sys.modules[urls.__name__] = urls
        self._stack.callback(sys.modules.pop, urls.__name__, None)
        django_project.configure()
        self._stack.enter_context(override_settings(ROOT_URLCONF=urls.__name__))
        return WSGIHandler()

    def build(self, name: str, hooks: WebhookApp) -> Any:
        """Adapter ``name`` over ``hooks``: an ASGI or WSGI app."""
        if name == "asgi":
            return hooks.asgi()
        if name == "fastapi":
            from fastapi import FastAPI

            from jivo_widget.webhooks.fastapi import webhook_router

            app = FastAPI()
            app.include_router(webhook_router(hooks))
            return app
        if name == "flask":
            from flask import Flask

            from jivo_widget.webhooks.flask import webhook_blueprint

            flask_app = Flask("jivo_adapter_test")
            flask_app.register_blueprint(webhook_blueprint(hooks))
            return flask_app
        if name == "django":
            from django.urls import path

            from jivo_widget.webhooks.django import webhook_view

            # CSRF middleware on, as in any real project: the view must be exempt.
            return self.django([path("jivo/webhook/<str:secret>", webhook_view(hooks))])
        if name == "wsgi":
            from jivo_widget.webhooks.wsgi import wsgi_app

            return wsgi_app(hooks)
        if name == "hooks.wsgi":
            wsgi = hooks.wsgi()
            assert hooks.wsgi() is wsgi  # built once
            return wsgi
        raise ValueError(f"unknown adapter {name!r}")

    def adapter(self, name: str, hooks: WebhookApp, *, chunked: bool = False) -> str:
        """Build adapter ``name`` over ``hooks`` and serve it; its base URL.

        ASGI apps run under uvicorn; Flask under Werkzeug; the WSGI app and Django under
        wsgiref, or under Werkzeug with ``chunked`` (wsgiref speaks HTTP/1.0 and cannot receive
        a chunked body; Werkzeug terminates wsgi.input).
        """
        app = self.build(name, hooks)
        if name in ("asgi", "fastapi"):
            return self.asgi(app)
        return self.wsgi(app, "werkzeug" if chunked or name == "flask" else "wsgiref")

    def close(self) -> None:
        """Stop every server started."""
        self._stack.close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Start real servers on 127.0.0.1 for this test (see :class:`Servers`)."""
    started = Servers()
    yield started
    started.close()


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter's name in turn (see :meth:`Servers.adapter`)."""
    name: str = request.param
    return name


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """``run_async(coroutine)``: ``asyncio.run`` on a fresh thread.

    Once a browser test has used pytest-playwright's sync API, an event loop stays running in
    the main thread for the rest of the session (microsoft/playwright-pytest#167), and
    asyncio.run refuses to start there. A thread of its own has no running loop.
    """

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    return run


@pytest.fixture(scope="session")
def django_sqlite() -> str:
    """The URL of the Django store in the test project's default database (an SQLite file),
    migrated (see :mod:`webhooks.django_project`)."""
    django_project.migrate("default")
    return "django://default"


@pytest.fixture(scope="session")
def django_postgresql(postgres: PostgresServer) -> str:
    """The URL of the Django store in a PostgreSQL database of the test server, migrated."""
    alias = django_project.add_postgres_database(postgres.create_database("jivo_django"))
    django_project.migrate(alias)
    return f"django://{alias}"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh SQLite store URL in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'events.db'}"


class SmallDisk:
    """A real, small filesystem (tmpfs) that a test can fill up; see the ``small_disk`` fixture."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def fill(self) -> None:
        """Use up every free byte (as another program filling the disk would)."""
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (65536, 4096, 1):
                while True:
                    try:
                        if os.write(fd, b"\0" * size) == 0:
                            break
                    except OSError:  # ENOSPC at this size: go on with smaller writes
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        """Give the space back."""
        self._filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 1 MiB tmpfs mounted for this test (needs root, or the test is skipped)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def hooks(tmp_path: Path) -> WebhookApp:
    """An app with the secret ``S`` over a fresh SQLite file."""
    return WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'events.db'}")


Deliver = Callable[..., Awaitable[Reply]]
#: The ``only_event`` fixture's type.
OnlyEvent = Callable[[WebhookApp], StoredEvent]
#: The ``run_async`` fixture's type.
RunAsync = Callable[..., Any]


@pytest.fixture
def deliver() -> Deliver:
    """``await deliver(hooks, payload)``: post a payload (a sample's name, or a dict) to the
    receiver of ``hooks`` (secret ``S``) and return the reply; ``drain=True`` also waits for
    its handlers."""

    async def post(
        hooks: WebhookApp, payload: dict[str, Any] | str, *, drain: bool = False
    ) -> Reply:
        if isinstance(payload, str):
            body = samples.load_bytes(payload)
        else:
            body = json.dumps(payload).encode()
        reply = await hooks.receiver.handle("POST", "S", body, "127.0.0.1")
        if drain:
            assert await hooks.receiver.drain(5)
        return reply

    return post


@pytest.fixture
def only_event() -> OnlyEvent:
    """``only_event(hooks)``: the one event stored (fails unless there is exactly one)."""

    def only(hooks: WebhookApp) -> StoredEvent:
        events = hooks.store.list()
        assert len(events) == 1
        return events[0]

    return only


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server on 127.0.0.1 for the session (see ``redis_server.py``), as a broker
    URL: skipped without one, except under CI where a broker test may never be skipped."""
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        if required():
            pytest.fail(f"CI must run the Celery tests: {exc}")
        pytest.skip(str(exc))
