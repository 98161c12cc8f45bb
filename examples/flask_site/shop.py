"""A small Flask shop with the Jivo widget: sign-in (flask-login), a nonce CSP (flask-talisman),
the widget in the base template through ``JivoWidget``, and the webhook receiver.

    flask --app shop run                  # http://127.0.0.1:5000/
    JIVO_DEMO=1 flask --app shop run      # with the mocked widget and a live list of its calls
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_talisman import Talisman

from jivo_widget import Widget
from jivo_widget.demo import mock_mode
from jivo_widget.integrations.flask import JivoWidget
from jivo_widget.webhooks import ChatAccepted, WebhookApp
from jivo_widget.webhooks.flask import webhook_blueprint

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Customer(UserMixin):
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
BY_ID = {c.id: c for c in CUSTOMERS.values()}
PRODUCTS = [("Espresso beans, 1 kg", "$24"), ("Pour-over kettle", "$59"), ("Burr grinder", "$139")]


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


def create_app(store: str | None = None) -> Flask:
    """The shop; ``store``: where webhook events go (default ``$JIVO_WEBHOOK_STORE``)."""
    demo = mock_mode.demo_mode()
    app = Flask(__name__)
    app.jinja_env.globals["jivo_demo"] = demo
    app.secret_key = os.environ.get("SHOP_SECRET_KEY", "dev-only-secret-key")
    app.config["JIVO_WIDGET"] = {"config": "jivo.toml"}  # relative to this file

    # A nonce on every script; the glue copies it onto the loader, and 'strict-dynamic' lets
    # Jivo's loader add its own scripts. Plain HTTP here: a real shop keeps force_https.
    Talisman(
        app,
        force_https=False,
        session_cookie_secure=False,
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'strict-dynamic'",
            "style-src": "'self' 'unsafe-inline'",
            "object-src": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
    )

    logins = LoginManager(app)
    logins.login_view = "login"
    logins.user_loader(BY_ID.get)

    # Config from app.config["JIVO_WIDGET"]; `make demo` swaps in the mocked widget.
    jivo = JivoWidget(widget=mock_mode.with_mock_loader(_widget()) if demo else None)

    @jivo.identity_loader
    def identity() -> dict[str, Any] | None:
        if not current_user.is_authenticated:
            return None
        return {
            "user_token": current_user.id,
            "contact": {"name": current_user.name, "email": current_user.email},
            "custom_data": [{"title": "Plan", "content": current_user.plan}],
        }

    jivo.init_app(app)

    store = store or os.environ.get("JIVO_WEBHOOK_STORE", f"sqlite:///{HERE / 'events.db'}")
    app.register_blueprint(webhook_blueprint(build_hooks(store)))  # POST /jivo/webhook/<secret>

    if demo:
        _demo_routes(app)

    @app.get("/")
    def shop() -> str:
        return render_template("shop.html", products=PRODUCTS)

    @app.get("/account")
    @login_required
    def account() -> str:
        return render_template("account.html")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            customer = CUSTOMERS.get(request.form.get("email", ""))
            if customer and customer.password == request.form.get("password"):
                login_user(customer)
                return redirect(url_for("shop"))
            flash("Wrong e-mail or password.")
        return render_template("login.html")

    @app.post("/logout")
    def logout() -> Any:
        logout_user()  # the next page renders clearHistory() (JivoWidget listens for it)
        return redirect(url_for("shop"))

    return app


def _widget() -> Widget:
    return Widget.from_file(HERE / "jivo.toml")


def _demo_routes(app: Flask) -> None:
    """``make demo``: the mocked widget and its call log, served by the shop itself."""
    ours = _widget().widget_id

    @app.get(mock_mode.MOCK_LOADER_PATH.replace("{widget_id}", "<widget_id>"))
    def mock_loader(widget_id: str) -> Response:
        if widget_id != ours:
            abort(404)
        return Response(mock_mode.mock_loader(widget_id), mimetype="application/javascript")

    @app.get(mock_mode.CALL_LOG_PATH)
    def call_log() -> Response:
        return Response(mock_mode.call_log_script(), mimetype="application/javascript")
