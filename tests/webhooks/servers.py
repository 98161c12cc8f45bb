"""Real servers for the adapter tests: WSGI servers in a thread on 127.0.0.1, a Django set-up,
and every adapter over a WebhookApp with the server it runs under.

wsgiref is the reference server; Werkzeug's threaded server is what ``flask run`` uses; Django's
own development server is what ``runserver`` uses. Each yields its base URL and stops after.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.wsgi import wsgi_app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


def serving(server: Any) -> Iterator[str]:
    """Run a socketserver-style ``server`` in a thread; yield its URL; stop it afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def wsgi_server(app: Callable[..., Any]) -> Iterator[str]:
    """A real wsgiref server in a thread on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, WSGIServer, handler_class=_QuietHandler)
    yield from serving(server)


@contextmanager
def werkzeug_server(app: Any) -> Iterator[str]:
    """Werkzeug's threaded dev server (what ``flask run`` uses) in a thread."""
    from werkzeug.serving import make_server as make_werkzeug_server

    server = make_werkzeug_server("127.0.0.1", 0, app, threaded=True)
    yield from serving(server)


@contextmanager
def django_dev_server(app: Any) -> Iterator[str]:
    """Django's own development server (``runserver``'s classes) in a thread."""
    from django.core.servers.basehttp import WSGIRequestHandler as DjangoHandler
    from django.core.servers.basehttp import WSGIServer as DjangoServer

    server = make_server("127.0.0.1", 0, app, DjangoServer, handler_class=DjangoHandler)
    yield from serving(server)


def django_app(urlpatterns: list[Any], stack: ExitStack) -> Any:
    """A Django WSGI application serving ``urlpatterns`` while ``stack`` is open.

    Settings are process-wide and configured once, with the CSRF middleware on as in any real
    project; each caller's URLs are swapped in (and out again) with ``override_settings``.
    """
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    urls = types.ModuleType(f"jivo_test_urls_{id(urlpatterns)}")
    urls.urlpatterns = urlpatterns  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    stack.callback(sys.modules.pop, urls.__name__, None)
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["127.0.0.1"],
            SECRET_KEY="test-only",
            ROOT_URLCONF=urls.__name__,
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
        )
        django.setup()
    stack.enter_context(override_settings(ROOT_URLCONF=urls.__name__))
    return WSGIHandler()


# -- every adapter over a WebhookApp, and the server it runs under in the tests -------------


def build_asgi(hooks: WebhookApp, stack: ExitStack) -> Any:
    return hooks.asgi()


def build_fastapi(hooks: WebhookApp, stack: ExitStack) -> Any:
    from fastapi import FastAPI

    from jivo_widget.webhooks.fastapi import webhook_router

    app = FastAPI()
    app.include_router(webhook_router(hooks))
    return app


def build_flask(hooks: WebhookApp, stack: ExitStack) -> Any:
    from flask import Flask

    from jivo_widget.webhooks.flask import webhook_blueprint

    app = Flask("jivo_adapter_test")
    app.register_blueprint(webhook_blueprint(hooks))
    return app


def build_django(hooks: WebhookApp, stack: ExitStack) -> Any:
    from django.urls import path

    from jivo_widget.webhooks.django import webhook_view

    # CSRF middleware on (django_app), as in any real project: the view must be exempt.
    return django_app([path("jivo/webhook/<str:secret>", webhook_view(hooks))], stack)


def build_wsgi(hooks: WebhookApp, stack: ExitStack) -> Any:
    return wsgi_app(hooks)


def build_hooks_wsgi(hooks: WebhookApp, stack: ExitStack) -> Any:
    app = hooks.wsgi()
    assert hooks.wsgi() is app  # built once
    return app


Builder = Callable[[WebhookApp, ExitStack], Any]
Server = Callable[[Any], AbstractContextManager[str]]
SERVERS: dict[str, tuple[Builder, Server | None]] = {  # None: uvicorn (the serve_asgi fixture)
    "asgi": (build_asgi, None),
    "fastapi": (build_fastapi, None),
    "wsgi": (build_wsgi, wsgi_server),
    "hooks.wsgi": (build_hooks_wsgi, wsgi_server),
    "flask": (build_flask, werkzeug_server),
    "django": (build_django, wsgi_server),
}
# wsgiref (the reference server) speaks HTTP/1.0 and cannot receive a chunked body; Werkzeug
# can (it terminates wsgi.input), so chunked bodies reach the WSGI app and Django through it.
CHUNKED_SERVERS: dict[str, tuple[Builder, Server | None]] = {
    **SERVERS,
    "wsgi": (build_wsgi, werkzeug_server),
    "hooks.wsgi": (build_hooks_wsgi, werkzeug_server),
    "django": (build_django, werkzeug_server),
}


def serve_adapter(
    name: str,
    hooks: WebhookApp,
    stack: ExitStack,
    serve_asgi: Callable[..., str],
    servers: dict[str, tuple[Builder, Server | None]] = SERVERS,
) -> str:
    """Build adapter ``name`` over ``hooks`` and serve it until ``stack`` closes; its base URL.

    ASGI apps run under the suite's real uvicorn (the ``serve_asgi`` fixture), WSGI ones under
    the server ``servers`` names for them.
    """
    build, server = servers[name]
    app = build(hooks, stack)
    return serve_asgi(app) if server is None else stack.enter_context(server(app))
