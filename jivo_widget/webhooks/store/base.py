"""What an event store is: the row, its statuses, and the store interface.

A row holds one delivery: when it arrived and from where, the raw body exactly as received, its
dedupe key, the event name and chat id read from it, its status, the handlers' error, the
response that was sent, and how many times its handlers ran. The row is committed before the
delivery is acknowledged, and it is the unit of replay.

A store is synchronous on purpose: an insert into the embedded store is one short write, cheaper
than a hop to a thread pool, so the receiver calls it right on the event loop. Implementations
must be safe to call from several threads (WSGI servers, replays) and raise
:class:`StoreUnavailable` — never a driver exception — when they cannot read or write, so the
receiver can answer 503 and the sender retries.
"""

from __future__ import annotations

import builtins
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from jivo_widget.errors import StoreUnavailable

__all__ = [
    "Claim",
    "EventOutcome",
    "EventStatus",
    "EventStore",
    "NewEvent",
    "StoreUnavailable",
    "StoredEvent",
    "dedupe_key",
]


class EventStatus(StrEnum):
    """Where an event stands.

    ``received``: stored, handlers not finished (or the process died while they ran: replay it);
    ``processed``: every handler succeeded (or there were none); ``failed``: a handler raised or
    missed its deadline (with a ``next_attempt_at``: a worker retries it then); ``dead``: a
    worker gave up on it (too many attempts, see :meth:`EventStore.mark_dead`); ``invalid``: it
    broke its event model; ``malformed``: not a UTF-8 JSON object with an ``event_name``.
    """

    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    DEAD = "dead"
    INVALID = "invalid"
    MALFORMED = "malformed"


