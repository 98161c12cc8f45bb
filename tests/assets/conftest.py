"""Fixtures of the glue's browser tests: the glue added late, the lazy strategies and the
facade (``lazy_glue``, ``lazy_page``), the page's uncaught errors."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from markupsafe import Markup
from playwright.sync_api import Page

from jivo_widget import Widget, strategies
from jivo_widget.facade import Facade
from jivo_widget.lazy import OPTIONS, SAVE_DATA_GUARDED, facade_function, strategy_function
from jivo_widget.render import asset, template_environment
from jivo_widget.strategies import register_strategy
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

_names = itertools.count()


@dataclass(frozen=True)
class LazyGlue:
    """A Widget's glue with a lazy strategy (and the facade): ``render()`` gives the HTML."""

    widget: Widget
    facade: Facade | None

    def facade_html(self, nonce: str | None = None) -> str:
        if self.facade is None:
            return ""
        template = template_environment().get_template("jivo_widget/facade.html.j2")
        return template.render(
            facade=self.facade,
            colors=self.facade.colors(self.widget.color),
            css=Markup(asset("facade.min.css")),
            nonce_attr=Markup(f' nonce="{nonce}"') if nonce else "",
        )

    def render(self, **request: Any) -> str:
        return self.facade_html(request.get("nonce")) + str(self.widget.render(**request))


def strategy_source(
    strategy: str, options: dict[str, Any] | None = None, facade: Facade | None = None
) -> str:
    """The strategy function a Widget with these settings hands to the glue (JS source)."""
    model = OPTIONS.get(strategy)
    built = model(**(options or {})) if model is not None else None
    function = strategy_function(asset(f"strategies/{strategy}.min.js"), built)
    if facade is not None:
        function = facade_function(
            asset("facade.min.js"),
            function,
            timeout=facade.timeout,
            guard=strategy in SAVE_DATA_GUARDED,
        )
    return function


def make_lazy_glue(
    strategy: str,
    options: dict[str, Any] | None = None,
    facade: bool | dict[str, Any] = False,
    **widget_fields: Any,
) -> LazyGlue:
    """A :class:`LazyGlue` for ``strategy`` (a built-in name) with its ``options``."""
    facade_model = Facade(**facade) if isinstance(facade, dict) else Facade() if facade else None
    source = strategy_source(strategy, options, facade_model)
    name = f"lazy-{strategy}-{next(_names)}"
    register_strategy(name, source=f"return ({source})(load, w, d);")
    try:
        widget = Widget(widget_id=WIDGET_ID, strategy=name, **widget_fields)
    finally:
        del strategies._registry[name]
    return LazyGlue(widget=widget, facade=facade_model)


@pytest.fixture
def lazy_glue() -> Callable[..., LazyGlue]:
    """``lazy_glue("click", {"selector": "#chat"}, facade=True)``: see :func:`make_lazy_glue`."""
    return make_lazy_glue


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
