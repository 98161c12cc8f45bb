"""A WebhookApp's store is opened on first use; ``sqlite:///:memory:`` under every adapter.

Importing a hooks module (and building its adapters) must not create ``jivo-events.db`` in the
working directory; the store opens at the first delivery, health check or ``hooks.store``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import (
    EventStatus,
    JivoEvent,
    JivoInsecureWebhookWarning,
    WebhookApp,
    samples,
)
from jivo_widget.webhooks.store import (
    StoreUnavailable,
    open_store,
)

if TYPE_CHECKING:
    from webhooks.conftest import Servers

HOOKS_MODULE = textwrap.dedent(
    """
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="s")  # the default store: sqlite:///jivo-events.db

    @hooks.on("chat_finished")
    def archive(event):
        pass

    # A site builds its adapters at import too (urls.py, create_app, main.py).
    asgi = hooks.asgi()
    wsgi = hooks.wsgi()
    from jivo_widget.webhooks.flask import webhook_blueprint
    from jivo_widget.webhooks.django import webhook_view
    from jivo_widget.webhooks.fastapi import webhook_router
    blueprint = webhook_blueprint(hooks)
    view = webhook_view(hooks)
    router = webhook_router(hooks)
    staging = hooks.configured(secret="other")
    """
)

FIRST_DELIVERY = textwrap.dedent(
    """
    import io, os, sys
    import sitehooks
    assert not os.path.exists("jivo-events.db"), "created at import"
    os.chdir(sys.argv[1])  # a server that changes directory after importing the app
    body = open(sys.argv[2], "rb").read()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/jivo/webhook/s",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    statuses = []
    sitehooks.wsgi(environ, lambda status, headers: statuses.append(status))
    print(statuses[0])
    """
)


def test_importing_a_hooks_module_creates_no_store_until_the_first_delivery(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    elsewhere = tmp_path / "elsewhere"
    site.mkdir()
    elsewhere.mkdir()
    (site / "sitehooks.py").write_text(HOOKS_MODULE, encoding="utf-8")
    (site / "deliver.py").write_text(FIRST_DELIVERY, encoding="utf-8")
    (site / "body.json").write_bytes(samples.load_bytes("chat_finished"))
    imported = subprocess.run(
        [sys.executable, "-c", "import sitehooks"], cwd=site, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("jivo-events")) == []

    delivered = subprocess.run(
        [sys.executable, "deliver.py", str(elsewhere), str(site / "body.json")],
        cwd=site,
        capture_output=True,
        text=True,
    )
    assert delivered.returncode == 0, delivered.stderr
    assert delivered.stdout.strip() == "200 OK"
    # Relative to the directory the app was built in, not wherever the server went since.
    assert (site / "jivo-events.db").is_file() and not (elsewhere / "jivo-events.db").exists()
    assert open_store(f"sqlite:///{site / 'jivo-events.db'}").count() == 1


def test_a_bad_store_url_is_still_an_error_at_construction() -> None:
    with pytest.raises(JivoConfigError, match="expected sqlite:///PATH"):
        WebhookApp(secret="s", store="mysql://db/events")


def test_a_store_that_cannot_be_opened_yet_answers_503_then_recovers(tmp_path: Path) -> None:
    directory = tmp_path / "not-yet"
    hooks = WebhookApp(secret="s", store=f"sqlite:///{directory / 'events.db'}")  # no error
    body = samples.load_bytes("offline_message")
    reply = hooks.receiver.handle_blocking("POST", "s", body, None)
    assert reply.status == 503 and "does not exist" in reply.body["error"]
    health = hooks.receiver.health()
    assert health.status == 503 and "does not exist" in health.body["error"]
    with pytest.raises(StoreUnavailable, match="does not exist"):
        _ = hooks.store
    directory.mkdir()  # the volume got mounted
    assert hooks.receiver.handle_blocking("POST", "s", body, None).status == 200
    assert hooks.receiver.health().status == 200
    assert hooks.store.count() == 1


def test_configured_copies_share_one_lazily_opened_store(tmp_path: Path) -> None:
    hooks = WebhookApp(secret="s", store=f"sqlite:///{tmp_path / 'events.db'}")
    staging = hooks.configured(secret="other")
    assert not (tmp_path / "events.db").exists()
    assert staging.store is hooks.store
    other = hooks.configured(store=f"sqlite:///{tmp_path / 'other.db'}")
    assert not (tmp_path / "other.db").exists()
    assert other.store is not hooks.store and (tmp_path / "other.db").exists()


# -- sqlite:///:memory: under every adapter --------------------------------------------------------


def test_an_in_memory_store_is_one_database_for_every_thread(
    adapter: str, servers: Servers
) -> None:
    hooks = WebhookApp(secret="s", store="sqlite:///:memory:")
    seen_by_handlers: list[tuple[str, int]] = []

    @hooks.on("chat_finished")
    def sync_handler(event: JivoEvent) -> None:  # runs on a worker thread
        seen_by_handlers.append((threading.current_thread().name, hooks.store.count()))

    @hooks.on("chat_finished")
    async def async_handler(event: JivoEvent) -> None:  # runs on the receiver's event loop
        seen_by_handlers.append(("loop", hooks.store.count()))

    base = servers.adapter(adapter, hooks)
    for chat_id in (1, 2, 3):
        payload = {**samples.load("chat_finished"), "chat_id": chat_id}
        response = httpx.post(f"{base}/jivo/webhook/s", content=json.dumps(payload))
        assert response.status_code == 200, response.text
    assert hooks.receiver.drain_blocking(10)
    assert hooks.receiver.health().status == 200
    rows = hooks.store.list(limit=None, newest_first=False)
    assert [row.chat_id for row in rows] == [1, 2, 3]
    assert {row.status for row in rows} == {EventStatus.PROCESSED}
    # Each handler ran on another thread than this test and saw the rows committed so far.
    assert len(seen_by_handlers) == 6 and all(count >= 1 for _, count in seen_by_handlers)


# -- insecure mode, configured copies --------------------------------------------------------------


def test_no_secret_is_insecure_mode_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(JivoInsecureWebhookWarning, match="no Jivo webhook secret configured"):
        hooks = WebhookApp(secret=None, store=f"sqlite:///{tmp_path / 'e.db'}")
    assert hooks.receiver.insecure
    assert hooks.receiver.authorize("POST", "anything") is None
    assert hooks.receiver.authorize("POST", "") is None


def test_configured_shares_the_handlers_over_another_store_and_secret(tmp_path: Path) -> None:
    hooks = WebhookApp(
        secret=["old-secret", "new-secret"],
        store=f"sqlite:///{tmp_path / 'a.db'}",
        max_body_bytes=4096,
        response_deadline=1.0,
        handler_timeout=5.0,
    )
    moved = hooks.configured(store=f"sqlite:///{tmp_path / 'b.db'}")
    rekeyed = hooks.configured(secret="other", store=moved.store)

    @hooks.on("chat_accepted")  # registered after configured(): counts for every copy
    def card(event: JivoEvent) -> dict[str, Any]:
        return {"crm_link": "https://crm.example.com/c/1"}

    assert moved.router is hooks.router and rekeyed.router is hooks.router
    assert moved.store is not hooks.store and rekeyed.store is moved.store
    for copy in (moved, rekeyed):
        receiver = copy.receiver
        assert (receiver.max_body_bytes, receiver.response_deadline, receiver.handler_timeout) == (
            4096,
            1.0,
            5.0,
        )
    # Secrets: kept when only the store changes, replaced when given.
    assert moved.receiver.authorize("POST", "old-secret") is None
    assert moved.receiver.authorize("POST", "new-secret") is None
    assert rekeyed.receiver.authorize("POST", "other") is None
    assert rekeyed.receiver.authorize("POST", "new-secret") is not None
    assert hooks.receiver.authorize("POST", "other") is not None  # the original is unchanged

    body = samples.load_bytes("chat_accepted")
    reply = moved.receiver.handle_blocking("POST", "new-secret", body, None)
    assert reply.body == {"result": "ok", "crm_link": "https://crm.example.com/c/1"}
    assert (moved.store.count(), hooks.store.count()) == (1, 0)
    with pytest.warns(JivoInsecureWebhookWarning):
        assert hooks.configured(secret=None).receiver.insecure
