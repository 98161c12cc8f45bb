"""Issue 6 item 14: handler errors reach the log, and the framework adapters need no CSRF token.

A handler that raises is logged at ERROR with its traceback (the ``serve`` log used to say only
"1 handler error(s)"), never with the secret, and nothing personal is logged at INFO or below.
Jivo sends no CSRF token: the Flask blueprint exempts itself from Flask-WTF's ``CSRFProtect``
(whichever is set up first) and the Django view from ``CsrfViewMiddleware``, while the rest of
the site stays protected.
"""

from __future__ import annotations

import json
import logging
import re
import textwrap
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import fresh_loop
import httpx
import pytest
from cli_support import start_serve
from servers import django_app, werkzeug_server, wsgi_server

from jivo_widget.webhooks import JivoEvent, WebhookApp, samples
from jivo_widget.webhooks.store import open_store

SECRET = "log-secret-Zx81"
EMAIL = "zoe.private@example.com"


def _body_with_email() -> bytes:
    payload = samples.load("chat_finished")
    payload["visitor"]["email"] = EMAIL
    return json.dumps(payload).encode()


def _formatted(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return [(record.levelno, formatter.format(record)) for record in caplog.records]


def test_each_handler_error_is_logged_at_error_with_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jivo_widget")
    hooks = WebhookApp(
        secret=SECRET,
        store=f"sqlite:///{tmp_path / 'e.db'}",
        handler_timeout=0.5,
        response_deadline=0.25,
    )
    release = threading.Event()

    @hooks.on("chat_finished")
    def crm(event: JivoEvent) -> None:
        raise RuntimeError(f"CRM refused {event.raw['visitor']['email']}")

    @hooks.on("chat_finished")
    async def transcript(event: JivoEvent) -> None:
        raise KeyError("transcript-store")

    @hooks.on("chat_finished")
    def slow(event: JivoEvent) -> None:
        release.wait(5)

    try:
        reply = hooks.receiver.handle_blocking("POST", SECRET, _body_with_email(), "10.1.2.3")
        assert reply.status == 200
        assert hooks.receiver.drain_blocking(10)
    finally:
        release.set()
    [stored] = hooks.store.list()
    assert stored.status == "failed"

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    label = r"handler \S+\.(\w+) "
    by_handler = {re.search(label, r.getMessage()).group(1): r for r in errors}  # type: ignore[union-attr]
    assert sorted(by_handler) == ["crm", "slow", "transcript"]
    for name in ("crm", "transcript"):
        record = by_handler[name]
        assert record.getMessage().startswith(f"event {stored.id} (chat_finished): handler ")
        assert record.exc_info is not None  # the traceback goes with it
    text = logging.Formatter().format(by_handler["crm"])
    assert "Traceback (most recent call last)" in text and "in crm" in text
    assert "RuntimeError: CRM refused" in text
    assert "did not finish within 0.5 s" in by_handler["slow"].getMessage()

    for level, line in _formatted(caplog):
        assert SECRET not in line
        if level <= logging.INFO:
            assert EMAIL not in line and "10.1.2.3" not in line, line


def test_a_replayed_handler_error_is_logged_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    fail = True

    @hooks.on("chat_finished")
    def crm(event: JivoEvent) -> None:
        if fail:
            raise RuntimeError("CRM is down")

    hooks.receiver.handle_blocking("POST", SECRET, samples.load_bytes("chat_finished"), None)
    assert hooks.receiver.drain_blocking(10)
    [stored] = hooks.store.list()
    caplog.clear()
    caplog.set_level(logging.ERROR, logger="jivo_widget")
    result = fresh_loop.run(hooks.receiver.replay(stored.id))
    assert not result.ok
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith(f"event {stored.id} (chat_finished): handler ")
    assert record.exc_info is not None


def _wait_for_failed(store_url: str) -> bool:
    """Wait (at most 10 s) until the store holds a failed event: handlers run after the reply."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        store = open_store(store_url, read_only=True)
        try:
            if store.count(status="failed"):
                return True
        finally:
            store.close()
        time.sleep(0.05)  # another process writes it: nothing to wait on but the file
    return False


FAILING_APP = textwrap.dedent(
    """
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="unused", store="sqlite:///unused.db")

    @hooks.on("chat_finished")
    def transcript(event):
        raise RuntimeError("CRM is down \\x1b]0;pwned\\x07 for " + event.raw["visitor"]["email"])
    """
)


def test_serve_logs_the_handler_traceback_escaped_and_without_the_secret(tmp_path: Path) -> None:
    (tmp_path / "failing.py").write_text(FAILING_APP, encoding="utf-8")
    served = start_serve(tmp_path, "--secret", SECRET, "--app", "failing:hooks")
    try:
        response = httpx.post(served.url(SECRET), content=_body_with_email(), timeout=10)
        assert response.status_code == 200
        assert _wait_for_failed(served.store), "the event never failed"
    finally:
        err = served.stop()
    assert "ERROR" in err and "handler failing.transcript raised RuntimeError" in err, err
    assert "Traceback (most recent call last)" in err and "in transcript" in err, err
    assert "RuntimeError: CRM is down \\x1b]0;pwned\\x07 for" in err, err  # escaped
    assert "\x1b" not in err
    assert SECRET not in err
    assert "handler error(s)" not in err  # the old count-only line


# -- CSRF ---------------------------------------------------------------------------------------


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
    tmp_path: Path, csrf_first: bool, factory: bool
) -> None:
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    app = _flask_site(hooks, csrf_first=csrf_first, factory=factory)
    with werkzeug_server(app) as base:
        body = samples.load_bytes("chat_finished")
        webhook = httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body)
        protected = httpx.post(f"{base}/account/delete", content=b"x=1")
    assert webhook.status_code == 200, webhook.text
    assert hooks.store.count() == 1
    assert protected.status_code == 400 and "CSRF" in protected.text  # the site stays protected


def test_django_view_is_exempt_from_csrf_view_middleware(tmp_path: Path) -> None:
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    from jivo_widget.webhooks.django import webhook_view

    def delete_account(request: HttpRequest) -> HttpResponse:
        return HttpResponse("deleted")

    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    with ExitStack() as stack:
        app = django_app(
            [
                path("jivo/webhook/<str:secret>", webhook_view(hooks)),
                path("account/delete", delete_account),
            ],
            stack,
        )
        base = stack.enter_context(wsgi_server(app))
        webhook = httpx.post(
            f"{base}/jivo/webhook/{SECRET}", content=samples.load_bytes("chat_finished")
        )
        protected = httpx.post(f"{base}/account/delete", content=b"x=1")
    assert webhook.status_code == 200, webhook.text
    assert hooks.store.count() == 1
    assert protected.status_code == 403  # CsrfViewMiddleware is on for the rest of the site
