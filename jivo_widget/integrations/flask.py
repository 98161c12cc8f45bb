"""The widget in Flask: ``JivoWidget(app)`` and ``{{ jivo_widget() }}`` in the base template.

::

    app.config["JIVO_WIDGET"] = {"widget_id": "AbCdEf1234"}   # or {"config": "jivo.toml"}
    jivo = JivoWidget(app)                                      # or jivo.init_app(app)

    {{ jivo_widget() }}                                         {# before </body> #}

- Identity: flask-login's ``current_user`` when the app has a ``LoginManager`` (signed in:
  ``user_token`` from ``get_id()``, contact from its ``name`` and ``email`` attributes if any),
  or your own ``@jivo.identity_loader`` function returning :meth:`Widget.render` arguments.
- CSP nonce: flask-talisman's (``request.csp_nonce``) when present, or ``@jivo.nonce_loader``.
- After flask-login's ``logout_user()``, the next page renders ``clearHistory()`` once (a flag in
  the session).
- A view changes its page's widget with :func:`page_options` (``.enabled = False``,
  ``.update(custom_data=[...])``).
- Per-page rules (``exclude_paths``, ``internal_ips``, ``enabled_environments``) see
  ``request.path`` and ``request.remote_addr``.
- Lenient rendering, strict when ``app.debug`` or ``app.testing`` (or the Widget or
  ``JIVO_WIDGET_STRICT`` say so).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import flask
from jinja2.runtime import Context

from jivo_widget.config import Widget
from jivo_widget.integrations._core import (
    CLEAR_HISTORY_KEY,
    Identity,
    Page,
    PageOptions,
    strict_for,
    user_identity,
    widget_from_setting,
)
from jivo_widget.integrations.jinja import JivoExtension, context_nonce

__all__ = ["SETTING", "JivoWidget", "page_options"]

#: The ``app.config`` key holding the widget's config.
SETTING = "JIVO_WIDGET"
_EXTENSION = "jivo_widget"
_OPTIONS = "_jivo_widget_options"

_F = TypeVar("_F", bound=Callable[..., Any])


def page_options() -> PageOptions:
    """This request's :class:`PageOptions` (created on first use)."""
    options = flask.g.get(_OPTIONS)
    if not isinstance(options, PageOptions):
        options = PageOptions()
        setattr(flask.g, _OPTIONS, options)
    return options


def _flask_login_identity() -> Identity:
    """flask-login's ``current_user`` as render() arguments (nothing when anonymous)."""
    from flask_login import current_user

    user = current_user._get_current_object()  # the real object, not the proxy
    if not getattr(user, "is_authenticated", False):
        return None
    return user_identity(
        user.get_id(), name=getattr(user, "name", None), email=getattr(user, "email", None)
    )


def _pop_clear_history() -> bool:
    session = flask.session
    return CLEAR_HISTORY_KEY in session and bool(session.pop(CLEAR_HISTORY_KEY))


class JivoWidget:
    """The Flask extension (see the module docstring)."""

    def __init__(self, app: flask.Flask | None = None, *, widget: Widget | None = None) -> None:
        """``widget``: the config, instead of ``app.config["JIVO_WIDGET"]``."""
        self._widget = widget
        self._identity: Callable[[], Identity] | None = None
        self._nonce: Callable[[], Any] | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Read the config (a bad one raises :class:`JivoConfigError` here, at start-up) and
        register the template global, the tag and the logout hook."""
        widget = self._widget or widget_from_setting(
            app.config.get(SETTING), name=f'app.config["{SETTING}"]', base_dir=Path(app.root_path)
        )
        app.extensions[_EXTENSION] = widget
        env = app.jinja_env
        env.add_extension(JivoExtension)
        env.jivo_widget_config = widget  # type: ignore[attr-defined]  # JivoExtension's
        env.jivo_widget_page = self._page  # type: ignore[attr-defined]
        try:
            from flask_login import user_logged_out
        except ImportError:
            return
        user_logged_out.connect(self._logged_out, app, weak=False)

    @staticmethod
    def widget(app: flask.Flask | None = None) -> Widget:
        """The Widget of ``app`` (default: the current app)."""
        target = app or flask.current_app
        widget: Widget = target.extensions[_EXTENSION]
        return widget

    def identity_loader(self, function: _F) -> _F:
        """Decorator: ``function()`` returns this request's render() arguments (or ``None``),
        in place of flask-login's ``current_user``."""
        self._identity = function
        return function

    def nonce_loader(self, function: _F) -> _F:
        """Decorator: ``function()`` returns this request's CSP nonce, in place of
        flask-talisman's."""
        self._nonce = function
        return function

    @staticmethod
    def _logged_out(sender: flask.Flask, **extra: Any) -> None:
        # flask-login pops its own keys and keeps the session, so the flag survives the logout.
        flask.session[CLEAR_HISTORY_KEY] = True

    def _identity_source(self, app: flask.Flask) -> tuple[Callable[[], Identity] | None, str]:
        if self._identity is not None:
            return self._identity, "identity_loader"
        if getattr(app, "login_manager", None) is not None:
            return _flask_login_identity, "flask-login's current_user"
        return None, "identity"

    def _page(self, context: Context) -> Page:
        if not flask.has_request_context():
            return Page(nonce=context_nonce(context))  # a template rendered outside a request
        app = flask.current_app
        request = flask.request
        widget = self.widget(app)
        identity, where = self._identity_source(app)
        if self._nonce is not None:
            nonce = self._nonce()
        else:  # flask-talisman's, else a template variable
            nonce = getattr(request, "csp_nonce", None) or context_nonce(context)
        return Page(
            path=request.path,
            remote_addr=request.remote_addr,
            identity=identity,
            nonce=nonce,
            clear_history=_pop_clear_history,
            options=flask.g.get(_OPTIONS),
            strict=strict_for(widget, app.debug or app.testing),
            where=where,
        )
