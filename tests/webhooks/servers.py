"""Real WSGI servers in a thread on 127.0.0.1 for the adapter tests, and a Django set-up.

wsgiref is the reference server; Werkzeug's threaded server is what ``flask run`` uses; Django's
own development server is what ``runserver`` uses. Each yields its base URL and stops after.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


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
