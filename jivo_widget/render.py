"""Renders a :class:`~jivo_widget.config.Widget` into glue HTML.

Static work once, dynamic work per request (design.md §2). When a Widget is built, a
:class:`Renderer` prepares everything that depends only on the config:

- the bootstrap script: the fixed core (``jivo_widget/assets/glue.min.js``, minified from the
  readable ``js/src/glue.js``) called with the Widget's configuration, so its text and sha256
  (the CSP hash) are the same for every request::

      (<core>)(window,document,"<widget id>","<loader URL>",
               {"jivo_onLoadCallback":[],"jivo_onOpen":[function(){\n<handler body>\n}], ...},
               <strategy function>)

- the static calls (colour, rules, invitation) serialized;
- the outer HTML (``templates/jivo_widget/glue.html.j2``) cut into literal pieces around its two
  per-request slots (nonce attribute, data attribute) *before* the bootstrap joins them, so no
  slot can ever be found inside the site's handler code.

A request then serializes only its own calls with :func:`~jivo_widget.serialize.script_json`
and joins five strings.

Templates are found in the installed package (``jivo_widget/templates``, where the wheel puts
them) and, for editable installs and source checkouts, in the top-level ``templates/``; the
minified JavaScript is package data in ``jivo_widget/assets/``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from jivo_widget import _jscode, catalog
from jivo_widget._strategies import FRAGMENT_PARAMS, STRATEGIES, LoadingStrategy
from jivo_widget.errors import JivoConfigError, JivoError
from jivo_widget.serialize import script_json

if TYPE_CHECKING:
    from jivo_widget.config import Widget

__all__ = ["ASSETS_DIR", "TEMPLATE_DIRS", "Renderer", "asset", "template_environment"]

_PACKAGE_DIR = Path(__file__).resolve().parent
#: Where templates are looked up, in order: inside the package (wheel), then the source tree.
TEMPLATE_DIRS = (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates")
#: The minified JavaScript built from ``js/src/`` (``make js``), shipped inside the package.
ASSETS_DIR = _PACKAGE_DIR / "assets"

_GLUE = "jivo_widget/glue.html.j2"
_CORE = "glue.min.js"
# Markers of the slots in the outer HTML. They exist only while that template's own output is
# cut into pieces, before any configured code is joined in.
_SLOTS = ("\x00nonce\x00", "\x00data\x00", "\x00bootstrap\x00")

#: The callback the core always claims: Jivo calls it when ``jivo_api`` becomes usable, and
#: the queued calls run there.
_ON_LOAD = "jivo_onLoadCallback"

_environment: jinja2.Environment | None = None


def template_environment() -> jinja2.Environment:
    """The shared Jinja environment over the glue templates (built on first use)."""
    global _environment
    if _environment is None:
        dirs = [str(d) for d in TEMPLATE_DIRS if (d / _GLUE).is_file()]
        if not dirs:
            raise JivoError(
                "jivo-widget templates not found in " + " or ".join(map(str, TEMPLATE_DIRS))
            )
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(dirs),
            # HTML templates escape; JS templates (a site's strategy) are code, not HTML.
            autoescape=lambda name: name is not None and name.endswith(".html.j2"),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
        )
        env.filters["script_json"] = script_json
        _environment = env
    return _environment


@functools.cache
def asset(name: str) -> str:
    """A minified JavaScript function from ``jivo_widget/assets/`` (``name`` inside it)."""
    path = ASSETS_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JivoError(f"jivo-widget asset missing: {path} ({exc.strerror})") from None
    return text.removesuffix("\n")  # the build ends each file with one newline


def _call(method: str, *args: Any, delay: float = 0) -> list[Any]:
    """A queued call as the bootstrap reads it: ``[method, [args], delay seconds?]``."""
    return [method, list(args), delay] if delay else [method, list(args)]


def _set_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Jivo wants unset fields absent, not null (the membership test is cheap; copying is not)."""
    return {k: v for k, v in fields.items() if v is not None} if None in fields.values() else fields


def _strategy_function(env: jinja2.Environment, strategy: LoadingStrategy) -> str:
    """The strategy as the JS function the core calls: ``strategy(load, window, document)``."""
    if strategy.asset is not None:
        return asset(strategy.asset)
    if strategy.source is not None:
        fragment = strategy.source  # checked by register_strategy
    else:
        assert strategy.template is not None  # register_strategy requires one of the two
        fragment = _jscode.normalize(env.get_template(strategy.template).render())
        if problem := _jscode.check_body(FRAGMENT_PARAMS, fragment):
            raise JivoConfigError(f"strategy {strategy.name!r}: template {problem}")
    return _jscode.function_expression(FRAGMENT_PARAMS, fragment)


