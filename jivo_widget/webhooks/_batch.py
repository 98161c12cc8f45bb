"""Group commit: the store writes that fall due in one event-loop iteration, in one transaction.

Under load many deliveries arrive in the same iteration of the loop; committing each on its own
would cost one WAL write (and lock round) per event. :class:`GroupCommit` queues them and runs
one :meth:`~jivo_widget.webhooks.store.EventStore.write_batch` right after every callback
already due has run, so they all join it; each caller still gets its answer only after the
commit. The store stays synchronous (see :mod:`jivo_widget.webhooks.store.base`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.store.base import EventOutcome, EventStore, NewEvent

__all__ = ["GroupCommit"]


@dataclass(slots=True)
class _Batch:
    """Writes that fell due in one event-loop iteration."""

    events: list[tuple[NewEvent, asyncio.Future[int | None]]] = field(default_factory=list)
    outcomes: list[tuple[EventOutcome, asyncio.Future[None]]] = field(default_factory=list)


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
            # Runs after every callback already due: all of them join this transaction.
            loop.call_soon(self._commit, loop)
        return batch

    def _commit(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._batches.pop(loop)
        waiting: list[asyncio.Future[Any]] = [f for _, f in batch.events]
        waiting += [f for _, f in batch.outcomes]
        started = time.perf_counter()
        try:
            ids = self.store.write_batch(
                [new for new, _ in batch.events], [outcome for outcome, _ in batch.outcomes]
            )
            self.observer.committed(time.perf_counter() - started, len(waiting))
        except Exception as exc:  # StoreUnavailable, or a bug: every caller gets it
            for future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        results: list[Any] = [*ids, *(None for _ in batch.outcomes)]
        for future, result in zip(waiting, results, strict=True):
            if not future.done():  # a caller whose client went away may be cancelled
                future.set_result(result)
