"""The demo site as a Starlette app (see :mod:`jivo_widget.demo`)."""

from __future__ import annotations

import functools
import json
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from jivo_widget import _resources
from jivo_widget.config import Widget
from jivo_widget.demo.hooks import build_hooks
from jivo_widget.errors import TranscryptMissing
from jivo_widget.testing.scripts import mock_loader_script
from jivo_widget.webhooks.contract import WEBHOOK_PREFIX
from jivo_widget.webhooks.decode import pretty_json

__all__ = [
    "DEFAULT_CONFIG",
    "DEMO_STRATEGIES",
    "DEMO_VISITOR",
    "INTEGRATIONS",
    "DemoSettings",
    "PythonCallbacks",
    "create_app",
    "demo_loader_script",
    "load_widget",
]

#: The demo's widget config shipped inside the package, so ``jivo-widget demo`` runs from any
#: directory; a test keeps it identical to examples/demo/jivo.toml (what ``make demo`` reads).
DEFAULT_CONFIG = _resources.path("demo/jivo.toml")

#: Where the demo serves the mocked widget's loader (``{id}`` is the widget id).
MOCK_LOADER_PATH = "/_jivo/mock/widget/{widget_id}"

#: What the strategy switcher offers (``/?strategy=…&facade=1``): each strategy's options as
#: the demo page needs them (its chat button, its footer, its consent banner).
DEMO_STRATEGIES: dict[str, dict[str, Any] | None] = {
    "eager": None,
    "onload": None,
    "idle": None,
    "interaction": None,
    "click": {"selector": ".chat-now"},
    "visible": {"selector": "#contact"},
    "consent": {"cookie": "demo_consent", "cookie_value": "yes"},
    "manual": None,
}

#: The signed-in-looking visitor every demo page renders for.
DEMO_VISITOR: dict[str, Any] = {
    "user_token": "demo-user-42",
    "contact": {"name": "Ann Example", "email": "ann@example.com", "phone": "+14085550142"},
    "custom_data": [
        {"title": "Plan", "content": "Pro", "link": "https://crm.example.com/u/42"},
        {"title": "Cart", "content": "2 items, $129.00"},
        {"title": "Last order", "content": "#1042 (shipped)"},
    ],
}


@dataclass(frozen=True)
class DemoSettings:
    """What the demo site runs with.

    ``config``: the widget's TOML file; ``real``: use Jivo's real loader (needs the internet and
    a real widget id) instead of the mocked widget; ``store``/``secret``: the webhook receiver's;
    ``examples``: running example sites by integration (``("Django", "http://…")``), linked
    from the page's "Your stack" section.
    """

    config: Path = DEFAULT_CONFIG
    store: str = "sqlite:///jivo-demo-events.db"
    secret: str = "demo-secret"
    real: bool = False
    examples: tuple[tuple[str, str], ...] = ()


#: The integrations the page introduces: (name, setup line, template line).
INTEGRATIONS = (
    (
        "Django",
        'INSTALLED_APPS += ["jivo_widget.integrations.django"]; '
        'JIVO_WIDGET = {"config": "jivo.toml"}',
        "{% load jivo %}{% jivo_widget %}",
    ),
    (
        "Flask",
        'app.config["JIVO_WIDGET"] = {"config": "jivo.toml"}; JivoWidget(app)',
        "{{ jivo_widget() }}",
    ),
    (
        "FastAPI",
        'install_jivo_widget(templates, Widget.from_file("jivo.toml"))',
        "{{ jivo_widget() }}",
    ),
    (
        "Static site",
        'env.add_extension("jivo_widget.integrations.jinja.JivoExtension"); '
        "env.jivo_widget_config = widget",
        "{% jivo_widget %}",
    ),
)


@dataclass(frozen=True)
class PythonCallbacks:
    """One callbacks module of the demo widget, as the page shows it: its Python source beside
    the (readable, unminified) JavaScript it compiles to, which the glue carries minified."""

    name: str
    python: str
    javascript: str


def python_callbacks_missing() -> str | None:
    """Why the demo runs without its Python callbacks (the callbacks extra is not installed:
    ``pip install 'jivo-widget[server]'`` is enough for the demo), else ``None``."""
    try:
        from jivo_widget.transpile import runner

        runner.ensure_available()
    except TranscryptMissing as exc:
        return str(exc)
    return None


def python_callbacks(widget: Widget) -> list[PythonCallbacks]:
    """The widget's Python callbacks modules, each with the JavaScript it compiles to (cache
    hits: the Widget compiled them already, the readable form once more on the first run)."""
    if not widget.callbacks:
        return []
    from jivo_widget import transpile

    shown = []
    for module in widget.callbacks:
        python = module.path.read_text(encoding="utf-8")
        source = python
        if module.functions is not None:
            source = transpile.select_functions(python, module.path.name, module.functions)
        compiled = transpile.compile_callbacks(source, module.path.name)
        shown.append(PythonCallbacks(module.path.name, python, compiled.expression))
    return shown


