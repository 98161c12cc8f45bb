"""What only the SQLite store does: one file shared by connections and processes, WAL
checkpoints off the serving connection, its lock, read-only and missing files, schema migration
of files made by earlier releases. The contract every store keeps is in ``test_store.py``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.store import EventStatus, SqliteStore, StoreUnavailable, open_store
from jivo_widget.webhooks.store._sqlite_schema import SCHEMA_VERSION
from webhooks.test_store import new_event


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "events.db")
    yield opened
    opened.close()


def test_committed_rows_are_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "events.db")
    event_id = store.add(new_event())
    # Another process would use its own connection: the row is already committed.
    other = sqlite3.connect(tmp_path / "events.db")
    assert other.execute("SELECT id FROM jivo_events").fetchall() == [(event_id,)]
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()
    store.close()
    reopened = SqliteStore(tmp_path / "events.db")
    assert reopened.count() == 1
    reopened.close()


def test_text_that_sqlite_cannot_encode_is_stored(store: SqliteStore) -> None:
    # json.loads('"\\ud800"') yields a lone surrogate; it must not make the insert fail.
    event_id = store.add(new_event(b"{}", event_name="\ud800x"))
    assert event_id is not None
    stored = store.get(event_id)
    assert stored is not None and stored.event_name == "?x"


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match=r"directory .*no-such-dir does not exist"):
        SqliteStore(tmp_path / "no-such-dir" / "events.db")


def test_read_only_file_is_a_clear_error_at_open(
    tmp_path: Path,
    make_read_only: Any,  # conftest.ReadOnlyFiles
) -> None:
    path = tmp_path / "events.db"
    SqliteStore(path).close()
    make_read_only(path)
    with pytest.raises(StoreUnavailable, match=r"events\.db: the file is read-only"):
        SqliteStore(path)


def test_locked_database_raises_store_unavailable(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "events.db", busy_timeout=0.05)
    blocker = sqlite3.connect(tmp_path / "events.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match=r"cannot write to the event store .*locked"):
            store.add(new_event())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.add(new_event()) is not None  # usable again once the lock is gone
    store.close()


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///relative.db")
    relative.add(new_event())
    relative.close()
    assert (tmp_path / "relative.db").exists()
    absolute = open_store(f"sqlite:///{tmp_path / 'absolute.db'}")
    absolute.close()
    assert (tmp_path / "absolute.db").exists()
    memory = open_store("sqlite:///:memory:")
    assert memory.count() == 0
    memory.ping()


def test_ping_reports_a_store_whose_write_lock_is_taken(store: SqliteStore) -> None:
    store.ping()
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        with pytest.raises(StoreUnavailable, match=r"cannot write to .*database is locked"):
            store.ping()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.ping()
    # The short ping timeout did not stick: a write still waits the store's busy_timeout.
    assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1000
    assert store.count() == 0  # the ping wrote nothing


def test_a_large_purge_deletes_in_chunks_letting_writes_in(store: SqliteStore) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    store.write_batch(
        [new_event(f'{{"n":{n}}}'.encode(), received_at=old) for n in range(1_250)], ()
    )
    recent = store.add(new_event(b'{"n":"recent"}'))
    transactions: list[str] = []
    store._conn.set_trace_callback(
        lambda sql: transactions.append(sql) if sql.startswith("DELETE") else None
    )
    assert store.purge(timedelta(days=30)) == 1_250
    store._conn.set_trace_callback(None)
    assert len(transactions) == 3  # 500 + 500 + 250, each committed on its own
    assert [e.id for e in store.list()] == [recent]


def test_the_wal_is_checkpointed_off_the_serving_connection(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(path)
    hooks = WebhookApp(secret="S", store=store)
    empty_size = path.stat().st_size
    for n in range(400):
        hooks.receiver.handle_blocking("POST", "S", b'{"event_name":"x","n":%d}' % n, None)
    # The serving connection never checkpoints (wal_autocheckpoint=0), so rows reach the main
    # file only through the background thread.
    assert _wait_for(lambda: path.stat().st_size > empty_size, timeout=10)
    store.close()
    assert not path.with_name("e.db-wal").exists()
    reopened = SqliteStore(path)
    assert reopened.count() == 400
    reopened.close()


def _wait_for(condition: Any, timeout: float) -> bool:
    done = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        done.wait(0.02)  # poll the condition; nothing to subscribe to on a file size
    return True


# -- schema versions -----------------------------------------------------------------------------

# The schema exactly as the first release (before schema versions) created it.
FIRST_RELEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS jivo_events (
    id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    remote_addr TEXT,
    body BLOB NOT NULL,
    dedupe_key BLOB NOT NULL UNIQUE,
    event_name TEXT,
    chat_id INTEGER,
    status TEXT NOT NULL,
    error TEXT,
    response TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jivo_events_unfinished ON jivo_events (status)
    WHERE status <> 'processed';
CREATE TABLE IF NOT EXISTS jivo_store_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at REAL NOT NULL,
    padding BLOB NOT NULL
);
"""


