"""The SQLite store's table, its statements, and how rows map to and from the store's types."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from jivo_widget.webhooks.store.base import EventOutcome, EventStatus, NewEvent, StoredEvent

__all__ = [
    "CLAIM",
    "COLUMNS",
    "FINISH",
    "INSERT",
    "MIGRATIONS",
    "PROBE",
    "SCHEMA_VERSION",
    "SETTLE",
    "VERSION_TABLE",
    "finish_params",
    "insert_params",
    "inserted_id",
    "key_bytes",
    "row_to_event",
    "settle_params",
]

# Version 1: the table as the first release created it (a file without jivo_schema_version
# that has jivo_events is at version 1). Each later version is one step, run with the step
# before it in one transaction, so a store is never left half-migrated.
_VERSION_1 = """
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
# Version 2: processing off the request path. next_attempt_at (a Unix time) is set only on
# rows queued for a worker, so the partial index is never touched by a capture-only insert.
_VERSION_2 = """
ALTER TABLE jivo_events ADD COLUMN next_attempt_at REAL;
CREATE INDEX jivo_events_due ON jivo_events (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
"""
#: The statements that take a store from version ``n - 1`` to ``n``, in order.
MIGRATIONS: tuple[str, ...] = (_VERSION_1, _VERSION_2)
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS jivo_schema_version (version INTEGER NOT NULL)"
# jivo_store_probe holds one row that ``ping`` (``/healthz``) rewrites and commits: only a
# committed write proves that the disk takes writes (a full disk or a file made read-only after
# opening fails at the write, not at taking the lock). The padding makes the probe write a few
# pages, as much as a typical delivery does.
PROBE = "INSERT OR REPLACE INTO jivo_store_probe VALUES (1, ?, zeroblob(8192))"
# Every index costs a page written to the WAL per insert, so there are only two: the unique
# dedupe key (a 32-byte digest) and a *partial* index over the rows that need attention
# (failed, received, ...), which a processed insert never touches. received_at has none: ids
# grow with it, so purge bisects the primary key instead (see ``SqliteStore._last_id_before``).

COLUMNS = (
    "id, received_at, remote_addr, body, dedupe_key, event_name, chat_id, status, error, "
    "response, attempts, next_attempt_at"
)

INSERT = (
    "INSERT INTO jivo_events (received_at, remote_addr, body, dedupe_key, event_name, chat_id, "
    "status, error, response, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


_OK = {"result": "ok"}
_OK_JSON = '{"result":"ok"}'


def _dumps(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    # Nearly every stored response is the plain ok: skip the encoder for it (per-event cost).
    return _OK_JSON if value == _OK else json.dumps(value, separators=(",", ":"))


def _safe_text(value: str | None) -> str | None:
    # JSON may carry lone surrogates ("\ud800"), which sqlite3 cannot encode to UTF-8.
    if value is None or value.isascii():
        return value
    return value.encode("utf-8", "replace").decode("utf-8")


def insert_params(event: NewEvent) -> tuple[Any, ...]:
    return (
        event.received_at.timestamp(),
        event.remote_addr,
        event.body,
        bytes.fromhex(event.dedupe_key),
        _safe_text(event.event_name),
        event.chat_id,
        event.status.value,
        _safe_text(event.error),
        _dumps(event.response),
        None if event.next_attempt_at is None else event.next_attempt_at.timestamp(),
    )


# A run's outcome (a replay's too) dequeues the event: a worker must not run it again later.
FINISH = (
    "UPDATE jivo_events SET status = ?, error = ?, response = ?, attempts = attempts + ?, "
    "next_attempt_at = CASE WHEN ? THEN next_attempt_at END WHERE id = ?"
)


def finish_params(outcome: EventOutcome) -> tuple[Any, ...]:
    return (
        outcome.status.value,
        _safe_text(outcome.error),
        _dumps(outcome.response),
        0 if outcome.status is EventStatus.RECEIVED else 1,  # a sent response, not a dispatch
        outcome.status is EventStatus.RECEIVED,  # still queued if it was: no outcome yet
        outcome.event_id,
    )


def inserted_id(row: tuple[Any, ...] | None) -> int | None:
    return None if row is None else int(row[0])


def key_bytes(key: str) -> bytes:
    try:
        return bytes.fromhex(key)
    except ValueError:
        return b""  # not a key we could have stored: matches nothing


def row_to_event(row: tuple[Any, ...]) -> StoredEvent:
    return StoredEvent(
        id=row[0],
        received_at=datetime.fromtimestamp(row[1], UTC),
        remote_addr=row[2],
        body=bytes(row[3]),
        dedupe_key=bytes(row[4])[:32].hex(),  # without the ":id" of a re-keyed older copy
        event_name=row[5],
        chat_id=row[6],
        status=EventStatus(row[7]),
        error=row[8],
        response=None if row[9] is None else json.loads(row[9]),
        attempts=row[10],
        next_attempt_at=None if row[11] is None else datetime.fromtimestamp(row[11], UTC),
    )


# A worker's claim: one statement, so atomic under SQLite's write lock whatever the number of
# processes; ``attempts`` is the claim's token (see ``SETTLE``).
CLAIM = (
    "UPDATE jivo_events SET status = 'received', attempts = attempts + 1, next_attempt_at = ? "
    "WHERE id IN (SELECT id FROM jivo_events WHERE next_attempt_at IS NOT NULL "
    "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?) "
    f"RETURNING {COLUMNS}"
)
# One event by id (a task queue's task): claimed only if it is queued and due.
CLAIM_ONE = (
    "UPDATE jivo_events SET status = 'received', attempts = attempts + 1, next_attempt_at = ? "
    f"WHERE id = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? RETURNING {COLUMNS}"
)
DUE = (
    "SELECT id FROM jivo_events WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? "
    "ORDER BY next_attempt_at, id LIMIT ?"
)
# The end of a claimed run, only while the claim holds: same attempts, still leased to it.
SETTLE = (
    "UPDATE jivo_events SET status = ?, error = ?, response = coalesce(?, response), "
    "next_attempt_at = ? WHERE id = ? AND attempts = ? AND status = 'received'"
)


def settle_params(
    event_id: int,
    attempts: int,
    status: EventStatus,
    *,
    error: str | None,
    response: dict[str, Any] | None = None,
    next_attempt_at: datetime | None = None,
) -> tuple[Any, ...]:
    return (
        status.value,
        _safe_text(error),
        _dumps(response),
        None if next_attempt_at is None else next_attempt_at.timestamp(),
        event_id,
        attempts,
    )
