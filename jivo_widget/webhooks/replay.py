"""Replaying stored events: the stored row is the unit of replay.

A row keeps the raw body, so its handlers can run again at any time: after they failed, or
after the process running them died (the row is then still ``received``). The reply Jivo got is
not changed (it was sent long ago); the row's status, error and ``attempts`` are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jivo_widget.identity import UserTokens
from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks.decode import decode
from jivo_widget.webhooks.dispatch import run_handlers
from jivo_widget.webhooks.responses import OK
from jivo_widget.webhooks.router import Router
from jivo_widget.webhooks.store.base import EventStatus, EventStore, StoredEvent

__all__ = ["STUCK_AFTER", "ReplayResult", "Replayer", "warn_about_stuck_events"]

#: An event still ``received`` this long after it arrived was left by a process that died
#: while its handlers ran.
STUCK_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The outcome of replaying one stored event."""

    event_id: int
    event_name: str | None
    status: EventStatus | None
    error: str | None

    @property
    def ok(self) -> bool:
        """The handlers all succeeded this time."""
        return self.status is EventStatus.PROCESSED


class Replayer:
    """Runs the handlers ``router`` has for events stored in ``store`` again, one by one;
    ``identity`` checks each event's ``user_token`` again, with the secrets in force now."""

    def __init__(
        self,
        store: EventStore,
        router: Router,
        handler_timeout: float,
        identity: UserTokens | None = None,
    ) -> None:
        self.store = store
        self.router = router
        self.handler_timeout = handler_timeout
        self.identity = identity

    async def replay(self, event_id: int) -> ReplayResult:
        """Replay one event by id. Raises :class:`KeyError` for an unknown id."""
        stored = self.store.get(event_id)
        if stored is None:
            raise KeyError(f"no stored event with id {event_id}")
        return await self.replay_stored(stored)

    async def replay_stored(self, stored: StoredEvent) -> ReplayResult:
        """Run the handlers of ``stored`` again and record the outcome (``attempts`` + 1).

        A ``malformed`` body cannot be replayed; an ``invalid`` one is validated again (a newer
        model may accept it) and stays invalid, with the new message, if it still fails.
        """
        decoded = decode(stored.body)
        if decoded.status is EventStatus.MALFORMED:
            refusal = f"cannot replay a malformed body: {decoded.error}"
            return ReplayResult(stored.id, stored.event_name, None, refusal)
        if decoded.event is None:
            self.store.finish(
                stored.id, status=EventStatus.INVALID, error=decoded.error, response=stored.response
            )
            return ReplayResult(stored.id, stored.event_name, EventStatus.INVALID, decoded.error)
        event = decoded.event
        registrations = self.router.handlers_for(event.event_name)
        errors = await run_handlers(
            event, registrations, stored.id, self.handler_timeout, self.identity
        )
        status = EventStatus.FAILED if errors else EventStatus.PROCESSED
        error = "\n\n".join(errors) or None
        self.store.finish(stored.id, status=status, error=error, response=stored.response or OK)
        return ReplayResult(stored.id, event.event_name, status, error)

    async def replay_failed(self, *, limit: int | None = None) -> list[ReplayResult]:
        """Replay every ``failed`` event, oldest first."""
        events = self.store.list(status=EventStatus.FAILED, limit=limit, newest_first=False)
        return [await self.replay_stored(stored) for stored in events]

    async def replay_stuck(
        self, older_than: timedelta = STUCK_AFTER, *, limit: int | None = None
    ) -> list[ReplayResult]:
        """Replay events still ``received`` after ``older_than``: their process died mid-way.

        Queued events (``next_attempt_at`` set) are the worker's, not stuck: a replay would run
        them beside it (a dead worker's claim runs out and the next worker takes them)."""
        events = self.store.list(
            status=EventStatus.RECEIVED,
            until=datetime.now(UTC) - older_than,
            limit=None,
            newest_first=False,
        )
        stuck = [stored for stored in events if stored.next_attempt_at is None][:limit]
        return [await self.replay_stored(stored) for stored in stuck]


def warn_about_stuck_events(store: EventStore, older_than: timedelta = STUCK_AFTER) -> int:
    """Log a WARNING (a count, no personal data) when events are still ``received`` after
    ``older_than``; how many. Raises :class:`~jivo_widget.errors.StoreUnavailable`."""
    count = store.count(status=EventStatus.RECEIVED, until=datetime.now(UTC) - older_than)
    if count:
        logger.warning(
            "%d event(s) still 'received' after %s: a process died while their handlers ran; "
            "replay them with `jivo-widget events replay --stuck --app MODULE:ATTR`",
            count,
            older_than,
        )
    return count
