"""Every framework adapter, through a real server, answers the same HTTP contract
(:mod:`jivo_widget.webhooks.contract`).

ASGI and FastAPI run under uvicorn (the ``servers`` fixture); WSGI under wsgiref; Flask under
Werkzeug's server; Django through its WSGI handler under wsgiref. Chunked bodies go through
Werkzeug for WSGI and Django (wsgiref speaks HTTP/1.0). Each gets the same checks: 200 + stored,
404 for a wrong secret (nothing stored), 413 over the cap (nothing stored), 400 for a body that
is not JSON (stored as malformed), 405 for GET, a duplicate answered once, a failing handler kept
as failed, and an async handler's answer shaping chat_accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.wsgi import wsgi_app

if TYPE_CHECKING:
    from webhooks.conftest import Servers

SECRET = "adapter-secret"
CAP = 4096


def make_hooks(tmp_path: Path) -> WebhookApp:
    hooks = WebhookApp(
        secret=SECRET, store=f"sqlite:///{tmp_path / 'events.db'}", max_body_bytes=CAP
    )

    @hooks.on("chat_accepted")
    async def card(event: Any) -> dict[str, Any]:
        return {"custom_data": [{"title": "Name", "content": str(event.visitor.name)}]}

    return hooks


@pytest.fixture
def served(adapter: str, tmp_path: Path, servers: Servers) -> tuple[str, WebhookApp]:
    """Each adapter over a fresh app, under the server it runs under."""
    hooks = make_hooks(tmp_path)
    return servers.adapter(adapter, hooks), hooks


@pytest.fixture
def served_chunked(adapter: str, tmp_path: Path, servers: Servers) -> tuple[str, WebhookApp]:
    """Each adapter under a server that can receive a chunked body."""
    hooks = make_hooks(tmp_path)
    return servers.adapter(adapter, hooks, chunked=True), hooks


def test_valid_event_is_stored_and_answered(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    payload = samples.load("chat_accepted")
    payload["visitor"]["name"] = "Zoë"
    response = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=json.dumps(payload))
    assert response.status_code == 200
    assert response.json()["custom_data"] == [{"title": "Name", "content": "Zoë"}]
    (stored,) = hooks.store.list()
    assert stored.event_name == "chat_accepted"
    assert stored.status == "processed"
    assert stored.remote_addr == "127.0.0.1"
    assert json.loads(stored.body) == payload


def test_duplicate_gets_the_first_answer_and_one_row(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    body = samples.load_bytes("offline_message")
    first = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body)
    second = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert hooks.store.count() == 1


def test_wrong_secret_is_404_and_nothing_stored(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    response = httpx.post(f"{base}/jivo/webhook/wrong", content=samples.load_bytes("chat_updated"))
    assert response.status_code == 404
    assert hooks.store.count() == 0


def test_body_over_the_cap_is_413_and_nothing_stored(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    payload = samples.load("chat_finished")
    payload["plain_messages"] = "x" * (CAP + 1)
    response = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=json.dumps(payload))
    assert response.status_code == 413
    assert hooks.store.count() == 0


def _chunks() -> Iterator[bytes]:
    # No Content-Length: the adapter must count the bytes itself.
    for _ in range(CAP // 512 + 2):
        yield b" " * 512


def test_chunked_body_over_the_cap_is_413(served_chunked: tuple[str, WebhookApp]) -> None:
    base, hooks = served_chunked
    response = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=_chunks())
    assert response.status_code == 413
    assert hooks.store.count() == 0


def test_not_json_is_400_and_stored_as_malformed(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    response = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=b'{"event_name": "chat_')
    assert response.status_code == 400
    (stored,) = hooks.store.list()
    assert stored.status == "malformed"


def test_get_is_405(served: tuple[str, WebhookApp]) -> None:
    base, hooks = served
    assert httpx.get(f"{base}/jivo/webhook/{SECRET}").status_code == 405
    assert hooks.store.count() == 0


def test_wrong_secret_with_get_is_404(served: tuple[str, WebhookApp]) -> None:
    base, _ = served
    assert httpx.get(f"{base}/jivo/webhook/wrong").status_code == 404


def test_failing_handler_still_answers_ok_and_is_kept_failed(
    served: tuple[str, WebhookApp],
) -> None:
    base, hooks = served

    @hooks.on("client_updated")
    def crm_down(event: Any) -> None:
        raise RuntimeError("CRM is down")

    response = httpx.post(
        f"{base}/jivo/webhook/{SECRET}", content=samples.load_bytes("client_updated")
    )
    assert response.status_code == 200
    assert response.json() == {"result": "ok"}
    # Handlers finish after the reply for events whose answer Jivo ignores.
    assert hooks.receiver.drain_blocking(timeout=10)
    (stored,) = hooks.store.list()
    assert stored.status == "failed"
    assert "CRM is down" in (stored.error or "")


def test_flask_blueprint_under_a_url_prefix(tmp_path: Path, servers: Servers) -> None:
    from flask import Flask

    from jivo_widget.webhooks.flask import webhook_blueprint

    hooks = make_hooks(tmp_path)
    app = Flask("jivo_prefix_test")
    app.register_blueprint(webhook_blueprint(hooks), url_prefix="/hooks")
    base = servers.wsgi(app, "werkzeug")
    body = samples.load_bytes("offline_message")
    assert httpx.post(f"{base}/hooks/jivo/webhook/{SECRET}", content=body).status_code == 200
    assert httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body).status_code == 404
    assert httpx.get(f"{base}/hooks/healthz").json() == {"status": "ok"}
    assert hooks.store.count() == 1


def test_wsgi_app_mounted_under_a_script_name(tmp_path: Path, servers: Servers) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    hooks = make_hooks(tmp_path)

    def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the site"]

    app = DispatcherMiddleware(site, {"/hooks": wsgi_app(hooks)})
    base = servers.wsgi(app, "werkzeug")
    body = samples.load_bytes("client_updated")
    assert httpx.post(f"{base}/hooks/jivo/webhook/{SECRET}", content=body).status_code == 200
    assert httpx.get(f"{base}/hooks/jivo/webhook/{SECRET}").status_code == 405
    assert httpx.get(f"{base}/other").text == "the site"
    assert hooks.store.count() == 1


# Each adapter under the server that logs its request lines (None: uvicorn), and that logger.
LOGGING_SERVERS: dict[str, tuple[str | None, str]] = {
    "asgi": (None, "uvicorn.access"),
    "fastapi": (None, "uvicorn.access"),
    "flask": ("werkzeug", "werkzeug"),
    "wsgi": ("werkzeug", "werkzeug"),
    "django": ("django", "django.server"),
}


@pytest.mark.parametrize("name", list(LOGGING_SERVERS))
def test_the_secret_never_reaches_the_access_log(
    name: str, tmp_path: Path, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from jivo_widget.webhooks._logging import ACCESS_LOGGERS, RedactWebhookSecret

    server, logger_name = LOGGING_SERVERS[name]
    for logger in map(logging.getLogger, ACCESS_LOGGERS):  # as in a fresh process
        for installed in [f for f in logger.filters if isinstance(f, RedactWebhookSecret)]:
            logger.removeFilter(installed)
    caplog.set_level(logging.INFO, logger=logger_name)
    hooks = make_hooks(tmp_path)
    with ExitStack() as stack:
        app = servers.build(name, hooks)
        # Django's server logger does not propagate to the root (and django.setup() configures
        # logging): listen on it directly, after the build.
        logging.getLogger(logger_name).addHandler(caplog.handler)
        stack.callback(logging.getLogger(logger_name).removeHandler, caplog.handler)
        if server is None:
            base = servers.asgi(app, access_log=True, log_level="info", log_config=None)
        else:
            base = servers.wsgi(app, server)
        body = samples.load_bytes("chat_finished")
        assert httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body).status_code == 200
        assert httpx.post(f"{base}/jivo/webhook/wrong-{SECRET}", content=body).status_code == 404
        servers.close()  # every request line is logged once the server has stopped
    lines = {r.getMessage() for r in caplog.records if r.name == logger_name}
    assert any("/jivo/webhook/***" in line for line in lines), lines  # the log did run
    assert not any(SECRET in line for line in lines), lines


def test_the_wsgi_adapter_checks_the_secret_once_per_delivery(tmp_path: Path) -> None:
    # It used to authorise the request line, read the body, then authorise it again inside
    # handle_blocking().
    import io
    from wsgiref.util import setup_testing_defaults

    hooks = make_hooks(tmp_path)
    checked: list[str] = []
    authorize = hooks.receiver.authorize

    def counting(method: str, secret: str) -> Any:
        checked.append(secret)
        return authorize(method, secret)

    hooks.receiver.authorize = counting  # type: ignore[method-assign]
    body = samples.load_bytes("chat_finished")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/jivo/webhook/{SECRET}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    wsgi_app(hooks)(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK"]
    assert checked == [SECRET]
    hooks.receiver.close()


# -- CSRF: Jivo sends no token ------------------------------------------------------------------
# The Flask blueprint exempts itself from Flask-WTF's CSRFProtect (whichever is set up first) and
# the Django view from CsrfViewMiddleware, while the rest of the site stays protected.


def _flask_site(hooks: WebhookApp, *, csrf_first: bool, factory: bool = False) -> Any:
    """A Flask site with Flask-WTF's CSRF protection on every view, set up before or after the
    webhook blueprint is registered (both orders happen in real apps)."""
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect

    from jivo_widget.webhooks.flask import webhook_blueprint

    app = Flask("csrf_site")
    app.config["SECRET_KEY"] = "test-only"

    @app.post("/account/delete")
    def delete_account() -> str:
        return "deleted"

    csrf = CSRFProtect()
    if csrf_first:
        csrf.init_app(app) if factory else CSRFProtect(app)
    app.register_blueprint(webhook_blueprint(hooks))
    if not csrf_first:
        csrf.init_app(app) if factory else CSRFProtect(app)
    return app


@pytest.mark.parametrize(
    ("csrf_first", "factory"),
    [(True, False), (False, False), (True, True), (False, True)],
    ids=["csrf-then-blueprint", "blueprint-then-csrf", "init_app-first", "init_app-after"],
)
def test_flask_blueprint_is_exempt_from_flask_wtf_csrf_by_itself(
    tmp_path: Path, csrf_first: bool, factory: bool, servers: Servers
) -> None:
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    app = _flask_site(hooks, csrf_first=csrf_first, factory=factory)
    base = servers.wsgi(app, "werkzeug")
    body = samples.load_bytes("chat_finished")
    webhook = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body)
    protected = httpx.post(f"{base}/account/delete", content=b"x=1")
    assert webhook.status_code == 200, webhook.text
    assert hooks.store.count() == 1
    assert protected.status_code == 400 and "CSRF" in protected.text  # the site stays protected


def test_django_view_is_exempt_from_csrf_view_middleware(tmp_path: Path, servers: Servers) -> None:
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    from jivo_widget.webhooks.django import webhook_view

    def delete_account(request: HttpRequest) -> HttpResponse:
        return HttpResponse("deleted")

    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    app = servers.django(
        [
            path("jivo/webhook/<str:secret>", webhook_view(hooks)),
            path("account/delete", delete_account),
        ]
    )
    base = servers.wsgi(app)
    webhook = httpx.post(
        f"{base}/jivo/webhook/{SECRET}", content=samples.load_bytes("chat_finished")
    )
    protected = httpx.post(f"{base}/account/delete", content=b"x=1")
    assert webhook.status_code == 200, webhook.text
    assert hooks.store.count() == 1
    assert protected.status_code == 403  # CsrfViewMiddleware is on for the rest of the site
