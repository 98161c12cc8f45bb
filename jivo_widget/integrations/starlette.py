"""The widget in Starlette and FastAPI templates: ``install_jivo_widget(templates, widget)``.

::

    templates = Jinja2Templates(directory="templates")
    install_jivo_widget(templates, Widget.from_file("jivo.toml"))

    {{ jivo_widget() }}                   {# before </body>; the request comes from the context #}

- Identity: ``request.user`` under Starlette's ``AuthenticationMiddleware`` (signed in:
  ``user_token`` from ``user.identity``, contact name from ``display_name``, ``email`` if the
  user has one), or ``identity=`` a function ``request -> dict`` of :meth:`Widget.render`
  arguments (or ``None``). It runs while the template renders, so it is a plain function.
- CSP nonce: ``request.state.csp_nonce`` (set it in a middleware), or ``nonce=`` a function
  ``request -> str``.
- :func:`clear_history_next_page` after a logout: the next page renders ``clearHistory()`` once
  (a flag in ``request.session``: needs Starlette's ``SessionMiddleware``).
- :func:`page_options` lets an endpoint switch its page's widget off or add data.
- Per-page rules see ``request.url.path`` and ``request.client.host``.
- Lenient rendering; strict with ``strict=True``, or when the app runs with ``debug=True``, or
  when the Widget or ``JIVO_WIDGET_STRICT`` say so.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from jinja2.runtime import Context
from starlette.requests import HTTPConnection, Request
from starlette.templating import Jinja2Templates

from jivo_widget.config import Widget
from jivo_widget.integrations._core import (
    CLEAR_HISTORY_KEY,
    Identity,
    Page,
    PageOptions,
    strict_for,
    user_identity,
)
from jivo_widget.integrations.jinja import JivoExtension, context_nonce

__all__ = [
    "IdentityResolver",
    "NonceSource",
    "RequestPages",
    "clear_history_next_page",
    "install_jivo_widget",
    "page_options",
    "request_user_identity",
]

#: ``identity=``: this request's render() arguments, or ``None``.
IdentityResolver = Callable[[Request], Identity]
#: ``nonce=``: this request's CSP nonce.
NonceSource = Callable[[Request], Any]

_OPTIONS = "jivo_widget"


def page_options(request: HTTPConnection) -> PageOptions:
    """This request's :class:`PageOptions` (in ``request.state``; created on first use)."""
    options = getattr(request.state, _OPTIONS, None)
    if options is None:
        options = PageOptions()
        setattr(request.state, _OPTIONS, options)
    return options


def clear_history_next_page(request: HTTPConnection) -> None:
    """Call where the user logs out: the next page renders ``clearHistory()`` once."""
    request.session[CLEAR_HISTORY_KEY] = True


def request_user_identity(request: HTTPConnection) -> Identity:
    """``request.user`` (AuthenticationMiddleware) as render() arguments; nothing when anonymous
    or without the middleware."""
    if "user" not in request.scope:
        return None
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    return user_identity(user.identity, name=user.display_name, email=getattr(user, "email", None))


def _pop_clear_history(request: HTTPConnection) -> bool:
    if "session" not in request.scope or CLEAR_HISTORY_KEY not in request.session:
        return False
    return bool(request.session.pop(CLEAR_HISTORY_KEY))


class RequestPages:
    """Describes a Starlette request's page; shared by the template global and the middleware."""

    def __init__(
        self,
        widget: Widget,
        *,
        identity: IdentityResolver | None = None,
        nonce: NonceSource | None = None,
        strict: bool | None = None,
    ) -> None:
        for name, function in (("identity", identity), ("nonce", nonce)):
            if function is not None and inspect.iscoroutinefunction(function):
                raise TypeError(
                    f"{name}= must be a plain function: it runs while a template renders"
                )
        self.widget = widget
        self._identity = identity
        self._nonce = nonce
        self._strict = strict

    def page(self, request: Request) -> Page:
        """The :class:`Page` of ``request``."""
        identity: Callable[[], Identity]
        if self._identity is not None:
            resolve = self._identity

            def identity() -> Identity:
                return resolve(request)

            where = "identity="
        else:

            def identity() -> Identity:
                return request_user_identity(request)

            where = "request.user"
        if self._nonce is not None:
            nonce = self._nonce(request)
        else:
            nonce = getattr(request.state, "csp_nonce", None)
        client = request.client
        return Page(
            path=request.url.path,
            remote_addr=client.host if client else None,
            identity=identity,
            nonce=nonce,
            clear_history=lambda: _pop_clear_history(request),
            options=getattr(request.state, _OPTIONS, None),
            strict=self._strict if self._strict is not None else self._debug_strict(request),
            where=where,
        )

    def _debug_strict(self, request: Request) -> bool | None:
        app = request.scope.get("app")
        return strict_for(self.widget, bool(getattr(app, "debug", False)))


def install_jivo_widget(
    templates: Jinja2Templates,
    widget: Widget,
    *,
    identity: IdentityResolver | None = None,
    nonce: NonceSource | None = None,
    strict: bool | None = None,
) -> None:
    """Register the ``jivo_widget()`` global (and ``{% jivo_widget %}``) on ``templates``.

    Templates rendered with a ``request`` in their context (``TemplateResponse`` puts it there)
    get that request's identity, nonce and options; others render the widget without them.
    """
    pages = RequestPages(widget, identity=identity, nonce=nonce, strict=strict)

    def page(context: Context) -> Page:
        request = context.get("request")
        if not isinstance(request, Request):
            return Page(nonce=context_nonce(context), strict=strict)
        return pages.page(request)

    env = templates.env
    env.add_extension(JivoExtension)
    env.jivo_widget_config = widget  # type: ignore[attr-defined]  # JivoExtension's
    env.jivo_widget_page = page  # type: ignore[attr-defined]
