"""The demo customers and the "CRM" the webhook card reads (a real shop has its own)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password

#: Customer records by e-mail: name, password (demo only), plan, orders, CRM page.
CUSTOMERS: dict[str, dict[str, Any]] = {
    "ann@example.com": {
        "first_name": "Ann",
        "last_name": "O'Brien",
        "password": "ann-password",
        "plan": "Pro",
        "orders": 3,
        "crm": "https://crm.example.com/customers/1",
    },
    "bob@example.com": {
        "first_name": "Bob",
        "last_name": "Smith",
        "password": "bob-password",
        "plan": "Free",
        "orders": 0,
        "crm": "https://crm.example.com/customers/2",
    },
}


def create_customers(user_model: Any) -> None:
    """Create the demo customers' accounts (username = e-mail) if missing."""
    for email, record in CUSTOMERS.items():
        if not user_model.objects.filter(username=email).exists():
            # make_password, not set_password: migrations get a model without methods.
            user_model.objects.create(
                username=email,
                email=email,
                first_name=record["first_name"],
                last_name=record["last_name"],
                password=make_password(record["password"]),
            )
