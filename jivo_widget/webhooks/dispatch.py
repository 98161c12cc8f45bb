"""Running a stored event's handlers: each isolated, bounded by two deadlines, and the reply.

Sync handlers run on a handler thread (:mod:`jivo_widget.webhooks._threads`) so they never
block the event loop; async ones run on the loop. A handler that raises (even ``SystemExit``)
or overruns ``handler_timeout`` becomes an error stored with the event and never affects the
others; a sync handler past its deadline cannot be stopped and runs on in its thread.

A dispatch has two phases:

1. **the reply.** Events whose answer Jivo ignores get ``{"result": "ok"}`` at once. For
   ``chat_accepted`` / ``chat_updated`` (the models that read a response) the reply waits until
   a handler returns a response, every handler is done, or ``response_deadline`` passes (then
   the safe ``{"result": "ok"}``). A shaped response is committed before it is sent, so a
   duplicate after a crash gets it too: with the final outcome in one write when its handler
   was the last one running, else alone (the row stays ``received``).
2. **the outcome.** When every handler is done (or ``handler_timeout`` passed), one write
   records ``processed`` or ``failed`` with the errors, and the reply that was sent.

Shaping rule: at most one handler may return a response, and only handlers registered for the
event by name count (a catch-all's return value is ignored). The first response returned is
sent; a second one is an error naming both handlers. A response that fails
:class:`~jivo_widget.webhooks.responses.ChatResponse`, or that comes after the reply went out,
is not sent and is an error too.

Identity: before its handlers start, an event's ``user_token`` is checked with the app's
:class:`~jivo_widget.identity.UserTokens` (when it has an ``identity_secret``), on every dispatch
and replay, so the secrets in force then apply (nothing about it is stored). A token that fails
the check never stops anything: the handlers run with ``event.visitor_id`` ``None``, and a
WARNING names the event and the reason, never the token.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from jivo_widget.identity import IdentityStatus, UserTokens
from jivo_widget.webhooks._batch import GroupCommit
from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks._threads import run_on_threads
from jivo_widget.webhooks.contract import Reply
from jivo_widget.webhooks.events import JivoEvent
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.responses import to_response
from jivo_widget.webhooks.router import Registration
from jivo_widget.webhooks.store.base import EventOutcome, EventStatus, StoreUnavailable

__all__ = ["Dispatcher", "run_handlers"]


class _Aborted(Exception):
    """An async handler raised SystemExit/KeyboardInterrupt, which must not stop the loop."""


async def _guarded(coroutine: Awaitable[Any]) -> Any:
    try:
        return await coroutine
    except (SystemExit, KeyboardInterrupt) as exc:  # isolate even sys.exit() in a handler
        raise _Aborted from exc


def _consume_exception(future: asyncio.Future[Any]) -> None:
    # Nobody may await a handler's future any more (it missed its deadline): read its exception
    # so asyncio does not log "exception was never retrieved" with the payload in it.
    if not future.cancelled():
        future.exception()


def _check_identity(event: JivoEvent, tokens: UserTokens | None, event_id: int | None) -> None:
    """Verify ``event.user_token`` with ``tokens`` (if the app has any); a token that fails
    is logged at WARNING with the reason, which never holds the token."""
    if tokens is None:
        return
    result = event.verify_identity(tokens)
    if result.status in (IdentityStatus.INVALID, IdentityStatus.EXPIRED):
        logger.warning(
            "event %s (%s): user_token %s: %s; the handlers get event.visitor_id None",
            event_id, event.event_name, result.status.value, result.reason,
        )  # fmt: skip


def _start(registration: Registration, event: JivoEvent) -> asyncio.Future[Any]:
    """Start one handler on the running loop; its future holds the return value or the error.

    Async handlers become a task; sync ones run on a handler thread with the caller's context
    variables. A sync handler that returns an awaitable gets it awaited (:func:`_await`).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any]
    if registration.is_async:
        try:
            future = loop.create_task(_guarded(registration.func(event)))
        except Exception as exc:  # raised while creating the coroutine (e.g. wrong signature)
            future = loop.create_future()
            future.set_exception(exc)
    else:
        context = contextvars.copy_context()
        future = run_on_threads(context.run, registration.func, event)
    future.add_done_callback(_consume_exception)
    return future


def _await(value: Awaitable[Any]) -> asyncio.Future[Any]:
    """A task awaiting what a sync handler returned (an awaitable) on the running loop."""
    task = asyncio.get_running_loop().create_task(_guarded(value))
    task.add_done_callback(_consume_exception)
    return task


def _raised(exc: BaseException) -> BaseException:
    """The exception the handler itself raised (``SystemExit`` and ``KeyboardInterrupt`` from
    an async handler arrive wrapped, so they cannot stop the event loop)."""
    if isinstance(exc, _Aborted) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


