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

With a task queue (``processing="celery"``, :mod:`jivo_widget.webhooks.celery`) the worker runs
no handlers in the server process: it hands each queued event's id to the queue (``handoff``,
on a thread of its own, after the event is committed), and its loop is the *sweep*: an event
still due :attr:`RetryPolicy.lost_after` seconds after it fell due (its task was lost, or the
broker was down when it arrived) is handed over again, each one less often the longer it stays
due. The queue's task runs :meth:`QueueWorker.run_one` with the id: the same claim, handlers,
retries and dead state as here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from jivo_widget.errors import JivoConfigError
from jivo_widget.identity import UserTokens
from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks._threads import handoff_threads
from jivo_widget.webhooks.decode import decode
from jivo_widget.webhooks.dispatch import run_handlers
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.router import Router
from jivo_widget.webhooks.store.base import Claim, EventStatus, EventStore

__all__ = ["PROCESSING_MODES", "Handoff", "Processing", "QueueWorker", "RetryPolicy", "RunResult"]

#: How an app runs the handlers of events whose answer Jivo ignores: ``"inline"`` right after
#: the event is stored (the default), ``"worker"`` queued for the in-process :class:`QueueWorker`,
#: ``"celery"`` queued and handed to a Celery task (:mod:`jivo_widget.webhooks.celery`).
Processing = Literal["inline", "worker", "celery"]
PROCESSING_MODES: tuple[Processing, ...] = ("inline", "worker", "celery")

#: Hands a queued event's id to a task queue, to run when due (``None``: now); raises when it
#: cannot (the broker is down).
Handoff = Callable[[int, "datetime | None"], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and when a failing queued event is tried again.

    ``max_attempts``: runs in all (the first included) before the event is ``dead``.
    The wait before attempt *n* + 1 is ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds,
    less a random share of up to ``jitter`` of it (``jitter=0.5``: between half and all of it).
    ``poll_interval``: how long an idle worker waits before looking for due events again
    (a delivery it queued wakes it at once). ``batch``: events claimed at a time.
    ``lost_after``: with a task queue, how long an event may stay due after it fell due before
    the sweep hands it to the queue again (its task was lost, or the broker was down); longer
    than the queue's usual wait, or events waiting their turn are handed over twice (harmless:
    the second task finds the event claimed or done, and does nothing).
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    jitter: float = 0.5
    poll_interval: float = 1.0
    batch: int = 16
    lost_after: float = 30.0

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
        if self.lost_after <= 0:
            raise JivoConfigError(f"lost_after {self.lost_after:g}: must be positive")

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``attempts`` failed runs; ``rand()`` in [0, 1) is the jitter."""
        full = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempts - 1))
        return full * (1.0 - self.jitter * rand())


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one claimed run ended: the status recorded, when the retry is due (``failed``
    only), and whether the claim still held when it was recorded (else nothing changed)."""

    status: EventStatus
    retry_at: datetime | None
    kept: bool


