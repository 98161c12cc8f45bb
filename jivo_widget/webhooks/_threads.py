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

import asyncio
import contextlib
import os
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

__all__ = ["commit_threads", "handler_threads", "handoff_threads", "run_on_threads"]


class _DaemonThreads(Executor):
    """A bounded pool of daemon threads: they start as work arrives, up to ``max_workers``,
    and then wait for more."""

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one token per thread waiting for work
        self._lock = threading.Lock()
        self._started = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a handler thread; its future."""
        if kwargs:
            raise TypeError("handler threads take positional arguments only")
        future: Future[Any] = Future()
        self._submit((future, fn, args))
        return future

    def submit_to_loop(
        self, loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        """Run ``fn(*args)`` on a thread; an asyncio future of ``loop`` for its outcome.

        Cheaper than ``loop.run_in_executor``: no ``concurrent.futures.Future`` chained to the
        asyncio one, and the outcomes that finish while the loop is busy reach it together,
        with one wake-up (:class:`_Inbox`) instead of one each.
        """
        future: asyncio.Future[Any] = loop.create_future()
        self._submit(_LoopCall(_inbox(loop), future, fn, args))
        return future

    def _submit(self, work: Any) -> None:
        self._work.put(work)
        if not self._idle.acquire(blocking=False):  # no thread waiting: start one if allowed
            with self._lock:
                if self._started < self._max_workers:
                    self._started += 1
                    name = f"jivo-handler-{self._started}"
                    threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        while True:
            work = self._work.get()
            if isinstance(work, _LoopCall):
                work.run()
            else:
                future, fn, args = work
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args)
                    except BaseException as exc:  # even SystemExit in a handler stays in its future
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
                del future, fn, args
            del work  # drop the event and its result before waiting again
            self._idle.release()


class _Inbox:
    """The outcomes of thread calls for one event loop, handed over in batches: the first one
    that arrives while none is pending schedules one callback, which settles all that arrived
    by the time it runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._outcomes: list[tuple[asyncio.Future[Any], BaseException | None, Any]] = []

    def put(self, future: asyncio.Future[Any], error: BaseException | None, value: Any) -> None:
        with self._lock:
            self._outcomes.append((future, error, value))
            if len(self._outcomes) > 1:
                return  # the callback is scheduled and has not run yet: it takes this one too
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        with self._lock:
            outcomes, self._outcomes = self._outcomes, []
        for future, error, value in outcomes:
            if future.done():  # cancelled: its handler missed the deadline
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)


#: Each event loop's inbox, forgotten with the loop.
_inboxes: weakref.WeakKeyDictionary[Any, _Inbox] = weakref.WeakKeyDictionary()


def _inbox(loop: asyncio.AbstractEventLoop) -> _Inbox:
    inbox = _inboxes.get(loop)
    if inbox is None:  # only the loop's own thread gets here first for its loop
        inbox = _inboxes[loop] = _Inbox(loop)
    return inbox


class _LoopCall:
    """One :meth:`_DaemonThreads.submit_to_loop` call, run on a thread."""

    __slots__ = ("args", "fn", "future", "inbox")

    def __init__(
        self,
        inbox: _Inbox,
        future: asyncio.Future[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        self.inbox, self.future, self.fn, self.args = inbox, future, fn, args

    def run(self) -> None:
        if self.future.cancelled():  # read without the loop: at worst we run a cancelled call
            return
        try:
            value = self.fn(*self.args)
        except BaseException as exc:  # even SystemExit in a handler stays in its future
            self.inbox.put(self.future, exc, None)
        else:
            self.inbox.put(self.future, None, value)


_pool: _DaemonThreads | None = None
_pool_lock = threading.Lock()


def _handler_pool() -> _DaemonThreads:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _DaemonThreads(min(32, (os.cpu_count() or 1) + 4))
        return _pool


def handler_threads() -> Executor:
    """The process's handler threads (shared by every receiver and loop), made on first use."""
    return _handler_pool()


def run_on_threads(fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """Run ``fn(*args)`` on a handler thread; a future of the running loop for its outcome
    (see :meth:`_DaemonThreads.submit_to_loop`)."""
    return _handler_pool().submit_to_loop(asyncio.get_running_loop(), fn, *args)


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


def _forget_after_fork() -> None:
    """In a forked child (``serve --workers``, a Celery prefork pool): the parent's threads did
    not come along, so its pools, which count them as started, must not be used; new ones are
    made on first use."""
    global _pool, _commit_pool, _handoff_pool, _pool_lock
    _pool = _commit_pool = _handoff_pool = None
    _pool_lock = threading.Lock()  # the parent may have held it while forking
    _inboxes.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
