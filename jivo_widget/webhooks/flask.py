"""The receiver as a Flask blueprint: ``app.register_blueprint(webhook_blueprint(hooks))``.

The view hands the request to the same framework-free core as every other adapter: the body is
read from the raw stream with the receiver's own cap (Flask sets none by default), and handlers
run on the core's background event loop, so ``async def`` handlers work under any WSGI server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, request

from jivo_widget.webhooks.receiver import redact_webhook_secrets_in_logs
from jivo_widget.webhooks.wsgi import serve_blocking

if TYPE_CHECKING:
    from jivo_widget.webhooks import WebhookApp

__all__ = ["webhook_blueprint"]

# Every method reaches the core, so a GET on the webhook URL gets the contract's 405 body.
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def webhook_blueprint(hooks: WebhookApp, name: str = "jivo_webhooks") -> Blueprint:
    """A blueprint with ``/jivo/webhook/<secret>`` and ``/healthz``; register it with an optional
    ``url_prefix``. If you use Flask-WTF's CSRF protection, exempt it: Jivo sends no token."""
    receiver = hooks.receiver
    redact_webhook_secrets_in_logs()  # the server's access log would record the secret
    blueprint = Blueprint(name, __name__)

    @blueprint.route("/jivo/webhook/<secret>", methods=_METHODS, provide_automatic_options=False)
    def webhook(secret: str) -> Response:
        length = request.headers.get("Content-Length")
        reply = serve_blocking(
            receiver, request.method, secret, request.stream.read, length, request.remote_addr
        )
        response = Response(reply.content, status=reply.status, mimetype="application/json")
        for header, value in reply.headers:
            response.headers[header] = value
        return response

    @blueprint.get("/healthz")
    def healthz() -> Response:
        reply = receiver.health()
        return Response(reply.content, status=reply.status, mimetype="application/json")

    return blueprint
