"""Auto-insertion for ASGI apps: the glue before ``</body>`` of HTML pages, no template edits.

::

    app = Starlette(routes=..., middleware=[
        Middleware(SessionMiddleware, secret_key=...),
        Middleware(AuthenticationMiddleware, backend=...),
        Middleware(JivoWidgetMiddleware, widget=Widget.from_file("jivo.toml")),
    ])
    # FastAPI: app.add_middleware(JivoWidgetMiddleware, widget=widget)

Off unless added. It changes a response only when all of these hold, and leaves every other
response byte-identical (status, headers and body, message by message):

- an HTTP ``GET``/``POST``... (not ``HEAD``), answered ``200``;
- ``Content-Type: text/html`` in a charset that can hold the glue (UTF-8 when unnamed);
- no ``Content-Encoding`` (compressed bodies are left alone: put a compression middleware
  outside this one), no ``Content-Range``, no ``ETag`` (changing the body would make the tag lie);
- not streaming: the whole body comes in one ``http.response.body`` message (``StreamingResponse``
  and ``FileResponse`` send several and pass through as they are);
- a ``</body`` tag (the glue goes before the last one, any case) and no glue yet (a page whose
  template rendered ``{{ jivo_widget() }}`` is left alone);
- the widget shows on the page (the per-page rules and the endpoint's
  :func:`~jivo_widget.integrations.starlette.page_options`).

Identity, nonce, logout flag and strictness come from the request as in
:mod:`jivo_widget.integrations.starlette` (``request.user`` needs ``AuthenticationMiddleware``
outside this one). ``Content-Length`` is rewritten to the new length.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jivo_widget.config import Widget
from jivo_widget.integrations._core import (
    encode_glue,
    has_glue,
    html_charset,
    insert_before_body,
    render_page,
)
from jivo_widget.integrations.starlette import IdentityResolver, NonceSource, RequestPages
from jivo_widget.pages import page_rules

__all__ = ["JivoWidgetMiddleware"]

# Headers that make a body unsafe to change: encoded, partial, or promised by its tag.
_HANDS_OFF = (b"content-encoding", b"content-range", b"etag")


class JivoWidgetMiddleware:
    """Inserts the widget's glue into HTML responses (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        widget: Widget,
        *,
        identity: IdentityResolver | None = None,
        nonce: NonceSource | None = None,
        strict: bool | None = None,
    ) -> None:
        self.app = app
        self.widget = widget
        self.pages = RequestPages(widget, identity=identity, nonce=nonce, strict=strict)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; rewrite the response if it is an HTML page (see above)."""
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        rules = page_rules(self.widget)
        if not self.widget.enabled or not rules.shows(
            scope.get("path", ""), client[0] if client else None
        ):
            await self.app(scope, receive, send)  # nothing to insert: no buffering either
            return
        await self.app(scope, receive, _Insertion(self, scope, send).send)


class _Insertion:
    """The ``send`` of one response: holds an eligible start until the body shows whether it is
    one message (insert) or a stream (pass through unchanged)."""

    def __init__(self, middleware: JivoWidgetMiddleware, scope: Scope, send: Send) -> None:
        self._middleware = middleware
        self._scope = scope
        self._send = send
        self._start: Message | None = None
        self._charset: str | None = None
        self._passing = False

    async def send(self, message: Message) -> None:
        if self._passing:
            await self._send(message)
        elif message["type"] == "http.response.start":
            self._charset = _eligible(message)
            if self._charset is None:
                self._passing = True
                await self._send(message)
            else:
                self._start = message
        elif message["type"] == "http.response.body" and self._start is not None:
            start, self._start = self._start, None
            self._passing = True
            if message.get("more_body", False):  # streaming: untouched
                await self._send(start)
                await self._send(message)
                return
            assert self._charset is not None
            start, message = self._insert(start, message, self._charset)
            await self._send(start)
            await self._send(message)
        else:  # anything else (an extension's message): not ours to judge
            self._passing = True
            if self._start is not None:
                await self._send(self._start)
                self._start = None
            await self._send(message)

    def _insert(self, start: Message, message: Message, charset: str) -> tuple[Message, Message]:
        body: bytes = message.get("body", b"")
        if has_glue(body) or b"</" not in body:
            return start, message
        pages = self._middleware.pages
        glue = render_page(pages.widget, pages.page(Request(self._scope)))
        encoded = encode_glue(str(glue), charset)
        new_body = insert_before_body(body, encoded) if encoded else None
        if new_body is None:
            return start, message
        length = str(len(new_body)).encode("latin-1")
        headers = [
            (name, length if name.lower() == b"content-length" else value)
            for name, value in start.get("headers", [])
        ]
        return {**start, "headers": headers}, {**message, "body": new_body}


def _eligible(start: Message) -> str | None:
    """The page's charset if a response with this start may get the glue, else ``None``."""
    if start.get("status") != 200:
        return None
    content_type = None
    for name, value in start.get("headers", []):
        lowered = name.lower()
        if lowered in _HANDS_OFF:
            return None
        if lowered == b"content-type":
            content_type = value.decode("latin-1")
    return html_charset(content_type) if content_type is not None else None
