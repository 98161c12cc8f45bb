"""What every framework integration shares: one request's page, rendered without ever failing it.

An integration knows its request; this module knows the rest. It describes a page as a
:class:`Page` (path, address, a lazy identity, the nonce, the logout flag, the view's
:class:`PageOptions` and the template's arguments) and :func:`render_page` turns it into glue:

1. the per-page rules (:mod:`jivo_widget.pages`) and the view's ``enabled`` decide first, so a
   page without the widget never resolves the identity (a database query, often);
2. the render arguments are layered: identity, then the view's data, then the template's
   arguments — each later layer extends lists, merges mappings and replaces other values;
3. keys that :meth:`Widget.render` does not take are dropped (lenient) or refused (strict),
   checked against its signature, so a new argument (``visitor_id``) passes straight through;
4. lenient (pages): anything that goes wrong — an identity resolver that raises or returns
   something else than a mapping, invalid data, an unexpected error — leaves that part (or the
   glue) out and logs a WARNING naming what and why, never a value; strict (tests, ``DEBUG``):
   it raises.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from jivo_widget._request import STRICT_ENV, strict_from_environment
from jivo_widget.config import Widget, files_under
from jivo_widget.errors import JivoConfigError
from jivo_widget.pages import page_rules
from jivo_widget.render import StaticScript

__all__ = [
    "CLEAR_HISTORY_KEY",
    "GLUE_MARKER",
    "LOGGER_NAME",
    "Identity",
    "Page",
    "PageOptions",
    "encode_glue",
    "has_glue",
    "html_charset",
    "insert_before_body",
    "layered",
    "render_page",
    "render_parameters",
    "served_static_script",
    "strict_for",
    "user_identity",
    "visitor_id_of",
    "widget_from_setting",
]

#: The logger of the integrations' warnings.
LOGGER_NAME = "jivo_widget.integrations"
_log = logging.getLogger(LOGGER_NAME)

#: The session key that carries "render clearHistory() once" from a logout to the next page.
CLEAR_HISTORY_KEY = "_jivo_widget_clear_history"

#: What an identity resolver returns: keyword arguments of :meth:`Widget.render`
#: (``user_token`` or ``visitor_id``, ``contact``, ``custom_data``…), or ``None``.
Identity = Mapping[str, Any] | None


class PageOptions:
    """What a view changes about its page's widget: switch it off, or add data.

    >>> options = PageOptions()
    >>> options.update(custom_data=[{"title": "Order", "content": "#1042"}])
    >>> options.enabled = False     # no widget on this page

    ``update()`` takes :meth:`Widget.render` keyword arguments and layers them over the
    identity: lists (``custom_data``) are extended, mappings (``contact``,
    ``client_attributes``) merged, other values replaced; calling it again layers again.
    """

    __slots__ = ("data", "enabled")

    def __init__(self, *, enabled: bool = True, **data: Any) -> None:
        self.enabled = enabled
        self.data: dict[str, Any] = {}
        self.update(**data)

    def update(self, **data: Any) -> None:
        """Add ``render()`` arguments for this page (see the class docstring)."""
        self.data = layered(self.data, data)

    def __repr__(self) -> str:
        return f"PageOptions(enabled={self.enabled!r}, keys={sorted(self.data)!r})"


def layered(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: lists extended, mappings merged, other values replaced."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, list | tuple) and isinstance(value, list | tuple):
            merged[key] = [*old, *value]
        elif isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = {**old, **value}
        else:
            merged[key] = value
    return merged


@dataclass
class Page:
    """One request's page, as an integration sees it.

    ``identity``: called only when the widget shows (it may query a database); its result is
    the first layer of render arguments. ``nonce``: the CSP nonce (any object whose ``str()``
    is the nonce, such as a lazy one). ``clear_history``: render ``clearHistory()`` (the page
    after a logout), or a function that pops the logout flag: called only when the widget
    shows, so a page without it leaves the flag for the next one. ``options``: the view's
    :class:`PageOptions`. ``arguments``: what the template passed. ``strict``: ``True``
    raises, ``None`` lets the Widget and ``JIVO_WIDGET_STRICT`` decide (see
    :func:`strict_for`). ``where``: names the identity source in warnings
    (``JIVO_WIDGET_IDENTITY``, ``identity_loader``...).
    """

    path: str | None = None
    remote_addr: str | None = None
    identity: Callable[[], Identity] | None = None
    nonce: Any = None
    clear_history: bool | Callable[[], bool] = False
    options: PageOptions | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    strict: bool | None = None
    where: str = "identity"


def strict_for(widget: Widget, debug: bool) -> bool | None:
    """The ``strict`` an integration passes for a framework in ``debug`` (or testing) mode.

    The Widget's own ``strict`` and ``JIVO_WIDGET_STRICT`` (which the pytest plugin sets) win
    when set; otherwise a debug framework renders strictly, a production one leniently.
    """
    if widget.strict is not None or os.environ.get(STRICT_ENV, "").strip():
        return None
    return True if debug else None


def _is_strict(widget: Widget, page: Page) -> bool:
    if page.strict is not None:
        return page.strict
    if widget.strict is not None:
        return widget.strict
    return strict_from_environment()


@functools.cache
def render_parameters(widget_class: type[Widget] = Widget) -> frozenset[str] | None:
    """The request arguments ``render()`` takes, read from its signature (a new one, such as
    ``visitor_id``, appears here by itself); ``None`` when it takes ``**kwargs``."""
    parameters = inspect.signature(widget_class.render).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(parameters) - {"self", "strict"}


def _fail(widget: Widget, page: Page, message: str, *, exc_info: bool = False) -> None:
    """Raise (strict) or log a WARNING (lenient) about a part of the page left out."""
    if _is_strict(widget, page):
        raise JivoConfigError(message)
    _log.warning(
        "jivo-widget: %s (left out; Widget(strict=True) or %s=1 raises instead)",
        message,
        STRICT_ENV,
        exc_info=exc_info,
    )


def _identity(widget: Widget, page: Page) -> dict[str, Any]:
    if page.identity is None:
        return {}
    try:
        identity = page.identity()
    except Exception as exc:
        if _is_strict(widget, page):
            raise
        _fail(widget, page, f"{page.where} raised {type(exc).__name__}", exc_info=True)
        return {}
    if identity is None:
        return {}
    if not isinstance(identity, Mapping):
        _fail(
            widget,
            page,
            f"{page.where} must return a dict of render() arguments or None, "
            f"got {type(identity).__name__}",
        )
        return {}
    return dict(identity)


def _known(widget: Widget, page: Page, arguments: dict[str, Any]) -> dict[str, Any]:
    accepted = render_parameters(type(widget))
    if accepted is None:
        return arguments
    unknown = sorted(str(key) for key in arguments if key not in accepted)
    if unknown:
        _fail(
            widget,
            page,
            f"{page.where}: unknown render() argument(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(accepted))}",
        )
        arguments = {k: v for k, v in arguments.items() if k in accepted}
    return arguments


def render_page(widget: Widget, page: Page) -> Markup:
    """The glue for ``page``, or ``""`` where it does not show; never fails a lenient page."""
    try:
        return _render(widget, page)
    except Exception as exc:
        if _is_strict(widget, page):
            raise
        # Defensive: every known failure is handled part by part above; an unknown one must
        # still not take the page down, and must not go unseen either.
        _log.error(
            "jivo-widget: the widget was left out of the page: %s",
            type(exc).__name__,
            exc_info=True,
        )
        return Markup("")


def _render(widget: Widget, page: Page) -> Markup:
    options = page.options
    if options is not None and not options.enabled:
        return Markup("")
    if not widget.enabled or not page_rules(widget).shows(page.path, page.remote_addr):
        return Markup("")
    arguments = _identity(widget, page)
    if options is not None and options.data:
        arguments = layered(arguments, options.data)
    if page.arguments:
        arguments = layered(arguments, page.arguments)
    arguments = _known(widget, page, arguments)
    clear_history = page.clear_history
    if callable(clear_history):
        clear_history = clear_history()
    if clear_history:
        arguments["clear_history"] = True
    nonce = arguments.pop("nonce", None)
    if nonce is None:
        nonce = page.nonce
    if type(nonce) is str and not nonce:
        # flask-talisman's csp_nonce() without a nonce policy. Lazy nonces (Django 6, django-csp)
        # are false until read, so only a real empty string counts as none.
        nonce = None
    return widget.render(**arguments, nonce=nonce, strict=page.strict)


# --------------------------------------------------------------------------- configuration


def widget_from_setting(value: object, *, name: str, base_dir: Path | None = None) -> Widget:
    """The Widget a framework setting describes, or :class:`JivoConfigError` naming ``name``.

    ``value``: a :class:`Widget`; a dict of its fields; or a dict with ``"config"``, the path of
    a TOML file (relative to ``base_dir``), whose other keys override the file's.
    """
    if isinstance(value, Widget):
        return value
    if not isinstance(value, Mapping):
        raise JivoConfigError(
            f"{name}: must be a dict of Widget fields or {{'config': 'jivo.toml'}}, "
            f"got {type(value).__name__}"
        )
    data = dict(value)
    config = data.pop("config", None)
    try:
        if config is None:
            return Widget.from_mapping(data, base_dir=base_dir)
        if not isinstance(config, str | Path):
            raise JivoConfigError(f"config: must be the path of a TOML file, got {config!r}")
        path = Path(config)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        widget = Widget.from_file(path)
        # Overriding file names are relative to base_dir too, as without "config".
        return widget.model_copy(update=files_under(data, base_dir)) if data else widget
    except JivoConfigError as exc:
        raise JivoConfigError(f"{name}: {exc}") from None


def served_static_script(widget: Widget) -> StaticScript | None:
    """External mode's file when the site itself serves it (``static_url`` a ``/path/``):
    the integrations answer its ``url`` with its ``text`` and ``headers``. ``None`` without
    external mode, or when ``static_url`` is another origin (a CDN serves what
    ``jivo-widget static-js`` wrote)."""
    script = widget.static_script
    if script is None or script.cross_origin:
        return None
    return script


# --------------------------------------------------------------------------- identity helpers


# A UUID as str() writes it (and flask-login's get_id() returns it): 8-4-4-4-12 hex digits.
_UUID_TEXT = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def visitor_id_of(user_id: object) -> object:
    """A user's primary key as a visitor id: a UUID (the object, or its text with dashes)
    becomes its 32 hex digits (``uuid.hex``: Jivo's ids are letters and digits only); anything
    else is passed on as is, for :meth:`Widget.render` to check (an int is its digits; a key
    that breaks Jivo's rule is dropped there with a WARNING naming ``visitor_id``)."""
    if isinstance(user_id, uuid.UUID):
        return user_id.hex
    if type(user_id) is str and _UUID_TEXT.fullmatch(user_id):
        return uuid.UUID(user_id).hex
    return user_id


def user_identity(
    user_id: object, *, name: object = None, email: object = None, signed: bool = False
) -> dict[str, Any]:
    """The default identity of a signed-in user: contact from the name and e-mail when set
    (empty strings are no value), and the id as ``visitor_id`` (see :func:`visitor_id_of`),
    signed into the token, when ``signed`` (the Widget has an identity secret), else as the
    unsigned ``user_token``."""
    contact = {
        key: value for key, value in (("name", name), ("email", email)) if value not in (None, "")
    }
    identity: dict[str, Any] = (
        {"visitor_id": visitor_id_of(user_id)} if signed else {"user_token": user_id}
    )
    if contact:
        identity["contact"] = contact
    return identity


# --------------------------------------------------------------------------- auto-insertion

_BODY_END = b"</body"
#: Bytes every rendered glue contains (its data attribute): a page with them has the glue.
GLUE_MARKER = b" data-jivo='"


def has_glue(body: bytes) -> bool:
    """Whether ``body`` already holds the glue (a template tag rendered it)."""
    return GLUE_MARKER in body


def insert_before_body(body: bytes, glue: bytes) -> bytes | None:
    """``body`` with ``glue`` before its last ``</body`` (any case), or ``None`` when there is no
    such tag or the glue is there already."""
    if not glue or has_glue(body):
        return None
    at = body.lower().rfind(_BODY_END)
    if at < 0:
        return None
    return body[:at] + glue + body[at:]


def html_charset(content_type: str) -> str | None:
    """The charset of an HTML ``Content-Type`` (``utf-8`` when unnamed), or ``None`` when the
    response is not ``text/html``."""
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "text/html":
        return None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower() or "utf-8"
    return "utf-8"


def encode_glue(glue: str, charset: str) -> bytes | None:
    """``glue`` in the page's ``charset``, or ``None`` (logged) when it cannot be written in it."""
    try:
        return glue.encode(charset)
    except (LookupError, UnicodeEncodeError) as exc:
        _log.warning(
            "jivo-widget: glue not inserted: the page's charset %r cannot hold it (%s)",
            charset,
            type(exc).__name__,
        )
        return None
