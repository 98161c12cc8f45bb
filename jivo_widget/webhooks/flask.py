"""The receiver as a Flask blueprint: ``app.register_blueprint(webhook_blueprint(hooks))``.

The view hands the request to the same framework-free core as every other adapter: the body is
read from the raw stream with the receiver's own cap (Flask sets none by default), and handlers
run on the core's background event loop, so ``async def`` handlers work under any WSGI server.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App

from jivo_widget.webhooks._logging import redact_webhook_secrets_in_logs
from jivo_widget.webhooks.contract import HEALTH_PATH, ROUTED_METHODS, WEBHOOK_PREFIX
from jivo_widget.webhooks.receiver import HasReceiver
from jivo_widget.webhooks.wsgi import serve_blocking

__all__ = ["webhook_blueprint"]

# Every method reaches the core, so a GET on the webhook URL gets the contract's 405 body.
# (HEAD is left to Flask, which answers it for every GET route.)
_METHODS = [method for method in ROUTED_METHODS if method != "HEAD"]


def _exempt_from_csrf(app: App, blueprint: Blueprint) -> None:
    """Exempt ``blueprint`` from Flask-WTF's ``CSRFProtect`` if ``app`` uses it.

    Jivo cannot send a CSRF token: the secret in the URL is the authentication. Flask-WTF
    registers itself as ``app.extensions["csrf"]``; exempting is idempotent.
    """
    csrf = app.extensions.get("csrf")
    exempt = getattr(csrf, "exempt", None)
    if exempt is not None:
        exempt(blueprint)


def webhook_blueprint(hooks: HasReceiver, name: str = "jivo_webhooks") -> Blueprint:
    """A blueprint with ``/jivo/webhook/<secret>`` and ``/healthz``; register it with an optional
    ``url_prefix``.

    It exempts itself from Flask-WTF's CSRF protection (Jivo sends no token), whether
    ``CSRFProtect`` is set up before or after the blueprint is registered; the app's other
    views stay protected.
    """
    receiver = hooks.receiver
    redact_webhook_secrets_in_logs()  # the server's access log would record the secret
    blueprint = Blueprint(name, __name__)

    # CSRFProtect set up first: exempt at registration. Set up later: its check runs after
    # this app-wide hook, which was registered first, so the exemption is in place in time.
    def exempt_at_registration(state: BlueprintSetupState) -> None:
        _exempt_from_csrf(state.app, blueprint)

    def exempt_before_csrf_check() -> None:
        _exempt_from_csrf(current_app, blueprint)

    blueprint.record(exempt_at_registration)
    blueprint.before_app_request(exempt_before_csrf_check)

    @blueprint.route(WEBHOOK_PREFIX + "<secret>", methods=_METHODS, provide_automatic_options=False)
    def webhook(secret: str) -> Response:
        length = request.headers.get("Content-Length")
        reply = serve_blocking(
            receiver, request.method, secret, request.stream.read, length, request.remote_addr
        )
        response = Response(reply.content, status=reply.status, mimetype="application/json")
        for header, value in reply.headers:
            response.headers[header] = value
        return response

    @blueprint.get(HEALTH_PATH)
    def healthz() -> Response:
        reply = receiver.health()
        return Response(reply.content, status=reply.status, mimetype="application/json")

    return blueprint
