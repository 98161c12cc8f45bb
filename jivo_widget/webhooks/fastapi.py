"""The receiver as a FastAPI router: ``app.include_router(webhook_router(hooks))``.

The same steps as the Starlette app of :mod:`jivo_widget.webhooks.asgi`, over the same core:
authorise the request line, read the body through :meth:`Receiver.read_body` (never more than
the cap, whatever Content-Length claims), hand it to :meth:`Receiver.handle`. The routes are
left out of the OpenAPI schema by default: the URL holds a secret.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.requests import ClientDisconnect

from jivo_widget.webhooks._logging import redact_webhook_secrets_in_logs
from jivo_widget.webhooks.asgi import starlette_response
from jivo_widget.webhooks.contract import HEALTH_PATH, ROUTED_METHODS, WEBHOOK_PATH
from jivo_widget.webhooks.receiver import HasReceiver

__all__ = ["webhook_router"]


def webhook_router(hooks: HasReceiver, *, include_in_schema: bool = False) -> APIRouter:
    """An ``APIRouter`` with ``/jivo/webhook/{secret}`` and ``/healthz``; include it with an
    optional ``prefix``."""
    receiver = hooks.receiver
    redact_webhook_secrets_in_logs()  # the server's access log would record the secret
    router = APIRouter()

    path, methods = WEBHOOK_PATH + "/{secret}", list(ROUTED_METHODS)

    @router.api_route(path, methods=methods, include_in_schema=include_in_schema)
    async def jivo_webhook(secret: str, request: Request) -> Response:
        early = receiver.authorize(request.method, secret)
        if early is not None:
            return starlette_response(early)
        expect_continue = request.headers.get("expect", "").strip().lower() == "100-continue"
        try:
            body = await receiver.read_body(
                request.stream(),
                request.headers.get("content-length"),
                expect_continue=expect_continue,
            )
        except ClientDisconnect:
            return Response(status_code=400)  # the client left mid-body: nobody to answer
        client = request.client.host if request.client else None
        response = starlette_response(await receiver.handle_authorized(body, client))
        if body is None and expect_continue:
            response.headers["connection"] = "close"  # its body was never sent
        return response

    @router.get(HEALTH_PATH, include_in_schema=include_in_schema)
    async def jivo_healthz() -> Response:
        return starlette_response(receiver.health())

    return router
