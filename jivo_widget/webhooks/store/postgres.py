"""The server store: PostgreSQL through psycopg 3 and a psycopg_pool connection pool (the
``postgres`` extra), for several receivers (processes, hosts) sharing one store.

The same semantics as the SQLite store: :meth:`PostgresStore.write_batch` (the receiver's group
of deliveries) is one transaction, committed before it returns; the dedupe key is ``UNIQUE``,
so two copies are never both stored whatever the number of receivers (a concurrent copy waits
on the first one's index entry, then finds it); every failure is :class:`StoreUnavailable`.

Durability (``durability=``). ``"fsync"``: ``synchronous_commit=on``, a commit returns once
the server flushed its WAL to disk: it survives a crash of the receiver, of PostgreSQL and of
the machine. ``"process"``: ``synchronous_commit=off``, a commit returns once the server has
it in its WAL buffers (shared memory) and flushes them within ``wal_writer_delay`` (200 ms):
it survives ``kill -9`` of the receiver (the server, not the receiver, holds the commit) and a
clean restart of PostgreSQL, but a crash of PostgreSQL or of its machine may lose the last
fraction of a second of acknowledged events — still never a half-written row (the server
recovers to a consistent point).

Lock order. Receivers committing groups that share bodies (the same delivery resent to
another receiver) would deadlock if they inserted them in different orders; each group
inserts in dedupe-key order, and a transaction the server still aborts (deadlock,
serialization failure) is retried, since nothing of it was committed.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from jivo_widget.webhooks.store._postgres_schema import (
    CLAIM,
    CLAIM_ONE,
    COLUMNS,
    DUE,
    FINISH,
    INSERT,
    MIGRATION_LOCK,
    MIGRATIONS,
    PROBE,
    SCHEMA_VERSION,
    SETTLE,
    VERSION_TABLE,
    finish_params,
    insert_params,
    key_bytes,
    row_to_event,
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

__all__ = ["Durability", "PostgresStore", "redact_url"]

#: A child of the "jivo_widget.webhooks" logger: its handlers get these records too.
logger = logging.getLogger(__name__)

Durability = Literal["process", "fsync"]

#: Rows deleted per transaction by ``purge`` (see the SQLite store: deliveries keep flowing).
_PURGE_CHUNK = 500
#: Attempts of a transaction the server aborted for a lock conflict (nothing was committed).
_CONFLICT_RETRIES = 5


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and ``store.url``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class PostgresStore(EventStore):
    """Events in a PostgreSQL database (``postgresql://user:password@host:port/dbname``).

    Opening connects, migrates the schema (see :mod:`._postgres_schema`; several receivers
    starting at once migrate it once) and fails with :class:`StoreUnavailable` when the server
    cannot be reached. ``read_only=True`` (``events list``/``show``): read-only transactions,
    no migration. ``pool_size``: connections kept at most (the receiver's loop uses one at a
    time; replays and WSGI threads may use more). ``timeout``: seconds to connect or to wait
    for a free connection before a call fails (the receiver then answers 503).
    """

    #: A commit is a network round trip: the receiver's group commit runs it off the event
    #: loop (see :mod:`jivo_widget.webhooks._batch`).
    commits_block = True

    def __init__(
        self,
        url: str,
        *,
        durability: Durability = "process",
        read_only: bool = False,
        pool_size: int = 4,
        timeout: float = 5.0,
    ) -> None:
        self.url = redact_url(url)
        self.read_only = read_only
        self.durability = durability
        self._timeout = timeout
        options = (
            f"-c timezone=UTC -c synchronous_commit={'on' if durability == 'fsync' else 'off'}"
        )
        if read_only:
            options += " -c default_transaction_read_only=on"
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={"options": options, "connect_timeout": max(1, round(timeout))},
            timeout=timeout,
            open=False,
            name="jivo-events",
        )
        # One connection first: an unreachable server or a refused login is one clear error
        # now (the pool would retry in the background, logging each failure), and it migrates.
        try:
            with psycopg.connect(
                url, options=options, connect_timeout=max(1, round(timeout))
            ) as conn:
                self.migrated = self._check_schema(conn) if read_only else self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreUnavailable(self._describe(exc, "cannot open")) from None
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg_pool.PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot open the event store {self.url}: no connection within {timeout:g} s"
            ) from None

    def _describe(self, exc: BaseException, what: str) -> str:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{what} the event store {self.url}: {reason}"

    @contextmanager
    def _connection(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection inside one transaction, committed at the end; any failure
        becomes :class:`StoreUnavailable` (the pool replaces a broken connection)."""
        try:
            with self._pool.connection(timeout=self._timeout) as conn:
                yield conn
        except psycopg_pool.PoolTimeout:
            raise StoreUnavailable(
                f"{what} the event store {self.url}: no connection within {self._timeout:g} s"
            ) from None
        except psycopg_pool.PoolClosed:
            raise StoreUnavailable(f"{what} the event store {self.url}: it is closed") from None
        except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
            raise  # retried by the caller
        except psycopg.Error as exc:
            raise StoreUnavailable(self._describe(exc, what)) from None

    def _version(self, conn: psycopg.Connection[Any]) -> int:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename IN ('jivo_events', 'jivo_schema_version')"
            )
        }
        if "jivo_schema_version" in tables:
            row = conn.execute("SELECT max(version) FROM jivo_schema_version").fetchone()
            return int(row[0] or 0) if row else 0
        return 1 if "jivo_events" in tables else 0

    def _migrate(self, conn: psycopg.Connection[Any]) -> tuple[int, int]:
        """Bring the database to :data:`SCHEMA_VERSION` in one transaction, under an advisory
        lock (receivers starting together: one migrates, the others then find it done)."""
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            before = self._version(conn)
            if before > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"the event store {self.url} has schema version {before}, newer than this "
                    f"release of jivo-widget knows ({SCHEMA_VERSION}): upgrade jivo-widget"
                )
            for step in MIGRATIONS[before:]:
                for statement in step.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if before < SCHEMA_VERSION:
                conn.execute(VERSION_TABLE)
                conn.execute("DELETE FROM jivo_schema_version")
                conn.execute("INSERT INTO jivo_schema_version VALUES (%s)", (SCHEMA_VERSION,))
        if 0 < before < SCHEMA_VERSION:
            logger.info(
                "migrated the event store %s from schema version %d to %d",
                self.url,
                before,
                SCHEMA_VERSION,
            )
        return before, SCHEMA_VERSION

    def _check_schema(self, conn: psycopg.Connection[Any]) -> tuple[int, int]:
        version = self._version(conn)
        if version != SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the event store {self.url} has schema version {version}, this release reads "
                f"{SCHEMA_VERSION}: run `jivo-widget events migrate --store URL`"
            )
        return version, version

    # -- writes -------------------------------------------------------------------------------

    def write_batch(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        """Insert ``events`` and record ``outcomes`` in one transaction (all or none)."""
        # Key order: two receivers' groups sharing bodies lock them in the same order.
        order = sorted(range(len(events)), key=lambda i: events[i].dedupe_key)
        for attempt in range(_CONFLICT_RETRIES):
            try:
                with self._connection("cannot write to") as conn:
                    ids = self._write(conn, events, order, outcomes)
                return ids
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure) as exc:
                if attempt == _CONFLICT_RETRIES - 1:
                    raise StoreUnavailable(self._describe(exc, "cannot write to")) from None
        raise AssertionError("unreachable")

    @staticmethod
    def _write(
        conn: psycopg.Connection[Any],
        events: Sequence[NewEvent],
        order: Sequence[int],
        outcomes: Sequence[EventOutcome],
    ) -> builtins.list[int | None]:
        ids: builtins.list[int | None] = [None] * len(events)
        with conn.cursor() as cur:
            if events:
                # One round trip for the group (executemany runs in pipeline mode).
                cur.executemany(INSERT, [insert_params(events[i]) for i in order], returning=True)
                for position, index in enumerate(order):
                    if position:
                        cur.nextset()
                    row = cur.fetchone()
                    ids[index] = None if row is None else int(row[0])
            for index in order:
                if ids[index] is None and events[index].dedupe_since is not None:
                    ids[index] = _insert_after_window(cur, events[index])
            if outcomes:
                cur.executemany(FINISH, [finish_params(o) for o in outcomes])
        return ids

    def claim_due(
        self, *, limit: int, lease: timedelta, now: datetime | None = None
    ) -> builtins.list[Claim]:
        """Claim due queued events (see :meth:`EventStore.claim_due`): ``SELECT … FOR UPDATE
        SKIP LOCKED`` inside one ``UPDATE``, so concurrent workers never wait for each other."""
        moment = now or datetime.now(UTC)
        lease_until = moment + lease
        with self._connection("cannot write to") as conn:
            rows = conn.execute(CLAIM, (lease_until, moment, limit)).fetchall()
        claims = [Claim(row_to_event(row), lease_until) for row in rows]
        return sorted(claims, key=lambda c: c.event.id)

    def claim(
        self, event_id: int, *, lease: timedelta, now: datetime | None = None
    ) -> Claim | None:
        """Claim one queued event if it is due (see :meth:`EventStore.claim`)."""
        moment = now or datetime.now(UTC)
        lease_until = moment + lease
        with self._connection("cannot write to") as conn:
            row = conn.execute(CLAIM_ONE, (lease_until, event_id, moment)).fetchone()
        return None if row is None else Claim(row_to_event(row), lease_until)

    def due(self, *, limit: int, now: datetime | None = None) -> builtins.list[int]:
        """Ids of due queued events (see :meth:`EventStore.due`)."""
        moment = now or datetime.now(UTC)
        with self._connection("cannot read") as conn:
            return [row[0] for row in conn.execute(DUE, (moment, limit))]

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
            changed = conn.execute(SETTLE, params).rowcount
        return changed == 1

    # -- reads --------------------------------------------------------------------------------

    def get(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or ``None``."""
        with self._connection("cannot read") as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM jivo_events WHERE id = %s", (event_id,)
            ).fetchone()
        return None if row is None else row_to_event(row)

    def get_by_dedupe_key(self, key: str) -> StoredEvent | None:
        """The event with this dedupe key, or ``None``."""
        with self._connection("cannot read") as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM jivo_events WHERE dedupe_key = %s", (key_bytes(key),)
            ).fetchone()
        return None if row is None else row_to_event(row)

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
        where, params = _filters(status=status, event_name=event_name, since=since, until=until)
        sql = f"SELECT {COLUMNS} FROM jivo_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        with self._connection("cannot read") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [row_to_event(row) for row in rows]

    def count(
        self, *, status: EventStatus | str | None = None, until: datetime | None = None
    ) -> int:
        """How many events are stored (with this status, received before ``until``)."""
        where, params = _filters(status=status, until=until)
        sql = "SELECT count(*) FROM jivo_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connection("cannot read") as conn:
            row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row else 0

    def purge(
        self, older_than: timedelta | datetime, *, status: EventStatus | str | None = None
    ) -> int:
        """Delete events received before ``older_than`` (an age or a moment); how many, in
        chunks of a few hundred rows, each its own transaction."""
        cutoff = older_than if isinstance(older_than, datetime) else datetime.now(UTC) - older_than
        where, params = _filters(status=status, until=cutoff)
        sql = (
            "DELETE FROM jivo_events WHERE id IN (SELECT id FROM jivo_events WHERE "
            + " AND ".join(where)
            + f" ORDER BY id LIMIT {_PURGE_CHUNK})"
        )
        total = 0
        while True:
            with self._connection("cannot write to") as conn:
                deleted = conn.execute(sql, params).rowcount
            total += deleted
            if deleted < _PURGE_CHUNK:
                return total

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the server commits a write now (a read-only
        store: answers a read)."""
        with self._connection("cannot write to" if not self.read_only else "cannot read") as conn:
            if self.read_only:
                conn.execute("SELECT 1 FROM jivo_events LIMIT 1").fetchall()
            else:
                conn.execute(PROBE)

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._pool.close()


def _insert_after_window(cur: psycopg.Cursor[Any], event: NewEvent) -> int | None:
    """The dedupe-window case of one event whose insert met a stored key (see the SQLite store):
    a copy received before ``dedupe_since`` is re-keyed and this one inserted; a later copy
    makes it a duplicate. ``FOR UPDATE`` holds the old row against a concurrent copy, which then
    finds the new row (a duplicate)."""
    assert event.dedupe_since is not None
    params = insert_params(event)
    key = params[3]
    row = cur.execute(
        "SELECT id, received_at FROM jivo_events WHERE dedupe_key = %s FOR UPDATE", (key,)
    ).fetchone()
    if row is not None and row[1] >= event.dedupe_since:
        return None
    if row is not None:
        retired = key + b":" + str(row[0]).encode()
        cur.execute("UPDATE jivo_events SET dedupe_key = %s WHERE id = %s", (retired, row[0]))
    inserted = cur.execute(INSERT, params).fetchone()
    return None if inserted is None else int(inserted[0])


def _filters(
    *,
    status: EventStatus | str | None = None,
    event_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[builtins.list[str], builtins.list[Any]]:
    where: builtins.list[str] = []
    params: builtins.list[Any] = []
    if status is not None:
        value = EventStatus(status).value
        where.append("status = %s")
        params.append(value)
        if value != EventStatus.PROCESSED.value:
            where.append("status <> 'processed'")  # lets the planner use the partial index
    if event_name is not None:
        where.append("event_name = %s")
        params.append(event_name)
    if since is not None:
        where.append("received_at >= %s")
        params.append(since)
    if until is not None:
        where.append("received_at < %s")
        params.append(until)
    return where, params
