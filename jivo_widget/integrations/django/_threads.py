"""The threads the Django store runs its queries on, each with its own database connection.

Why threads of its own (see also :mod:`.store`): Django refuses the ORM in a thread running an
event loop (the receiver's); a caller inside ``transaction.atomic`` (a view under
``ATOMIC_REQUESTS``) must not hold the store's commit back until its own; ``asyncio.to_thread``
would leave a new connection behind per call, where these threads keep theirs open between calls
and close them when the store closes.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from django.db import connections

from jivo_widget.errors import StoreUnavailable

__all__ = ["ConnectionThreads"]

_T = TypeVar("_T")


class ConnectionThreads:
    """The daemon threads a store runs its queries on.

    Up to ``size`` threads start as calls arrive; each keeps its own Django connection to
    ``alias`` and closes it when the store closes. Daemon threads: a query that hangs never
    keeps the process from exiting. After a ``fork`` the child starts threads of its own.
    """

    def __init__(self, alias: str, size: int) -> None:
        self._alias = alias
        self._size = size
        self._lock = threading.Lock()
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None]
        self._work = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one token per thread waiting for work
        self._threads: list[threading.Thread] = []

    def run(self, call: Callable[[], _T]) -> _T:
        """``call()`` on one of the threads; its result (or its exception) once it returns."""
        if threading.current_thread() in self._threads:
            return call()  # already on one of ours (a call made by a call)
        future: Future[_T] = Future()
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            if self._pid != os.getpid():
                self._reset()  # forked: the parent's threads do not exist here
            self._work.put((future, call))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve,
                    name=f"jivo-django-store-{len(self._threads) + 1}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
        return future.result()

    def _serve(self) -> None:
        try:
            while (item := self._work.get()) is not None:
                future, call = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(call())
                    except BaseException as exc:
                        future.set_exception(exc)
                del item, future, call
                self._idle.release()
        finally:
            connections[self._alias].close()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the threads once their current call returns; each closes its connection."""
        with self._lock:
            self._closed = True
            threads = self._threads if self._pid == os.getpid() else []
            for _ in threads:
                self._work.put(None)
        for thread in threads:
            thread.join(timeout)
