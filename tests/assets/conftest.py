"""Fixtures of the glue's browser tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import Widget

_INJECT = """([data, code]) => {
  const script = document.createElement("script");
  script.dataset.jivo = data;
  script.textContent = code;
  document.body.appendChild(script);
}"""

InjectGlue = Callable[..., None]


@pytest.fixture
def inject_glue() -> InjectGlue:
    """``inject_glue(page, widget, **request)``: run the glue in a page that has already loaded,
    as an SPA adds it late (the script element a page would build from ``render_data``)."""

    def inject(page: Page, widget: Widget, **request: Any) -> None:
        page.evaluate(_INJECT, [widget.render_data(**request), widget.renderer.bootstrap])

    return inject
