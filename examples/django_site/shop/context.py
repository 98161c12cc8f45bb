"""Template context: whether the shop runs in demo mode (`make demo`)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, bool]:
    """``jivo_demo``: the mocked widget's call log is on the page."""
    return {"jivo_demo": "loader_url" in settings.JIVO_WIDGET}
