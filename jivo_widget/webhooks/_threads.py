"""The threads sync handlers run on: a small pool of *daemon* threads shared by the process.

Not the event loop's default executor: a ``ThreadPoolExecutor``'s threads are joined when the
loop shuts down and again at interpreter exit, so one handler blocked forever (the dispatcher
stops waiting at its deadline, but a thread cannot be stopped) kept ``events replay`` and a
stopping server from ever exiting. The standard library has no daemon pool, hence this module.

There are few threads (``min(32, cpus + 4)``, the size of asyncio's default executor), so
handlers that hang keep later sync handlers waiting: those then fail by timeout too, and stay
replayable. Give blocking calls their own timeouts.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

__all__ = ["commit_threads", "handler_threads", "handoff_threads"]


class _DaemonThreads(Executor):
    """A bounded pool of daemon threads: they start as work arrives, up to ``max_workers``,
    and then wait for more."""

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._work = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one token per thread waiting for work
        self._lock = threading.Lock()
        self._started = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a handler thread; its future."""
        if kwargs:
            raise TypeError("handler threads take positional arguments only")
        future: Future[Any] = Future()
        self._work.put((future, fn, args))
        if not self._idle.acquire(blocking=False):  # no thread waiting: start one if allowed
            with self._lock:
                if self._started < self._max_workers:
                    self._started += 1
                    name = f"jivo-handler-{self._started}"
                    threading.Thread(target=self._serve, name=name, daemon=True).start()
        return future

    def _serve(self) -> None:
        while True:
            future, fn, args = self._work.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as exc:  # even SystemExit in a handler stays in its future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args  # drop the event and its result before waiting again
            self._idle.release()


_pool: _DaemonThreads | None = None
_pool_lock = threading.Lock()


def handler_threads() -> Executor:
    """The process's handler threads (shared by every receiver and loop), made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _DaemonThreads(min(32, (os.cpu_count() or 1) + 4))
        return _pool


_commit_pool: _DaemonThreads | None = None


def commit_threads() -> Executor:
    """The threads a server store's commits run on (see :mod:`._batch`): apart from the
    handlers', so a hung handler never holds up a commit; one per event loop at most."""
    global _commit_pool
    with _pool_lock:
        if _commit_pool is None:
            _commit_pool = _DaemonThreads(4)
        return _commit_pool


_handoff_pool: _DaemonThreads | None = None


def handoff_threads() -> Executor:
    """The thread that hands queued events to a task queue (``processing="celery"``): one, so
    events are handed over in the order they were committed, and a broker that hangs holds up
    neither the loop, nor a commit, nor a handler."""
    global _handoff_pool
    with _pool_lock:
        if _handoff_pool is None:
            _handoff_pool = _DaemonThreads(1)
        return _handoff_pool
