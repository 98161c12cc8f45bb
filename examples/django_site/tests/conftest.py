"""The shop on pytest-django's live server (127.0.0.1), for Chromium with jivo_mock."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

# Webhook events go to a throwaway SQLite file (settings read it when Django starts).
os.environ.setdefault("JIVO_WEBHOOK_STORE", f"sqlite:///{tempfile.mkdtemp()}/events.db")
# Playwright's sync API keeps an event loop running in the test thread, which Django would take
# for an async context in the live server's database setup and teardown.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def customers(transactional_db: None, django_user_model: Any) -> None:
    """The demo customers (live-server tests empty the database after each test)."""
    from shop.customers import create_customers

    create_customers(django_user_model)
