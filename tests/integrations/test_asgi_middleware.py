"""The ASGI auto-insertion middleware: the glue before </body> of plain HTML pages, every other
response byte-identical (a property over generated responses), and in a real browser."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page as BrowserPage
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from jivo_widget import Widget
from jivo_widget.integrations.asgi import JivoWidgetMiddleware
from jivo_widget.integrations.starlette import page_options
from jivo_widget.testing import JivoMock

ID = "AbCdEf1234"
WIDGET = Widget(widget_id=ID)
PAGE = "<!doctype html><html><head><title>t</title></head><body><p>x</p></body></html>"


def calls(html: str) -> list[Any]:
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    return list(json.loads(match.group(1)))


# ------------------------------------------------------------------ the property


def _responder(status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for index, chunk in enumerate(chunks):
            more = index < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


def _run_in_fresh_thread(coroutine: Any) -> Any:
    # Not asyncio.run here: after a browser test, Playwright's sync API leaves an event loop
    # running in the main thread (microsoft/playwright-pytest#167).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _run(app: Any, method: str = "GET") -> list[Message]:
    sent: list[Message] = []
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [],
        "client": ("198.51.100.7", 1234),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
        "asgi": {"version": "3.0"},
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    _run_in_fresh_thread(app(scope, receive, send))
    return sent


CONTENT_TYPES = [
    b"text/html",
    b"text/html; charset=utf-8",
    b"TEXT/HTML;charset=UTF-8",
    b"text/html; charset=latin-1",
    b"application/json",
    b"text/plain",
    b"application/xhtml+xml",
    b"image/png",
    b"text/event-stream",
    b"application/javascript",
    b"text/htmlx",
]
EXTRA_HEADERS = [
    (b"content-encoding", b"gzip"),
    (b"content-encoding", b"br"),
    (b"etag", b'"abc"'),
    (b"content-range", b"bytes 0-9/100"),
    (b"cache-control", b"no-store"),
    (b"x-custom", b"1"),
]
BODY_PARTS = [
    b"<html>",
    b"<body>",
    b"</body>",
    b"</BODY >",
    b"</html>",
    b"text \xc3\xa9",
    b"\x00\xff\x1f\x8b",
    b"<script data-jivo='[]'></script>",
    b'{"a": 1}',
    b"",
]

bodies = st.lists(st.sampled_from(BODY_PARTS), max_size=6).map(b"".join) | st.binary(max_size=64)


@st.composite
def responses(draw: st.DrawFn) -> tuple[int, list[tuple[bytes, bytes]], list[bytes], str]:
    status = draw(st.sampled_from([200, 200, 200, 201, 204, 206, 301, 404, 500]))
    headers: list[tuple[bytes, bytes]] = []
    if draw(st.integers(0, 4)):  # now and then no Content-Type at all
        headers.append(
            (
                draw(st.sampled_from([b"content-type", b"Content-Type"])),
                draw(st.sampled_from(CONTENT_TYPES)),
            )
        )
    headers += draw(st.lists(st.sampled_from(EXTRA_HEADERS), max_size=2))
    chunks = draw(st.lists(bodies, min_size=1, max_size=3))
    if draw(st.booleans()):
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    method = draw(st.sampled_from(["GET", "GET", "POST", "HEAD"]))
    return status, headers, chunks, method


def _eligible(
    status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes], method: str
) -> bool:
    names = {name.lower() for name, _ in headers}
    content_type = dict((n.lower(), v) for n, v in headers).get(b"content-type", b"")
    media = content_type.lower().partition(b";")[0].strip()
    return (
        method != "HEAD"
        and status == 200
        and media == b"text/html"
        and not names & {b"content-encoding", b"etag", b"content-range"}
        and len(chunks) == 1
        and b"</body" in chunks[0].lower()
        and b" data-jivo='" not in chunks[0]
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses())
def test_only_plain_html_pages_change_and_only_by_the_glue(
    response: tuple[int, list[tuple[bytes, bytes]], list[bytes], str],
) -> None:
    status, headers, chunks, method = response
    inner = _responder(status, headers, chunks)
    plain = _run(inner, method)
    wrapped = _run(JivoWidgetMiddleware(inner, widget=WIDGET), method)
    if not _eligible(status, headers, chunks, method):
        assert wrapped == plain
        return
    # latin-1 pages get the glue too: this widget's glue is ASCII
    start, body = wrapped
    (original,) = chunks
    new = body["body"]
    at = original.lower().rfind(b"</body")
    assert new.startswith(original[:at]) and new.endswith(original[at:])
    glue = new[at : len(new) - (len(original) - at)]
    assert glue.startswith(b"<script data-jivo='[]'>") and glue.endswith(b"</script>")
    expected_headers = [
        (n, str(len(new)).encode() if n.lower() == b"content-length" else v) for n, v in headers
    ]
    assert start == {**plain[0], "headers": expected_headers}
    assert body == {**plain[1], "body": new}


# ------------------------------------------------------------------ with Starlette


def _app(widget: Widget = WIDGET, **middleware: Any) -> Starlette:
    async def html(request: Any) -> Response:
        return HTMLResponse(PAGE)

    async def off(request: Any) -> Response:
        page_options(request).enabled = False
        return HTMLResponse(PAGE)

    async def order(request: Any) -> Response:
        page_options(request).update(custom_data=[{"title": "Order", "content": "#7"}])
        return HTMLResponse(PAGE)

    async def data(request: Any) -> Response:
        return JSONResponse({"html": "</body>"})

    async def stream(request: Any) -> Response:
        async def parts() -> Any:
            yield b"<html><body>"
            yield b"</body></html>"

        return StreamingResponse(parts(), media_type="text/html")

    async def big(request: Any) -> Response:
        return HTMLResponse("<html><body>" + "x" * 2000 + "</body></html>")

    return Starlette(
        routes=[
            Route("/", html),
            Route("/off", off),
            Route("/order", order),
            Route("/data", data),
            Route("/stream", stream),
            Route("/big", big),
            Route("/admin/x", html),
        ],
        middleware=[
            Middleware(GZipMiddleware, minimum_size=1000),
            Middleware(JivoWidgetMiddleware, widget=widget, **middleware),
        ],
    )


def test_pages_get_the_glue_with_identity_and_options() -> None:
    app = _app(identity=lambda request: {"user_token": "u1"}, nonce=lambda request: "n0nce")
    with TestClient(app) as client:
        html = client.get("/order").text
        assert html.count("<script") == 1 and html.index("<script") < html.index("</body>")
        assert '<script nonce="n0nce"' in html
        assert calls(html) == [
            ["setUserToken", ["u1"]],
            ["setCustomData", [[{"title": "Order", "content": "#7"}]]],
        ]
        assert client.get("/off").text == PAGE
        assert client.get("/data").json() == {"html": "</body>"}
        assert client.get("/stream").text == "<html><body></body></html>"
        head = client.head("/")
        assert head.headers["content-length"] == str(len(PAGE))


def test_compression_outside_compresses_the_page_with_the_glue() -> None:
    with TestClient(_app()) as client:
        response = client.get("/big", headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert "data-jivo" in response.text  # httpx decompressed it


def test_compressed_pages_are_left_alone() -> None:
    page = gzip.compress(PAGE.encode())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"content-encoding", b"gzip")],
            }
        )
        await send({"type": "http.response.body", "body": page})

    assert _run(JivoWidgetMiddleware(app, widget=WIDGET))[1]["body"] == page


def test_a_charset_that_cannot_hold_the_glue_leaves_the_page_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    widget = Widget(widget_id=ID, handlers={"jivo_onOpen": "document.title = '💬';"})
    inner = _responder(200, [(b"content-type", b"text/html; charset=latin-1")], [b"<body></body>"])
    assert _run(JivoWidgetMiddleware(inner, widget=widget)) == _run(inner)
    assert "charset 'latin-1' cannot hold it" in caplog.text


def test_rules_skip_excluded_paths_without_buffering() -> None:
    widget = Widget(widget_id=ID, exclude_paths=["/admin/*"])
    with TestClient(_app(widget)) as client:
        assert client.get("/admin/x").text == PAGE
        assert "data-jivo" in client.get("/").text


def test_websockets_and_lifespan_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    _run_in_fresh_thread(JivoWidgetMiddleware(app, widget=WIDGET)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


@pytest.mark.browser
def test_in_a_browser(
    page: BrowserPage, jivo_mock: JivoMock, serve_asgi: Callable[[Any], str]
) -> None:
    url = serve_asgi(_app(identity=lambda request: {"user_token": "auto-1"}))
    page.goto(url + "/order")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["auto-1"]]
    assert jivo_mock.calls("setCustomData") == [[[{"title": "Order", "content": "#7"}]]]
