"""Starlette and FastAPI: install_jivo_widget(templates, widget) and {{ jivo_widget() }};
identity from request.user or a function, nonce from request.state, logout, options. Starlette's
TestClient, then uvicorn and Chromium."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
import pytest
from fastapi import FastAPI, Request
from playwright.sync_api import Page as BrowserPage
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient

from jivo_widget import JivoConfigError, Widget
from jivo_widget.integrations.starlette import (
    clear_history_next_page,
    install_jivo_widget,
    page_options,
)
from jivo_widget.testing import JivoMock

ID = "AbCdEf1234"
BASE = "<!doctype html><html><body><p>shop</p>{{ jivo_widget() }}</body></html>"


def calls(html: str) -> list[Any]:
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    return list(json.loads(match.group(1)))


class Shopper(SimpleUser):
    def __init__(self, username: str, email: str) -> None:
        super().__init__(username)
        self.email = email


class SessionUser(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Shopper] | None:
        name = conn.session.get("user")
        return (
            (AuthCredentials(["authenticated"]), Shopper(name, f"{name}@example.com"))
            if name
            else None
        )


def templates() -> Jinja2Templates:
    return Jinja2Templates(
        env=jinja2.Environment(loader=jinja2.DictLoader({"base.html": BASE}), autoescape=True)
    )


def make_app(widget: Widget | None = None, **install: Any) -> Starlette:
    tpl = templates()
    install_jivo_widget(tpl, widget or Widget(widget_id=ID), **install)

    async def index(request: Any) -> Response:
        return tpl.TemplateResponse(request, "base.html")

    async def login(request: Any) -> Response:
        request.session["user"] = request.path_params["name"]
        return PlainTextResponse("in")

    async def logout(request: Any) -> Response:
        request.session.pop("user", None)
        clear_history_next_page(request)
        return PlainTextResponse("out")

    async def order(request: Any) -> Response:
        page_options(request).update(custom_data=[{"title": "Order", "content": "#1042"}])
        return tpl.TemplateResponse(request, "base.html")

    async def checkout(request: Any) -> Response:
        page_options(request).enabled = False
        return tpl.TemplateResponse(request, "base.html")

    async def nonce(request: Any, call_next: Callable[[Any], Awaitable[Response]]) -> Response:
        request.state.csp_nonce = secrets.token_urlsafe(16)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{request.state.csp_nonce}' 'strict-dynamic'"
        )
        return response

    from starlette.middleware.base import BaseHTTPMiddleware

    return Starlette(
        routes=[
            Route("/", index),
            Route("/login/{name}", login),
            Route("/logout", logout),
            Route("/order", order),
            Route("/checkout", checkout),
        ],
        middleware=[
            Middleware(SessionMiddleware, secret_key="test-secret"),
            Middleware(AuthenticationMiddleware, backend=SessionUser()),
            Middleware(BaseHTTPMiddleware, dispatch=nonce),
        ],
    )


def test_request_user_identity_logout_and_nonce() -> None:
    with TestClient(make_app()) as client:
        response = client.get("/")
        assert calls(response.text) == []
        nonce = re.search(r'<script nonce="([^"]+)"', response.text)
        assert nonce and f"'nonce-{nonce.group(1)}'" in response.headers["Content-Security-Policy"]
        client.get("/login/ann")
        assert calls(client.get("/").text) == [
            ["setUserToken", ["ann"]],
            ["setContactInfo", [{"name": "ann", "email": "ann@example.com"}]],
        ]
        client.get("/logout")
        assert calls(client.get("/").text) == [["clearHistory", []]]
        assert calls(client.get("/").text) == []


def test_identity_and_nonce_functions() -> None:
    app = make_app(
        identity=lambda request: {"user_token": f"v-{request.url.path.strip('/') or 'home'}"},
        nonce=lambda request: "fromFunction1",
    )
    with TestClient(app) as client:
        html = client.get("/order").text
    assert html.count('<script nonce="fromFunction1"') == 1
    assert calls(html) == [
        ["setUserToken", ["v-order"]],
        ["setCustomData", [[{"title": "Order", "content": "#1042"}]]],
    ]


def test_options_and_rules() -> None:
    widget = Widget(widget_id=ID, exclude_paths=["/order"], internal_ips=["127.0.0.0/8"])
    with TestClient(make_app(widget), client=("10.0.0.1", 5000)) as client:
        assert "data-jivo" not in client.get("/checkout").text
        assert "data-jivo" not in client.get("/order").text
        assert "data-jivo" in client.get("/").text
    with TestClient(make_app(widget), client=("127.0.0.1", 5000)) as client:
        assert "data-jivo" not in client.get("/").text


def test_async_functions_are_refused() -> None:
    async def identity(request: Any) -> dict[str, Any]:
        return {}

    with pytest.raises(TypeError, match="identity= must be a plain function"):
        install_jivo_widget(templates(), Widget(widget_id=ID), identity=identity)


def test_templates_without_a_request_render_without_request_data() -> None:
    tpl = templates()
    install_jivo_widget(tpl, Widget(widget_id=ID))
    assert calls(tpl.get_template("base.html").render(csp_nonce="n1")) == []


def test_debug_apps_are_strict_production_apps_lenient(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    app = make_app(identity=lambda request: {"user_token": "1", "page_url": "javascript:x"})
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert calls(client.get("/").text) == [["setUserToken", ["1"]]]
    assert "page_url" in caplog.text
    app.debug = True
    with TestClient(app) as client, pytest.raises(JivoConfigError, match="page_url"):
        client.get("/")


def test_fastapi_with_the_webhook_router(tmp_path: Any) -> None:
    from jivo_widget.webhooks import WebhookApp
    from jivo_widget.webhooks.fastapi import webhook_router

    tpl = templates()
    install_jivo_widget(tpl, Widget(widget_id=ID), identity=lambda request: {"user_token": "f"})
    app = FastAPI()
    hooks = WebhookApp(secret="s3cret-s3cret", store=f"sqlite:///{tmp_path / 'e.db'}")
    app.include_router(webhook_router(hooks))

    @app.get("/")
    async def index(request: Request) -> Response:
        return tpl.TemplateResponse(request, "base.html")

    with TestClient(app) as client:
        assert calls(client.get("/").text) == [["setUserToken", ["f"]]]
        assert client.get("/healthz").status_code == 200


@pytest.mark.browser
def test_in_a_browser(
    page: BrowserPage, jivo_mock: JivoMock, serve_asgi: Callable[[Any], str]
) -> None:
    url = serve_asgi(make_app())
    page.goto(url + "/login/ann")
    page.goto(url + "/order")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["ann"]]
    assert jivo_mock.calls("setCustomData") == [[[{"title": "Order", "content": "#1042"}]]]
    page.goto(url + "/logout")
    page.goto(url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("clearHistory") == [[]]
