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

  The strategy function is the registered strategy's; a built-in with options is its factory
  called with them (``(<factory>)(<options JSON>)``, see :mod:`jivo_widget.strategy_options`),
  and with the facade it is wrapped by the facade's behaviour
  (``(<facade.min.js>)({"timeout":…,"guard":…},<strategy>)``). With compiled Python
  callbacks (JavaScript expressions from :mod:`jivo_widget.transpile`, each evaluating to
  ``{"jivo_onX": [function, ...]}``), the handlers argument becomes
  ``(<join>)({...configured...},<module>,...)`` (``assets/callbacks.min.js``): still static,
  inside the same script, nonce and hash;
- the static calls (colour, rules, invitation) serialized;
- the outer HTML (``templates/jivo_widget/glue.html.j2``) cut into literal pieces around its two
  per-request slots (nonce attribute, data attribute) *before* the bootstrap joins them, so no
  slot can ever be found inside the site's handler code;
- with the facade, its markup (``templates/jivo_widget/facade.html.j2``, with the minified CSS
  in a ``<style>`` whose sha256 is a ``style-src`` hash), cut the same way at its nonce slot.

**External mode** (``static_url``): the bootstrap is not inlined but served as a static,
immutable file named by its content (:class:`StaticScript`: ``jivo-widget.<hash>.js``), and
the page gets ``<script src=… integrity="sha256-…" data-jivo='…'>`` (``crossorigin`` too when
the file is on another origin)
(``templates/jivo_widget/glue_external.html.j2``): only the request's data is inline, and a
repeat view fetches nothing. The glue reads its data and nonce from ``document.currentScript``,
which is that element in both modes.

A request then serializes only its own calls with :func:`~jivo_widget.serialize.script_json`
and joins a handful of strings.

Templates and the minified JavaScript are read through :mod:`jivo_widget._resources`, like
every file the package ships.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from jivo_widget import _jscode, _resources, catalog
from jivo_widget.errors import JivoConfigError, JivoError
from jivo_widget.facade import Facade
from jivo_widget.serialize import script_json
from jivo_widget.strategies import FRAGMENT_PARAMS, STRATEGIES, LoadingStrategy
from jivo_widget.strategy_options import StrategyOptions

__all__ = ["Call", "Renderer", "StaticScript", "asset", "call", "template_environment"]

_GLUE = "jivo_widget/glue.html.j2"
_GLUE_EXTERNAL = "jivo_widget/glue_external.html.j2"
_FACADE = "jivo_widget/facade.html.j2"
_CORE = "glue.min.js"
_FACADE_SCRIPT = "facade.min.js"
_FACADE_STYLE = "facade.min.css"
#: Joins compiled Python callbacks modules to the configured handlers (only when there are any).
_JOIN_CALLBACKS = "callbacks.min.js"
# Markers of the slots in the outer HTML. They exist only while that template's own output is
# cut into pieces, before any configured code is joined in.
_NONCE, _DATA, _BOOTSTRAP = "\x00nonce\x00", "\x00data\x00", "\x00bootstrap\x00"

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


def _strategy_function(
    env: jinja2.Environment, strategy: LoadingStrategy, options: StrategyOptions | None
) -> str:
    """The strategy as the JS function the core calls: ``strategy(load, window, document)``.

    ``options``: an instance of ``strategy.options`` for a strategy that takes them (``None``:
    its defaults), else ``None``.
    """
    if strategy.options is None and options is not None:
        raise JivoConfigError(f"strategy_options: the {strategy.name!r} strategy takes none")
    if strategy.options is not None:
        if options is None:
            options = strategy.options()
        elif not isinstance(options, strategy.options):
            raise JivoConfigError(
                f"strategy_options: the {strategy.name!r} strategy takes "
                f"{strategy.options.__name__}, got {type(options).__name__}"
            )
    if strategy.asset is not None:
        function = asset(strategy.asset)
        return function if options is None else f"({function})({options.js_arguments()})"
    if strategy.source is not None:
        fragment = strategy.source  # checked by register_strategy
    else:
        assert strategy.template is not None  # register_strategy requires one of the two
        fragment = _jscode.normalize(env.get_template(strategy.template).render())
        if problem := _jscode.check_body(FRAGMENT_PARAMS, fragment):
            raise JivoConfigError(f"strategy {strategy.name!r}: template {problem}")
    return _jscode.function_expression(FRAGMENT_PARAMS, fragment)


def _with_facade(strategy_function: str, facade: Facade, *, guard: bool) -> str:
    """``strategy_function`` wrapped by the facade's behaviour (``js/src/facade.js``): its
    click loads and opens the chat, and with ``guard`` (a strategy that loads unasked) a
    save-data or 2g visitor gets only the click."""
    options = {"timeout": round(facade.timeout * 1000), "guard": guard}
    return f"({asset(_FACADE_SCRIPT)})({script_json(options)},{strategy_function})"


def _sha(name: str, text: str) -> str:
    """A CSP hash source of ``text`` by the hashlib algorithm ``name``: ``'sha256-…'``."""
    digest = hashlib.new(name, text.encode("utf-8")).digest()
    return f"'{name}-{base64.b64encode(digest).decode()}'"


