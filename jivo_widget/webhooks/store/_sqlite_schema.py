"""The SQLite store's SQL: its tables and their migrations (and running them), the statements
and queries the store runs, and how rows map to and from the store's types (the parts every SQL
store shares are in ``_rows``). The store (:mod:`.sqlite`) holds the connection, the locking
and the file's checks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import jivo_widget.webhooks.store._rows as _rows
from jivo_widget.webhooks.store._rows import COLUMNS, key_bytes, response_json
from jivo_widget.webhooks.store.base import (
    EventOutcome,
    EventStatus,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
)

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
    "filters",
    "finish_params",
    "insert_params",
    "inserted_id",
    "key_bytes",
    "last_id_before",
    "migrate",
    "row_to_event",
    "schema_version",
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


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version of the file ``conn`` has open: 0 when empty, 1 for a file of the first
    release (it has no version table)."""
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'jivo_%'"
        )
    }
    if "jivo_schema_version" in tables:
        row = conn.execute("SELECT max(version) FROM jivo_schema_version").fetchone()
        return int(row[0] or 0)
    return 1 if "jivo_events" in tables else 0


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the file to :data:`SCHEMA_VERSION`, all steps in one transaction (another
    process opening the file at the same time waits, then finds nothing left to do); the
    version it had before."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the event store {path} has schema version {before}, newer than this "
                f"release of jivo-widget knows ({SCHEMA_VERSION}): upgrade jivo-widget"
            )
        for step in MIGRATIONS[before:]:
            for statement in step.split(";"):
                if statement.strip():
                    conn.execute(statement)
        if before < SCHEMA_VERSION:
            conn.execute(VERSION_TABLE)
            conn.execute("DELETE FROM jivo_schema_version")
            conn.execute("INSERT INTO jivo_schema_version VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return before


# jivo_store_probe holds one row that ``ping`` (``/healthz``) rewrites and commits: only a
# committed write proves that the disk takes writes (a full disk or a file made read-only after
# opening fails at the write, not at taking the lock). The padding makes the probe write a few
# pages, as much as a typical delivery does.
PROBE = "INSERT OR REPLACE INTO jivo_store_probe VALUES (1, ?, zeroblob(8192))"
# Every index costs a page written to the WAL per insert, so there are only two: the unique
# dedupe key (a 32-byte digest) and a *partial* index over the rows that need attention
# (failed, received, ...), which a processed insert never touches. received_at has none: ids
# grow with it, so purge bisects the primary key instead (see :func:`last_id_before`).

INSERT = (
    "INSERT INTO jivo_events (received_at, remote_addr, body, dedupe_key, event_name, chat_id, "
    "status, error, response, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


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
        response_json(event.response),
        None if event.next_attempt_at is None else event.next_attempt_at.timestamp(),
    )


# A run's outcome (a replay's too) dequeues the event: a worker must not run it again later.
FINISH = (
    "UPDATE jivo_events SET status = ?, error = ?, response = ?, attempts = attempts + ?, "
    "next_attempt_at = CASE WHEN ? THEN next_attempt_at END WHERE id = ?"
)


def finish_params(outcome: EventOutcome) -> tuple[Any, ...]:
    return _rows.finish_params(outcome, _safe_text)


def inserted_id(row: tuple[Any, ...] | None) -> int | None:
    return None if row is None else int(row[0])


def row_to_event(row: tuple[Any, ...]) -> StoredEvent:
    return _rows.row_to_event(row, _from_unix)


def _from_unix(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


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
        response_json(response),
        None if next_attempt_at is None else next_attempt_at.timestamp(),
        event_id,
        attempts,
    )


def filters(
    *, status: EventStatus | str | None = None, event_name: str | None = None
) -> tuple[list[str], list[Any]]:
    """The WHERE conditions (and their parameters) of ``list``, ``count`` and ``purge``."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        value = EventStatus(status).value
        where.append("status = ?")
        params.append(value)
        if value != EventStatus.PROCESSED.value:
            # Repeat the partial index's condition so the planner can use the index.
            where.append("status <> 'processed'")
    if event_name is not None:
        where.append("event_name = ?")
        params.append(event_name)
    return where, params


def last_id_before(conn: sqlite3.Connection, cutoff: float) -> int | None:
    """The largest id received before ``cutoff`` (plus a little slack), by bisection.

    Ids grow with received_at, except across processes writing at the same moment, so the
    bound is widened by a minute of rows; the caller still tests received_at row by row.
    """
    bounds = conn.execute("SELECT min(id), max(id) FROM jivo_events").fetchone()
    if bounds[0] is None:
        return None
    low, high = bounds
    slack_cutoff = cutoff + 60.0

    def received_before(event_id: int) -> bool:
        row = conn.execute(
            "SELECT received_at FROM jivo_events WHERE id >= ? ORDER BY id LIMIT 1",
            (event_id,),
        ).fetchone()
        return row is not None and row[0] < slack_cutoff

    if not received_before(low):
        return None
    while low < high:  # invariant: the first row at or after ``low`` is before the cutoff
        middle = (low + high + 1) // 2
        if received_before(middle):
            low = middle
        else:
            high = middle - 1
    return int(high)
