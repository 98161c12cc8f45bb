"""A small FastAPI shop with the Jivo widget: sign-in (sessions + Starlette's
AuthenticationMiddleware), a nonce CSP, the widget in the base template through
``install_jivo_widget``, and the webhook receiver.

    uvicorn shop:create_app --factory                 # http://127.0.0.1:8000/
    JIVO_DEMO=1 uvicorn shop:create_app --factory     # with the mocked widget and its calls
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection

from jivo_widget import Widget
from jivo_widget.demo import mock_mode
from jivo_widget.integrations.starlette import clear_history_next_page, install_jivo_widget
from jivo_widget.webhooks import ChatAccepted, WebhookApp
from jivo_widget.webhooks.fastapi import webhook_router

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Customer:
    """A demo customer (a real shop keeps them in its database)."""

    id: str
    name: str
    email: str
    password: str
    plan: str
    orders: int
    crm_url: str


CUSTOMERS = {
    c.email: c
    for c in [
        Customer(
            "1",
            "Ann O'Brien",
            "ann@example.com",
            "ann-password",
            "Pro",
            3,
            "https://crm.example.com/customers/1",
        ),
        Customer(
            "2",
            "Bob Smith",
            "bob@example.com",
            "bob-password",
            "Free",
            0,
            "https://crm.example.com/customers/2",
        ),
    ]
}
PRODUCTS = [("Espresso beans, 1 kg", "$24"), ("Pour-over kettle", "$59"), ("Burr grinder", "$139")]


class ShopUser(SimpleUser):
    """``request.user`` of a signed-in customer: ``identity`` is the customer id."""

    def __init__(self, customer: Customer) -> None:
        super().__init__(customer.name)
        self.customer = customer
        self.email = customer.email

    @property
    def identity(self) -> str:
        return self.customer.id


class SessionBackend(AuthenticationBackend):
    """The signed-in customer from the session cookie."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, ShopUser] | None:
        customer = CUSTOMERS.get(conn.session.get("email", ""))
        return (AuthCredentials(["authenticated"]), ShopUser(customer)) if customer else None


def identity(request: Request) -> dict[str, Any] | None:
    """The widget's identity: the customer, their contact and plan (None when anonymous)."""
    if not request.user.is_authenticated:
        return None
    customer: Customer = request.user.customer
    return {
        "user_token": customer.id,
        "contact": {"name": customer.name, "email": customer.email},
        "custom_data": [{"title": "Plan", "content": customer.plan}],
    }


def build_hooks(store: str) -> WebhookApp:
    """The webhook receiver: a CRM card for the visitor an agent accepts."""
    hooks = WebhookApp(secret=os.environ.get("JIVO_WEBHOOK_SECRET", "dev-only-secret"), store=store)

    @hooks.on("chat_accepted")
    def crm_card(event: ChatAccepted) -> dict[str, Any]:
        customer = CUSTOMERS.get((event.visitor.email or "") if event.visitor else "")
        if customer is None:
            return {"enable_assign": True}
        return {
            "crm_link": customer.crm_url,
            "custom_data": [
                {"title": "Plan", "content": customer.plan},
                {"title": "Orders", "content": str(customer.orders)},
            ],
        }

    return hooks


async def csp_nonce(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """A fresh nonce per request, in request.state (the widget reads it) and in the header."""
    nonce = request.state.csp_nonce = secrets.token_urlsafe(16)
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'"
    )
    return response


def create_app(store: str | None = None) -> FastAPI:
    """The shop; ``store``: where webhook events go (default ``$JIVO_WEBHOOK_STORE``)."""
    demo = mock_mode.demo_mode()
    widget = Widget.from_file(HERE / "jivo.toml")
    if demo:  # `make demo`: the mocked widget, served by the shop itself
        widget = mock_mode.with_mock_loader(widget)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["jivo_demo"] = demo
    install_jivo_widget(templates, widget, identity=identity)

    app = FastAPI(docs_url=None, redoc_url=None)
    # Listed innermost first: sessions run first, then authentication, then the nonce.
    app.middleware("http")(csp_nonce)
    app.add_middleware(AuthenticationMiddleware, backend=SessionBackend())
    app.add_middleware(
        SessionMiddleware, secret_key=os.environ.get("SHOP_SECRET_KEY", "dev-only-secret-key")
    )
    store = store or os.environ.get("JIVO_WEBHOOK_STORE", f"sqlite:///{HERE / 'events.db'}")
    app.include_router(webhook_router(build_hooks(store)))  # POST /jivo/webhook/{secret}

    @app.get("/")
    async def shop(request: Request) -> Response:
        return templates.TemplateResponse(request, "shop.html", {"products": PRODUCTS})

    @app.get("/login")
    async def login_form(request: Request) -> Response:
        return templates.TemplateResponse(request, "login.html", {"error": None})

    @app.post("/login")
    async def login(
        request: Request, email: str = Form(...), password: str = Form(...)
    ) -> Response:
        customer = CUSTOMERS.get(email)
        if customer is None or customer.password != password:
            return templates.TemplateResponse(
                request, "login.html", {"error": "Wrong e-mail or password."}, status_code=400
            )
        request.session["email"] = email
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        request.session.pop("email", None)
        clear_history_next_page(request)  # the next page renders clearHistory()
        return RedirectResponse("/", status_code=303)

    if demo:

        @app.get(mock_mode.MOCK_LOADER_PATH)
        async def mock_loader(widget_id: str) -> Response:
            if widget_id != widget.widget_id:
                raise HTTPException(404)
            return Response(mock_mode.mock_loader(widget_id), media_type="application/javascript")

        @app.get(mock_mode.CALL_LOG_PATH)
        async def call_log() -> Response:
            return Response(mock_mode.call_log_script(), media_type="application/javascript")

    return app
