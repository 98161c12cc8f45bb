"""The receiver as a WSGI application (``POST /jivo/webhook/{secret}``, ``GET /healthz``).

A thin translation over the framework-free core: WSGI is synchronous while handlers may be
``async``, so deliveries are handled on the core's one background event-loop thread (where
handlers keep running after the reply), and the body is read with
:meth:`Receiver.read_body_blocking`, which never reads more than the cap plus one byte from
``wsgi.input``. The Flask and Django adapters reuse :func:`serve_blocking`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jivo_widget.webhooks._logging import redact_webhook_secrets_in_logs
from jivo_widget.webhooks.contract import HEALTH_PATH, WEBHOOK_PREFIX, Reply, reason_phrase
from jivo_widget.webhooks.receiver import HasReceiver, Receiver

__all__ = ["serve_blocking", "wsgi_app"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def serve_blocking(
    receiver: Receiver,
    method: str,
    secret: str,
    read: Callable[[int], bytes],
    content_length: str | None,
    remote_addr: str | None,
) -> Reply:
    """One delivery for a synchronous framework: authorise, read the capped body, handle.

    The request line is checked first (once) so a wrong secret or method never causes a body
    read.
    """
    early = receiver.authorize(method, secret)
    if early is not None:
        return early
    body = receiver.read_body_blocking(read, content_length)
    return receiver.handle_authorized_blocking(body, remote_addr)


def wsgi_app(hooks: HasReceiver) -> WSGIApp:
    """A WSGI application for ``hooks``; mount it anywhere (``SCRIPT_NAME`` is honoured)."""
    redact_webhook_secrets_in_logs()  # the server's access log would record the secret
    receiver = hooks.receiver

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # PEP 3333 hands the path over as latin-1 decoded bytes; the secret is UTF-8.
        raw_path: str = environ.get("PATH_INFO") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", errors="replace")
        method: str = environ.get("REQUEST_METHOD", "GET").upper()
        secret = path.removeprefix(WEBHOOK_PREFIX)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            reply = receiver.health()
        elif path.startswith(WEBHOOK_PREFIX) and secret and "/" not in secret:
            # Without a Content-Length only a terminated input may be read to its end (PEP 3333).
            length = environ.get("CONTENT_LENGTH") or None
            if length is None and not environ.get("wsgi.input_terminated"):
                length = "0"
            reply = serve_blocking(
                receiver, method, secret, environ["wsgi.input"].read, length,
                environ.get("REMOTE_ADDR"),
            )  # fmt: skip
        else:
            reply = Reply.not_found()
        body = reply.content
        headers = [("Content-Type", "application/json"), *reply.headers]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{reply.status} {reason_phrase(reply.status)}", headers)
        return [b""] if method == "HEAD" else [body]  # HEAD: the headers of GET, no body

    return app
