"""What the receiver stores of a delivery: its row, and, after an unexpected error, its body.

A body the receiver could have kept must never be lost: :func:`keep_after_error` stores it
typed again (:func:`~jivo_widget.webhooks.decode.decode_after_error`) when the pipeline itself
failed, and chooses the answer by what it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks.contract import Reply, status_code
from jivo_widget.webhooks.decode import Decoded, decode_after_error
from jivo_widget.webhooks.store.base import EventStatus, EventStore, NewEvent, dedupe_key

__all__ = ["keep_after_error", "new_row"]


def new_row(
    received_at: datetime,
    remote_addr: str | None,
    body: bytes,
    key: str,
    decoded: Decoded,
    status: EventStatus,
    reply: Reply | None = None,
    *,
    dedupe_window: timedelta | None,
    queued: bool = False,
) -> NewEvent:
    """The row for ``body`` (dedupe key ``key``), ready for the store; ``reply``: the answer
    it gets, when that is final; ``queued``: for the worker (``processing="worker"``)."""
    since = None if dedupe_window is None else received_at - dedupe_window
    return NewEvent(
        received_at,
        remote_addr,
        body,
        key,
        decoded.event_name,
        decoded.chat_id,
        status,
        decoded.error,
        None if reply is None else reply.body,
        dedupe_since=since,
        next_attempt_at=received_at if queued else None,
    )


def keep_after_error(
    store: Callable[[], EventStore],
    body: bytes | None,
    remote_addr: str | None,
    exc: Exception,
    *,
    dedupe_window: timedelta | None,
) -> Reply:
    """After an unexpected error: keep the raw body if the store still takes it, and answer.

    A body we could have kept must never be lost, so it is stored (one direct insert,
    outside the group commit that may be what broke) and typed again here: ``failed``
    when it is a valid event (its handlers did not run; ``events replay --failed`` runs
    them) and 200, ``invalid`` and 422 when it breaks its model (or could not even be
    validated), ``malformed`` and 400 when it is not an event at all. Only when the store
    (``store()``, which may open it) refuses that insert too is the answer 503, so the sender
    retries. If the body was already stored (the error came after its insert), the kept row
    stands.
    """
    unavailable = Reply.unavailable("internal error in the webhook receiver, retry later")
    if body is None:
        return unavailable
    now = datetime.now(UTC)
    try:
        decoded = decode_after_error(body, exc)
    except Exception as second:  # a bug in the classification: keep the bare bytes
        logger.error(
            "cannot classify the body after the error either (%s): keeping it as invalid",
            type(second).__name__,
        )
        error = (
            f"internal error ({type(second).__name__}) in the webhook receiver while "
            "validating this body; replay the event"
        )
        decoded = Decoded(None, None, None, EventStatus.INVALID, error)
    status = decoded.status
    assert status is not None and decoded.error is not None
    # A valid event is kept "failed" and accepted; the others are refused as usual.
    failed = status is EventStatus.FAILED
    reply = Reply.ok() if failed else Reply.error(status_code(status), decoded.error)
    key = dedupe_key(body)
    try:
        store().add(
            new_row(
                now, remote_addr, body, key, decoded, status, reply, dedupe_window=dedupe_window
            )
        )
    except Exception as second:
        logger.error(
            "cannot keep the body after the error either (%s): answering 503",
            type(second).__name__,
        )
        return unavailable
    return reply
