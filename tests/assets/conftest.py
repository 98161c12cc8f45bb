"""Fixtures of the glue's browser tests: the glue added late, the lazy strategies and the
facade (``lazy_widget``, ``lazy_page``), the page's uncaught errors."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

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


WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"


def make_lazy_widget(
    strategy: str,
    options: dict[str, Any] | None = None,
    facade: bool | dict[str, Any] = False,
    **widget_fields: Any,
) -> Widget:
    """A Widget with ``strategy`` and its ``options``, and the facade if asked."""
    return Widget(
        widget_id=WIDGET_ID,
        strategy=strategy,
        strategy_options=options,
        facade=facade,
        **widget_fields,
    )


@pytest.fixture
def lazy_widget() -> Callable[..., Widget]:
    """``lazy_widget("click", {"selector": "#chat"}, facade=True)``: see
    :func:`make_lazy_widget`."""
    return make_lazy_widget


class LazyPage:
    """The test's page, with the mocked widget installed, and what the lazy tests ask of it."""

    def __init__(self, page: Page, live_server: Any) -> None:
        self.page = page
        self._server = live_server
        self._paths = itertools.count()

    def open(self, body: str, head: str = "", after: str = "") -> str:
        """Serve a small valid page (language, title, main landmark: axe-core checks them
        too) with ``body`` in its ``<main>`` and ``after`` after it, and go to it; returns its
        URL."""
        document = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Shop</title>{head}</head><body><main><h1>Shop</h1>{body}</main>{after}"
            "</body></html>"
        )
        url = self._server.add(f"/page{next(self._paths)}", document)
        self.page.goto(url)
        return url

    def loader_inserted(self) -> bool:
        """Whether the glue inserted Jivo's loader (synchronous in ``load()``: no race)."""
        return bool(
            self.page.evaluate("src => [...document.scripts].some(s => s.src === src)", LOADER)
        )

    def settle(self) -> None:
        """Let the page finish: the load event, then two frames and a task. An eager or onload
        strategy (or one that misread its trigger) has inserted the loader by then."""
        self.page.wait_for_load_state("load")
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
            "() => setTimeout(r, 0))))"
        )


@pytest.fixture
def lazy_page(page: Page, live_server: Any, jivo_mock: JivoMock) -> LazyPage:
    """The page with the mocked widget installed (see :class:`LazyPage`)."""
    return LazyPage(page, live_server)


@pytest.fixture
def seen_errors(page: Page) -> list[str]:
    """Uncaught errors of the page as Playwright sees them: ``"Name: message"``."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc.name}: {exc.message}"))
    return errors