def dedupe_key(body: bytes) -> str:
    """The dedupe key of a delivery: the SHA-256 of its raw body, in hex.

    Jivo's webhooks carry no delivery or event id, and a resent delivery carries the same
    bytes.
    """
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A delivery about to be stored."""

    received_at: datetime
    remote_addr: str | None
    body: bytes
    dedupe_key: str
    event_name: str | None
    chat_id: int | None
    status: EventStatus
    error: str | None = None
    response: dict[str, Any] | None = None
    #: The dedupe window's start: a stored body with the same key received before this moment
    #: is an *earlier event* (Jivo sends identical bodies for A→B→A changes), not a resend, so
    #: this one is stored too and the old row stops answering to the key. ``None``: forever.
    dedupe_since: datetime | None = None
    #: Queued for a worker (processing off the request path): due from this moment (normally
    #: ``received_at``). ``None``: not queued (handled inline, or nothing to handle).
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """The result of one run of an event's handlers, as :meth:`EventStore.finish` records it.

    With status ``received`` it is no result yet: the response about to be sent while other
    handlers still run, committed first so a duplicate gets it too (no attempt is counted).
    """

    event_id: int
    status: EventStatus
    error: str | None
    response: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored delivery (see the module docstring). ``received_at`` is an aware UTC
    datetime."""

    id: int
    received_at: datetime
    remote_addr: str | None
    body: bytes
    dedupe_key: str
    event_name: str | None
    chat_id: int | None
    status: EventStatus
    error: str | None
    response: dict[str, Any] | None
    #: Runs of its handlers started: recorded outcomes (:meth:`EventStore.finish`) plus claims
    #: by a worker (:meth:`EventStore.claim_due` counts the attempt when it starts it).
    attempts: int
    #: When a worker may (next) claim it, or when the lease of the worker running it ends;
    #: ``None`` when it is not queued. ``error`` is the last run's error.
    next_attempt_at: datetime | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON-ready metadata (no body): what ``events list --json`` prints."""
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "event_name": self.event_name,
            "chat_id": self.chat_id,
            "status": self.status.value,
            "attempts": self.attempts,
            "next_attempt_at": (
                None if self.next_attempt_at is None else self.next_attempt_at.isoformat()
            ),
            "error": self.error,
            "remote_addr": self.remote_addr,
            "dedupe_key": self.dedupe_key,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """An event a worker claimed with :meth:`EventStore.claim_due`, and the proof it holds it.

    ``event.attempts`` already counts this run. The claim is held until ``lease_until``; the
    worker reports the run's end with :meth:`EventStore.mark_processed`,
    :meth:`~EventStore.schedule_retry` or :meth:`~EventStore.mark_dead`, which return ``False``
    (and change nothing) when the claim was lost meanwhile: the lease ran out and another
    worker claimed the event again (its ``attempts`` moved on).
    """

    event: StoredEvent
    lease_until: datetime


class EventStore(ABC):
    """Durable storage of webhook deliveries; see the module docstring for the rules."""

    #: The URL the store was opened from, for messages (no password in it).
    url: str
    #: The schema versions before and after opening: ``(0, n)`` created, ``(k, n)`` migrated
    #: from version ``k``, ``(n, n)`` already current.
    migrated: tuple[int, int]
    #: Whether a commit blocks for a round trip to a server: the receiver then commits its
    #: groups on a thread instead of on the event loop (:mod:`jivo_widget.webhooks._batch`).
    commits_block: bool = False

    def add(self, event: NewEvent) -> int | None:
        """Commit ``event``; its id, or ``None`` when a row with its dedupe key is stored and was
        received at or after ``event.dedupe_since`` (a duplicate). An older row with the key
        stops answering to it (:meth:`get_by_dedupe_key`), atomically with the insert."""
        return self.write_batch([event], ())[0]

    @abstractmethod
    def write_batch(
        self, events: Sequence[NewEvent], outcomes: Sequence[EventOutcome]
    ) -> builtins.list[int | None]:
        """Add ``events`` (as :meth:`add` does) and record ``outcomes`` (as :meth:`finish`
        does) in one transaction, committed before it returns: all or none.

        The receiver groups the writes that fall due in the same event-loop iteration into one
        call. The ids (or ``None`` for duplicates) of ``events``, in order.
        """

    @abstractmethod
    def get(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or ``None``."""

    @abstractmethod
    def get_by_dedupe_key(self, key: str) -> StoredEvent | None:
        """The latest event with this dedupe key (the one duplicates are answered from), or
        ``None``."""

    def finish(
        self,
        event_id: int,
        *,
        status: EventStatus,
        error: str | None,
        response: dict[str, Any] | None,
    ) -> None:
        """Record the outcome of one dispatch of the handlers (and count it in ``attempts``).

        With ``status=received``: only record the response sent while the handlers still run;
        ``attempts`` is not counted.
        """
        self.write_batch((), (EventOutcome(event_id, status, error, response),))

    # -- processing off the request path: a worker claims due events, then reports each run --

    @abstractmethod
    def claim_due(
        self, *, limit: int, lease: timedelta, now: datetime | None = None
    ) -> builtins.list[Claim]:
        """Claim up to ``limit`` queued events whose ``next_attempt_at`` is at or before
        ``now`` (default: the current time), the longest due first, for ``lease``; returned in
        id order.

        Atomic across threads, processes and receivers: no two concurrent callers get the same
        event. Each claimed row becomes ``received``, its ``attempts`` + 1 (the run starts
        now, so a run that kills its worker still counts towards the limit), and its
        ``next_attempt_at`` the end of the lease: if the worker dies or hangs, the event is
        due again then. Events not queued (``next_attempt_at`` is ``None``) are never claimed.
        """

    @abstractmethod
    def claim(
        self, event_id: int, *, lease: timedelta, now: datetime | None = None
    ) -> Claim | None:
        """Claim queued event ``event_id`` for ``lease`` if it is due at ``now`` (default: the
        current time), as :meth:`claim_due` would; ``None`` when it is not: never queued,
        settled (``processed``, ``dead``), a retry not due yet, held by another run's lease,
        or no such event.

        What a task queue's task runs with the id it was given (the Celery adapter): atomic
        like :meth:`claim_due`, so a task delivered twice runs the handlers once.
        """

    @abstractmethod
    def due(self, *, limit: int, now: datetime | None = None) -> builtins.list[int]:
        """The ids of up to ``limit`` queued events due at ``now`` (default: the current
        time), the longest due first; nothing is claimed. What a sweep hands to a task queue
        again (its task was lost, or the broker was down when the event arrived)."""

    def mark_processed(self, claim: Claim, *, response: dict[str, Any] | None = None) -> bool:
        """The claimed run succeeded: ``processed``, no error, no longer queued. ``response``,
        when given, replaces the stored one. ``False`` (nothing changed) if the claim was
        lost."""
        return self._settle(claim, EventStatus.PROCESSED, error=None, response=response)

    def schedule_retry(self, claim: Claim, *, error: str, at: datetime) -> bool:
        """The claimed run failed and will be retried: ``failed`` with ``error``, due again
        ``at`` (the caller's backoff). ``False`` (nothing changed) if the claim was lost."""
        return self._settle(claim, EventStatus.FAILED, error=error, next_attempt_at=at)

    def mark_dead(self, claim: Claim, *, error: str) -> bool:
        """The claimed run failed and no retry is left: ``dead`` with ``error``, no longer
        queued (``events replay`` can still run it). ``False`` (nothing changed) if the claim
        was lost."""
        return self._settle(claim, EventStatus.DEAD, error=error)

    @abstractmethod
    def _settle(
        self,
        claim: Claim,
        status: EventStatus,
        *,
        error: str | None,
        response: dict[str, Any] | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record how a claimed run ended, in one write that changes the row only while the
        claim still holds (same id and attempt count); whether it did."""

    @abstractmethod
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

    @abstractmethod
    def count(
        self, *, status: EventStatus | str | None = None, until: datetime | None = None
    ) -> int:
        """How many events are stored (with this status, received before ``until``)."""

    @abstractmethod
    def purge(
        self, older_than: timedelta | datetime, *, status: EventStatus | str | None = None
    ) -> int:
        """Delete events received before ``older_than`` (an age or a moment); how many."""

    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers (for ``/healthz``)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
