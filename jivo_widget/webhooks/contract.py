"""The HTTP contract of the webhook endpoint: where Jivo posts, the limits, and every answer.

The one place these facts live; the receiver and every adapter read them from here::

    POST {WEBHOOK_PATH}/{secret}    a delivery          GET {HEALTH_PATH}    the store's health

    200  {"result": "ok", ...}  stored; also for an unknown event_name and when a handler failed
    400  not a UTF-8 JSON object with a string event_name   (stored as ``malformed``)
    404  wrong secret in the path                           (nothing read, nothing stored)
    405  any method but POST                                (nothing read, nothing stored)
    413  body over ``max_body_bytes``                       (nothing stored)
    422  fails its event model                              (stored as ``invalid``)
    503  the store cannot take the delivery: the sender retries

A body identical to one stored within ``dedupe_window`` is a resend: it gets the first
delivery's answer again, with :data:`DUPLICATE_HEADER` naming the stored event. Content-Type is
neither required nor trusted. Jivo does not sign its webhooks, so the secret path segment is the
only authentication there is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.responses import OK
from jivo_widget.webhooks.store.base import EventStatus

__all__ = [
    "DEFAULT_DEDUPE_WINDOW",
    "DEFAULT_HANDLER_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_RESPONSE_DEADLINE",
    "DUPLICATE_HEADER",
    "HEALTH_PATH",
    "METRICS_PATH",
    "OPENAPI_PATH",
    "ROUTED_METHODS",
    "WEBHOOK_METHOD",
    "WEBHOOK_PATH",
    "WEBHOOK_PREFIX",
    "Reply",
    "check_limits",
    "check_secrets",
    "reason_phrase",
    "status_code",
]

#: Where Jivo posts: ``{WEBHOOK_PATH}/{secret}``.
WEBHOOK_PATH = "/jivo/webhook"
#: :data:`WEBHOOK_PATH` with its trailing slash: what a path starts with when a secret follows.
WEBHOOK_PREFIX = WEBHOOK_PATH + "/"
#: The health check: 200 while the store takes writes, else 503.
HEALTH_PATH = "/healthz"
#: Prometheus metrics, when the app keeps them (``WebhookApp(metrics=True)``).
METRICS_PATH = "/metrics"
#: The OpenAPI document of the endpoint (:mod:`jivo_widget.webhooks.openapi`).
OPENAPI_PATH = "/openapi.json"
#: The one method a delivery may use.
WEBHOOK_METHOD = "POST"
#: The methods routed to the endpoint: all of them, so that a wrong secret is a 404 whatever the
#: method, and a GET with the right secret gets the contract's JSON 405 rather than a
#: framework's own page.
ROUTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

#: The header on a duplicate's answer: the id of the stored event it repeats.
DUPLICATE_HEADER = "X-Jivo-Duplicate-Of"

#: Larger bodies get 413. ``chat_finished`` transcripts are the largest Jivo sends, far below.
DEFAULT_MAX_BODY_BYTES = 1_048_576
#: How long a ``chat_accepted`` / ``chat_updated`` answer waits for a handler's response before
#: the safe ``{"result": "ok"}`` goes out. Jivo documents no deadline; its Bot API allows 3 s, so
#: the answer must be on its way well before that.
DEFAULT_RESPONSE_DEADLINE = 2.5
#: After this a handler counts as failed (its event stays replayable).
DEFAULT_HANDLER_TIMEOUT = 30.0
#: How long an identical body counts as a resend of the stored one. Jivo resends failed
#: deliveries a few times within a minute; and some events carry no timestamp, so a change
#: A→B→A sends the first body again, later, as a *new* event.
DEFAULT_DEDUPE_WINDOW = timedelta(minutes=10)

#: The answer each stored status was given (a duplicate gets the same again). A ``received`` or
#: ``failed`` (or ``dead``) event was accepted: its handlers' trouble is ours, not the sender's.
_STATUS_CODES: Mapping[EventStatus, int] = {
    EventStatus.RECEIVED: 200,
    EventStatus.PROCESSED: 200,
    EventStatus.FAILED: 200,
    EventStatus.DEAD: 200,
    EventStatus.INVALID: 422,
    EventStatus.MALFORMED: 400,
}

#: The reason phrases of the codes above (RFC 9110's names; Python 3.11's ``http.HTTPStatus``
#: still has the older "Request Entity Too Large" and "Unprocessable Entity").
_REASONS: Mapping[int, str] = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    422: "Unprocessable Content",
    503: "Service Unavailable",
}

_Headers = tuple[tuple[str, str], ...]


def status_code(status: EventStatus) -> int:
    """The HTTP status a delivery stored with ``status`` was answered with."""
    return _STATUS_CODES[status]


def reason_phrase(code: int) -> str:
    """The reason phrase for a status line (``"Content Too Large"`` for 413)."""
    return _REASONS.get(code, "Unknown")


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, JSON body, extra headers. Build one with its constructors."""

    status: int
    body: dict[str, Any]
    headers: _Headers = ()

    @property
    def content(self) -> bytes:
        """The body as compact JSON bytes (ASCII-only, so any string encodes)."""
        if self.body is OK:  # most replies: skip the encoder (a per-event cost)
            return _OK_CONTENT
        return json.dumps(self.body, separators=(",", ":")).encode("ascii")

    @staticmethod
    def ok(response: dict[str, Any] | None = None) -> Reply:
        """200 with ``response`` (a ``chat_accepted`` card), or the safe ``{"result": "ok"}``."""
        return _OK_REPLY if response is None or response is OK else Reply(200, response)

    @staticmethod
    def error(status: int, message: str, headers: _Headers = ()) -> Reply:
        """``status`` with ``{"result": "error", "error": message}``."""
        return Reply(status, {"result": "error", "error": message}, headers)

    @staticmethod
    def wrong_secret() -> Reply:
        """404: the path's secret is not one of ours (or is missing)."""
        return Reply.error(404, "not found: wrong or missing secret in the webhook URL")

    @staticmethod
    def not_found() -> Reply:
        """404 for a path that is not the endpoint at all."""
        return Reply.error(404, "not found")

    @staticmethod
    def method_not_allowed(method: str) -> Reply:
        """405 for a request to the endpoint that is not a POST."""
        return Reply.error(
            405,
            f"method {method} not allowed: Jivo webhooks are POST requests",
            (("Allow", WEBHOOK_METHOD),),
        )

    @staticmethod
    def too_large(limit: int) -> Reply:
        """413: the body is over ``limit`` bytes."""
        return Reply.error(413, f"body too large: the limit is {limit} bytes")

    @staticmethod
    def malformed(problem: str) -> Reply:
        """400: not a UTF-8 JSON object with an ``event_name``; ``problem`` says what it is."""
        return Reply.error(400, problem)

    @staticmethod
    def invalid(message: str) -> Reply:
        """422: the event breaks its model; ``message`` names the fields."""
        return Reply.error(422, message)

    @staticmethod
    def unavailable(message: str) -> Reply:
        """503: nothing could be stored; the sender retries."""
        return Reply.error(503, message)

    def duplicate_of(self, event_id: int) -> Reply:
        """This answer again, for a resend of the stored event ``event_id``."""
        return Reply(self.status, self.body, ((DUPLICATE_HEADER, str(event_id)),))

    @staticmethod
    def health(error: str | None) -> Reply:
        """``GET /healthz``: 200 ``{"status": "ok"}``, or 503 naming the store's ``error``."""
        if error is None:
            return Reply(200, {"status": "ok"})
        return Reply(503, {"status": "error", "error": error})


