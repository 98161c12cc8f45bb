"""Webhook handlers of the demo site: a tiny in-memory "CRM" answering ``chat_accepted``."""

from __future__ import annotations

from typing import Any

from jivo_widget.webhooks import ChatAccepted, WebhookApp

__all__ = ["CRM", "build_hooks"]

#: The demo's customer records, by e-mail.
CRM: dict[str, dict[str, str]] = {
    "ann@example.com": {"plan": "Pro", "since": "2021", "url": "https://crm.example.com/u/42"},
    "a@b.c": {"plan": "Free", "since": "2025", "url": "https://crm.example.com/u/7"},
}


def build_hooks(*, secret: str, store: str) -> WebhookApp:
    """The demo receiver: answers ``chat_accepted``/``chat_updated`` from :data:`CRM`."""
    hooks = WebhookApp(secret=secret, store=store)

    @hooks.on(["chat_accepted", "chat_updated"])
    def show_crm_card(event: ChatAccepted) -> dict[str, Any]:
        email = event.visitor.email if event.visitor else None
        customer = CRM.get(email or "")
        if customer is None:
            return {"result": "ok", "enable_assign": True}
        return {
            "result": "ok",
            "custom_data": [
                {"title": "Plan", "content": customer["plan"]},
                {"title": "Customer since", "content": customer["since"]},
            ],
            "crm_link": customer["url"],
        }

    return hooks
