"""A stored event's row, the same in every SQL store: its columns, and how the store's types map
to and from them (a response as compact JSON text, a dedupe key as bytes, a row as a
:class:`~jivo_widget.webhooks.store.base.StoredEvent`).

What differs between databases (how a time is kept, which text a column takes) is passed in by
each store's schema module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jivo_widget.webhooks.store.base import EventOutcome, EventStatus, StoredEvent

__all__ = [
    "COLUMNS",
    "finish_params",
    "key_bytes",
    "portable_text",
    "response_json",
    "row_to_event",
]

COLUMNS = (
    "id, received_at, remote_addr, body, dedupe_key, event_name, chat_id, status, error, "
    "response, attempts, next_attempt_at"
)

_OK = {"result": "ok"}
_OK_JSON = '{"result":"ok"}'


def response_json(value: dict[str, Any] | None) -> str | None:
    """A response as the ``response`` column keeps it: compact JSON text, or ``None``."""
    if value is None:
        return None
    # Nearly every stored response is the plain ok: skip the encoder for it (per-event cost).
    # ensure_ascii (the default): a lone surrogate or NUL becomes a \u escape, valid text in
    # every database.
    return _OK_JSON if value == _OK else json.dumps(value, separators=(",", ":"))


def portable_text(value: str | None) -> str | None:
    """``value`` as every database's text column takes it: no NUL (PostgreSQL's text cannot
    hold one), valid UTF-8 (JSON may carry lone surrogates)."""
    if value is None or (value.isascii() and "\x00" not in value):
        return value
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def finish_params(
    outcome: EventOutcome, text: Callable[[str | None], str | None]
) -> tuple[Any, ...]:
    """The parameters of a store's ``FINISH`` statement for ``outcome``; ``text`` makes a
    string one the database's text columns take."""
    return (
        outcome.status.value,
        text(outcome.error),
        response_json(outcome.response),
        0 if outcome.status is EventStatus.RECEIVED else 1,  # a sent response, not a dispatch
        outcome.status is EventStatus.RECEIVED,  # still queued if it was: no outcome yet
        outcome.event_id,
    )


def key_bytes(key: str) -> bytes:
    """A dedupe key (hex text) as the ``dedupe_key`` column keeps it."""
    try:
        return bytes.fromhex(key)
    except ValueError:
        return b""  # not a key we could have stored: matches nothing


def row_to_event(row: tuple[Any, ...], to_datetime: Callable[[Any], datetime]) -> StoredEvent:
    """A row of :data:`COLUMNS` as a :class:`StoredEvent`; ``to_datetime`` reads the database's
    time columns as aware datetimes."""
    return StoredEvent(
        id=row[0],
        received_at=to_datetime(row[1]),
        remote_addr=row[2],
        body=bytes(row[3]),
        dedupe_key=bytes(row[4])[:32].hex(),  # without the ":id" of a re-keyed older copy
        event_name=row[5],
        chat_id=row[6],
        status=EventStatus(row[7]),
        error=row[8],
        response=None if row[9] is None else json.loads(row[9]),
        attempts=row[10],
        next_attempt_at=None if row[11] is None else to_datetime(row[11]),
    )
