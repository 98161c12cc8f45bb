"""Renders a :class:`~jivo_widget.config.Widget` into glue HTML.

Static work once, dynamic work per request (design.md §2): a :class:`Renderer` renders the
templates in ``templates/jivo_widget/`` when the Widget is built — the bootstrap script (whose
sha256 is then fixed; it holds the loader URL), the static calls (colour, rules, invitation)
serialized, and the outer HTML split around two slots (nonce attribute, data attribute). A
request then serializes only its own calls with :func:`~jivo_widget.serialize.script_json` and
joins strings.

Templates are found in the installed package (``jivo_widget/templates``, where the wheel puts
them) and, for editable installs and source checkouts, in the top-level ``templates/``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from jivo_widget import catalog
from jivo_widget._strategies import STRATEGIES
from jivo_widget.errors import JivoError
from jivo_widget.serialize import script_json

if TYPE_CHECKING:
    from jivo_widget.config import Widget

__all__ = ["TEMPLATE_DIRS", "Renderer", "template_environment"]

_PACKAGE_DIR = Path(__file__).resolve().parent
#: Where templates are looked up, in order: inside the package (wheel), then the source tree.
TEMPLATE_DIRS = (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates")

_GLUE = "jivo_widget/glue.html.j2"
_BOOTSTRAP = "jivo_widget/bootstrap.js.j2"
# Placeholders for the per-request slots; NUL never appears in rendered template text.
_NONCE_SLOT = "\x00nonce\x00"
_DATA_SLOT = "\x00data\x00"

_PREFIX = "jivo_on"  # every catalog callback name starts with it

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
            # HTML templates escape; JS templates receive only script_json output and the
            # site's own handler code, which must not be HTML-escaped.
            autoescape=lambda name: name is not None and name.endswith(".html.j2"),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
        )
        env.filters["script_json"] = script_json
        _environment = env
    return _environment


def _call(method: str, *args: Any, delay: float = 0) -> list[Any]:
    """A queued call as the bootstrap reads it: ``[method, [args], delay seconds?]``."""
    return [method, list(args), delay] if delay else [method, list(args)]


def _set_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Jivo wants unset fields absent, not null (the membership test is cheap; copying is not)."""
    return {k: v for k, v in fields.items() if v is not None} if None in fields.values() else fields


def _strategy_source(env: jinja2.Environment, name: str) -> str:
    strategy = STRATEGIES[name]
    if strategy.source is not None:
        return strategy.source
    assert strategy.template is not None  # register_strategy requires one of the two
    return env.get_template(strategy.template).render()


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

        html = env.get_template(_GLUE).render(
            nonce_attr=Markup(_NONCE_SLOT),
            data=Markup(_DATA_SLOT),
            bootstrap=Markup(self.bootstrap),
        )
        # A str.format template: the cheapest way to fill the two slots per request.
        self._format = (
            html.replace("{", "{{")
            .replace("}", "}}")
            .replace(_NONCE_SLOT, "{nonce}")
            .replace(_DATA_SLOT, "{data}")
        )

    @staticmethod
    def _render_bootstrap(env: jinja2.Environment, widget: Widget) -> str:
        handlers = [
            (
                name,
                [(", ".join(p.name for p in catalog.CALLBACKS[name].params), b) for b in bodies],
            )
            for name, bodies in widget.handlers.items()
        ]
        return env.get_template(_BOOTSTRAP).render(
            # Without the common prefix: the bootstrap adds it back (saves bytes on every page).
            names=Markup(
                script_json(" ".join(name.removeprefix(_PREFIX) for name in catalog.CALLBACKS))
            ),
            src=Markup(script_json(widget.loader_src)),
            handlers=handlers,
            strategy=Markup(_strategy_source(env, widget.strategy)),
        )

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
        return Markup(self._format.format(nonce=nonce_attr, data=self.data(request)))