@dataclass(eq=False)
class QueueWorker:
    """Claims due queued events from the store and runs their handlers (module docstring).

    ``store``: opens (or returns) the store. ``clock`` and ``rand`` are injectable so tests
    need not sleep through backoffs. ``handoff``: a task queue's hand-off (``None``: the
    handlers run here); see the module docstring.
    """

    store: Callable[[], EventStore]
    router: Router
    handler_timeout: float
    observer: Observer
    identity: UserTokens | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], datetime] = _utcnow
    rand: Callable[[], float] = random.random
    handoff: Handoff | None = None
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _wake: asyncio.Event | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)
    #: Sweep: event id -> (when it may be handed over again, the wait after that).
    _handed: dict[int, tuple[datetime, float]] = field(default_factory=dict, init=False)
    _handoff_failing: bool = field(default=False, init=False)

    @property
    def lease(self) -> timedelta:
        """How long a claim is held: the handlers' timeout and a margin for the store."""
        return timedelta(seconds=self.handler_timeout * 2 + 5)

    async def run_due(self) -> int:
        """Claim the events due now (one batch) and run them side by side (a handler waiting
        on a slow CRM holds up only its own event); how many were claimed."""
        store = self.store()
        claims = await asyncio.to_thread(
            store.claim_due, limit=self.policy.batch, lease=self.lease, now=self.clock()
        )
        runs = await asyncio.gather(
            *(self.run_claim(store, claim) for claim in claims), return_exceptions=True
        )
        for claim, run in zip(claims, runs, strict=True):
            if isinstance(run, Exception):  # the store went away while recording it, or a bug
                logger.error(
                    "the webhook worker could not record the run of event %d; it is due again "
                    "when its claim runs out", claim.event.id, exc_info=run,
                )  # fmt: skip
            elif isinstance(run, BaseException):
                raise run  # cancelled: the worker is stopping
        return len(claims)

    async def run_one(self, event_id: int) -> RunResult | None:
        """Claim event ``event_id`` if it is queued and due, and run it; ``None`` (nothing
        done) when it is not: already processed or dead, held by another run, or its retry not
        due yet. What a task queue's task runs: a task delivered twice runs the handlers once."""
        store = self.store()
        claim = await asyncio.to_thread(store.claim, event_id, lease=self.lease, now=self.clock())
        return None if claim is None else await self.run_claim(store, claim)

    async def run_claim(self, store: EventStore, claim: Claim) -> RunResult:
        """Run a claimed event's handlers and record the run (see the module docstring)."""
        stored = claim.event
        started = time.perf_counter()
        name = stored.event_name or ""
        retry_at = None
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
                retry_at = self.clock() + timedelta(seconds=wait)
                kept = await asyncio.to_thread(
                    store.schedule_retry, claim, error=error, at=retry_at
                )
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
        return RunResult(status, retry_at, kept)

    # -- a task queue's hand-off ---------------------------------------------------------------

    @property
    def mode(self) -> Processing:
        """``"celery"`` when events go to a task queue, else ``"worker"``."""
        return "worker" if self.handoff is None else "celery"

    def queued(self, event_id: int) -> None:
        """Event ``event_id`` was committed queued: hand it to the task queue (on a thread of
        its own: the broker may be slow or down), or wake the worker to run it here."""
        if self.handoff is None:
            self.wake()
        else:
            handoff_threads().submit(self.hand_off, event_id)

    def hand_off(self, event_id: int, due: datetime | None = None) -> bool:
        """Hand ``event_id`` to the task queue (blocking); whether the queue took it. When it
        does not, the event stays queued in the store and a sweep hands it over again: the
        first failure after a success is a WARNING, the rest DEBUG (one line per outage)."""
        assert self.handoff is not None
        try:
            self.handoff(event_id, due)
        except Exception as exc:
            level = logging.DEBUG if self._handoff_failing else logging.WARNING
            self._handoff_failing = True
            logger.log(
                level,
                "cannot hand event %d to the task queue (%s: %s); it stays queued in the store "
                "and a sweep hands it over again",
                event_id, type(exc).__name__, exc,
            )  # fmt: skip
            return False
        if self._handoff_failing:
            self._handoff_failing = False
            logger.warning("the task queue takes events again (event %d)", event_id)
        return True

    async def sweep(self) -> int:
        """Hand over again the events still due :attr:`RetryPolicy.lost_after` after they fell
        due (one batch); how many were handed over. One the queue does not take stops the
        sweep (the broker is down); one handed over waits twice as long before the next time."""
        store = self.store()
        now = self.clock()
        lost_after = self.policy.lost_after
        due = await asyncio.to_thread(
            store.due, limit=self.policy.batch, now=now - timedelta(seconds=lost_after)
        )
        self._handed = {i: self._handed[i] for i in due if i in self._handed}  # settled: forget
        loop = asyncio.get_running_loop()
        handed = 0
        for event_id in due:
            again_at, wait = self._handed.get(event_id, (now, lost_after))
            if again_at > now:
                continue
            if not await loop.run_in_executor(handoff_threads(), self.hand_off, event_id):
                break
            self._handed[event_id] = (now + timedelta(seconds=wait), min(wait * 2, 3600.0))
            handed += 1
        if handed:
            logger.info("the sweep handed %d queued events to the task queue again", handed)
        return handed

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
                if self.handoff is None:
                    claimed = await self.run_due()
                else:  # the sweep: at its own pace, never in a busy loop
                    await self.sweep()
                    claimed = 0
            except Exception:  # the store down or a bug: log it and keep polling
                logger.exception("the webhook worker could not process queued events")
                claimed = 0
            if claimed or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):  # no delivery meanwhile: poll again
                await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)
