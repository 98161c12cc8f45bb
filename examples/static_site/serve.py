"""Serve the built static shop with its small API (sign-in) and the Jivo webhook receiver.

python serve.py                # builds into ./site, serves http://127.0.0.1:8004/
JIVO_DEMO=1 python serve.py    # with the mocked widget and a live list of its calls
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from jivo_widget.demo import mock_mode
from jivo_widget.webhooks import ChatAccepted, WebhookApp

HERE = Path(__file__).resolve().parent

#: Demo customers by e-mail (a real shop keeps them in its database).
CUSTOMERS: dict[str, dict[str, Any]] = {
    "ann@example.com": {
        "id": "1",
        "name": "Ann O'Brien",
        "password": "ann-password",
        "plan": "Pro",
        "orders": 3,
        "crm": "https://crm.example.com/customers/1",
    },
    "bob@example.com": {
        "id": "2",
        "name": "Bob Smith",
        "password": "bob-password",
        "plan": "Free",
        "orders": 0,
        "crm": "https://crm.example.com/customers/2",
    },
}


def build_hooks(store: str) -> WebhookApp:
    """The webhook receiver: a CRM card for the visitor an agent accepts."""
    hooks = WebhookApp(secret=os.environ.get("JIVO_WEBHOOK_SECRET", "dev-only-secret"), store=store)

    @hooks.on("chat_accepted")
    def crm_card(event: ChatAccepted) -> dict[str, Any]:
        record = CUSTOMERS.get((event.visitor.email or "") if event.visitor else "")
        if record is None:
            return {"enable_assign": True}
        return {
            "crm_link": record["crm"],
            "custom_data": [
                {"title": "Plan", "content": record["plan"]},
                {"title": "Orders", "content": str(record["orders"])},
            ],
        }

    return hooks


async def me(request: Request) -> Response:
    """Who is signed in (and whether the widget should clear its history: after a sign-out)."""
    clear_history = bool(request.session.pop("clear_history", False))
    record = CUSTOMERS.get(request.session.get("email", ""))
    if record is None:
        return JSONResponse({"signed_in": False, "clear_history": clear_history})
    email = request.session["email"]
    return JSONResponse(
        {
            "signed_in": True,
            "clear_history": clear_history,
            "id": record["id"],
            "name": record["name"],
            "email": email,
            "plan": record["plan"],
        }
    )


async def login(request: Request) -> Response:
    """Sign in with ``{"email": …, "password": …}``."""
    try:
        data = await request.json()
    except ValueError:
        return JSONResponse({"error": "expected JSON"}, status_code=400)
    record = CUSTOMERS.get(str(data.get("email", ""))) if isinstance(data, dict) else None
    if record is None or record["password"] != data.get("password"):
        return JSONResponse({"error": "wrong e-mail or password"}, status_code=401)
    request.session["email"] = data["email"]
    return JSONResponse({"signed_in": True})


async def logout(request: Request) -> Response:
    """Sign out; the next page's account script clears the chat history."""
    request.session.pop("email", None)
    request.session["clear_history"] = True
    return JSONResponse({"signed_in": False})


async def mock_file(request: Request) -> Response:
    """``make demo``: the mocked widget's loader and call log."""
    if request.url.path == mock_mode.CALL_LOG_PATH:
        return Response(mock_mode.call_log_script(), media_type="application/javascript")
    return Response(
        mock_mode.mock_loader(request.path_params["widget_id"]), media_type="application/javascript"
    )


def create_app(site: Path, store: str | None = None) -> Any:
    """The site in ``site`` (see build.py), its API and the webhook receiver."""
    routes = [
        Route("/api/me", me),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
    ]
    if mock_mode.demo_mode():
        routes += [
            Route(mock_mode.CALL_LOG_PATH, mock_file),
            Route(mock_mode.MOCK_LOADER_PATH, mock_file),
        ]
    routes.append(Mount("/", app=StaticFiles(directory=site, html=True)))
    shop = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=os.environ.get("SHOP_SECRET_KEY", "dev-only-secret-key"),
            )
        ],
    )
    store = store or os.environ.get("JIVO_WEBHOOK_STORE", f"sqlite:///{HERE / 'events.db'}")
    webhooks = build_hooks(store).asgi()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Jivo posts to /jivo/webhook/<secret>; everything else is the shop.
        target = webhooks if scope.get("path", "").startswith("/jivo/webhook/") else shop
        await target(scope, receive, send)

    return app


def main() -> None:
    """Build the site, then serve it."""
    import uvicorn
    from build import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    args = parser.parse_args()
    site = HERE / "site"
    build(site, demo=mock_mode.demo_mode())
    uvicorn.run(create_app(site), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