class StaticScript:
    """The glue's static part as a file (external mode): immutable, named by its content.

    ``name`` (``jivo-widget.<12 hex of sha256>.js``), ``text`` (its UTF-8 content),
    ``integrity`` (the ``sha256-…`` for ``<script integrity>``), ``url`` (where pages load
    it from: the Widget's ``static_url`` joined with ``name``) and ``headers`` to serve it with:
    a year's immutable caching, since another config gives another name. A framework
    integration answers ``url`` with ``text`` and ``headers``; ``jivo-widget static-js DIR``
    (or :meth:`write`) puts it among a site's static files instead.
    """

    def __init__(self, text: str, static_url: str) -> None:
        self.text = text
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.name = f"jivo-widget.{digest[:12]}.js"
        self.url = static_url + self.name
        # sha256: as strong as SRI needs, and 20 characters shorter than sha384 on every page.
        self.integrity = _sha("sha256", text).strip("'")
        #: A file from another origin (a CDN) needs a CORS request for SRI; one on the site
        #: does not, and the attribute would cost every page a few bytes.
        self.cross_origin = not static_url.startswith("/")
        #: The response headers to serve it with (its name changes with its content).
        self.headers = {
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=31536000, immutable",
        }

    def write(self, directory: str | Path) -> Path:
        """Write the file into ``directory`` (created if missing); returns its path."""
        target = Path(directory) / self.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.text, encoding="utf-8")
        return target


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


def _cut(html: str, template: str, slots: Sequence[str]) -> list[str]:
    """``html`` cut into its literal pieces around ``slots`` (each exactly once, in order)."""
    pieces = [html]
    for slot in slots:
        head, found, tail = pieces[-1].partition(slot)
        if not found or slot in tail:
            raise JivoError(f"{template}: needs each slot exactly once, in order ({slot!r})")
        pieces[-1:] = [head, tail]
    return pieces


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
        strategy_options: StrategyOptions | None = None,
        facade: Facade | None = None,
        static_url: str | None = None,
        client_attributes: Mapping[str, Any] | None = None,
        static_calls: Sequence[Call] = (),
    ) -> None:
        env = template_environment()
        registered = STRATEGIES[strategy]
        function = _strategy_function(env, registered, strategy_options)
        if facade is not None:
            function = _with_facade(function, facade, guard=registered.save_data_guard)
        arguments = (
            "window",
            "document",
            script_json(widget_id),
            script_json(loader_src),
            _all_handlers(handlers or {}, callbacks),
            function,
        )
        #: The script's text: the core called with this widget's configuration.
        self.bootstrap = f"({asset(_CORE)})({','.join(arguments)})"
        #: External mode: the bootstrap as a file, loaded from ``static_url``; else ``None``.
        self.static_script = (
            None if static_url is None else StaticScript(self.bootstrap, static_url)
        )
        #: ``script-src`` sources of the glue's script: the sha256 of the inline script, or in
        #: external mode of the file (CSP matches it with the integrity attribute).
        self.csp_hashes: tuple[str, ...] = (
            (_sha("sha256", self.bootstrap),)
            if self.static_script is None
            else (f"'{self.static_script.integrity}'",)
        )

        self._static_attributes = dict(client_attributes or {})
        attributes = (
            [call("setClientAttributes", self._static_attributes)] if client_attributes else []
        )
        self._static_calls = script_json([*attributes, *static_calls])[1:-1]
        # A request with attributes of its own sends them merged in its own call instead.
        self._static_calls_no_attrs = script_json(list(static_calls))[1:-1]

        # The outer HTML's literal pieces, joined with the bootstrap here, once: a request fills
        # the slots between them by position, never by searching the text.
        if self.static_script is None:
            html = env.get_template(_GLUE).render(
                nonce_attr=Markup(_NONCE), data=Markup(_DATA), bootstrap=Markup(_BOOTSTRAP)
            )
            before_nonce, before_data, before_bootstrap, after = _cut(
                html, _GLUE, (_NONCE, _DATA, _BOOTSTRAP)
            )
            rest = before_bootstrap + self.bootstrap + after
        else:
            html = env.get_template(_GLUE_EXTERNAL).render(
                nonce_attr=Markup(_NONCE), data=Markup(_DATA), script=self.static_script
            )
            before_nonce, before_data, rest = _cut(html, _GLUE_EXTERNAL, (_NONCE, _DATA))
        self._pieces = (before_nonce, before_data, rest)

        #: ``style-src`` sources (``'sha256-…'``) of the facade's ``<style>``; none without it.
        self.csp_style_hashes: tuple[str, ...] = ()
        #: The facade's markup around its nonce slot (``None``: no facade).
        self._facade: tuple[str, str] | None = None
        if facade is not None:
            colors = facade.colors()
            style = (
                asset(_FACADE_STYLE) + f"#jivo-facade{{--jivo-facade-bg:{colors.background};"
                f"--jivo-facade-fg:{colors.text}}}"
            )
            self.csp_style_hashes = (_sha("sha256", style),)
            html = env.get_template(_FACADE).render(
                facade=facade, style=Markup(style), nonce_attr=Markup(_NONCE)
            )
            before, after = _cut(html, _FACADE, (_NONCE,))
            self._facade = (before, after)

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

    def facade_html(self, request: Mapping[str, Any]) -> Markup:
        """The facade's markup alone for one validated request (its nonce), or nothing."""
        if self._facade is None:
            return Markup("")
        nonce = request.get("nonce")
        before, after = self._facade
        return Markup(f'{before} nonce="{nonce}"{after}' if nonce else before + after)

    def render(self, request: Mapping[str, Any]) -> Markup:
        """The glue HTML for one validated request (the facade's markup first, if any)."""
        nonce = request.get("nonce")
        nonce_attr = f' nonce="{nonce}"' if nonce else ""
        before_nonce, before_data, rest = self._pieces
        glue = f"{before_nonce}{nonce_attr}{before_data}{self.data(request)}{rest}"
        if self._facade is None:
            return Markup(glue)
        before_facade_nonce, after_facade_nonce = self._facade
        return Markup(f"{before_facade_nonce}{nonce_attr}{after_facade_nonce}{glue}")
