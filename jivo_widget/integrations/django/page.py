"""A Django request's page: identity, nonce, logout flag, options, strictness."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpRequest
from markupsafe import Markup

from jivo_widget.config import Widget
from jivo_widget.errors import JivoConfigError
from jivo_widget.integrations._core import (
    CLEAR_HISTORY_KEY,
    LOGGER_NAME,
    Identity,
    Page,
    PageOptions,
    render_page,
    strict_for,
    user_identity,
)
from jivo_widget.integrations.django import conf
from jivo_widget.integrations.django.decorators import ATTRIBUTE

try:  # Django 6's built-in CSP
    from django.middleware.csp import get_nonce as _django_nonce
except ImportError:  # Django < 6
    _django_nonce = None

__all__ = ["debug_or_testing", "detect_nonce", "render_for", "request_user_identity"]

_log = logging.getLogger(LOGGER_NAME)


def request_user_identity(request: HttpRequest) -> Identity:
    """``request.user`` as render() arguments: the primary key as ``user_token``, contact from
    ``get_full_name()`` and ``email``; nothing for anonymous users or without auth."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    get_full_name = getattr(user, "get_full_name", None)
    return user_identity(
        user.pk,
        name=get_full_name() if callable(get_full_name) else None,
        email=getattr(user, "email", None),
    )


def detect_nonce(request: HttpRequest | None, context: Mapping[str, Any] | None) -> Any:
    """The page's CSP nonce, lazy as the CSP middleware made it (``str()`` reads it, which is
    what puts it into the header): Django 6's ``csp_nonce`` context variable or
    ``request._csp_nonce``, or django-csp's ``request.csp_nonce``; ``None`` without CSP."""
    if context is not None:
        nonce = context.get("csp_nonce")
        if nonce is not None:
            return nonce
    if request is None:
        return None
    nonce = getattr(request, "csp_nonce", None)  # django-csp
    if nonce is None and _django_nonce is not None:
        nonce = _django_nonce(request)
    return nonce


def debug_or_testing() -> bool:
    """``DEBUG``, or Django's test environment (which sets ``DEBUG = False`` but keeps the
    sent mail in ``django.core.mail.outbox``)."""
    return bool(settings.DEBUG) or hasattr(mail, "outbox")


def _pop_clear_history(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return False
    try:
        return bool(session.pop(CLEAR_HISTORY_KEY, False))
    except SynchronousOnlyOperation:
        # An async view rendering in the event loop, the session not loaded: the flag waits
        # for the next page (JivoWidgetMiddleware loads the session first).
        return False


def _page(widget: Widget, request: HttpRequest | None, context: Mapping[str, Any] | None) -> Page:
    strict = strict_for(widget, debug_or_testing())
    if request is None:
        return Page(nonce=detect_nonce(None, context), strict=strict)
    resolver = conf.identity_resolver()
    if resolver is not None:
        identity = resolver
        where = conf.IDENTITY_SETTING
    else:
        identity = request_user_identity
        where = "request.user"
    options = getattr(request, ATTRIBUTE, None)
    return Page(
        path=request.path,
        remote_addr=request.META.get("REMOTE_ADDR"),
        identity=lambda: identity(request),
        nonce=detect_nonce(request, context),
        clear_history=lambda: _pop_clear_history(request),
        options=options if isinstance(options, PageOptions) else None,
        strict=strict,
        where=where,
    )


def render_for(
    request: HttpRequest | None,
    context: Mapping[str, Any] | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> Markup:
    """The glue for ``request`` (and a template ``context``); never fails a lenient page."""
    try:
        widget = conf.widget()
    except JivoConfigError:
        if debug_or_testing():
            raise
        # manage.py check reports it (jivo_widget.E002); pages stay up meanwhile.
        _log.error("jivo-widget: the widget was left out: JIVO_WIDGET is invalid", exc_info=True)
        return Markup("")
    page = _page(widget, request, context)
    if arguments:
        page.arguments = dict(arguments)
    return render_page(widget, page)
