"""Which handlers an event goes to: registration only (running them is
:mod:`jivo_widget.webhooks.dispatch`'s job).

Handlers are held by strong reference in registration order: Django signals' weak references
silently dropped receivers defined inside functions (Djrill #109). Named handlers are called
first, in registration order, then the catch-alls.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.events import EVENT_MODELS

__all__ = ["Handler", "Registration", "Router"]

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