def _handlers_object(handlers: Mapping[str, list[str]]) -> str:
    """``{"jivo_onLoadCallback":[],"jivo_onOpen":[function(){...},...],...}``: each configured
    callback's bodies as functions, in order, and ``jivo_onLoadCallback`` always (the core
    claims exactly these callbacks, and those a page registers with ``jivoWidget.on``)."""
    entries = []
    for name, bodies in {_ON_LOAD: [], **handlers}.items():
        params = [p.name for p in catalog.CALLBACKS[name].params]
        functions = ",".join(_jscode.function_expression(params, body) for body in bodies)
        entries.append(f"{script_json(name)}:[{functions}]")
    return "{" + ",".join(entries) + "}"


def _outer_html(env: jinja2.Environment) -> tuple[str, str, str, str]:
    """The outer HTML cut into its literal pieces: before the nonce, between nonce and data,
    between data and bootstrap, after the bootstrap."""
    html = env.get_template(_GLUE).render(
        nonce_attr=Markup(_SLOTS[0]), data=Markup(_SLOTS[1]), bootstrap=Markup(_SLOTS[2])
    )
    pieces = [html]
    for slot in _SLOTS:
        head, found, tail = pieces[-1].partition(slot)
        if not found or slot in tail:
            raise JivoError(f"{_GLUE}: needs each slot exactly once, in order ({slot!r})")
        pieces[-1:] = [head, tail]
    return pieces[0], pieces[1], pieces[2], pieces[3]


class Renderer:
    """The prepared glue of one Widget; :meth:`render` is the per-request step."""

    def __init__(self, widget: Widget) -> None:
        env = template_environment()
        self.bootstrap = self._render_bootstrap(env, widget)
        digest = hashlib.sha256(self.bootstrap.encode("utf-8")).digest()
        #: ``'sha256-…'`` CSP sources of every inline script that executes.
        self.csp_hashes: tuple[str, ...] = (f"'sha256-{base64.b64encode(digest).decode()}'",)

        self._static_attributes = dict(widget.client_attributes or {})
        static: list[list[Any]] = []
        if widget.client_attributes:
            static.append(_call("setClientAttributes", widget.client_attributes))
        if widget.color is not None:
            colors = [widget.color] if widget.color2 is None else [widget.color, widget.color2]
            static.append(_call("setWidgetColor", *colors))
        if widget.rules is not None:
            static.append(_call("setRules", widget.rules))
        if widget.invitation is not None:
            inv = widget.invitation
            args = [inv.text] if inv.department_id is None else [inv.text, inv.department_id]
            static.append(_call("showProactiveInvitation", *args, delay=inv.delay))
        self._static_calls = script_json(static)[1:-1]
        self._static_calls_no_attrs = script_json(
            [c for c in static if c[0] != "setClientAttributes"]
        )[1:-1]

        before_nonce, before_data, before_bootstrap, after = _outer_html(env)
        # The bootstrap is joined to the literal pieces here, once: a request fills the slots
        # between them by position, never by searching the text.
        self._pieces = (before_nonce, before_data, before_bootstrap + self.bootstrap + after)

    @staticmethod
    def _render_bootstrap(env: jinja2.Environment, widget: Widget) -> str:
        arguments = (
            "window",
            "document",
            script_json(widget.widget_id),
            script_json(widget.loader_src),
            _handlers_object(widget.handlers),
            _strategy_function(env, STRATEGIES[widget.strategy]),
        )
        return f"({asset(_CORE)})({','.join(arguments)})"

    def data(self, request: Mapping[str, Any]) -> str:
        """The JSON list of calls for one validated request (safe in a script and an attribute)."""
        calls: list[list[Any]] = []
        if request.get("clear_history"):
            calls.append(["clearHistory", []])
        if (token := request.get("user_token")) is not None:
            calls.append(["setUserToken", [token]])
        # An empty contact ({} or all None) is no contact: setContactInfo({}) would say nothing.
        if contact := _set_fields(request.get("contact") or {}):
            calls.append(["setContactInfo", [contact]])
        if (custom_data := request.get("custom_data")) is not None:
            calls.append(["setCustomData", [[_set_fields(f) for f in custom_data]]])
        static = self._static_calls
        if attributes := request.get("client_attributes"):  # {} adds nothing to the config's
            calls.append(["setClientAttributes", [{**self._static_attributes, **attributes}]])
            static = self._static_calls_no_attrs
        if (title := request.get("page_title")) is not None:
            url = request.get("page_url")
            calls.append(["sendPageTitle", [title, True] if url is None else [title, True, url]])
        own = script_json(calls)[1:-1] if calls else ""
        joined = f"{own},{static}" if own and static else own or static
        return f"[{joined}]"

    def render(self, request: Mapping[str, Any]) -> Markup:
        """The glue HTML for one validated request."""
        nonce = request.get("nonce")
        nonce_attr = f' nonce="{nonce}"' if nonce else ""
        before_nonce, before_data, rest = self._pieces
        return Markup(f"{before_nonce}{nonce_attr}{before_data}{self.data(request)}{rest}")
