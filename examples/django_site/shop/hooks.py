"""The webhook receiver: a CRM card for the visitor an agent accepts."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from jivo_widget.webhooks import ChatAccepted, WebhookApp
from shop.customers import CUSTOMERS

hooks = WebhookApp(secret=settings.JIVO_WEBHOOK_SECRET, store=settings.JIVO_WEBHOOK_STORE)


@hooks.on("chat_accepted")
def crm_card(event: ChatAccepted) -> dict[str, Any]:
    """The customer's plan, orders and CRM page, by the visitor's e-mail."""
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
