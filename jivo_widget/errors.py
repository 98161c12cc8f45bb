"""The exceptions jivo-widget raises."""

from __future__ import annotations

__all__ = ["JivoConfigError", "JivoError"]


class JivoError(Exception):
    """Base class of every error raised by jivo-widget."""


class JivoConfigError(JivoError, ValueError):
    """A widget config or per-request value breaks a rule.

    The message always names the field (``custom_data[3].link``) and the rule it broke, so it can
    be shown to a user as is.
    """
