"""The SQLite event store on real files: rows, dedupe, filters, purge, durability, failures."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.contract import status_code
from jivo_widget.webhooks.store import (
    EventStatus,
    NewEvent,
    SqliteStore,
    StoreUnavailable,
    dedupe_key,
    open_store,
)


def new_event(
    body: bytes = b'{"event_name":"chat_finished","chat_id":1}',
    *,
    status: EventStatus = EventStatus.RECEIVED,
    event_name: str | None = "chat_finished",
    received_at: datetime | None = None,
    chat_id: int | None = 1,
) -> NewEvent:
    return NewEvent(
        received_at=received_at or datetime.now(UTC),
        remote_addr="203.0.113.9",
        body=body,
        dedupe_key=dedupe_key(body),
        event_name=event_name,
        chat_id=chat_id,
        status=status,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "events.db")
    yield opened
    opened.close()


def test_add_then_get_round_trips_every_column(store: SqliteStore) -> None:
    moment = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    body = b'{"event_name":"chat_finished","chat_id":1,"x":"\xc3\xa9"}'
    event_id = store.add(new_event(body, received_at=moment))
    assert event_id is not None
    stored = store.get(event_id)
    assert stored is not None
    assert (stored.id, stored.body, stored.received_at) == (event_id, body, moment)
    assert stored.received_at.tzinfo is UTC
    assert stored.dedupe_key == dedupe_key(body)
    assert (stored.event_name, stored.chat_id, stored.remote_addr) == (
        "chat_finished",
        1,
        "203.0.113.9",
    )
    assert (stored.status, stored.error, stored.response, stored.attempts) == (
        EventStatus.RECEIVED,
        None,
        None,
        0,
    )
    assert store.get(event_id + 1) is None


def test_dedupe_key_is_unique(store: SqliteStore) -> None:
    first = store.add(new_event())
    assert store.add(new_event()) is None
    assert store.count() == 1
    found = store.get_by_dedupe_key(dedupe_key(new_event().body))
    assert found is not None and found.id == first
    assert store.get_by_dedupe_key("0" * 64) is None


def test_finish_records_outcome_and_counts_attempts(store: SqliteStore) -> None:
    event_id = store.add(new_event())
    assert event_id is not None
    store.finish(event_id, status=EventStatus.FAILED, error="boom", response={"result": "ok"})
    store.finish(event_id, status=EventStatus.PROCESSED, error=None, response={"result": "ok"})
    stored = store.get(event_id)
    assert stored is not None
    assert (stored.status, stored.error, stored.response, stored.attempts) == (
        EventStatus.PROCESSED,
        None,
        {"result": "ok"},
        2,
    )
    assert status_code(stored.status) == 200


def test_list_filters_and_order(store: SqliteStore) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    ids = [
        store.add(new_event(b'{"n":1}', status=EventStatus.FAILED, received_at=old)),
        store.add(new_event(b'{"n":2}', status=EventStatus.PROCESSED)),
        store.add(new_event(b'{"n":3}', status=EventStatus.FAILED, event_name="chat_accepted")),
    ]
    assert [e.id for e in store.list()] == ids[::-1]
    assert [e.id for e in store.list(newest_first=False, limit=2)] == ids[:2]
    assert [e.id for e in store.list(status="failed")] == [ids[2], ids[0]]
    assert [e.id for e in store.list(event_name="chat_accepted")] == [ids[2]]
    assert [e.id for e in store.list(since=old + timedelta(days=1))] == [ids[2], ids[1]]
    assert [e.id for e in store.list(until=old + timedelta(days=1))] == [ids[0]]
    assert store.count(status=EventStatus.FAILED) == 2
    with pytest.raises(ValueError, match="'done' is not a valid EventStatus"):
        store.list(status="done")


def test_purge_by_age_and_status(store: SqliteStore) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    store.add(new_event(b'{"n":1}', status=EventStatus.PROCESSED, received_at=old))
    store.add(new_event(b'{"n":2}', status=EventStatus.FAILED, received_at=old))
    recent = store.add(new_event(b'{"n":3}', status=EventStatus.PROCESSED))
    assert store.purge(timedelta(days=30), status=EventStatus.PROCESSED) == 1
    assert store.count() == 2
    assert store.purge(timedelta(days=30)) == 1
    assert [e.id for e in store.list()] == [recent]
    assert store.purge(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.count() == 0


def test_summary_is_json_ready_without_body(store: SqliteStore) -> None:
    event_id = store.add(new_event())
    assert event_id is not None
    stored = store.get(event_id)
    assert stored is not None
    summary = stored.summary()
    assert {"id", "received_at", "event_name", "chat_id", "status"} <= summary.keys()
    assert "body" not in summary
    assert summary["status"] == "received"
    assert datetime.fromisoformat(summary["received_at"]) == stored.received_at


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


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://host/events.db", "three slashes"),
        ("sqlite:///", "names no file"),
        ("postgresql://user:pw@db/events", "PostgreSQL store is not available"),
        ("mysql://db/events", "expected sqlite:///PATH"),
        ("events.db", "expected sqlite:///PATH"),
    ],
)
def test_bad_store_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(JivoConfigError, match=message) as info:
        open_store(url)
    assert "pw" not in str(info.value)  # never echo a password


def test_purge_finds_the_boundary_across_gaps(store: SqliteStore) -> None:
    start = datetime.now(UTC) - timedelta(days=100)
    ids = [
        store.add(new_event(f'{{"n":{day}}}'.encode(), received_at=start + timedelta(days=day)))
        for day in range(100)
    ]
    # Make gaps in the ids, as earlier purges of one status would.
    assert store.purge(start + timedelta(days=50), status=EventStatus.RECEIVED) == 50
    assert store.count() == 50
    assert store.purge(start + timedelta(days=69, hours=12)) == 20
    assert [e.id for e in store.list(newest_first=False, limit=1)] == [ids[70]]
    assert store.purge(timedelta(days=365)) == 0
    assert store.purge(datetime.now(UTC)) == 30
    assert store.purge(datetime.now(UTC)) == 0  # empty table


def test_failed_events_are_listed_through_the_partial_index(store: SqliteStore) -> None:
    for n in range(5):
        status = EventStatus.FAILED if n % 2 else EventStatus.PROCESSED
        store.add(new_event(f'{{"n":{n}}}'.encode(), status=status))
    assert [e.status for e in store.list(status="failed")] == [EventStatus.FAILED] * 2
    assert len(store.list(status="processed")) == 3


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


# -- group inserts, WAL checkpoints ----------------------------------------------------------------


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


def test_a_group_insert_maps_ids_back_in_order_with_duplicates(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from jivo_widget.webhooks.store import NewEvent

    store = SqliteStore(tmp_path / "e.db")

    def new(n: int) -> NewEvent:
        body = b'{"event_name":"x","n":%d}' % n
        return NewEvent(
            datetime.now(UTC), None, body, dedupe_key(body), "x", n, EventStatus.RECEIVED
        )

    (first,) = store.write_batch([new(0)], ())
    # 600 rows: more than one multi-row statement; a stored duplicate and one inside the group.
    group = [new(n) for n in range(1, 600)] + [new(0), new(5)]
    ids = store.write_batch(group, ())
    assert ids[-2:] == [None, None]
    assert all(isinstance(i, int) for i in ids[:-2]) and len(set(ids[:-2])) == 599
    for event, event_id in zip(group[:-2], ids[:-2], strict=True):
        stored = store.get(event_id or 0)
        assert stored is not None and stored.body == event.body and stored.chat_id == event.chat_id
    assert store.count() == 600 and first is not None
