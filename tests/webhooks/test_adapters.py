"""Every framework adapter, through a real server, answers the same HTTP contract (design.md §4).

ASGI and FastAPI run under uvicorn (the ``serve_asgi`` fixture); WSGI under wsgiref; Flask under
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
from typing import Any

import httpx
import pytest
from servers import (
    CHUNKED_SERVERS,
    SERVERS,
    Builder,
    Server,
    build_asgi,
    build_django,
    build_fastapi,
    build_flask,
    build_wsgi,
    django_dev_server,
    werkzeug_server,
)

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.wsgi import wsgi_app

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


def _serve(
    entry: tuple[Builder, Server | None], tmp_path: Path, serve_asgi: Callable[[Any], str]
) -> Iterator[tuple[str, WebhookApp]]:
    build, server = entry
    hooks = make_hooks(tmp_path)
    with ExitStack() as stack:
        app = build(hooks, stack)
        # ASGI apps run under the suite's real uvicorn fixture; WSGI ones under our servers.
        base = serve_asgi(app) if server is None else stack.enter_context(server(app))
        yield base, hooks


@pytest.fixture(params=list(SERVERS))
def served(
    request: pytest.FixtureRequest, tmp_path: Path, serve_asgi: Callable[[Any], str]
) -> Iterator[tuple[str, WebhookApp]]:
    yield from _serve(SERVERS[request.param], tmp_path, serve_asgi)


@pytest.fixture(params=list(CHUNKED_SERVERS))
def served_chunked(
    request: pytest.FixtureRequest, tmp_path: Path, serve_asgi: Callable[[Any], str]
) -> Iterator[tuple[str, WebhookApp]]:
    yield from _serve(CHUNKED_SERVERS[request.param], tmp_path, serve_asgi)


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


def test_flask_blueprint_under_a_url_prefix(tmp_path: Path) -> None:
    from flask import Flask

    from jivo_widget.webhooks.flask import webhook_blueprint

    hooks = make_hooks(tmp_path)
    app = Flask("jivo_prefix_test")
    app.register_blueprint(webhook_blueprint(hooks), url_prefix="/hooks")
    with werkzeug_server(app) as base:
        body = samples.load_bytes("offline_message")
        assert httpx.post(f"{base}/hooks/jivo/webhook/{SECRET}", content=body).status_code == 200
        assert httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body).status_code == 404
        assert httpx.get(f"{base}/hooks/healthz").json() == {"status": "ok"}
    assert hooks.store.count() == 1


def test_wsgi_app_mounted_under_a_script_name(tmp_path: Path) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    hooks = make_hooks(tmp_path)

    def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the site"]

    app = DispatcherMiddleware(site, {"/hooks": wsgi_app(hooks)})
    with werkzeug_server(app) as base:
        body = samples.load_bytes("client_updated")
        assert httpx.post(f"{base}/hooks/jivo/webhook/{SECRET}", content=body).status_code == 200
        assert httpx.get(f"{base}/hooks/jivo/webhook/{SECRET}").status_code == 405
        assert httpx.get(f"{base}/other").text == "the site"
    assert hooks.store.count() == 1


# Each adapter under the server that logs its request lines, with that access log switched on.
LOGGING_SERVERS: dict[str, tuple[Builder, Server | None, str]] = {
    "asgi": (build_asgi, None, "uvicorn.access"),
    "fastapi": (build_fastapi, None, "uvicorn.access"),
    "flask": (build_flask, werkzeug_server, "werkzeug"),
    "wsgi": (build_wsgi, werkzeug_server, "werkzeug"),
    "django": (build_django, django_dev_server, "django.server"),
}


@pytest.mark.parametrize("name", list(LOGGING_SERVERS))
def test_the_secret_never_reaches_the_access_log(
    name: str, tmp_path: Path, serve_asgi: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from jivo_widget.webhooks.receiver import ACCESS_LOGGERS, RedactWebhookSecret

    build, server, logger_name = LOGGING_SERVERS[name]
    for logger in map(logging.getLogger, ACCESS_LOGGERS):  # as in a fresh process
        for installed in [f for f in logger.filters if isinstance(f, RedactWebhookSecret)]:
            logger.removeFilter(installed)
    caplog.set_level(logging.INFO, logger=logger_name)
    hooks = make_hooks(tmp_path)
    with ExitStack() as stack:
        app = build(hooks, stack)
        # Django's server logger does not propagate to the root (and django.setup() configures
        # logging): listen on it directly, after the build.
        logging.getLogger(logger_name).addHandler(caplog.handler)
        stack.callback(logging.getLogger(logger_name).removeHandler, caplog.handler)
        if server is None:
            base = serve_asgi(app, access_log=True, log_level="info", log_config=None)
        else:
            base = stack.enter_context(server(app))
        body = samples.load_bytes("chat_finished")
        assert httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body).status_code == 200
        assert httpx.post(f"{base}/jivo/webhook/wrong-{SECRET}", content=body).status_code == 404
    lines = {r.getMessage() for r in caplog.records if r.name == logger_name}
    assert any("/jivo/webhook/***" in line for line in lines), lines  # the log did run
    assert not any(SECRET in line for line in lines), lines
