"""The widget in any Jinja environment: ``{% jivo_widget %}`` or ``{{ jivo_widget(...) }}``.

::

    env = jinja2.Environment(extensions=["jivo_widget.integrations.jinja.JivoExtension"])
    env.jivo_widget_config = Widget.from_file("jivo.toml")     # Jinja's environment.extend

    {% jivo_widget %}                                   {# before </body> #}
    {% jivo_widget user_token=user.id, contact={"name": user.name} %}
    {{ jivo_widget(user_token=user.id, custom_data=[{"title": "Plan", "content": plan}]) }}

The arguments are :meth:`Widget.render`'s. The CSP nonce comes from a ``csp_nonce`` template
variable when there is one (a string, or a function returning it, as flask-talisman's
``csp_nonce()``), else from ``nonce=``. The output is ``Markup``: autoescaping leaves it alone.

Frameworks plug their request in through ``env.jivo_widget_page``, a function of the template
:class:`~jinja2.runtime.Context` returning a :class:`~jivo_widget.integrations._core.Page`
(identity, nonce, path, options...): the Flask and Starlette integrations set it. Rendering is
lenient unless the Widget or ``JIVO_WIDGET_STRICT`` says strict (see :mod:`jivo_widget._request`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup

from jivo_widget.config import Widget
from jivo_widget.errors import JivoConfigError
from jivo_widget.integrations._core import Page, render_page

__all__ = ["JivoExtension", "PageSource", "context_nonce", "jivo_widget"]

#: How a framework describes the page a template renders: ``page(context) -> Page``.
PageSource = Callable[[Context], Page]


def context_nonce(context: Context) -> Any:
    """The template's ``csp_nonce`` variable (called if it is a function), or ``None``."""
    nonce = context.get("csp_nonce")
    if callable(nonce):
        nonce = nonce()
    return nonce


def _default_page(context: Context) -> Page:
    return Page(nonce=context_nonce(context))


@pass_context
def jivo_widget(context: Context, **arguments: Any) -> Markup:
    """The glue for this page: ``render()`` arguments layered over the framework's."""
    environment = context.environment
    widget: Widget | None = getattr(environment, "jivo_widget_config", None)
    if not isinstance(widget, Widget):
        # A setup mistake, not per-request data: it fails the first page, in every mode.
        raise JivoConfigError(
            "jivo_widget_config: set env.jivo_widget_config = Widget(...) before rendering "
            f"(got {type(widget).__name__})"
        )
    source: PageSource = getattr(environment, "jivo_widget_page", None) or _default_page
    page = source(context)
    if arguments:
        page.arguments = {**page.arguments, **arguments}
    return render_page(widget, page)


class JivoExtension(Extension):
    """Adds the ``{% jivo_widget %}`` tag and the ``jivo_widget()`` global, and the
    ``jivo_widget_config`` (a :class:`Widget`) and ``jivo_widget_page`` attributes."""

    tags = {"jivo_widget"}  # noqa: RUF012  # jinja2.ext.Extension declares it a plain set

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(jivo_widget_config=None, jivo_widget_page=None)
        environment.globals["jivo_widget"] = jivo_widget

    def parse(self, parser: Parser) -> nodes.Node:
        """``{% jivo_widget [name=expression[,] ...] %}`` → the global's output."""
        lineno = next(parser.stream).lineno
        keywords: list[nodes.Keyword] = []
        while parser.stream.current.type != "block_end":
            if keywords:
                parser.stream.skip_if("comma")
            name = parser.stream.expect("name")
            parser.stream.expect("assign")
            keywords.append(nodes.Keyword(name.value, parser.parse_expression(), lineno=lineno))
        # The extension's own method, so that a template variable named jivo_widget cannot
        # stand in for the global.
        call = self.call_method("_tag", [nodes.ContextReference()], keywords, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _tag(self, context: Context, **arguments: Any) -> Markup:
        return jivo_widget(context, **arguments)
