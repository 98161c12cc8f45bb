"""Which handlers an event goes to, and running them with their errors isolated.

Handlers are held by strong reference in registration order (Django signals' weak references
dropped receivers defined inside functions, Djrill #109). Sync handlers run in a worker thread so
they never block the event loop; async ones run on the loop. A handler that raises or overruns
``handler_timeout`` is reported as an :class:`Outcome` with an error and never affects the others.

A sync handler past its deadline cannot be stopped: its thread runs on. The handler threads are
daemon threads (:class:`_HandlerThreads`), so such a thread never keeps a process from exiting
(``events replay``, a server shutting down); but there are few of them (``min(32, cpus + 4)``),
so handlers that hang keep later sync handlers waiting (they then fail by timeout too, and are
replayable). Give blocking calls their own timeouts.
"""

from __future__ import annotations

import asyncio
import contextvars
import difflib
import inspect
import os
import queue
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.events import EVENT_MODELS, JivoEvent

__all__ = [
    "Handler",
    "Registration",
    "Router",
    "continue_awaitable",
    "describe_failure",
    "describe_timeout",
    "start_handler",
    "unwrap_handler_error",
]

#: A handler takes the typed event; it may be sync or async and may return a response.
Handler = Callable[[Any], Any]
_H = TypeVar("_H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Registration:
    """One registered handler. ``event_names`` is ``None`` for a catch-all."""

    func: Handler
    event_names: frozenset[str] | None
    label: str
    is_async: bool

    @property
    def catch_all(self) -> bool:
        """Registered for every event (its return value never shapes a response)."""
        return self.event_names is None


def _label(func: Handler) -> str:
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{name}"


def _is_async(func: Handler) -> bool:
    call = getattr(func, "__call__", None)  # noqa: B004 - async callable objects count too
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(call)


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise JivoConfigError(f"event name must be a non-empty string, got {name!r}")
    if name not in EVENT_MODELS:
        # New Jivo events must stay registrable, but a near-miss of a known name is a typo that
        # would otherwise never fire.
        close = difflib.get_close_matches(name, list(EVENT_MODELS), n=1, cutoff=0.9)
        if close:
            raise JivoConfigError(f"unknown event {name!r}; did you mean {close[0]!r}?")
    return name


class Router:
    """The handler registry: named handlers first (registration order), then catch-alls."""

    def __init__(self) -> None:
        self._registrations: list[Registration] = []
        self._by_name: dict[str, tuple[Registration, ...]] = {}

    def on(self, event_names: str | Iterable[str]) -> Callable[[_H], _H]:
        """Decorator: call the handler for ``event_names`` (one name or several).

        >>> router = Router()
        >>> @router.on(["chat_finished", "offline_message"])
        ... def archive(event): ...
        """
        if callable(event_names):
            raise JivoConfigError(
                "on() takes the event name(s): write @hooks.on('chat_accepted'), "
                "or @hooks.on_any for every event"
            )
        names = [event_names] if isinstance(event_names, str) else list(event_names)
        if not names:
            raise JivoConfigError("on() needs at least one event name")
        checked = frozenset(_check_name(name) for name in names)

        def register(func: _H) -> _H:
            self._add(func, checked)
            return func

        return register

    def on_any(self, func: _H) -> _H:
        """Decorator: call the handler for every event, known or not (after the named ones)."""
        self._add(func, None)
        return func

    def _add(self, func: Handler, event_names: frozenset[str] | None) -> None:
        if not callable(func):
            raise JivoConfigError(f"a handler must be callable, got {func!r}")
        self._registrations.append(Registration(func, event_names, _label(func), _is_async(func)))
        self._by_name.clear()

    def handlers_for(self, event_name: str) -> tuple[Registration, ...]:
        """The handlers ``event_name`` goes to, in call order."""
        found = self._by_name.get(event_name)
        if found is None:
            named = [
                r for r in self._registrations if r.event_names and event_name in r.event_names
            ]
            found = (*named, *(r for r in self._registrations if r.catch_all))
            self._by_name[event_name] = found
        return found

    @property
    def registrations(self) -> tuple[Registration, ...]:
        """Every registration, in registration order."""
        return tuple(self._registrations)


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


class _HandlerThreads(Executor):
    """The threads sync handlers run on: a bounded pool of *daemon* threads.

    Not the event loop's default executor: a ``ThreadPoolExecutor``'s threads are joined when
    the loop shuts down and again at interpreter exit, so one handler blocked forever (the
    receiver stops waiting at its deadline, but a thread cannot be stopped) kept
    ``events replay`` and a stopping server from ever exiting. The standard library has no
    daemon pool, hence these few lines. Threads start as work arrives, up to ``max_workers``,
    and then wait for more.
    """

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


_handler_threads: _HandlerThreads | None = None
_handler_threads_lock = threading.Lock()


def _sync_handler_threads() -> _HandlerThreads:
    """The process's handler threads (shared by every receiver and loop), made on first use."""
    global _handler_threads
    with _handler_threads_lock:
        if _handler_threads is None:
            # The size of asyncio's default executor.
            _handler_threads = _HandlerThreads(min(32, (os.cpu_count() or 1) + 4))
        return _handler_threads


def start_handler(registration: Registration, event: JivoEvent) -> asyncio.Future[Any]:
    """Start one handler on the running loop; its future holds the return value or the error.

    Async handlers become a task on the loop; sync ones run on a handler thread (a daemon
    thread, see :class:`_HandlerThreads`, with the caller's context variables). A sync handler
    that returns an awaitable gets it awaited by the caller (see :func:`continue_awaitable`).
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
        future = loop.run_in_executor(
            _sync_handler_threads(), context.run, registration.func, event
        )
    future.add_done_callback(_consume_exception)
    return future


def continue_awaitable(value: Awaitable[Any]) -> asyncio.Future[Any]:
    """A task awaiting what a sync handler returned (an awaitable) on the running loop."""
    task = asyncio.get_running_loop().create_task(_guarded(value))
    task.add_done_callback(_consume_exception)
    return task


def unwrap_handler_error(exc: BaseException) -> BaseException:
    """The exception the handler itself raised (``SystemExit`` and ``KeyboardInterrupt`` from
    an async handler arrive wrapped, so they cannot stop the event loop)."""
    if isinstance(exc, _Aborted) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def describe_failure(registration: Registration, exc: BaseException) -> str:
    """The stored error for a handler that raised: its name, the exception and the traceback."""
    exc = unwrap_handler_error(exc)
    details = "".join(traceback.format_exception(exc)).rstrip()
    return f"handler {registration.label} raised {type(exc).__name__}: {exc}\n{details}"


def describe_timeout(registration: Registration, timeout: float) -> str:
    """The stored error for a handler that missed ``handler_timeout``."""
    return f"handler {registration.label} did not finish within {timeout:g} s"
