"""The Django database store: webhook events as a model in the site's own database.

Selected with ``JIVO_WEBHOOK_STORE = "django"`` in Django's settings, or ``store="django"``
(``"django://ALIAS"`` for another entry of ``DATABASES``) anywhere a store URL is taken. The
tables are :mod:`.models`, created by ``manage.py migrate``: the schema is Django's, so opening
the store never changes it; it refuses (:class:`StoreUnavailable`) until the app's migrations
are applied.

The same contract and semantics as the SQLite and PostgreSQL stores: :meth:`DjangoStore.write_batch`
(the receiver's group of deliveries) is one transaction, committed before it returns; the dedupe
key is ``UNIQUE``, so two copies are never both stored whatever the number of receivers (a
concurrent copy that slips in between our lookup and our insert makes the insert fail on the
key, and the group is retried: nothing of it was committed); every failure is
:class:`StoreUnavailable`.

Threads. Every query runs on the store's own threads, each with its own connection to the alias
(:mod:`._threads` says why): one on SQLite (one writer at a time: threads of one process would
only take turns at its lock), a few on server databases.

Claims. Where the database has ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; MySQL 8 and
Oracle by Django's account), :meth:`~DjangoStore.claim_due` locks the due rows it takes and
skips those another worker holds. Elsewhere (SQLite) it reads the due rows, then takes each
with a conditional ``UPDATE`` (same attempts, status and due time as read) inside one write
transaction: a row another worker took meanwhile no longer matches, and is left to it.

Durability is the database's own: PostgreSQL's default ``synchronous_commit=on`` and Django's
SQLite (rollback journal, ``synchronous=FULL``) flush every commit, what ``durability="fsync"``
asks of the other stores.

Times. With ``USE_TZ = True`` (Django's default) times are stored as aware UTC; with
``USE_TZ = False`` as naive UTC (Django refuses aware times then), read back as UTC either way.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.db import DatabaseError, connections, transaction
from django.db import Error as DjangoDatabaseError
from django.db.models import F, Q

from jivo_widget.errors import JivoConfigError
from jivo_widget.integrations.django._rows import (
    COLUMNS,
    chunks,
    from_db,
    is_conflict,
    row_to_event,
    to_db,
)
from jivo_widget.integrations.django._setup import APP_LABEL, APP_NAME, check_migrated, django_ready
from jivo_widget.integrations.django._threads import ConnectionThreads
from jivo_widget.webhooks.store._rows import portable_text, response_json
from jivo_widget.webhooks.store.base import (
    Claim,
    EventOutcome,
    EventStatus,
    EventStore,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
)

__all__ = ["APP_LABEL", "DjangoStore"]


#: A transaction the database aborted for a conflict (a copy inserted concurrently, a
#: deadlock, a serialization failure) is tried again this many times: nothing of it was
#: committed.
_CONFLICT_RETRIES = 5
#: Rows deleted per transaction by ``purge`` (deliveries keep being committed in between).
_PURGE_CHUNK = 500
#: Keys looked up per query (below every backend's limit of query parameters).
_LOOKUP_CHUNK = 500
#: Rounds of the conditional-update claim when other workers took rows from under it.
_CLAIM_ROUNDS = 3
_KEY = re.compile(r"[0-9a-fA-F]{64}")

_T = TypeVar("_T")


class DjangoStore(EventStore):
    """Events in the :class:`~jivo_widget.integrations.django.models.WebhookEvent` table of
    the database ``alias`` (an entry of ``DATABASES``).

    Opening checks that the app is installed and the alias exists
    (:class:`~jivo_widget.errors.JivoConfigError`), and that the database answers and the
    app's migrations are applied (:class:`StoreUnavailable`, naming the ``migrate`` command).
    ``read_only=True`` (``events list``/``show``): writes are refused. ``threads``: the
    connections kept at most (default: 1 on SQLite, 4 elsewhere).
    """

    #: Queries run on the store's threads and block for a round trip: the receiver commits
    #: its groups on a thread (:mod:`jivo_widget.webhooks._batch`).
    commits_block = True

    def __init__(
        self, alias: str = "default", *, read_only: bool = False, threads: int | None = None
    ) -> None:
        django_ready()
        self.alias = alias
        self.url = f"django://{alias}"
        self.read_only = read_only
        if not apps.is_installed(APP_NAME):
            raise JivoConfigError(
                f"the event store {self.url} needs {APP_NAME!r} in INSTALLED_APPS"
            )
        if alias not in connections.settings:
            known = ", ".join(map(repr, connections.settings)) or "none"
            raise JivoConfigError(
                f"the event store {self.url}: no database {alias!r} in DATABASES (it has {known})"
            )
        self._events = apps.get_model(APP_LABEL, "WebhookEvent")._default_manager.db_manager(alias)
        self._probe = apps.get_model(APP_LABEL, "WebhookStoreProbe")._default_manager.db_manager(
            alias
        )
        vendor = connections[alias].vendor
        size = threads if threads is not None else (1 if vendor == "sqlite" else 4)
        self._threads = ConnectionThreads(alias, max(1, size))
        try:
            self.migrated = self._run("cannot open", lambda: check_migrated(alias, self.url))
        except BaseException:
            self._threads.close()
            raise

    # -- the store's threads ------------------------------------------------------------------

    def _run(self, what: str, query: Callable[[], _T]) -> _T:
        """``query()`` on a store thread; a database error becomes :class:`StoreUnavailable`."""
        return self._threads.run(lambda: self._guarded(what, query))

    def _guarded(self, what: str, query: Callable[[], _T]) -> _T:
        connection = connections[self.alias]
        if connection.connection is not None and connection.errors_occurred:
            # After an error, reconnect unless the connection still works (a restarted
            # server, a dropped network: the next call gets a fresh one).
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
        try:
            return query()
        except DjangoDatabaseError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailable(f"{what} the event store {self.url}: {reason}") from None

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise StoreUnavailable(f"{what} the event store {self.url}: it is opened read-only")

    # -- writes -------------------------------------------------------------------------------

    def write_batch(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        """Insert ``events`` and record ``outcomes`` in one transaction (all or none)."""
        self._writable("cannot write to")
        return self._run("cannot write to", lambda: self._write_retrying(events, outcomes))

    def _write_retrying(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        for attempt in range(_CONFLICT_RETRIES):
            try:
                with transaction.atomic(using=self.alias, durable=True):
                    return self._write(events, outcomes)
            except DatabaseError as exc:
                if not is_conflict(exc) or attempt == _CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _write(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        ids: builtins.list[int | None] = [None] * len(events)
        stored = self._stored_keys({event.dedupe_key for event in events})
        fresh: builtins.list[tuple[int, Any]] = []
        taken: set[str] = set()
        # Key order: receivers whose groups share bodies lock them in the same order.
        for index in sorted(range(len(events)), key=lambda i: events[i].dedupe_key):
            event = events[index]
            key = event.dedupe_key
            if key in taken:
                continue  # a copy earlier in this group: a duplicate
            taken.add(key)
            earlier = stored.get(key)
            if earlier is not None:
                earlier_id, received_at = earlier
                if event.dedupe_since is None or received_at >= event.dedupe_since:
                    continue  # a duplicate within the window
                # An earlier event with the same bytes: it stops answering to the key.
                self._events.filter(id=earlier_id, dedupe_key=key).update(
                    dedupe_key=f"{key}:{earlier_id}"
                )
            fresh.append((index, self._row(event)))
        if fresh:
            rows = [row for _, row in fresh]
            if connections[self.alias].features.can_return_rows_from_bulk_insert:
                self._events.bulk_create(rows)
            else:
                for row in rows:
                    row.save(force_insert=True, using=self.alias)
            for index, row in fresh:
                ids[index] = int(row.pk)
        for outcome in outcomes:
            self._finish(outcome)
        return ids

    def _stored_keys(self, keys: set[str]) -> dict[str, tuple[int, datetime]]:
        """The stored rows answering to ``keys``: key -> (id, received_at)."""
        found: dict[str, tuple[int, datetime]] = {}
        for chunk in chunks(sorted(keys), _LOOKUP_CHUNK):
            for event_id, key, received_at in self._events.filter(dedupe_key__in=chunk).values_list(
                "id", "dedupe_key", "received_at"
            ):
                moment = from_db(received_at)
                assert moment is not None
                found[key] = (event_id, moment)
        return found

    def _row(self, event: NewEvent) -> Any:
        return self._events.model(
            received_at=to_db(event.received_at),
            remote_addr=portable_text(event.remote_addr),
            body=event.body,
            dedupe_key=event.dedupe_key,
            event_name=portable_text(event.event_name),
            chat_id=event.chat_id,
            status=event.status.value,
            error=portable_text(event.error),
            response=response_json(event.response),
            next_attempt_at=to_db(event.next_attempt_at),
        )

    def _finish(self, outcome: EventOutcome) -> None:
        changes: dict[str, Any] = {
            "status": outcome.status.value,
            "error": portable_text(outcome.error),
            "response": response_json(outcome.response),
        }
        if outcome.status is not EventStatus.RECEIVED:
            # A run's outcome (a replay's too) counts an attempt and dequeues the event: a
            # worker must not run it again later. ``received``: a response sent early.
            changes["attempts"] = F("attempts") + 1
            changes["next_attempt_at"] = None
        self._events.filter(id=outcome.event_id).update(**changes)

    def claim_due(
        self, *, limit: int, lease: timedelta, now: datetime | None = None
    ) -> builtins.list[Claim]:
        """Claim due queued events (see :meth:`EventStore.claim_due` and "Claims" in the module
        docstring)."""
        self._writable("cannot write to")
        moment = now or datetime.now(UTC)
        lease_until = moment + lease

        def claim() -> builtins.list[StoredEvent]:
            due = self._events.filter(
                next_attempt_at__isnull=False, next_attempt_at__lte=to_db(moment)
            ).order_by("next_attempt_at", "id")
            claimed = {
                "status": EventStatus.RECEIVED.value,
                "attempts": F("attempts") + 1,
                "next_attempt_at": to_db(lease_until),
            }
            if connections[self.alias].features.has_select_for_update_skip_locked:
                with transaction.atomic(using=self.alias, durable=True):
                    ids = list(
                        due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit]
                    )
                    if ids:
                        self._events.filter(id__in=ids).update(**claimed)
                    return self._rows(ids)
            taken: builtins.list[StoredEvent] = []
            for _ in range(_CLAIM_ROUNDS):
                seen = list(
                    due.values_list("id", "attempts", "status", "next_attempt_at")[
                        : limit - len(taken)
                    ]
                )
                if not seen:
                    break
                with transaction.atomic(using=self.alias, durable=True):
                    won = [
                        event_id
                        for event_id, attempts, status, next_attempt_at in seen
                        if self._events.filter(
                            id=event_id,
                            attempts=attempts,
                            status=status,
                            next_attempt_at=next_attempt_at,
                        ).update(**claimed)
                    ]
                    taken += self._rows(won)
                if len(won) == len(seen) or len(taken) >= limit:
                    break  # nothing was taken from under us: no other due row was skipped
            return taken

        claims = [Claim(event, lease_until) for event in self._run("cannot write to", claim)]
        return sorted(claims, key=lambda c: c.event.id)

    def claim(
        self, event_id: int, *, lease: timedelta, now: datetime | None = None
    ) -> Claim | None:
        """Claim one queued event if it is due (see :meth:`EventStore.claim`)."""
        self._writable("cannot write to")
        moment = now or datetime.now(UTC)
        lease_until = moment + lease
        due = self._events.filter(
            id=event_id, next_attempt_at__isnull=False, next_attempt_at__lte=to_db(moment)
        )

        def claim() -> builtins.list[StoredEvent]:
            # One conditional UPDATE of one row: atomic on every backend, so of two tasks
            # given the same id only one changes it.
            with transaction.atomic(using=self.alias, durable=True):
                won = due.update(
                    status=EventStatus.RECEIVED.value,
                    attempts=F("attempts") + 1,
                    next_attempt_at=to_db(lease_until),
                )
                return self._rows([event_id]) if won else []

        rows = self._run("cannot write to", claim)
        return Claim(rows[0], lease_until) if rows else None

    def due(self, *, limit: int, now: datetime | None = None) -> builtins.list[int]:
        """Ids of due queued events (see :meth:`EventStore.due`)."""
        moment = now or datetime.now(UTC)
        due = self._events.filter(
            next_attempt_at__isnull=False, next_attempt_at__lte=to_db(moment)
        ).order_by("next_attempt_at", "id")
        return self._run("cannot read", lambda: list(due.values_list("id", flat=True)[:limit]))

    def _rows(self, ids: Sequence[int]) -> builtins.list[StoredEvent]:
        if not ids:
            return []
        rows = self._events.filter(id__in=ids).order_by("id").values_list(*COLUMNS)
        return [row_to_event(row) for row in rows]

    def _settle(
        self,
        claim: Claim,
        status: EventStatus,
        *,
        error: str | None,
        response: dict[str, Any] | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        self._writable("cannot write to")
        changes: dict[str, Any] = {
            "status": status.value,
            "error": portable_text(error),
            "next_attempt_at": to_db(next_attempt_at),
        }
        if response is not None:
            changes["response"] = response_json(response)
        # Only while the claim holds: same attempts, still leased to it (one UPDATE).
        holding = self._events.filter(
            id=claim.event.id, attempts=claim.event.attempts, status=EventStatus.RECEIVED.value
        )
        return bool(self._run("cannot write to", lambda: holding.update(**changes)) == 1)

    # -- reads --------------------------------------------------------------------------------

    def get(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or ``None``."""
        rows = self._run("cannot read", lambda: self._rows([event_id]))
        return rows[0] if rows else None

    def get_by_dedupe_key(self, key: str) -> StoredEvent | None:
        """The event with this dedupe key, or ``None``."""
        if not _KEY.fullmatch(key):
            return None  # not a key we could have stored
        query = self._events.filter(dedupe_key=key.lower()).values_list(*COLUMNS)
        row = self._run("cannot read", query.first)
        return None if row is None else row_to_event(row)

    @staticmethod
    def _filters(
        *,
        status: EventStatus | str | None = None,
        event_name: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Q:
        where = Q()
        if status is not None:
            value = EventStatus(status).value
            where &= Q(status=value)
            if value != EventStatus.PROCESSED.value:
                where &= ~Q(status=EventStatus.PROCESSED.value)  # the partial index's condition
        if event_name is not None:
            where &= Q(event_name=event_name)
        if since is not None:
            where &= Q(received_at__gte=to_db(since))
        if until is not None:
            where &= Q(received_at__lt=to_db(until))
        return where

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
        where = self._filters(status=status, event_name=event_name, since=since, until=until)
        query = self._events.filter(where).order_by("-id" if newest_first else "id")
        rows = query.values_list(*COLUMNS)
        if limit is not None:
            rows = rows[:limit]
        return [row_to_event(row) for row in self._run("cannot read", lambda: builtins.list(rows))]

    def count(
        self, *, status: EventStatus | str | None = None, until: datetime | None = None
    ) -> int:
        """How many events are stored (with this status, received before ``until``)."""
        query = self._events.filter(self._filters(status=status, until=until))
        return int(self._run("cannot read", query.count))

    def purge(
        self, older_than: timedelta | datetime, *, status: EventStatus | str | None = None
    ) -> int:
        """Delete events received before ``older_than`` (an age or a moment); how many, in
        chunks of a few hundred rows, each its own transaction."""
        self._writable("cannot write to")
        cutoff = older_than if isinstance(older_than, datetime) else datetime.now(UTC) - older_than
        old = self._events.filter(self._filters(status=status, until=cutoff))

        def chunk() -> int:
            ids = list(old.order_by("id").values_list("id", flat=True)[:_PURGE_CHUNK])
            if not ids:
                return 0
            deleted, _ = old.filter(id__in=ids).delete()
            return int(deleted)

        total = 0
        while True:
            deleted = self._run("cannot write to", chunk)
            total += deleted
            if deleted < _PURGE_CHUNK:
                return total

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database commits a write now (read-only:
        answers a read)."""
        if self.read_only:
            self._run("cannot read", self._events.filter(id=0).exists)
            return

        def probe() -> None:
            with transaction.atomic(using=self.alias, durable=True):
                self._probe.update_or_create(id=1, defaults={"probed_at": to_db(datetime.now(UTC))})

        self._run("cannot write to", probe)

    def close(self) -> None:
        """Close the store's connections; the store cannot be used afterwards."""
        self._threads.close()
