"""The embedded event store: one SQLite file in WAL mode (stdlib ``sqlite3``).

Durability. Every :meth:`SqliteStore.write_batch` call (the receiver's group of deliveries) is
one transaction, committed before it returns, so the receiver answers 200 only for rows already
in the database file's WAL. We run
``synchronous=NORMAL``: in WAL mode a commit is then a ``write()`` into the WAL file without an
``fsync``. The data is in the kernel's page cache the moment the call returns, so a crash of the
*process* (``kill -9``, an exception, an OOM kill) loses nothing; only a crash of the *machine*
(power loss, kernel panic) can lose the last commits. ``synchronous=FULL`` would add an ``fsync``
per commit (milliseconds each) to survive that too: ``durability="fsync"`` runs it (a group of
deliveries shares one ``fsync``; see benchmarks/RESULTS.md for the cost).

Checkpoints. The serving connection never copies the WAL back into the database file; a
background thread does, without stalling the event loop (:mod:`._checkpoint`).

Concurrency. One connection per store object, guarded by a lock, used directly from the event
loop: an insert is tens of microseconds. Several processes may share the file (WAL allows one
writer at a time; ``busy_timeout`` waits for the lock, 1 s by default because the wait blocks
the event loop); when the lock cannot be had in time the write raises :class:`StoreUnavailable`
and the receiver answers 503 so the sender retries. For several receiver processes, prefer a
server database.
"""

from __future__ import annotations

import builtins
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from jivo_widget.webhooks.store._checkpoint import CHECKPOINT_EVERY, WAL_LIMIT_BYTES, Checkpointer
from jivo_widget.webhooks.store._sqlite_schema import (
    CLAIM,
    CLAIM_ONE,
    COLUMNS,
    DUE,
    FINISH,
    INSERT,
    PROBE,
    SCHEMA_VERSION,
    SETTLE,
    filters,
    finish_params,
    insert_params,
    inserted_id,
    key_bytes,
    last_id_before,
    migrate,
    row_to_event,
    schema_version,
    settle_params,
)
from jivo_widget.webhooks.store.base import (
    Claim,
    EventOutcome,
    EventStatus,
    EventStore,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
)

__all__ = ["SqliteStore"]

#: A child of the "jivo_widget.webhooks" logger: its handlers get these records too.
logger = logging.getLogger(__name__)

#: How long ``ping`` (``/healthz``) waits for the write lock before reporting the store busy.
_PING_TIMEOUT_MS = 50
#: Rows deleted per transaction by ``purge``: the connection lock and SQLite's write lock are
#: released between chunks, so deliveries keep being committed during a large purge.
_PURGE_CHUNK = 500


def _file_identity(path: str) -> tuple[int, int]:
    """The (device, inode) the path leads to now; ``FileNotFoundError`` when it leads nowhere."""
    status = os.stat(path)
    return status.st_dev, status.st_ino


