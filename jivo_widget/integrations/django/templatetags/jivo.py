"""``{% load jivo %}{% jivo_widget %}``: the glue for this request, before ``</body>``.

Keyword arguments are :meth:`Widget.render`'s, layered over the identity and the view's data:
``{% jivo_widget page_title="Checkout" custom_data=cart_fields %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from markupsafe import Markup

from jivo_widget.integrations.django.page import render_for

register = template.Library()


@register.simple_tag(takes_context=True, name="jivo_widget")  # type: ignore[untyped-decorator]
def jivo_widget(context: template.Context, **arguments: Any) -> Markup:
    """The glue for the template's request (``Markup``: autoescaping leaves it alone)."""
    request = getattr(context, "request", None) or context.get("request")
    return render_for(request, context, arguments)
