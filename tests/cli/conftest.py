"""Fixtures for the command-line tests: a user's app, servers started with it, stored events.

The ``jivo_cli`` fixture (the real console script) is in the suite's root conftest.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import EventStatus, NewEvent, dedupe_key, open_store

if TYPE_CHECKING:
    from conftest import JivoCli, Served

# A user's app: the chat_accepted card echoes the visitor's email (so --set is visible in the
# answer), and chat_finished fails until a flag file exists (so replay has something to fix).
USER_APP = textwrap.dedent(
    """
    from pathlib import Path
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="ignored-by-serve", store="sqlite:///ignored.db")

    @hooks.on("chat_accepted")
    def card(event):
        return {"custom_data": [{"title": "Email", "content": str(event.visitor.email)}]}

    @hooks.on("chat_finished")
    def transcript(event):
        if not Path("transcripts-ok").exists():
            raise RuntimeError("CRM is down")

    not_an_app = 42
    """
)

_STUCK_APP = textwrap.dedent(
    """
    import threading
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(
        secret="unused", store="sqlite:///events.db", handler_timeout=1, response_deadline=0.5
    )

    @hooks.on("chat_finished")
    def export(event):
        threading.Event().wait()  # a call without a timeout that never returns
    """
)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A temporary working directory holding the user's app (``userapp:hooks``)."""
    (tmp_path / "userapp.py").write_text(USER_APP, encoding="utf-8")
    return tmp_path


@pytest.fixture
def capture(jivo_cli: JivoCli, workdir: Path) -> Served:
    """Capture-only ``serve`` with the secret from the environment."""
    return jivo_cli.serve(workdir, JIVO_WEBHOOK_SECRET=jivo_cli.secret)


@pytest.fixture
def with_app(jivo_cli: JivoCli, workdir: Path) -> Served:
    """``serve --app userapp:hooks --secret S``."""
    return jivo_cli.serve(workdir, "--secret", jivo_cli.secret, "--app", "userapp:hooks")


@pytest.fixture
def leave_stuck_event() -> Callable[[Path, float], int]:
    """``leave_stuck_event(workdir, minutes_ago)``: a chat_finished row left 'received' in
    ``workdir/events.db``, as by a process killed while its handlers ran; its id."""

    def leave(workdir: Path, minutes_ago: float) -> int:
        body = samples.load_bytes("chat_finished")
        store = open_store(f"sqlite:///{workdir / 'events.db'}")
        try:
            at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
            new = NewEvent(
                at, None, body, dedupe_key(body), "chat_finished", 1, EventStatus.RECEIVED
            )
            event_id = store.add(new)
        finally:
            store.close()
        assert event_id is not None
        return event_id

    return leave


@pytest.fixture
def failed_event() -> Callable[[Path, str], int]:
    """``failed_event(path, error)``: a chat_finished row stored ``failed`` with ``error`` in the
    SQLite file ``path``, as left by a handler that raised; its id."""

    def add(path: Path, error: str) -> int:
        store = open_store(f"sqlite:///{path}")
        try:
            body = samples.load_bytes("chat_finished")
            new = NewEvent(
                datetime.now(UTC), None, body, dedupe_key(body), "chat_finished", 1,
                EventStatus.FAILED, error,
            )  # fmt: skip
            event_id = store.add(new)
        finally:
            store.close()
        assert event_id is not None
        return event_id

    return add


@pytest.fixture
def stuck_app(tmp_path: Path) -> str:
    """``stuckapp:hooks`` in the test's directory: a chat_finished handler that blocks forever
    (a call without a timeout), with a 1 s handler timeout. Its reference for ``--app``."""
    (tmp_path / "stuckapp.py").write_text(_STUCK_APP, encoding="utf-8")
    return "stuckapp:hooks"
