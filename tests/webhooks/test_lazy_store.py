"""Issue 6 item 15: the store is opened on first use; ``sqlite:///:memory:`` under every adapter;
``events replay --app`` uses the app's own store.

Importing a hooks module (and building its adapters) must not create ``jivo-events.db`` in the
working directory; the store opens at the first delivery, health check or ``hooks.store``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cli_support import run
from servers import SERVERS, serve_adapter

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import EventStatus, JivoEvent, WebhookApp, samples
from jivo_widget.webhooks.store import NewEvent, StoreUnavailable, dedupe_key, open_store

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


# -- sqlite:///:memory: under every adapter ------------------------------------------------------


@pytest.mark.parametrize("adapter", list(SERVERS))
def test_an_in_memory_store_is_one_database_for_every_thread(
    adapter: str, serve_asgi: Callable[..., str]
) -> None:
    hooks = WebhookApp(secret="s", store="sqlite:///:memory:")
    seen_by_handlers: list[tuple[str, int]] = []

    @hooks.on("chat_finished")
    def sync_handler(event: JivoEvent) -> None:  # runs on a worker thread
        seen_by_handlers.append((threading.current_thread().name, hooks.store.count()))

    @hooks.on("chat_finished")
    async def async_handler(event: JivoEvent) -> None:  # runs on the receiver's event loop
        seen_by_handlers.append(("loop", hooks.store.count()))

    with ExitStack() as stack:
        base = serve_adapter(adapter, hooks, stack, serve_asgi)
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


# -- events replay --app uses the app's store ----------------------------------------------------

REPLAY_APP = textwrap.dedent(
    """
    from pathlib import Path
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="s", store="sqlite:///app-events.db")

    @hooks.on("chat_finished")
    def transcript(event):
        if not Path("crm-ok").exists():
            raise RuntimeError("CRM is down")
    """
)


def _failed_event(path: Path) -> int:
    store = open_store(f"sqlite:///{path}")
    try:
        body = samples.load_bytes("chat_finished")
        new = NewEvent(
            datetime.now(UTC), None, body, dedupe_key(body), "chat_finished", 1,
            EventStatus.FAILED, "handler raised RuntimeError: CRM is down",
        )  # fmt: skip
        event_id = store.add(new)
    finally:
        store.close()
    assert event_id is not None
    return event_id


def test_events_replay_app_uses_the_apps_store(tmp_path: Path) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    event_id = _failed_event(tmp_path / "app-events.db")
    (tmp_path / "crm-ok").touch()
    result = run("events", "replay", "--failed", "--app", "replayapp:hooks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{event_id}  chat_finished  processed  attempts=1" in result.stdout
    assert not (tmp_path / "jivo-events.db").exists()  # not the CLI's default store


def test_events_replay_store_option_still_wins_over_the_apps(tmp_path: Path) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    event_id = _failed_event(tmp_path / "other.db")
    (tmp_path / "crm-ok").touch()
    store = f"sqlite:///{tmp_path / 'other.db'}"
    result = run("events", "replay", str(event_id), "--app", "replayapp:hooks", "--store", store,
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "app-events.db").exists()


def test_events_replay_app_whose_store_is_missing_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    result = run("events", "replay", "--failed", "--app", "replayapp:hooks", cwd=tmp_path)
    assert result.returncode == 2
    assert "no event store at" in result.stderr and "app-events.db" in result.stderr
    assert not (tmp_path / "app-events.db").exists()  # never created by a typo
