"""Starlette and FastAPI: install_jivo_widget(templates, widget) and {{ jivo_widget() }};
identity from request.user or a function, nonce from request.state, logout, options. Starlette's
TestClient, then uvicorn and Chromium."""

from __future__ import annotations

import json
import logging
import re
import secrets
import uuid
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
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient

from jivo_widget import JivoConfigError, Widget
from jivo_widget.identity import UserTokens
from jivo_widget.integrations.starlette import (
    clear_history_next_page,
    install_jivo_widget,
    page_options,
    static_script_routes,
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


# ------------------------------------------------------------------ page performance options

#: A lazy strategy with its options, the facade, and external mode with the file on the site.
PERFORMANCE = Widget(
    widget_id=ID,
    strategy="click",
    strategy_options={"selector": ".chat-now"},
    facade={"label": "Talk to us"},
    static_url="/static/jivo/",
)
IMMUTABLE = "public, max-age=31536000, immutable"


def external_app(static_dir: Any) -> Starlette:
    """An app serving external mode's file before a Mount of the same /static/ path."""
    tpl = templates()
    install_jivo_widget(tpl, PERFORMANCE)

    async def index(request: Any) -> Response:
        return tpl.TemplateResponse(request, "base.html")

    return Starlette(
        routes=[
            *static_script_routes(PERFORMANCE),
            Route("/", index),
            Mount("/static", StaticFiles(directory=static_dir)),
        ]
    )


def test_page_performance_options_and_the_served_file_in_starlette_and_fastapi(
    tmp_path: Any,
) -> None:
    script = PERFORMANCE.static_script
    assert script is not None
    fastapi = FastAPI()
    fastapi.mount("/static", StaticFiles(directory=tmp_path))
    fastapi.router.routes[:0] = static_script_routes(PERFORMANCE)
    for app in (external_app(tmp_path), fastapi):
        with TestClient(app) as client:
            if app is not fastapi:
                html = client.get("/").text
                assert 'id="jivo-facade"' in html and "Talk to us" in html
                assert f'<script src="{script.url}" integrity="{script.integrity}"' in html
            served = client.get(script.url)
            assert served.status_code == 200
            assert served.content == script.text.encode()
            assert served.headers["cache-control"] == IMMUTABLE
            assert served.headers["content-type"] == "text/javascript; charset=utf-8"
            assert client.head(script.url).status_code == 200
            assert client.get("/static/jivo/jivo-widget.000000000000.js").status_code == 404


def test_no_route_without_external_mode_or_for_a_cdn() -> None:
    assert static_script_routes(Widget(widget_id=ID)) == []
    assert static_script_routes(Widget(widget_id=ID, static_url="https://cdn.example/j/")) == []


@pytest.mark.browser
def test_external_mode_served_by_the_app_in_a_browser(
    page: BrowserPage, jivo_mock: JivoMock, serve_asgi: Callable[[Any], str], tmp_path: Any
) -> None:
    """The file the app serves passes Subresource Integrity; nothing of Jivo's loads before
    the facade's click, which loads the widget and opens the chat."""
    loader: list[str] = []
    page.on("request", lambda r: loader.append(r.url) if "/widget/" in r.url else None)
    page.goto(serve_asgi(external_app(tmp_path)) + "/")
    page.wait_for_function("typeof window.jivoWidget === 'object'")
    assert loader == []
    page.get_by_role("button", name="Talk to us").click()
    jivo_mock.wait_for_call("open")
    assert len(loader) == 1


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


# ------------------------------------------------------------------ verified identity

SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
SIGNING = Widget(widget_id=ID, identity_secret=SECRET)


def signed_id(html: str) -> str | None:
    ((name, (token,)), *_) = calls(html)
    assert name == "setUserToken"
    return UserTokens(SECRET).verify(token).visitor_id


def test_with_a_secret_request_user_is_signed() -> None:
    with TestClient(make_app(SIGNING)) as client:
        assert calls(client.get("/").text) == []
        client.get("/login/ann")
        html = client.get("/").text
    assert signed_id(html) == "ann"
    assert calls(html)[1:] == [["setContactInfo", [{"name": "ann", "email": "ann@example.com"}]]]


def test_a_user_identity_that_breaks_jivos_rule_is_dropped_or_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    app = make_app(SIGNING)
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        client.get("/login/ann.lee")
        assert [name for name, _ in calls(client.get("/").text)] == ["setContactInfo"]
    assert "visitor_id: must be 1-256 Latin letters and/or digits" in caplog.text
    assert "ann.lee" not in caplog.text
    app.debug = True
    with TestClient(app) as client, pytest.raises(JivoConfigError, match=r"^visitor_id: "):
        client.get("/login/ann.lee")
        client.get("/")


def test_an_identity_function_may_return_visitor_id() -> None:
    app = make_app(SIGNING, identity=lambda request: {"visitor_id": uuid.UUID(int=7).hex})
    with TestClient(app) as client:
        assert signed_id(client.get("/").text) == "00000000000000000000000000000007"


def test_fastapi_signs_from_its_templates() -> None:
    tpl = templates()
    install_jivo_widget(tpl, SIGNING, identity=lambda request: {"visitor_id": 42})
    app = FastAPI()

    @app.get("/")
    async def index(request: Request) -> Response:
        return tpl.TemplateResponse(request, "base.html")

    with TestClient(app) as client:
        assert signed_id(client.get("/").text) == "42"


@pytest.mark.browser
def test_the_signed_token_in_a_browser(
    page: BrowserPage, jivo_mock: JivoMock, serve_asgi: Callable[[Any], str]
) -> None:
    url = serve_asgi(make_app(SIGNING))
    page.goto(url + "/login/ann")
    page.goto(url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.token_claims() == {"id": "ann"}
    assert UserTokens(SECRET).verify(jivo_mock.visitor_token()).visitor_id == "ann"