class SqliteStore(EventStore):
    """Events in one SQLite file (``path``), or in memory with ``":memory:"`` (tests only).

    Opening checks that the file can be written, so a missing directory or a read-only file is a
    clear :class:`StoreUnavailable` at startup rather than a 503 at the first event.

    ``read_only=True`` (the ``events list``/``show`` commands): opened with SQLite's
    ``mode=ro``, no schema change and no write probe, so it reads a store it cannot write
    (a read-only file or mount) and never takes the write lock a live receiver needs.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 1.0,
        read_only: bool = False,
        durability: Literal["process", "fsync"] = "process",
    ) -> None:
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        self.durability = durability
        self._lock = threading.Lock()
        self._busy_timeout = busy_timeout
        self._checkpointer: Checkpointer | None = None
        self._rows = 0
        #: (device, inode) of the file opened, to notice it being deleted or replaced.
        self._identity: tuple[int, int] | None = None
        self._replaced_reported = False
        #: The schema versions before and after opening (equal when nothing was migrated).
        self.migrated: tuple[int, int] = (SCHEMA_VERSION, SCHEMA_VERSION)
        if self.path != ":memory:":
            directory = Path(self.path).parent
            if not directory.is_dir():
                raise StoreUnavailable(
                    f"cannot open the event store {self.path}: directory {directory} does not exist"
                )
        self.read_only = read_only and self.path != ":memory:"
        target = self.path
        if self.read_only:
            target = f"file:{urllib.parse.quote(self.path)}?mode=ro"
        try:
            # isolation_level=None: autocommit, so each statement commits on its own and we
            # never leave a transaction open between requests.
            self._conn = sqlite3.connect(
                target,
                check_same_thread=False,
                isolation_level=None,
                timeout=busy_timeout,
                uri=self.read_only,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the event store {self.path}: {exc}") from None
        if self.read_only:
            self._check_read_only_schema()
            return
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # why: see "Durability" in the module docstring
            synchronous = "FULL" if durability == "fsync" else "NORMAL"
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA wal_autocheckpoint=0")  # see "Checkpoints" above
                self._conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            self.migrated = self._migrate()
            # Prove now, not at the first delivery, that a row can be written: SQLite silently
            # opens an unwritable file read-only and only fails on the first real write.
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT INTO jivo_events (received_at, body, dedupe_key, status) "
                "VALUES (0, x'', 'write-probe', 'probe')"
            )
            self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreUnavailable(self._describe(exc, "cannot open")) from None
        if self.path != ":memory:":
            self._identity = _file_identity(self.path)

    def _migrate(self) -> tuple[int, int]:
        """Bring the file to :data:`SCHEMA_VERSION` (see :func:`._sqlite_schema.migrate`)."""
        before = migrate(self._conn, self.path)
        if 0 < before < SCHEMA_VERSION:
            logger.info(
                "migrated the event store %s from schema version %d to %d",
                self.path,
                before,
                SCHEMA_VERSION,
            )
        return before, SCHEMA_VERSION

    def _check_read_only_schema(self) -> None:
        """A store opened read-only is never migrated: refuse one this release cannot read."""
        try:
            version = schema_version(self._conn)
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreUnavailable(self._describe(exc, "cannot read")) from None
        if version not in (0, SCHEMA_VERSION):
            self._conn.close()
            raise StoreUnavailable(
                f"the event store {self.path} has schema version {version}, this release "
                f"reads {SCHEMA_VERSION}: run `jivo-widget events migrate --store {self.url}`"
            )
        self.migrated = (version, version)

    def _check_file(self) -> None:
        """Raise :class:`StoreUnavailable` if the path no longer leads to the file we opened.

        After ``rm events.db`` (or a backup restored over it) the connection would go on
        writing into a file nothing can read again: every delivery answered 200 would be lost
        when the process exits. Reopening by ourselves is no better (a fresh empty file, or the
        backup, while outcomes of events being handled would update other rows), so writes are
        refused (503) and ``/healthz`` fails until the receiver is restarted. Reported once at
        ERROR. One ``stat`` per commit (about a microsecond).
        """
        if self._identity is None:
            return
        try:
            current: tuple[int, int] | None = _file_identity(self.path)
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise StoreUnavailable(f"cannot check the event store {self.path}: {exc}") from None
        if current == self._identity:
            return
        what = "deleted" if current is None else "replaced by another file"
        message = (
            f"the event store {self.path} was deleted or replaced while open ({what}); "
            "refusing writes that would be lost: restart the receiver to open the file at "
            "that path"
        )
        if not self._replaced_reported:
            self._replaced_reported = True
            logger.error("%s", message)
        raise StoreUnavailable(message)

    def _describe(self, exc: sqlite3.Error, what: str) -> str:
        reason = str(exc)
        if "readonly" in reason:
            reason = f"the file is read-only ({reason})"
        return f"{what} the event store {self.path}: {reason}"

    @contextmanager
    def _connection(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    # The original error is the one to report.
                    with suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise StoreUnavailable(self._describe(exc, what)) from None

    def write_batch(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        """Insert ``events`` and record ``outcomes`` in one transaction (all or none)."""
        with self._connection("cannot write to") as conn:
            self._check_file()
            grouped = len(events) + len(outcomes) > 1
            if grouped:
                conn.execute("BEGIN IMMEDIATE")
            ids = [self._insert(conn, event) for event in events]
            if outcomes:
                conn.executemany(FINISH, [finish_params(o) for o in outcomes])
            if grouped:
                conn.execute("COMMIT")
            self._committed(len(events) + len(outcomes))
        return ids

    @staticmethod
    def _insert(conn: sqlite3.Connection, event: NewEvent) -> int | None:
        """Insert one event; its id, or ``None`` for a duplicate within the dedupe window.

        The dedupe key stays ``UNIQUE``, so two copies can never both be stored, whatever the
        number of writers. A body identical to one stored *before* the window is a new event:
        the older row is re-keyed (its key gets ``:id`` appended, which no 32-byte digest can
        equal) and the new row inserted, both in one ``BEGIN IMMEDIATE`` transaction — the write
        lock is held from the check to the insert, so a concurrent copy either sees the new row
        (a duplicate) or waits. The hot path (no conflict) costs nothing extra.
        """
        params = insert_params(event)
        inserted = inserted_id(conn.execute(INSERT, params).fetchone())
        if inserted is not None or event.dedupe_since is None:
            return inserted
        own_transaction = not conn.in_transaction
        if own_transaction:
            conn.execute("BEGIN IMMEDIATE")
        key = params[3]
        row = conn.execute(
            "SELECT id, received_at FROM jivo_events WHERE dedupe_key = ?", (key,)
        ).fetchone()
        if row is None or row[1] < event.dedupe_since.timestamp():
            if row is not None:
                retired = key + b":" + str(row[0]).encode()
                conn.execute(
                    "UPDATE jivo_events SET dedupe_key = ? WHERE id = ?", (retired, row[0])
                )
            inserted = inserted_id(conn.execute(INSERT, params).fetchone())
        if own_transaction:
            conn.execute("COMMIT")
        return inserted

    def _committed(self, rows: int) -> None:
        # Called with the lock held, after each write of ``rows`` rows.
        if self.path == ":memory:":
            return
        before, self._rows = self._rows, self._rows + rows
        if before == 0 or before // CHECKPOINT_EVERY != self._rows // CHECKPOINT_EVERY:
            if self._checkpointer is None:  # started lazily: a store that only reads needs none
                self._checkpointer = Checkpointer(self.path, self._busy_timeout, self._lock)
            self._checkpointer.nudge()

    def get(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or ``None``."""
        with self._connection("cannot read") as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM jivo_events WHERE id = ?", (event_id,)
            ).fetchone()
        return None if row is None else row_to_event(row)

    def get_by_dedupe_key(self, key: str) -> StoredEvent | None:
        """The event with this dedupe key, or ``None``."""
        with self._connection("cannot read") as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM jivo_events WHERE dedupe_key = ?", (key_bytes(key),)
            ).fetchone()
        return None if row is None else row_to_event(row)

    def claim_due(
        self, *, limit: int, lease: timedelta, now: datetime | None = None
    ) -> builtins.list[Claim]:
        """Claim due queued events (see :meth:`EventStore.claim_due`): one ``UPDATE …
        RETURNING``, atomic under SQLite's write lock across processes."""
        moment = now or datetime.now(UTC)
        lease_until = moment + lease
        with self._connection("cannot write to") as conn:
            self._check_file()
            rows = conn.execute(
                CLAIM, (lease_until.timestamp(), moment.timestamp(), limit)
            ).fetchall()
            self._committed(len(rows))
        # RETURNING gives rows in no promised order: oldest due first, as documented.
        claims = [Claim(row_to_event(row), lease_until) for row in rows]
        return sorted(claims, key=lambda c: c.event.id)

    def claim(
        self, event_id: int, *, lease: timedelta, now: datetime | None = None
    ) -> Claim | None:
        """Claim one queued event if it is due (see :meth:`EventStore.claim`)."""
        moment = now or datetime.now(UTC)
        lease_until = moment + lease
        with self._connection("cannot write to") as conn:
            self._check_file()
            row = conn.execute(
                CLAIM_ONE, (lease_until.timestamp(), event_id, moment.timestamp())
            ).fetchone()
            self._committed(0 if row is None else 1)
        return None if row is None else Claim(row_to_event(row), lease_until)

    def due(self, *, limit: int, now: datetime | None = None) -> builtins.list[int]:
        """Ids of due queued events (see :meth:`EventStore.due`)."""
        moment = now or datetime.now(UTC)
        with self._connection("cannot read") as conn:
            return [row[0] for row in conn.execute(DUE, (moment.timestamp(), limit))]

    def _settle(
        self,
        claim: Claim,
        status: EventStatus,
        *,
        error: str | None,
        response: dict[str, Any] | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        params = settle_params(
            claim.event.id,
            claim.event.attempts,
            status,
            error=error,
            response=response,
            next_attempt_at=next_attempt_at,
        )
        with self._connection("cannot write to") as conn:
            self._check_file()
            changed = conn.execute(SETTLE, params).rowcount
            self._committed(changed)
        return changed == 1

    def list(
        self,
        *,
        status: EventStatus | str | None = None,
        event_name: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = 100,
        newest_first: bool = True,
    ) -> builtins.list[StoredEvent]:
        """Events matching every given filter, newest first by default."""
        where, params = filters(status=status, event_name=event_name)
        if since is not None:
            where.append("received_at >= ?")
            params.append(since.timestamp())
        if until is not None:
            where.append("received_at < ?")
            params.append(until.timestamp())
        sql = f"SELECT {COLUMNS} FROM jivo_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connection("cannot read") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [row_to_event(row) for row in rows]

    def count(
        self, *, status: EventStatus | str | None = None, until: datetime | None = None
    ) -> int:
        """How many events are stored (with this status, received before ``until``)."""
        where, params = filters(status=status)
        if until is not None:
            where.append("received_at < ?")
            params.append(until.timestamp())
        sql = "SELECT count(*) FROM jivo_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connection("cannot read") as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    def purge(
        self, older_than: timedelta | datetime, *, status: EventStatus | str | None = None
    ) -> int:
        """Delete events received before ``older_than`` (an age or a moment); how many."""
        cutoff = (
            older_than if isinstance(older_than, datetime) else datetime.now(UTC) - older_than
        ).timestamp()
        where, params = filters(status=status)
        where.append("received_at < ?")
        params.append(cutoff)
        with self._connection("cannot read") as conn:
            last = last_id_before(conn, cutoff)
        if last is None:
            return 0
        # The id bound lets SQLite walk the primary key instead of scanning the table; the
        # received_at test keeps rows a concurrent writer committed out of order. Chunks of
        # _PURGE_CHUNK rows, each its own transaction with the locks released in between, so
        # a purge of a million rows never holds up a delivery for more than one chunk.
        sql = (
            "DELETE FROM jivo_events WHERE id IN (SELECT id FROM jivo_events WHERE id <= ? AND "
            + " AND ".join(where)
            + f" ORDER BY id LIMIT {_PURGE_CHUNK})"
        )
        total = 0
        while True:
            with self._connection("cannot write to") as conn:
                self._check_file()
                deleted = conn.execute(sql, [last, *params]).rowcount
                self._committed(deleted)
            total += deleted
            if deleted < _PURGE_CHUNK:
                return total

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store can take a write now.

        ``/healthz`` must not say ok while deliveries get 503. It checks that the path still
        leads to the file opened (see :meth:`_check_file`), then commits a write of a few pages
        to the probe table (one row, rewritten each time): taking the lock alone would say ok
        for a full disk or a file made read-only after opening, where every commit fails. The
        short busy timeout reports a locked store within ``_PING_TIMEOUT_MS`` instead of
        stalling the event loop for the full ``busy_timeout``. A read-only store only checks
        it can read.
        """
        if self.read_only:
            with self._connection("cannot read") as conn:
                conn.execute("SELECT 1 FROM jivo_events LIMIT 1").fetchall()
            return
        with self._connection("cannot write to") as conn:
            self._check_file()
            conn.execute(f"PRAGMA busy_timeout = {_PING_TIMEOUT_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(PROBE, (time.time(),))
                conn.execute("COMMIT")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._committed(1)

    def close(self) -> None:
        """Checkpoint, stop the checkpoint thread and close the connection."""
        with self._lock:
            checkpointer, self._checkpointer = self._checkpointer, None
            self._conn.close()
        if checkpointer is not None:
            checkpointer.stop()
