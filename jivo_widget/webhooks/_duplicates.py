"""The answer a duplicate delivery gets: the first copy's.

Jivo retries a delivery it thinks failed, and proxies may send one twice: a body whose dedupe key
is already stored (within the receiver's ``dedupe_window``) is not handled again. The copy gets
the reply of the first one: from the first copy itself while it is being handled in this
receiver (:attr:`Duplicates.inflight`), else from the stored row, waiting a little when another
receiver sharing the store is still shaping the first copy's response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from jivo_widget.webhooks.contract import Reply, status_code
from jivo_widget.webhooks.events import RESPONSE_EVENTS
from jivo_widget.webhooks.responses import OK
from jivo_widget.webhooks.store.base import EventStatus, EventStore, StoredEvent

__all__ = ["Duplicates"]

#: How often a duplicate of an event another receiver is answering looks for its response.
_FIRST_RESPONSE_POLL = 0.025


class Duplicates:
    """The deliveries a receiver is handling now, and the answers their duplicates get.

    ``store``: the receiver's store (a function: the receiver opens it on first use).
    """

    def __init__(self, store: Callable[[], EventStore]) -> None:
        self._store = store
        #: Deliveries being handled now, by dedupe key: the first copy's id and reply.
        self.inflight: dict[str, tuple[int, asyncio.Future[Reply]]] = {}

    async def answer(self, key: str, response_deadline: float) -> tuple[int | None, Reply]:
        """The first copy's id (``None`` when it is gone) and the reply for a duplicate of it.

        Raises :class:`~jivo_widget.webhooks.store.base.StoreUnavailable` when the store
        cannot be read.
        """
        inflight = self.inflight.get(key)
        if inflight is not None:  # the first copy committed in the same batch is running
            first_id, first_reply = inflight
            reply = await asyncio.shield(first_reply)
            return first_id, reply.duplicate_of(first_id)
        first = self._store().get_by_dedupe_key(key)
        if first is None:  # purged between the insert and this read: nothing to repeat
            return None, Reply.ok()
        if first.response is None and first.event_name in RESPONSE_EVENTS:
            first = await self._first_response(key, first, response_deadline)
        # A row still "received" has no stored reply yet (its handlers run in another process,
        # or the process died): the safe answer, and no second dispatch.
        body = first.response if first.response is not None else OK
        return first.id, Reply(status_code(first.status), body).duplicate_of(first.id)

    async def _first_response(
        self, key: str, first: StoredEvent, response_deadline: float
    ) -> StoredEvent:
        """The first copy's row once its response is stored: another receiver (process,
        host) sharing the store got the first copy and its handler is still shaping the
        answer (committed before it is sent). Polled until the first copy's
        ``response_deadline`` is over; after that (its process died) the row as it is."""
        deadline = first.received_at + timedelta(seconds=response_deadline + 0.5)
        while first.response is None and first.status is EventStatus.RECEIVED:
            if datetime.now(UTC) >= deadline:
                break
            await asyncio.sleep(_FIRST_RESPONSE_POLL)
            again = self._store().get_by_dedupe_key(key)
            if again is None:
                break
            first = again
        return first