class _Run:
    """The handlers of one event, started at construction, and what they did so far.

    ``response_deadline``: a delivery waits for this run's reply, for at most that long (``None``
    for a replay, whose answer went out long ago: a response is then checked but sent nowhere).
    ``identity``: the app's user-token verifier, or ``None`` (see the module docstring).
    """

    def __init__(
        self,
        event: JivoEvent,
        registrations: tuple[Registration, ...],
        event_id: int | None,
        *,
        response_deadline: float | None,
        identity: UserTokens | None = None,
    ) -> None:
        _check_identity(event, identity, event_id)
        self.event = event
        self.event_id = event_id
        self.response_deadline = response_deadline
        self.started = asyncio.get_running_loop().time()
        self.pending = {_start(r, event): r for r in registrations}
        self.errors: list[str] = []
        self.shaped_by: str | None = None
        #: The reply went out without a response (its deadline passed): a late one is an error.
        self.answered = False
        #: The status recorded for the event, once it is (``None``: still ``received``).
        self.outcome: str | None = None

    async def until(
        self, deadline: float, *, stop_when_shaped: bool = False
    ) -> dict[str, Any] | None:
        """Collect finished handlers until none is left or the loop time ``deadline`` passes;
        with ``stop_when_shaped``, until one shapes a response, which is returned."""
        loop = asyncio.get_running_loop()
        while self.pending:
            now = loop.time() + 0.001  # a timer may fire a hair early
            if now >= deadline:
                return None
            done, _ = await asyncio.wait(
                self.pending, timeout=deadline - now, return_when=asyncio.FIRST_COMPLETED
            )
            shaped = None
            for future in done:
                shaped = self._collect(future) or shaped
            if shaped is not None and stop_when_shaped:
                return shaped
        return None

    def expire(self, timeout: float) -> None:
        """Give up on the handlers still running at ``handler_timeout``: each is an error.

        A task is cancelled; a thread cannot be, and its result is ignored.
        """
        for future, registration in self.pending.items():
            future.cancel()
            self.errors.append(f"handler {registration.label} did not finish within {timeout:g} s")
            logger.error(
                "event %s (%s): handler %s did not finish within %g s",
                self.event_id, self.event.event_name, registration.label, timeout,
            )  # fmt: skip
        self.pending.clear()

    def _collect(self, future: asyncio.Future[Any]) -> dict[str, Any] | None:
        """Take one finished handler's result; the response it shaped, if it did."""
        registration = self.pending.pop(future)
        label = registration.label
        exc = future.exception()
        if exc is not None:
            self._failed(registration, _raised(exc))
            return None
        value = future.result()
        if not registration.is_async and inspect.isawaitable(value):
            self.pending[_await(value)] = registration
            return None
        if not self.event.reads_response or value is None or registration.catch_all:
            return None
        name = self.event.event_name
        if self.shaped_by is not None:
            self.errors.append(
                f"handler {label} returned a response for {name}, but {self.shaped_by} "
                "already did; only one handler may shape it (the first one was sent)"
            )
            return None
        try:
            shaped = to_response(value)
        except ValueError as error:
            self.errors.append(f"handler {label} returned {error}; sent {{'result': 'ok'}}")
            return None
        if self.answered:
            self.errors.append(
                f"handler {label} returned its response after the "
                f"{self.response_deadline:g} s response deadline; Jivo got {{'result': 'ok'}}"
            )
            return None
        self.shaped_by = label
        return None if self.response_deadline is None else shaped

    def _failed(self, registration: Registration, exc: BaseException) -> None:
        """Store the handler's error with its traceback, and log it at ERROR.

        The log names the event and the handler; the traceback may quote payload text, which
        is why it goes out at ERROR only (nothing personal at INFO), and never with the secret,
        which no handler sees.
        """
        details = "".join(traceback.format_exception(exc)).rstrip()
        self.errors.append(
            f"handler {registration.label} raised {type(exc).__name__}: {exc}\n{details}"
        )
        logger.error(
            "event %s (%s): handler %s raised %s",
            self.event_id, self.event.event_name, registration.label, type(exc).__name__,
            exc_info=exc,
        )  # fmt: skip


async def run_handlers(
    event: JivoEvent,
    registrations: tuple[Registration, ...],
    event_id: int | None,
    handler_timeout: float,
    identity: UserTokens | None = None,
) -> list[str]:
    """Run every handler to its end or ``handler_timeout`` (a replay: nobody waits for a
    reply); the errors, one per failed handler."""
    run = _Run(event, registrations, event_id, response_deadline=None, identity=identity)
    await run.until(run.started + handler_timeout)
    run.expire(handler_timeout)
    return run.errors


