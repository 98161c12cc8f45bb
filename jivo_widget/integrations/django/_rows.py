"""A webhook event's row as the Django store reads and writes it through the ORM: the columns
read back, times under the project's ``USE_TZ``, a row as a
:class:`~jivo_widget.webhooks.store.base.StoredEvent`, and which database errors are conflicts
worth trying again.

Text and response JSON are kept as the SQL stores keep them
(:mod:`jivo_widget.webhooks.store._rows`); the dedupe key is hex text here, not bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError

from jivo_widget.webhooks.store.base import EventStatus, StoredEvent

__all__ = ["COLUMNS", "chunks", "from_db", "is_conflict", "row_to_event", "to_db"]

#: The columns read back, in :class:`StoredEvent`'s order.
COLUMNS = (
    "id",
    "received_at",
    "remote_addr",
    "body",
    "dedupe_key",
    "event_name",
    "chat_id",
    "status",
    "error",
    "response",
    "attempts",
    "next_attempt_at",
)
#: PostgreSQL's SQLSTATEs of a deadlock and a serialization failure: retried, not reported.
_CONFLICT_STATES = frozenset({"40P01", "40001"})

_T = TypeVar("_T")


def to_db(moment: datetime | None) -> datetime | None:
    """An aware time as this project's ``USE_TZ`` takes it: aware UTC, or naive UTC when
    ``USE_TZ = False`` (Django refuses aware times then)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment if settings.USE_TZ else moment.replace(tzinfo=None)


def from_db(moment: datetime | None) -> datetime | None:
    """A stored time read back as aware UTC, whatever ``USE_TZ`` is."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    """A row of :data:`COLUMNS` as a :class:`StoredEvent`."""
    received_at = from_db(row[1])
    assert received_at is not None
    return StoredEvent(
        id=row[0],
        received_at=received_at,
        remote_addr=row[2],
        body=bytes(row[3]),
        dedupe_key=row[4][:64],  # without the ":id" of a re-keyed older copy
        event_name=row[5],
        chat_id=row[6],
        status=EventStatus(row[7]),
        error=row[8],
        response=None if row[9] is None else json.loads(row[9]),
        attempts=row[10],
        next_attempt_at=from_db(row[11]),
    )


def is_conflict(exc: DatabaseError) -> bool:
    """Whether the database aborted the transaction for a conflict worth trying again."""
    if isinstance(exc, IntegrityError):
        return True  # the only constraint an insert can break here is the dedupe key
    return getattr(exc.__cause__, "sqlstate", None) in _CONFLICT_STATES


def chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    """``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
