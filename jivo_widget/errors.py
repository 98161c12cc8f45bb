"""Every exception and warning jivo-widget raises, in one hierarchy.

Each error derives from :class:`JivoError` *and* from the standard-library class a caller would
already catch for that kind of failure, so ``except ValueError`` around a config load or
``except OSError`` around a store keeps working::

    JivoError
    ├── JivoConfigError (ValueError)       a config or per-request value breaks a rule
    │   └── OverrideError                  a ``trigger --set`` path or payload file is unusable
    ├── StoreUnavailable (OSError)         the webhook event store cannot open, read or write
    ├── DeliveryError (OSError)            a webhook receiver could not be reached at all
    ├── ChromiumNotUsable (RuntimeError)   a configured Chromium does not exist or does not run
    └── HandlerFailed (AssertionError)     a webhook handler raised for an event a test sent

    JivoWarning (UserWarning)
    ├── JivoConfigWarning                  a config value is allowed but probably wrong
    └── JivoInsecureWebhookWarning         webhooks are received without a secret

The modules that raise these re-export them where users met them first
(``jivo_widget.webhooks.store.StoreUnavailable``, ``jivo_widget.testing.webhooks.HandlerFailed``…).
"""

from __future__ import annotations

__all__ = [
    "ChromiumNotUsable",
    "DeliveryError",
    "HandlerFailed",
    "JivoConfigError",
    "JivoConfigWarning",
    "JivoError",
    "JivoInsecureWebhookWarning",
    "JivoWarning",
    "OverrideError",
    "StoreUnavailable",
]


class JivoError(Exception):
    """Base class of every error raised by jivo-widget."""


class JivoConfigError(JivoError, ValueError):
    """A widget config or per-request value breaks a rule.

    The message always names the field (``custom_data[3].link``) and the rule it broke, so it can
    be shown to a user as is.
    """


class OverrideError(JivoConfigError):
    """An override or a payload file is unusable; the message names the path and the problem."""


class StoreUnavailable(JivoError, OSError):
    """The event store cannot be opened, read or written; the message says which and why."""


class DeliveryError(JivoError, OSError):
    """The receiver could not be reached at all (connection refused, timeout, bad URL)."""


class ChromiumNotUsable(JivoError, RuntimeError):
    """An explicitly configured Chromium does not exist or does not run."""


class HandlerFailed(JivoError, AssertionError):
    """A handler raised (or missed its deadline) for an event a test sent; the message holds
    the stored error with the traceback (an ``AssertionError``, so pytest reports a failure)."""


class JivoWarning(UserWarning):
    """Base class of every warning jivo-widget issues."""


class JivoConfigWarning(JivoWarning):
    """A config value is allowed but probably wrong (e.g. a widget id that is not 10 long)."""


class JivoInsecureWebhookWarning(JivoWarning):
    """No webhook secret is configured: anyone who finds the URL can post events."""
