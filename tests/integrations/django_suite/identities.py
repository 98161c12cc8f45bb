"""Identity resolvers named by JIVO_WIDGET_IDENTITY in the tests."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def by_username(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not user.is_authenticated:
        return None
    return {
        "user_token": f"user-{user.username}",
        "custom_data": [{"title": "Plan", "content": "Pro"}],
    }


def broken(request: HttpRequest) -> dict[str, Any]:
    raise RuntimeError("CRM down")


NOT_CALLABLE = "just a string"