_OK_CONTENT = json.dumps(OK, separators=(",", ":")).encode("ascii")
_OK_REPLY = Reply(200, OK)


def check_secrets(secrets: Sequence[str] | None) -> None:
    """Raise :class:`JivoConfigError` unless every secret can be a URL path segment.

    ``None`` is insecure mode (any secret is accepted) and passes.
    """
    if secrets is None:
        return
    for secret in secrets:
        if not isinstance(secret, str) or not secret:
            raise JivoConfigError("secret: every webhook secret must be a non-empty string")
        # "%": servers percent-decode the path before routing, so a secret holding "%41" would
        # arrive as "A" and could never match.
        bad = sorted({c for c in secret if c in "/?#%" or not c.isprintable() or c.isspace()})
        if bad:
            why = (
                " (servers percent-decode the URL path, so it could never match)"
                if "%" in bad
                else ""
            )
            raise JivoConfigError(
                f"secret: a webhook secret is a URL path segment and cannot contain "
                f"{', '.join(map(repr, bad))}{why}; use e.g. secrets.token_urlsafe(32)"
            )
    if not secrets:
        raise JivoConfigError("secret: give at least one secret, or None (insecure)")


def check_limits(
    *,
    max_body_bytes: int,
    response_deadline: float,
    handler_timeout: float,
    dedupe_window: timedelta | None,
) -> None:
    """Raise :class:`JivoConfigError` naming the first limit that makes no sense."""
    if max_body_bytes < 1:
        raise JivoConfigError("max_body_bytes must be positive")
    if not 0 < response_deadline <= handler_timeout:
        raise JivoConfigError(
            "response_deadline must be positive and no longer than handler_timeout"
        )
    if dedupe_window is not None and dedupe_window < timedelta(0):
        raise JivoConfigError("dedupe_window must not be negative (None: no time limit)")
