"""The widget's identity (``JIVO_WIDGET_IDENTITY``): the user, their contact and their plan."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shop.customers import CUSTOMERS


def identity(request: HttpRequest) -> dict[str, Any] | None:
    """render() arguments for the signed-in customer; None for anonymous visitors."""
    user = request.user
    if not user.is_authenticated:
        return None
    record = CUSTOMERS.get(user.email, {})
    return {
        "user_token": user.pk,
        "contact": {"name": user.get_full_name(), "email": user.email},
        "custom_data": [{"title": "Plan", "content": record.get("plan", "none")}],
    }
