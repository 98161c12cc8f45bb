"""The webhooks' logger, and the filter that keeps the URL secret out of servers' access logs.

The secret in the path is the only authentication Jivo webhooks have, and an access log would
otherwise write it down on every delivery. Every adapter calls
:func:`redact_webhook_secrets_in_logs` when it is built.
"""

from __future__ import annotations

import logging
import re

from jivo_widget.webhooks.contract import WEBHOOK_PREFIX

__all__ = ["ACCESS_LOGGERS", "RedactWebhookSecret", "logger", "redact_webhook_secrets_in_logs"]

#: Everything the receiver, its handlers' runner and its store log goes here. Handler errors
#: are logged at ERROR with their traceback, which may quote payload text; nothing personal is
#: logged at INFO.
logger = logging.getLogger("jivo_widget.webhooks")

#: The loggers of the servers adapters run under that write request lines (access logs).
ACCESS_LOGGERS = (
    "uvicorn.access",  # uvicorn (serve, Starlette, FastAPI)
    "werkzeug",  # Flask's dev server
    "django.server",  # Django's runserver
    "django.request",  # Django's "Not Found: /path" warnings
    "gunicorn.access",
)

_SECRET_IN_PATH = re.compile(re.escape(WEBHOOK_PREFIX) + r"[^/?#\s\"']+")
_REDACTED_PATH = WEBHOOK_PREFIX + "***"


def _redact(value: object) -> object:
    return _SECRET_IN_PATH.sub(_REDACTED_PATH, value) if isinstance(value, str) else value


class RedactWebhookSecret(logging.Filter):
    """Replaces the webhook secret in access-log lines with ``***``.

    Installed on :data:`ACCESS_LOGGERS` by :func:`redact_webhook_secrets_in_logs`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message and its arguments (a tuple, or gunicorn's dict of atoms)."""
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        return True


def redact_webhook_secrets_in_logs() -> None:
    """Install :class:`RedactWebhookSecret` on every logger of :data:`ACCESS_LOGGERS` (once).

    A filter on a logger sees only the records logged to that very logger, which is where
    these servers log their request lines.
    """
    for name in ACCESS_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactWebhookSecret) for f in target.filters):
            target.addFilter(RedactWebhookSecret())
