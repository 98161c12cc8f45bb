"""Renders glue HTML: a widget's static glue prepared once, then one request's data per page.

Static work once, dynamic work per request: rendering must cost a page no more than a
hand-written template would. A :class:`Renderer` is built from plain values (the widget id, the
loader URL, handler bodies, a strategy name, the static calls; a
:class:`~jivo_widget.config.Widget` builds one from its validated config) and prepares
everything that depends only on them:

- the bootstrap script: the fixed core (``jivo_widget/assets/glue.min.js``, minified from the
  readable ``js/src/glue.js``) called with this configuration, so its text and sha256
  (the CSP hash) are the same for every request::

      (<core>)(window,document,"<widget id>","<loader URL>",
               {"jivo_onLoadCallback":[],"jivo_onOpen":[function(){\n<handler body>\n}], ...},
               <strategy function>)

  With compiled Python callbacks (JavaScript expressions from :mod:`jivo_widget.transpile`,
  each evaluating to ``{"jivo_onX": [function, ...]}``), the handlers argument becomes
  ``(<join>)({...configured...},<module>,...)`` (``assets/callbacks.min.js``): still static,
  inside the same script, nonce and hash;

- the static calls (colour, rules, invitation) serialized;
- the outer HTML (``templates/jivo_widget/glue.html.j2``) cut into literal pieces around its two
  per-request slots (nonce attribute, data attribute) *before* the bootstrap joins them, so no
  slot can ever be found inside the site's handler code.

A request then serializes only its own calls with :func:`~jivo_widget.serialize.script_json`
and joins five strings.

Templates and the minified JavaScript are read through :mod:`jivo_widget._resources`, like
every file the package ships.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from jivo_widget import _jscode, _resources, catalog
from jivo_widget.errors import JivoConfigError, JivoError
from jivo_widget.serialize import script_json
from jivo_widget.strategies import FRAGMENT_PARAMS, STRATEGIES, LoadingStrategy

__all__ = ["Call", "Renderer", "asset", "call", "template_environment"]

_GLUE = "jivo_widget/glue.html.j2"
_CORE = "glue.min.js"
#: Joins compiled Python callbacks modules to the configured handlers (only when there are any).
_JOIN_CALLBACKS = "callbacks.min.js"
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
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_resources.path("templates"))),
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
    """A minified JavaScript function from ``jivo_widget/assets/`` (``name`` inside it), built
    from the readable ``js/src/`` by ``make js``."""
    # The build ends each file with one newline.
    return _resources.read_text(f"assets/{name}").removesuffix("\n")


#: A queued call as the bootstrap reads it: ``[method, [args]]`` or ``[method, [args], delay]``.
Call = list[Any]


def call(method: str, *args: Any, delay: float = 0) -> Call:
    """A queued ``jivo_api`` call; ``delay`` (seconds) postpones it after the widget loads."""
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


def _handlers_object(handlers: Mapping[str, Sequence[str]]) -> str:
    """``{"jivo_onLoadCallback":[],"jivo_onOpen":[function(){...},...],...}``: each configured
    callback's bodies as functions, in order, and ``jivo_onLoadCallback`` always (the core
    claims exactly these callbacks, and those a page registers with ``jivoWidget.on``)."""
    entries = []
    for name, bodies in {_ON_LOAD: [], **handlers}.items():
        params = [p.name for p in catalog.CALLBACKS[name].params]
        functions = ",".join(_jscode.function_expression(params, body) for body in bodies)
        entries.append(f"{script_json(name)}:[{functions}]")
    return "{" + ",".join(entries) + "}"


def _all_handlers(handlers: Mapping[str, Sequence[str]], callbacks: Sequence[str]) -> str:
    """The core's handlers argument: the configured ones, joined with the compiled modules."""
    configured = _handlers_object(handlers)
    if not callbacks:
        return configured
    for module in callbacks:
        # The compiler serializes every string it emits with script_json, so this cannot
        # happen; checked once per Widget all the same, as site handler code is.
        if _jscode.SCRIPT_BREAKERS.search(module):
            raise JivoError("a compiled callbacks module would end the inline <script>")
    return f"({asset(_JOIN_CALLBACKS)})({','.join([configured, *callbacks])})"


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
    """The prepared glue of one widget; :meth:`render` is the per-request step.

    ``handlers``: JS bodies per catalog callback name, each already checked
    (:func:`jivo_widget._jscode.check_body`); ``callbacks``: compiled Python callbacks modules
    (JavaScript expressions, see :mod:`jivo_widget.transpile`), whose functions run after the
    configured handlers of the same callback; ``strategy``: a registered strategy's name;
    ``client_attributes``: sent on every page, merged under a request's own;
    ``static_calls``: the other calls every page makes (:func:`call`), after the request's.
    """

    def __init__(
        self,
        *,
        widget_id: str,
        loader_src: str,
        handlers: Mapping[str, Sequence[str]] | None = None,
        callbacks: Sequence[str] = (),
        strategy: str = "eager",
        client_attributes: Mapping[str, Any] | None = None,
        static_calls: Sequence[Call] = (),
    ) -> None:
        env = template_environment()
        arguments = (
            "window",
            "document",
            script_json(widget_id),
            script_json(loader_src),
            _all_handlers(handlers or {}, callbacks),
            _strategy_function(env, STRATEGIES[strategy]),
        )
        #: The script's text: the core called with this widget's configuration.
        self.bootstrap = f"({asset(_CORE)})({','.join(arguments)})"
        digest = hashlib.sha256(self.bootstrap.encode("utf-8")).digest()
        #: ``'sha256-…'`` CSP sources of every inline script that executes.
        self.csp_hashes: tuple[str, ...] = (f"'sha256-{base64.b64encode(digest).decode()}'",)

        self._static_attributes = dict(client_attributes or {})
        attributes = (
            [call("setClientAttributes", self._static_attributes)] if client_attributes else []
        )
        self._static_calls = script_json([*attributes, *static_calls])[1:-1]
        # A request with attributes of its own sends them merged in its own call instead.
        self._static_calls_no_attrs = script_json(list(static_calls))[1:-1]

        before_nonce, before_data, before_bootstrap, after = _outer_html(env)
        # The bootstrap is joined to the literal pieces here, once: a request fills the slots
        # between them by position, never by searching the text.
        self._pieces = (before_nonce, before_data, before_bootstrap + self.bootstrap + after)

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
