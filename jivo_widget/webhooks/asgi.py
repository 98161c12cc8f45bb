"""The ASGI adapter (Starlette): ``POST /jivo/webhook/{secret}``, ``GET /healthz``,
``GET /openapi.json`` (the endpoint's OpenAPI document) and, when the app keeps metrics,
``GET /metrics``.

Every answer, including the router's own 404 and 405, is JSON naming the problem. The body is
read through :meth:`Receiver.read_body`, so Starlette never buffers more than the cap.

Mounted inside another Starlette app (``Mount("/", hooks.asgi())``), this app's lifespan does
not run: the insecure-mode warning is then only the one :class:`WebhookApp` issued, and handlers
still running at shutdown are not waited for (their events stay ``received``, replayable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from jivo_widget.webhooks._logging import logger, redact_webhook_secrets_in_logs
from jivo_widget.webhooks.contract import (
    HEALTH_PATH,
    METRICS_PATH,
    OPENAPI_PATH,
    ROUTED_METHODS,
    WEBHOOK_PATH,
    Reply,
)
from jivo_widget.webhooks.receiver import Receiver

__all__ = ["create_app", "starlette_response"]


def starlette_response(reply: Reply) -> Response:
    """``reply`` as a Starlette (and so FastAPI) response."""
    return Response(
        reply.content,
        status_code=reply.status,
        headers=dict(reply.headers),
        media_type="application/json",
    )


class _ClientGone(Exception):
    """The client disconnected before the whole body arrived."""


class _WebhookEndpoint:
    """The webhook route as a plain ASGI app.

    This is the hot path, so it skips Starlette's Request/Response objects (measurably cheaper
    per delivery) and speaks ASGI directly: the body is read message by message through
    :meth:`Receiver.read_body`, never more than the cap.
    """

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        receiver = self._receiver
        method: str = scope["method"]
        secret: str = scope.get("path_params", {}).get("secret", "")
        early = receiver.authorize(method, secret)
        if early is not None:
            await _send_reply(send, early)
            return
        content_length = None
        expect_continue = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                content_length = value.decode("latin-1")
            elif name == b"expect":
                expect_continue = value.strip().lower() == b"100-continue"

        async def chunks() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientGone
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        try:
            body = await receiver.read_body(
                chunks(), content_length, expect_continue=expect_continue
            )
        except _ClientGone:
            return  # nothing complete to store, nobody to answer
        client = scope.get("client")
        reply = await receiver.handle_authorized(body, client[0] if client else None)
        # Refused before its body was sent: the connection cannot carry another request.
        await _send_reply(send, reply, close=body is None and expect_continue)


async def _send_reply(send: Send, reply: Reply, *, close: bool = False) -> None:
    content = reply.content
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode("ascii")),
    ]
    if close:
        headers.append((b"connection", b"close"))
    headers += [(name.lower().encode("ascii"), value.encode()) for name, value in reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def create_app(receiver: Receiver) -> Starlette:
    """A Starlette app serving ``receiver``."""
    redact_webhook_secrets_in_logs()

    async def healthz(request: Request) -> Response:
        return starlette_response(receiver.health())

    async def openapi(request: Request) -> Response:
        from jivo_widget.webhooks.openapi import openapi_json

        document = openapi_json(metrics=receiver.observer.serves_metrics)
        return Response(document, media_type="application/json")

    async def metrics(request: Request) -> Response:
        body, content_type = receiver.observer.exposition()
        return Response(body, headers={"content-type": content_type})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "not found", 405: f"method {request.method} not allowed"}.get(
            exc.status_code, exc.detail
        )
        return Response(
            Reply.error(exc.status_code, message).content,
            status_code=exc.status_code,
            headers=exc.headers,
            media_type="application/json",
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if receiver.insecure:
            logger.warning(
                "NO WEBHOOK SECRET CONFIGURED: %s/<anything> accepts events from anyone",
                WEBHOOK_PATH,
            )
        receiver.warn_about_stuck_events()
        if receiver.worker is not None:
            receiver.worker.start()
        yield
        if receiver.worker is not None:
            await receiver.worker.stop(timeout=receiver.handler_timeout)
        if not await receiver.drain(timeout=receiver.handler_timeout):
            logger.warning("shutting down with handlers still running; their events stay received")

    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH + "/{secret}", _WebhookEndpoint(receiver), methods=ROUTED_METHODS),
            Route(WEBHOOK_PATH, _WebhookEndpoint(receiver), methods=ROUTED_METHODS),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            Route(OPENAPI_PATH, openapi, methods=["GET"]),
            *(
                [Route(METRICS_PATH, metrics, methods=["GET"])]
                if receiver.observer.serves_metrics
                else []
            ),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    # A webhook sender does not follow redirects: the path with a trailing slash and no secret
    # is a JSON 404, not a 307.
    app.router.redirect_slashes = False
    return app