def _first_release_file(path: Path) -> None:
    """A store file as the first release left it: its schema, a processed and a failed row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(FIRST_RELEASE_SCHEMA)
    for n, status in ((1, "processed"), (2, "failed")):
        conn.execute(
            "INSERT INTO jivo_events (received_at, remote_addr, body, dedupe_key, event_name, "
            "chat_id, status, error, response, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                time.time(),
                "203.0.113.9",
                b'{"n":%d}' % n,
                n.to_bytes(32, "big"),
                "chat_finished",
                n,
                status,
                "boom" if status == "failed" else None,
                '{"result":"ok"}',
            ),
        )
    conn.close()


def test_a_first_release_file_is_migrated_in_place_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    _first_release_file(path)
    with pytest.raises(StoreUnavailable, match=r"schema version 1, .*jivo-widget events migrate"):
        SqliteStore(path, read_only=True)  # read-only commands never migrate
    store = SqliteStore(path)
    assert store.migrated == (1, SCHEMA_VERSION)
    rows = store.list(newest_first=False)
    assert [(e.chat_id, e.status, e.error, e.attempts) for e in rows] == [
        (1, EventStatus.PROCESSED, None, 1),
        (2, EventStatus.FAILED, "boom", 1),
    ]
    assert all(e.next_attempt_at is None for e in rows)
    # The new columns work on the old rows and new ones alike.
    queued = store.add(new_event(b'{"n":3}', next_attempt_at=datetime.now(UTC)))
    (claim,) = store.claim_due(limit=5, lease=timedelta(minutes=1))
    assert claim.event.id == queued
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM jivo_schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()
    again = SqliteStore(path)
    assert again.migrated == (SCHEMA_VERSION, SCHEMA_VERSION)  # nothing left to do
    again.close()
    reader = SqliteStore(path, read_only=True)
    assert reader.count() == 3
    reader.close()


def test_a_new_file_starts_at_the_current_version(store: SqliteStore) -> None:
    assert store.migrated == (0, SCHEMA_VERSION)


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE jivo_schema_version SET version = 99")
    conn.close()
    with pytest.raises(StoreUnavailable, match=r"schema version 99, newer than .* knows"):
        SqliteStore(path)


def test_processes_opening_an_old_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    _first_release_file(path)
    code = (
        "import sys; from jivo_widget.webhooks.store import SqliteStore; "
        "s = SqliteStore(sys.argv[1], busy_timeout=30); print(s.migrated[0]); s.close()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    befores = sorted(int(p.communicate(timeout=60)[0]) for p in procs)
    assert befores == [1, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]


@pytest.mark.parametrize(("durability", "synchronous"), [("process", 1), ("fsync", 2)])
def test_durability_sets_the_sync_level(tmp_path: Path, durability: str, synchronous: int) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", durability=durability)  # type: ignore[arg-type]
    store = hooks.store
    assert isinstance(store, SqliteStore)
    # 1 = NORMAL (the WAL written, not flushed), 2 = FULL (flushed at every commit).
    assert store._conn.execute("PRAGMA synchronous").fetchone() == (synchronous,)
    assert hooks.configured(secret="T").store is store  # a copy keeps the store
    store.close()


def test_an_unknown_durability_is_a_config_error_naming_the_choices() -> None:
    from jivo_widget.errors import JivoConfigError

    with pytest.raises(
        JivoConfigError, match=r"durability 'disk': expected one of 'process', 'fsync'"
    ):
        WebhookApp(secret="S", store="sqlite:///:memory:", durability="disk")  # type: ignore[arg-type]
