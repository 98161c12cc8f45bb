"""The receiver as a Django view.

``urls.py``::

    from jivo_widget.webhooks.django import webhook_view
    urlpatterns = [path("jivo/webhook/<str:secret>", webhook_view(hooks))]

With ``JIVO_WEBHOOK_STORE`` in the settings (``"django"``: the events in the site's own database,
the ``jivo_widget.integrations.django`` app's model) the view serves the app's handlers over that
store (see :mod:`jivo_widget.integrations.django.webhook_settings`).

The view is CSRF-exempt (Jivo cannot send a token) and accepts POST only (other methods get the
contract's 405 from the core). It reads the body from the request stream with the receiver's own
cap instead of ``request.body``, whose ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check would answer with
Django's own 400 page rather than the contract's 413.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import cast

# Django ships no type information (django-stubs is not a dependency).
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from jivo_widget.integrations.django.webhook_settings import serving
from jivo_widget.webhooks._logging import redact_webhook_secrets_in_logs
from jivo_widget.webhooks.app import WebhookApp
from jivo_widget.webhooks.receiver import HasReceiver, Receiver
from jivo_widget.webhooks.wsgi import serve_blocking

__all__ = ["webhook_view"]


def _body_source(request: HttpRequest) -> tuple[Callable[[int], bytes], str | None]:
    """Where to read the body from, and its declared length.

    Django's WSGI request limits its stream to ``CONTENT_LENGTH`` and treats a missing one as 0,
    which would turn a chunked delivery into an empty body. When the server marks ``wsgi.input``
    as terminated (gunicorn, Werkzeug), we read the raw input to its end instead; the core still
    stops one byte past the cap. Under ASGI, Django has spooled the whole body already.
    """
    length = request.META.get("CONTENT_LENGTH") or None
    if length is not None:
        return request.read, length
    wsgi_input = request.META.get("wsgi.input")
    if wsgi_input is None:  # ASGI: the request stream is the complete body
        return request.read, None
    if request.META.get("wsgi.input_terminated"):
        return wsgi_input.read, None
    return request.read, "0"  # PEP 3333: an unterminated input without a length is empty


def webhook_view(hooks: HasReceiver) -> Callable[[HttpRequest, str], HttpResponse]:
    """A view for a URL pattern with a ``secret`` path parameter.

    Raises :class:`~jivo_widget.errors.JivoConfigError` when ``JIVO_WEBHOOK_STORE`` is invalid
    or contradicts the store ``hooks`` was built with (here when Django's settings are
    configured, else at the first request).
    """
    served: list[Receiver] = []
    lock = threading.Lock()

    def receiver() -> Receiver:
        # The settings decide the store: read once they exist (a module may build the view
        # before Django is set up), once.
        with lock:
            if not served:
                app = serving(hooks) if isinstance(hooks, WebhookApp) else hooks
                served.append(app.receiver)
            return served[0]

    from django.conf import settings  # here: a module-level LazySettings is read by inspection

    if settings.configured:
        receiver()  # a bad or contradicting JIVO_WEBHOOK_STORE is an error now, not per request
    redact_webhook_secrets_in_logs()  # the server's access log would record the secret

    def jivo_webhook(request: HttpRequest, secret: str) -> HttpResponse:
        read, length = _body_source(request)
        reply = serve_blocking(
            receiver(),
            request.method or "GET",
            secret,
            read,
            length,
            request.META.get("REMOTE_ADDR"),
        )
        response = HttpResponse(reply.content, status=reply.status, content_type="application/json")
        for header, value in reply.headers:
            response[header] = value
        return response

    # Jivo cannot send a CSRF token; the secret in the URL is the authentication.
    return cast(Callable[[HttpRequest, str], HttpResponse], csrf_exempt(jivo_webhook))
