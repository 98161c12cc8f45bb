"""Every exception and warning jivo-widget raises, in one hierarchy.

Each error derives from :class:`JivoError` *and* from the standard-library class a caller would
already catch for that kind of failure, so ``except ValueError`` around a config load or
``except OSError`` around a store keeps working::

    JivoError
    ├── JivoConfigError (ValueError)       a config or per-request value breaks a rule
    │   ├── OverrideError                  a ``trigger --set`` path or payload file is unusable
    │   └── CallbackSourceError            Python callbacks use what the browser cannot run alike
    ├── StoreUnavailable (OSError)         the webhook event store cannot open, read or write
    ├── DeliveryError (OSError)            a webhook receiver could not be reached at all
    ├── ChromiumNotUsable (RuntimeError)   a configured Chromium does not exist or does not run
    ├── TranscryptMissing (ImportError)    compiling callbacks needs the ``callbacks`` extra
    ├── TranscryptFailed (RuntimeError)    Transcrypt crashed on code the checker accepted
    └── HandlerFailed (AssertionError)     a webhook handler raised for an event a test sent

    JivoWarning (UserWarning)
    ├── JivoConfigWarning                  a config value is allowed but probably wrong
    └── JivoInsecureWebhookWarning         webhooks are received without a secret

The modules that raise these re-export them where users met them first
(``jivo_widget.webhooks.store.StoreUnavailable``, ``jivo_widget.testing.webhooks.HandlerFailed``…).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CallbackSourceError",
    "ChromiumNotUsable",
    "DeliveryError",
    "HandlerFailed",
    "JivoConfigError",
    "JivoConfigWarning",
    "JivoError",
    "JivoInsecureWebhookWarning",
    "JivoWarning",
    "OverrideError",
    "SourceProblem",
    "StoreUnavailable",
    "TranscryptFailed",
    "TranscryptMissing",
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


@dataclass(frozen=True)
class SourceProblem:
    """One thing the callbacks checker refuses, at the user's line: what it is and what to write
    instead."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class CallbackSourceError(JivoConfigError):
    """A callbacks module uses Python the browser cannot run with Python's meaning.

    ``problems`` lists every refusal (``file:line:col: what; what to write instead``), in source
    order; the message is those lines.
    """

    def __init__(self, problems: Sequence[SourceProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.col, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))


class TranscryptMissing(JivoError, ImportError):
    """Transcrypt is not installed: the message says what to install."""


class TranscryptFailed(JivoError, RuntimeError):
    """Transcrypt crashed, failed or timed out on code the checker accepted (a bug of ours or
    of Transcrypt's): ``output`` is what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        super().__init__(
            message + (f"\n--- Transcrypt output ---\n{output.strip()}" if output.strip() else "")
        )


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
