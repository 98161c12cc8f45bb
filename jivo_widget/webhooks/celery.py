"""Handlers off the request path on Celery: ``WebhookApp(processing="celery", celery_app=app)``.

For sites that already run Celery (the ``celery`` extra). The receiver stores an event whose
answer Jivo ignores (everything but ``chat_accepted`` / ``chat_updated``, whose handlers stay
inline: their answer is the response) as queued, answers 200, and then hands the event's **id**
to Celery: the ``process`` task. Run in a Celery worker, the task claims the event in the store
by its id (:meth:`~jivo_widget.webhooks.store.base.EventStore.claim`), runs its handlers and
records the run through the same claim API the in-process worker uses
(:class:`~jivo_widget.webhooks.worker.QueueWorker`): ``processed``; ``failed`` and retried after
the :class:`~jivo_widget.webhooks.worker.RetryPolicy`'s backoff with jitter (a new task, due
then); ``dead`` after ``max_attempts``, visible in ``jivo-widget events list``.

Idempotent by event id: the claim is atomic, so a task delivered twice (``acks_late``: a worker
that died mid-task gets it delivered again), or one for an event already processed, runs the
handlers once. Nothing is lost when Celery loses a task or the broker is down when an event
arrives: the event stays queued in the store, and a *sweep* hands it to Celery again once it
has been due for ``RetryPolicy.lost_after`` seconds — the receiver's own (with the ASGI app's
lifespan, or from the first delivery under WSGI) and the ``sweep`` task, for Celery beat::

    from celery import Celery
    from jivo_widget.webhooks import WebhookApp

    celery_app = Celery("shop", broker="redis://127.0.0.1:6379/0")
    hooks = WebhookApp(secret=..., store="postgresql://...", processing="celery",
                       celery_app=celery_app)
    celery_app.conf.beat_schedule = hooks.celery.beat_schedule(every=60)

    @hooks.on("chat_finished")
    def archive(event): ...

The Celery worker (``celery -A shop.hooks worker``) imports the module that builds ``hooks``:
building the app registers its tasks, so the worker runs the handlers of that app, over its
store. Each worker process opens the store on first use. Only this module imports Celery, and
only an app built with ``processing="celery"`` imports it.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks._loop import BackgroundLoop
from jivo_widget.webhooks.worker import QueueWorker

__all__ = ["TASK_PREFIX", "CeleryTasks", "register_tasks"]

#: The tasks' names: ``jivo_widget.webhooks.process`` and ``jivo_widget.webhooks.sweep``.
TASK_PREFIX = "jivo_widget.webhooks"
#: Events a sweep task hands over at most (the next run takes the rest).
SWEEP_LIMIT = 1000
#: A hand-off retries a failed publish this often, quickly, then gives up (the sweep is the
#: slow path): the receiver's hand-off thread must not wait long on a broker that is down.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@dataclass(frozen=True, eq=False)
class CeleryTasks:
    """The Celery tasks of one app (``hooks.celery``): ``process(event_id)`` runs one queued
    event, ``sweep()`` hands over again the events still due after ``lost_after``."""

    app: Any
    process: Any
    sweep: Any
    worker: QueueWorker

    def hand_off(self, event_id: int, due: datetime | None = None) -> None:
        """Publish ``process(event_id)``, to run at ``due`` (``None``: now). Raises what Celery
        raises when the broker does not take it."""
        self.process.apply_async((event_id,), eta=due, retry=True, retry_policy=_PUBLISH_RETRY)

    def beat_schedule(self, every: float = 60.0) -> dict[str, dict[str, Any]]:
        """A ``beat_schedule`` entry that runs the sweep every ``every`` seconds:
        ``celery_app.conf.beat_schedule = hooks.celery.beat_schedule()``."""
        return {"jivo-webhooks-sweep": {"task": self.sweep.name, "schedule": every}}


class _PerProcess:
    """The event loop the handlers run on in a Celery worker: one per process (a prefork
    child must not inherit its parent's, whose thread did not survive the fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: dict[int, BackgroundLoop] = {}

    def loop(self) -> BackgroundLoop:
        with self._lock:
            pid = os.getpid()
            if pid not in self._loops:
                self._loops = {pid: BackgroundLoop("jivo-celery")}
            return self._loops[pid]


_LOOPS = _PerProcess()
#: The tasks registered on each Celery app, by prefix: registering twice (an app's
#: ``configured`` copies) returns the first registration.
_REGISTERED: weakref.WeakKeyDictionary[Any, dict[str, CeleryTasks]] = weakref.WeakKeyDictionary()
_REGISTERED_LOCK = threading.Lock()


def register_tasks(celery_app: Any, worker: QueueWorker, prefix: str = TASK_PREFIX) -> CeleryTasks:
    """Register ``process`` and ``sweep`` on ``celery_app`` for the app ``worker`` belongs to,
    and make ``worker`` hand its queued events to them. ``WebhookApp(processing="celery",
    celery_app=…)`` calls it.

    A second registration under the same ``prefix`` (a ``configured`` copy of the app) reuses
    the first one's tasks: a Celery worker runs the tasks of the app its module builds.
    """
    with _REGISTERED_LOCK:
        known = _REGISTERED.setdefault(celery_app, {})
        tasks = known.get(prefix)
        if tasks is None:
            tasks = known[prefix] = _register(celery_app, worker, prefix)
    worker.handoff = tasks.hand_off
    return tasks


def _register(celery_app: Any, worker: QueueWorker, prefix: str) -> CeleryTasks:
    def process(event_id: int) -> str:
        """Run queued webhook event ``event_id`` if it is due (nothing when it is not)."""
        result = _LOOPS.loop().run(worker.run_one(event_id))
        if result is None:
            return "not due"  # done, dead, held by another run, or its retry not due yet
        if result.retry_at is not None and result.kept:
            try:
                tasks.hand_off(event_id, result.retry_at)
            except Exception as exc:  # the broker went away: the sweep takes it then
                logger.warning(
                    "event %d: cannot schedule its retry with Celery (%s); the sweep hands it "
                    "over once due",
                    event_id, type(exc).__name__,
                )  # fmt: skip
        return result.status.value

    def sweep(limit: int = SWEEP_LIMIT) -> int:
        """Hand over again the queued webhook events still due ``lost_after`` after they fell
        due; how many."""
        store = worker.store()
        since = datetime.now(UTC) - timedelta(seconds=worker.policy.lost_after)
        handed = 0
        for event_id in store.due(limit=limit, now=since):
            tasks.hand_off(event_id)
            handed += 1
        if handed:
            logger.info("the sweep task handed %d queued events to Celery again", handed)
        return handed

    options = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
    tasks = CeleryTasks(
        app=celery_app,
        process=celery_app.task(name=f"{prefix}.process", shared=False, **options)(process),
        sweep=celery_app.task(name=f"{prefix}.sweep", shared=False, **options)(sweep),
        worker=worker,
    )
    return tasks
