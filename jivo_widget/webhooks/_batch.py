"""Group commit: the store writes that fall due in one event-loop iteration, in one transaction.

Under load many deliveries arrive in the same iteration of the loop; committing each on its own
would cost one WAL write (and lock round) per event. :class:`GroupCommit` queues them and runs
one :meth:`~jivo_widget.webhooks.store.EventStore.write_batch` right after every callback
already due has run, so they all join it; each caller still gets its answer only after the
commit. The store stays synchronous (see :mod:`jivo_widget.webhooks.store.base`).

A server store (``commits_block``: a commit is a network round trip, and with
``synchronous_commit=on`` a disk flush on the server) commits on a thread instead, one group at a
time per loop: while a group's commit is in flight the loop goes on reading requests, and what
falls due meanwhile forms the next group, committed as soon as the first returns. The slower
the commit, the larger the group — group commit where it pays.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from jivo_widget.webhooks._threads import commit_threads
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.store.base import EventOutcome, EventStore, NewEvent

__all__ = ["GroupCommit"]


@dataclass(slots=True)
class _Batch:
    """Writes that fell due in one event-loop iteration."""

    events: list[tuple[NewEvent, asyncio.Future[int | None]]] = field(default_factory=list)
    outcomes: list[tuple[EventOutcome, asyncio.Future[None]]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many writes the group holds (inserts and outcomes)."""
        return len(self.events) + len(self.outcomes)


class GroupCommit:
    """Commits inserts and outcomes to ``store`` in groups, one group per loop iteration.

    Safe for several event loops at once (a server's and the blocking adapters' private one):
    each loop has its own group.
    """

    def __init__(self, store: EventStore, observer: Observer | None = None) -> None:
        self.store = store
        #: Told how long each transaction took (the store's commit latency).
        self.observer = Observer() if observer is None else observer
        self._batches: dict[asyncio.AbstractEventLoop, _Batch] = {}
        self._off_loop = store.commits_block
        #: Loops with a group's commit in flight on a thread (``_off_loop`` stores only).
        self._in_flight: set[asyncio.AbstractEventLoop] = set()

    async def add(self, new: NewEvent) -> int | None:
        """Commit ``new`` with the group; its id, or ``None`` for a duplicate.

        Raises what the store raised (:class:`~jivo_widget.errors.StoreUnavailable`) for every
        member of a failed group.
        """
        committed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._batch().events.append((new, committed))
        return await committed

    async def record(self, outcome: EventOutcome) -> None:
        """Record a run's outcome (or a response sent early) with the group."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch().outcomes.append((outcome, committed))
        await committed

    def _batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        batch = self._batches.get(loop)
        if batch is None:
            batch = self._batches[loop] = _Batch()
            if not self._off_loop:
                # Runs after every callback already due: all of them join this transaction.
                loop.call_soon(self._commit, loop)
            elif loop not in self._in_flight:
                loop.call_soon(self._start_commit, loop)
            # else: _committed starts this group when the one in flight returns
        return batch

    def _commit(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._batches.pop(loop)
        started = time.perf_counter()
        try:
            ids = self.store.write_batch(
                [new for new, _ in batch.events], [outcome for outcome, _ in batch.outcomes]
            )
            self.observer.committed(time.perf_counter() - started, batch.size)
        except Exception as exc:  # StoreUnavailable, or a bug: every caller gets it
            _settle(batch, None, exc)
            return
        _settle(batch, ids, None)

    def _start_commit(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._batches.pop(loop)
        self._in_flight.add(loop)
        started = time.perf_counter()
        commit = loop.run_in_executor(
            commit_threads(),
            self.store.write_batch,
            [new for new, _ in batch.events],
            [outcome for outcome, _ in batch.outcomes],
        )
        commit.add_done_callback(lambda done: self._committed(loop, batch, done, started))

    def _committed(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: _Batch,
        done: asyncio.Future[list[int | None]],
        started: float,
    ) -> None:
        self._in_flight.discard(loop)
        exc = done.exception()
        if exc is None:
            self.observer.committed(time.perf_counter() - started, batch.size)
        _settle(batch, None if exc else done.result(), exc)
        if loop in self._batches:  # the next group gathered while this one committed
            self._start_commit(loop)


def _settle(batch: _Batch, ids: list[int | None] | None, exc: BaseException | None) -> None:
    """Give every caller of ``batch`` its id (or ``None``), or the commit's exception."""
    waiting: list[asyncio.Future[Any]] = [f for _, f in batch.events]
    waiting += [f for _, f in batch.outcomes]
    if exc is not None or ids is None:
        for future in waiting:
            if not future.done():
                future.set_exception(exc or RuntimeError("commit returned nothing"))
        return
    results: list[Any] = [*ids, *(None for _ in batch.outcomes)]
    for future, result in zip(waiting, results, strict=True):
        if not future.done():  # a caller whose client went away may be cancelled
            future.set_result(result)
