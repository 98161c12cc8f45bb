"""The Django settings of the widget, read once (and again when a test overrides them)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from jivo_widget.config import Widget
from jivo_widget.errors import JivoConfigError
from jivo_widget.integrations._core import Identity, widget_from_setting

__all__ = ["IDENTITY_SETTING", "SETTING", "SETTINGS", "identity_resolver", "reset", "widget"]

#: The widget's config: a dict of Widget fields, ``{"config": "jivo.toml", ...}`` or a Widget.
SETTING = "JIVO_WIDGET"
#: Optional dotted path of ``identity(request) -> dict | None``.
IDENTITY_SETTING = "JIVO_WIDGET_IDENTITY"
SETTINGS = (SETTING, IDENTITY_SETTING)

IdentityResolver = Callable[[HttpRequest], Identity]


def _base_dir() -> Path | None:
    base = getattr(settings, "BASE_DIR", None)
    return Path(base) if base is not None else None


@functools.cache
def widget() -> Widget:
    """The Widget of ``settings.JIVO_WIDGET``; :class:`JivoConfigError` names the setting."""
    if not hasattr(settings, SETTING):
        raise JivoConfigError(
            f"{SETTING}: missing; set it to a dict of Widget fields, e.g. "
            f'{{"widget_id": "AbCdEf1234"}}, or {{"config": "jivo.toml"}}'
        )
    return widget_from_setting(getattr(settings, SETTING), name=SETTING, base_dir=_base_dir())


@functools.cache
def identity_resolver() -> IdentityResolver | None:
    """The function named by ``JIVO_WIDGET_IDENTITY``, or ``None`` (``request.user``)."""
    path: Any = getattr(settings, IDENTITY_SETTING, None)
    if path is None:
        return None
    if callable(path):
        return path  # type: ignore[no-any-return]  # a function given directly is fine too
    if not isinstance(path, str):
        raise JivoConfigError(
            f"{IDENTITY_SETTING}: must be the dotted path of a function, got {type(path).__name__}"
        )
    try:
        resolver = import_string(path)
    except ImportError as exc:
        raise JivoConfigError(f"{IDENTITY_SETTING}: cannot import {path!r} ({exc})") from None
    if not callable(resolver):
        raise JivoConfigError(f"{IDENTITY_SETTING}: {path!r} is not callable")
    return resolver  # type: ignore[no-any-return]


def reset() -> None:
    """Forget the cached Widget and resolver (settings changed)."""
    widget.cache_clear()
    identity_resolver.cache_clear()