def load_widget(settings: DemoSettings) -> Widget:
    """The demo widget: the TOML config, pointed at the site's own mock unless ``real``.

    Raises :class:`~jivo_widget.errors.JivoConfigError` for a missing or invalid config.
    """
    if python_callbacks_missing() is None:
        widget = Widget.from_file(settings.config)
    else:  # still a demo: the rest of the config, and the page says what to install
        with settings.config.open("rb") as file:
            data = tomllib.load(file)
        data.pop("callbacks", None)
        widget = Widget.from_mapping(data, base_dir=settings.config.parent)
    if settings.real:
        return widget
    return widget.model_copy(
        update={"loader_url": MOCK_LOADER_PATH.format(widget_id=widget.widget_id)}
    )


@functools.lru_cache(maxsize=16)
def demo_loader_script(widget_id: str) -> bytes:
    """The mocked widget's loader for ``widget_id``, encoded once (it is ~30 KB).

    Bounded: the route accepts any id, but a page only ever asks for its own.
    """
    return mock_loader_script(widget_id).encode("utf-8")


def page_costs() -> list[dict[str, Any]]:
    """The cost of each loading strategy as ``make bench`` last measured it (what its page
    benchmark writes to ``demo/page_costs.json``): shown beside the strategy switcher."""
    rows: list[dict[str, Any]] = json.loads(_resources.read_text("demo/page_costs.json"))["rows"]
    return rows


def _pages() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_resources.path("demo/pages"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def create_app(settings: DemoSettings) -> Starlette:
    """Build the demo site. Raises :class:`JivoConfigError` for a bad config."""
    configured = load_widget(settings)
    # The switcher's variants, built (validated, prepared) once each.
    variants = {
        (name, facade): configured.model_copy(
            update={"strategy": name, "strategy_options": options, "facade": facade}
        )
        for name, options in DEMO_STRATEGIES.items()
        for facade in (False, True)
    }
    costs = page_costs()
    callbacks = python_callbacks(configured)
    callbacks_missing = python_callbacks_missing()
    hooks = build_hooks(secret=settings.secret, store=settings.store)
    pages = _pages()
    shop_page = pages.get_template("shop.html")
    events_page = pages.get_template("events.html")

    def webhook_url(request: Request) -> str:
        return f"{str(request.base_url).rstrip('/')}{WEBHOOK_PREFIX}{settings.secret}"

    async def shop(request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        # The config's own strategy unless the switcher chose another (unknown: ignored).
        strategy = request.query_params.get("strategy", configured.strategy)
        facade = request.query_params.get("facade") == "1"
        widget = variants.get((strategy, facade), configured)
        glue = widget.render(**DEMO_VISITOR, nonce=nonce)
        html = shop_page.render(
            glue=glue,
            glue_source=str(glue),  # a plain str, so the page shows it escaped
            nonce=nonce,
            real=settings.real,
            widget=widget,
            strategies=list(DEMO_STRATEGIES),
            costs=costs,
            visitor=DEMO_VISITOR,
            webhook_url=webhook_url(request),
            integrations=INTEGRATIONS,
            examples=dict(settings.examples),
            python_callbacks=callbacks,
            python_callbacks_missing=callbacks_missing,
        )
        # 'strict-dynamic' lets the nonce'd glue inject the loader (onload strategy) and lets
        # Jivo's own loader add its scripts in --real mode.
        csp = f"script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'"
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    async def mock_loader(request: Request) -> Response:
        script = demo_loader_script(request.path_params["widget_id"])
        return Response(script, media_type="application/javascript")

    async def events(request: Request) -> Response:
        # The store is synchronous SQLite: read it off the event loop, which serves the page
        # and the webhook receiver meanwhile.
        stored = await run_in_threadpool(hooks.store.list, limit=50)
        rows = [
            {
                "event": event,
                "payload": _pretty(event.body),
                "response": json.dumps(event.response, indent=2) if event.response else "",
            }
            for event in stored
        ]
        html = events_page.render(
            rows=rows,
            webhook_url=webhook_url(request),
        )
        return HTMLResponse(html)

    async def no_favicon(request: Request) -> Response:
        return Response(status_code=204)  # keeps the browser console free of 404s

    routes = [
        Route("/", shop),
        Route("/favicon.ico", no_favicon),
        Route(MOCK_LOADER_PATH, mock_loader),
        Route("/events", events),
        # The receiver owns /jivo/webhook/{secret} and /healthz.
        Mount("/", app=hooks.asgi()),
    ]
    return Starlette(routes=routes)


def _pretty(body: bytes) -> str:
    return pretty_json(body) or body.decode("utf-8", "replace")
