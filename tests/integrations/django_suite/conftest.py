"""Fixtures of the Django suite: users, and pages as production renders them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail


def calls(html: str | bytes) -> list[Any]:
    """The per-request calls a rendered glue carries."""
    text = html.decode() if isinstance(html, bytes) else html
    match = re.search(r"data-jivo='([^']*)'", text)
    assert match, text
    return list(json.loads(match.group(1)))


@pytest.fixture
def ann(db: None) -> Any:
    """A signed-up user with a full name and an e-mail."""
    return get_user_model().objects.create_user(
        "ann", "ann@example.com", "pw", first_name="Ann", last_name="O'Brien"
    )


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Pages as in production: not DEBUG, not Django's test environment, no JIVO_WIDGET_STRICT."""
    settings.DEBUG = False
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    monkeypatch.delattr(mail, "outbox")


@pytest.fixture(scope="session")
def playwright_and_orm() -> Iterator[None]:
    """Lets the test's own ORM calls run beside Playwright's sync API.

    Playwright's sync API keeps an event loop running in the test's thread, which Django takes
    for an async context (SynchronousOnlyOperation); Playwright's docs and pytest-django users
    set DJANGO_ALLOW_ASYNC_UNSAFE for browser tests. Session-scoped so that it also covers the
    database flush after the test (pytest-django runs live-server tests last, so the tests that
    rely on Django's async check run before it).
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
