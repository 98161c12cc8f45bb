"""The in-process worker: handlers of queued events run off the request path.

With ``WebhookApp(processing="worker")`` the receiver stores an event whose answer Jivo ignores
(everything but ``chat_accepted`` / ``chat_updated``) as *queued* (``next_attempt_at`` set) and
answers 200 at once; a :class:`QueueWorker` running beside the server (started and stopped
with the ASGI app's lifespan) then claims due events from the store
(:meth:`~jivo_widget.webhooks.store.base.EventStore.claim_due`), runs their handlers, and
records the run:

* every handler succeeded → ``processed``;
* a handler failed and attempts are left → ``failed`` with the error, due again after the
  :class:`RetryPolicy`'s backoff (exponential, with jitter so that many events failing together
  do not come back together);
* the last attempt failed → ``dead`` with the error; the observer's ``dead`` hook counts it and
  ``events list`` shows it (``events replay`` can still run it).

Several receivers may share one store: the claim is atomic and leased, so an event runs once at
a time; a worker that dies mid-run leaves its claim to expire, and the event is due again then.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from jivo_widget.errors import JivoConfigError
from jivo_widget.identity import UserTokens
from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks.decode import decode
from jivo_widget.webhooks.dispatch import run_handlers
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.router import Router
from jivo_widget.webhooks.store.base import Claim, EventStatus, EventStore

__all__ = ["PROCESSING_MODES", "Processing", "QueueWorker", "RetryPolicy"]

#: How an app runs the handlers of events whose answer Jivo ignores: ``"inline"`` right after
#: the event is stored (the default), ``"worker"`` queued for the in-process :class:`QueueWorker`.
Processing = Literal["inline", "worker"]
PROCESSING_MODES: tuple[Processing, ...] = ("inline", "worker")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and when a failing queued event is tried again.

    ``max_attempts``: runs in all (the first included) before the event is ``dead``.
    The wait before attempt *n* + 1 is ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds,
    less a random share of up to ``jitter`` of it (``jitter=0.5``: between half and all of it).
    ``poll_interval``: how long an idle worker waits before looking for due events again
    (a delivery it queued wakes it at once). ``batch``: events claimed at a time.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    jitter: float = 0.5
    poll_interval: float = 1.0
    batch: int = 16

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise JivoConfigError(f"max_attempts {self.max_attempts}: must be at least 1")
        if self.base_delay <= 0 or self.max_delay < self.base_delay:
            raise JivoConfigError(
                f"base_delay {self.base_delay:g}, max_delay {self.max_delay:g}: need "
                "0 < base_delay <= max_delay (seconds)"
            )
        if not 0 <= self.jitter <= 1:
            raise JivoConfigError(f"jitter {self.jitter:g}: must be between 0 and 1")
        if self.poll_interval <= 0:
            raise JivoConfigError(f"poll_interval {self.poll_interval:g}: must be positive")
        if self.batch < 1:
            raise JivoConfigError(f"batch {self.batch}: must be at least 1")

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``attempts`` failed runs; ``rand()`` in [0, 1) is the jitter."""
        full = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempts - 1))
        return full * (1.0 - self.jitter * rand())


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class QueueWorker:
    """Claims due queued events from the store and runs their handlers (module docstring).

    ``store``: opens (or returns) the store. ``clock`` and ``rand`` are injectable so tests
    need not sleep through backoffs.
    """

    store: Callable[[], EventStore]
    router: Router
    handler_timeout: float
    observer: Observer
    identity: UserTokens | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], datetime] = _utcnow
    rand: Callable[[], float] = random.random
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _wake: asyncio.Event | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)

    @property
    def lease(self) -> timedelta:
        """How long a claim is held: the handlers' timeout and a margin for the store."""
        return timedelta(seconds=self.handler_timeout * 2 + 5)

    async def run_due(self) -> int:
        """Claim the events due now (one batch) and run each; how many were claimed."""
        store = self.store()
        claims = await asyncio.to_thread(
            store.claim_due, limit=self.policy.batch, lease=self.lease, now=self.clock()
        )
        for claim in claims:
            await self._run(store, claim)
        return len(claims)

    async def _run(self, store: EventStore, claim: Claim) -> None:
        stored = claim.event
        started = time.perf_counter()
        name = stored.event_name or ""
        decoded = decode(stored.body)
        if decoded.event is None:  # a queued row is a valid event; a newer model may refuse it
            errors = [f"cannot be typed any more: {decoded.error}"]
        else:
            registrations = self.router.handlers_for(decoded.event.event_name)
            errors = await run_handlers(
                decoded.event, registrations, stored.id, self.handler_timeout, self.identity
            )
        self.observer.handled(name, time.perf_counter() - started, failed=bool(errors))
        if not errors:
            status = EventStatus.PROCESSED
            kept = await asyncio.to_thread(store.mark_processed, claim)
        else:
            error = "\n\n".join(errors)
            if stored.attempts >= self.policy.max_attempts:
                status = EventStatus.DEAD
                kept = await asyncio.to_thread(store.mark_dead, claim, error=error)
                if kept:
                    self.observer.dead(name)
                    logger.error(
                        "event %d (%s) is dead after %d attempts; `jivo-widget events replay "
                        "%d` runs it again", stored.id, name, stored.attempts, stored.id,
                    )  # fmt: skip
            else:
                status = EventStatus.FAILED
                wait = self.policy.delay(stored.attempts, self.rand)
                at = self.clock() + timedelta(seconds=wait)
                kept = await asyncio.to_thread(store.schedule_retry, claim, error=error, at=at)
                if kept:
                    logger.warning(
                        "event %d (%s) failed attempt %d of %d; retrying in %.1f s",
                        stored.id, name, stored.attempts, self.policy.max_attempts, wait,
                    )  # fmt: skip
        if not kept:
            logger.warning(
                "event %d (%s): its claim ran out before the run ended; another run owns it",
                stored.id, name,
            )  # fmt: skip
        self.observer.finished(stored.id, name, status.value, time.perf_counter() - started)

    def wake(self) -> None:
        """A delivery was queued: look for due events now rather than at the next poll.

        Safe from any thread or loop (a WSGI app's deliveries run on a loop of their own)."""
        task, wake = self._task, self._wake
        if task is None or wake is None:
            return
        loop = task.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the worker runs on, while it runs."""
        return self._task.get_loop() if self.running and self._task is not None else None

    @property
    def running(self) -> bool:
        """Whether the worker's task is alive on a running loop."""
        task = self._task
        return task is not None and not task.done() and task.get_loop().is_running()

    def start(self) -> None:
        """Start the worker as a task on the running loop: the server's, at startup (the ASGI
        app's lifespan), or the loop of the first delivery it queues (WSGI servers, an app
        mounted where its lifespan does not run). Does nothing while it runs."""
        if self.running:
            return
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="jivo-worker")

    async def stop(self, timeout: float | None = None) -> None:
        """Let the current run end (at most ``timeout``), then stop; its claim expires if
        cut short."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            logger.warning("stopping the worker mid-run; its event is due again after the lease")

    async def _loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            self._wake.clear()  # before claiming: a delivery queued meanwhile wakes the next wait
            try:
                claimed = await self.run_due()
            except Exception:  # the store down or a bug: log it and keep polling
                logger.exception("the webhook worker could not process queued events")
                claimed = 0
            if claimed or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):  # no delivery meanwhile: poll again
                await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)
