"""A store file deleted or replaced while serving, or that cannot take a write.

After ``rm events.db`` (or a backup restored over it) the open connection kept writing into a
file no path leads to: deliveries got 200 and were gone at exit, and ``/healthz`` said 200. The
store compares the path's device and inode with the file it opened, on health checks and before
each commit, and refuses (503, ERROR logged). ``/healthz`` also commits a small write, so a
read-only or full disk fails it like it fails deliveries. Real files, a real tmpfs, real servers.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.store import (
    EventStatus,
    NewEvent,
    SqliteStore,
    StoreUnavailable,
    dedupe_key,
)

SECRET = "store-file-secret"

if TYPE_CHECKING:
    from webhooks.conftest import Servers


def _body(n: int, size: int = 0) -> bytes:
    payload = {**samples.load("offline_message"), "offline_message_id": n, "pad": "x" * size}
    return json.dumps(payload).encode()


@pytest.fixture
def served(tmp_path: Path, servers: Servers) -> tuple[str, WebhookApp, Path]:
    path = tmp_path / "events.db"
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{path}")
    return servers.asgi(hooks.asgi()), hooks, path


def _post(base: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{base}/jivo/webhook/{SECRET}", content=body, timeout=10)


def test_a_deleted_store_file_gets_503_and_is_reported(
    served: tuple[str, WebhookApp, Path], caplog: pytest.LogCaptureFixture
) -> None:
    base, _, path = served
    assert _post(base, _body(1)).status_code == 200
    assert httpx.get(f"{base}/healthz").status_code == 200
    caplog.set_level(logging.ERROR, logger="jivo_widget")
    path.unlink()  # rm events.db while serving

    response = _post(base, _body(2))
    assert response.status_code == 503
    assert "deleted or replaced" in response.json()["error"]
    health = httpx.get(f"{base}/healthz")
    assert health.status_code == 503 and "deleted or replaced" in health.json()["error"]
    assert any(
        r.levelno == logging.ERROR and "deleted or replaced" in r.getMessage()
        for r in caplog.records
    )
    assert not path.exists()  # not silently recreated empty under the receiver's feet


def test_a_backup_restored_over_the_store_gets_503(
    served: tuple[str, WebhookApp, Path], tmp_path: Path
) -> None:
    base, _, path = served
    assert _post(base, _body(1)).status_code == 200
    backup = tmp_path / "backup.db"
    with sqlite3.connect(path) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    assert _post(base, _body(2)).status_code == 200  # after the backup was taken
    # Restore it as a careful operator does: the old WAL and index away, the backup in place.
    for stale in ("events.db-wal", "events.db-shm"):
        path.with_name(stale).unlink()
    os.replace(backup, path)

    response = _post(base, _body(3))
    assert response.status_code == 503 and "deleted or replaced" in response.json()["error"]
    assert httpx.get(f"{base}/healthz").status_code == 503
    # Nothing was written into the restored file behind the operator's back.
    with sqlite3.connect(path) as restored:
        assert restored.execute("SELECT count(*) FROM jivo_events").fetchone() == (1,)


def test_the_store_checks_its_file_before_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = SqliteStore(path)
    try:
        moved = tmp_path / "moved.db"
        path.rename(moved)  # the open file lives on under another name
        with pytest.raises(StoreUnavailable, match="deleted or replaced"):
            store.ping()
        new = NewEvent(datetime.now(UTC), None, b"{}", dedupe_key(b"{}"), None, None,
                       EventStatus.MALFORMED)  # fmt: skip
        with pytest.raises(StoreUnavailable, match="deleted or replaced"):
            store.add(new)
        moved.rename(path)  # put back: the same file again
        store.ping()
        assert store.add(new) is not None
    finally:
        store.close()


# -- a store that cannot take a write fails /healthz too -----------------------------------------


def test_healthz_fails_when_the_store_file_becomes_read_only(
    served: tuple[str, WebhookApp, Path],
    make_read_only: Any,  # conftest.ReadOnlyFiles
) -> None:
    base, _, path = served
    assert _post(base, _body(1)).status_code == 200
    make_read_only(path.with_name("events.db-wal"), even_open_files=True)
    make_read_only(path, even_open_files=True)
    health = httpx.get(f"{base}/healthz")
    assert health.status_code == 503, health.text  # was 200: only the lock was tried
    assert _post(base, _body(2)).status_code == 503  # healthz and deliveries agree
    make_read_only.undo()
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert _post(base, _body(2)).status_code == 200


def test_healthz_fails_when_the_disk_is_full(
    small_disk: Any,  # conftest.SmallDisk
    servers: Servers,
) -> None:
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{small_disk.path / 'events.db'}")
    try:
        base = servers.asgi(hooks.asgi())
        assert _post(base, _body(0)).status_code == 200
        small_disk.fill()
        # While the WAL can be reused a write still fits; a few more deliveries fill it.
        statuses = [_post(base, _body(n, size=3000)).status_code for n in range(1, 200)]
        assert 503 in statuses, statuses
        failed_at = statuses.index(503) + 1
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 503, health.text  # it used to say ok here
        assert "full" in health.json()["error"]

        small_disk.free()
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert _post(base, _body(failed_at, size=3000)).status_code == 200  # the retry lands
    finally:
        hooks.store.close()


def test_a_healthy_store_probe_leaves_no_rows(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "events.db")
    try:
        for _ in range(3):
            store.ping()
        assert store.count() == 0 and store.list() == []
    finally:
        store.close()