class Dispatcher:
    """Dispatches stored events to their handlers (see the module docstring) and keeps track
    of the dispatches still running, on whichever event loops they run."""

    def __init__(
        self,
        *,
        response_deadline: float,
        handler_timeout: float,
        observer: Observer,
        identity: UserTokens | None = None,
    ) -> None:
        self.response_deadline = response_deadline
        self.handler_timeout = handler_timeout
        self._observer = observer
        self.identity = identity
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_loops: set[asyncio.AbstractEventLoop] = set()

    def start(
        self,
        event_id: int,
        event: JivoEvent,
        registrations: tuple[Registration, ...],
        commits: GroupCommit,
        when_done: Callable[[], None],
        *,
        received: float,
    ) -> asyncio.Future[Reply]:
        """Start the handlers of stored event ``event_id`` in a task of their own; the future
        of the reply to send (already done for events whose answer Jivo ignores).
        ``when_done`` is called once the outcome is recorded; ``received``: when the body was
        read (:func:`time.perf_counter`), for the event's latency."""
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Reply] = loop.create_future()
        if not event.reads_response:
            reply.set_result(Reply.ok())
        task = loop.create_task(
            self._dispatch(event_id, event, registrations, commits, reply, when_done, received)
        )
        self._tasks.add(task)
        self._task_loops.add(loop)
        task.add_done_callback(self._tasks.discard)
        return reply

    async def _dispatch(
        self,
        event_id: int,
        event: JivoEvent,
        registrations: tuple[Registration, ...],
        commits: GroupCommit,
        reply: asyncio.Future[Reply],
        when_done: Callable[[], None],
        received: float,
    ) -> None:
        run: _Run | None = None
        try:
            replying = not reply.done()
            deadline = self.response_deadline if replying else None
            run = _Run(
                event, registrations, event_id, response_deadline=deadline, identity=self.identity
            )
            if replying:
                sent, recorded = await self._reply(run, commits)
                reply.set_result(sent)
                if recorded:
                    return
            await run.until(run.started + self.handler_timeout)
            run.expire(self.handler_timeout)
            await self._finish(run, reply.result().body, commits)
        except Exception:  # pragma: no cover - a bug here must not kill the server
            logger.exception("dispatching event %d failed", event_id)
        finally:
            if not reply.done():
                reply.set_result(Reply.ok())
            when_done()
            self._observed(run, event, event_id, received)

    def _observed(self, run: _Run | None, event: JivoEvent, event_id: int, received: float) -> None:
        """Tell the observer the handlers are done, and the event's final state."""
        name = event.event_name
        failed = run is None or bool(run.errors)
        if run is not None:
            self._observer.handled(
                name, asyncio.get_running_loop().time() - run.started, failed=failed
            )
        status = run.outcome if run is not None else None
        self._observer.finished(
            event_id, name, status or EventStatus.RECEIVED.value, time.perf_counter() - received
        )

    async def _reply(self, run: _Run, commits: GroupCommit) -> tuple[Reply, bool]:
        """Phase 1: the reply, and whether the outcome was recorded with it."""
        assert run.event_id is not None and run.response_deadline is not None
        shaped = await run.until(run.started + run.response_deadline, stop_when_shaped=True)
        if shaped is None:  # the deadline passed, or every handler is done without a response
            run.answered = True
            return Reply.ok(), False
        if not run.pending:
            # The last handler shaped it: one write records the outcome with the response, and
            # it goes out only once committed (else the safe answer, which is what a duplicate
            # gets for a row without a stored response).
            committed = await self._finish(run, shaped, commits)
            return (Reply.ok(shaped) if committed else Reply.ok()), True
        # Other handlers still run: commit the response first (the row stays "received").
        try:
            await commits.record(EventOutcome(run.event_id, EventStatus.RECEIVED, None, shaped))
        except StoreUnavailable as exc:
            logger.error("cannot record the response of event %d: %s", run.event_id, exc)
            return Reply.ok(), False
        return Reply.ok(shaped), False

    @staticmethod
    async def _finish(run: _Run, response: dict[str, Any], commits: GroupCommit) -> bool:
        """Phase 2: record the outcome and the response sent; whether it was committed."""
        assert run.event_id is not None
        status = EventStatus.FAILED if run.errors else EventStatus.PROCESSED
        outcome = EventOutcome(run.event_id, status, "\n\n".join(run.errors) or None, response)
        try:
            await commits.record(outcome)
        except StoreUnavailable as exc:
            # The row stays "received": replayable once the store is back.
            logger.error("cannot record the outcome of event %d: %s", run.event_id, exc)
            return False
        run.outcome = status.value
        return True

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until the dispatches started on this loop are done; ``False`` on timeout."""
        loop = asyncio.get_running_loop()
        tasks = [task for task in self._tasks if task.get_loop() is loop]
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    def drain_blocking(self, timeout: float | None = None) -> bool:
        """:meth:`drain` from a thread outside the event loops: waits for the dispatches on
        every loop this dispatcher ran on."""
        done = True
        for loop in list(self._task_loops):
            if not loop.is_running():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                raise RuntimeError(
                    "drain_blocking() called on the loop it waits for; await drain()"
                )
            done &= asyncio.run_coroutine_threadsafe(self.drain(timeout), loop).result()
        return done

    def forget_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """``loop`` is stopping: :meth:`drain_blocking` no longer waits on it."""
        self._task_loops.discard(loop)
