"""Run a Python callbacks module in CPython against a recording fake of the browser.

The same module that ``jivo-widget compile`` turns into JavaScript runs here unchanged: its
browser names (``jivo_api``, ``window``, ``document``, ``console``, ``localStorage``,
``setTimeout``...) are bound to fakes that record what the callbacks do and answer like the
mocked widget of ``jivo_mock`` (same return shapes: ``client_name``, ``error`` vs ``reason``,
``cb(err, number)``; a contract test keeps the two in step through the catalog)::

    from jivo_widget.testing.fake_browser import FakeBrowser

    def test_lead_goes_to_the_data_layer() -> None:
        browser = FakeBrowser(url="https://shop.test/pricing", page={"dataLayer": []})
        browser.load("jivo_callbacks.py")
        browser.fire("jivo_onLoadCallback")
        browser.visitor_introduces(name="Ann", email="ann@example.com")
        assert browser.window.dataLayer == [
            {"event": "jivo_lead", "name": "Ann", "email": "ann@example.com"}
        ]
        assert browser.calls("showProactiveInvitation") == [["Questions about plans?"]]

Like the page, a handler that raises does not stop the others: errors are collected in
``errors`` and the first one is raised when :meth:`FakeBrowser.fire` returns (unless
``raise_errors=False``). Timers (``setTimeout``, and the async answers of
``getVisitorNumber``/``isCallbackEnabled``) run when the current action ends, in order.

This module is the browser itself: loading modules, firing callbacks, the visitor's and the
agent's actions, timers and ``fetch``. What callbacks touch lives beside it: the page surface
(``_fake_page``: the DOM, storage, ``console``, ``JSON``, ``window``), the fake ``jivo_api``
(``_fake_jivo_api``) and the JavaScript values they hand out (``_js_values``).
"""

from __future__ import annotations

import inspect
import itertools
import os
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jivo_widget import browser as browser_stubs
from jivo_widget import catalog
from jivo_widget.testing._fake_jivo_api import CONTACT_KEYS, FakeJivoApi
from jivo_widget.testing._fake_page import ClassList as ClassList
from jivo_widget.testing._fake_page import Console, Document, Json, Response, Storage, Window
from jivo_widget.testing._fake_page import Element as Element
from jivo_widget.testing._fake_page import Location as Location
from jivo_widget.testing._js_values import JsArray, JsObject, js_value, normalize

__all__ = [
    "FakeBrowser",
    "JsArray",
    "JsObject",
    "normalize",
]


def _settle(result: Any) -> Any:
    """Run an async handler to its end. Everything a callback can await here (the fake's
    ``fetch``, ``json()``, its own coroutines) completes at once, so no event loop is needed
    (and none is started: a test may already run one, as Playwright's sync API does)."""
    if not inspect.iscoroutine(result):
        return result
    try:
        while True:
            result.send(None)
            result.close()
            raise RuntimeError("an async callback awaited something the fake browser cannot settle")
    except StopIteration as stop:
        return stop.value


@dataclass
class _Timer:
    due: float
    order: int
    callback: Callable[[], object]


@dataclass
class Loaded:
    """A loaded callbacks module: the module and its handlers per callback."""

    module: types.ModuleType
    handlers: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)


class FakeBrowser:
    """One page with the Jivo widget loaded, for running Python callbacks in CPython.

    Keyword arguments mirror ``@pytest.mark.jivo_mock(...)``: ``chat_mode``,
    ``callbacks_enabled``, ``visitor_number``, ``visitor_number_error``, ``utm``; plus ``url``
    (the page's address), ``title``, ``page`` (globals the page defines, e.g.
    ``{"dataLayer": []}``) and ``responses`` (``{url: (status, body)}`` for ``fetch``).
    """

    def __init__(
        self,
        *,
        url: str = "https://shop.test/",
        title: str = "",
        page: dict[str, Any] | None = None,
        chat_mode: str = "online",
        callbacks_enabled: bool = True,
        visitor_number: int = 1,
        visitor_number_error: str | None = None,
        utm: dict[str, str] | None = None,
        responses: dict[str, tuple[int, Any]] | None = None,
    ) -> None:
        #: ``(method, args)`` of every ``jivo_api``/global call, in order (as ``JivoMock.calls()``).
        self.records: list[dict[str, Any]] = []
        #: Callbacks fired, ``(name, args)``, in order (as ``JivoMock.callbacks()``).
        self.fired: list[tuple[str, list[Any]]] = []
        #: Exceptions raised by handlers, in order.
        self.errors: list[BaseException] = []
        #: Contract violations (unknown methods, calls before load...).
        self.violations: list[str] = []
        #: URLs passed to ``location.replace``/``assign``.
        self.navigations: list[str] = []
        #: ``fetch`` calls: ``(url, init)``.
        self.requests: list[tuple[str, Any]] = []
        self.responses = dict(responses or {})
        self.document = Document(title=title)
        self.console = Console()
        self.localStorage = Storage()
        self.sessionStorage = Storage()
        self.JSON = Json()
        self.jivo_api = FakeJivoApi(self)
        self.window = Window(self, url, dict(page or {}))
        query = parse_qs(urlsplit(url).query)
        self.utm = (
            dict(utm)
            if utm is not None
            else {k: query.get(f"utm_{k}", [""])[0] for k in catalog.UTM_FIELDS}
        )
        self.state: dict[str, Any] = {
            "status": "ready",
            "chat_mode": chat_mode,
            "callbacks_enabled": callbacks_enabled,
            "visitor_number": visitor_number,
            "visitor_number_error": visitor_number_error,
            "open": False,
            "view": None,
            "contact": dict.fromkeys(CONTACT_KEYS),
            "custom_data": None,
            "user_token": None,
            "widget_color": None,
            "invitation": None,
            "unread": 0,
            "chat_started": False,
            "call": None,
        }
        self._loaded: list[Loaded] = []
        self._timers: list[_Timer] = []
        self._timer_ids = itertools.count(1)
        self._timer_by_id: dict[int, _Timer] = {}
        self._order = itertools.count()
        self._depth = 0

    # ------------------------------------------------------------------ reads

    def calls(self, name: str | None = None) -> Any:
        """Like ``JivoMock.calls``: ``[(name, args)]``, or ``[args]`` of one method."""
        if name is None:
            return [(r["name"], r["args"]) for r in self.records]
        return [r["args"] for r in self.records if r["name"] == name]

    def results(self, name: str) -> list[Any]:
        """What each call of ``name`` returned (``None`` for nothing), normalized."""
        return [r["result"] for r in self.records if r["name"] == name]

    def callbacks(self, name: str | None = None) -> Any:
        """Like ``JivoMock.callbacks``: the callbacks fired, with their arguments."""
        if name is None:
            return list(self.fired)
        return [args for fired, args in self.fired if fired == name]

    def _record(self, name: str, args: tuple[Any, ...], result: Any) -> Any:
        if self.state["status"] == "destroyed":
            self.violations.append(f"jivo_api.{name}(): called while the widget is destroyed")
        self.records.append(
            {"name": name, "args": normalize(list(args)), "result": normalize(result)}
        )
        return result

    # ------------------------------------------------------------------ loading modules

    def load(
        self, module: str | os.PathLike[str] | types.ModuleType, *, check: bool = True
    ) -> Loaded:
        """Load a callbacks module (a path, or an imported module: re-run from its file) with
        its browser names bound to this fake. ``check``: run the compiler's checker first, so a
        module that would not compile does not pass here either."""
        if isinstance(module, types.ModuleType):
            if not module.__file__:
                raise ValueError(f"module {module.__name__} has no file to load")
            path = Path(module.__file__)
        else:
            path = Path(module)
        source = path.read_text(encoding="utf-8")
        if check:
            from jivo_widget.transpile.check import check as check_source

            check_source(source, str(path))
        return self.load_source(source, str(path))

    def load_source(self, source: str, filename: str = "<callbacks>") -> Loaded:
        """Like :meth:`load`, from source text (not checked)."""
        from jivo_widget.transpile.check import resolve_callback_name

        module = types.ModuleType(Path(filename).stem.replace("-", "_") or "callbacks")
        module.__file__ = filename
        exec(compile(source, filename, "exec"), module.__dict__)
        bindings = self.bindings()
        for name in browser_stubs.GLOBALS:
            if name in module.__dict__:
                module.__dict__[name] = bindings[name]
        loaded = Loaded(module)
        for name, value in list(module.__dict__.items()):
            if not inspect.isfunction(value) or value.__module__ != module.__name__:
                continue
            target = getattr(value, browser_stubs.CALLBACK_ATTRIBUTE, None)
            callback = resolve_callback_name(target) if isinstance(target, str) else None
            if callback is None and name in catalog.CALLBACKS:
                callback = name
            if callback is not None:
                loaded.handlers.setdefault(callback, []).append(value)
        self._loaded.append(loaded)
        return loaded

    def bindings(self) -> dict[str, Any]:
        """What each name of :data:`jivo_widget.browser.GLOBALS` means in this fake."""
        return {
            "jivo_api": self.jivo_api,
            "window": self.window,
            "document": self.document,
            "console": self.console,
            "localStorage": self.localStorage,
            "sessionStorage": self.sessionStorage,
            "JSON": self.JSON,
            "jivo_init": self.jivo_init,
            "jivo_destroy": self.jivo_destroy,
            "setTimeout": self.setTimeout,
            "clearTimeout": self.clearTimeout,
            "fetch": self.fetch,
        }

    # ------------------------------------------------------------------ firing callbacks

    def fire(self, callback: str, *args: Any, raise_errors: bool = True) -> None:
        """Fire a Jivo callback as the widget would: every handler runs (in load order), then
        due timers; the first handler error is raised at the end (``raise_errors``)."""
        if callback not in catalog.CALLBACKS:
            raise ValueError(
                f"{callback!r} is not a Jivo callback; known: {', '.join(catalog.CALLBACKS)}"
            )
        first_error = len(self.errors)
        self._fire_now(callback, *args)
        self.run_timers()
        if raise_errors and len(self.errors) > first_error:
            raise self.errors[first_error]

    def _fire_now(self, callback: str, *args: Any) -> None:
        self.fired.append((callback, normalize(list(args))))
        args = tuple(js_value(a) for a in args)
        for loaded in self._loaded:
            for handler in loaded.handlers.get(callback, []):
                try:
                    _settle(handler(*args))
                except Exception as exc:
                    self.errors.append(exc)

    def _set_open(self, open_: bool, view: str | None) -> None:
        state = self.state
        if open_:
            was_open = state["open"]
            if was_open and state["view"] == view:
                return
            state.update(open=True, view=view, unread=0)
            if not was_open:
                self._fire_now("jivo_onOpen")
            self._fire_now("jivo_onChangeState", "call" if view == "call" else "chat")
            self._fire_now("jivo_onResizeCallback")
        else:
            if not state["open"]:
                return
            state.update(open=False, view=None)
            self._fire_now("jivo_onClose")
            self._fire_now("jivo_onChangeState", "chat/min" if state["chat_started"] else "label")
            self._fire_now("jivo_onResizeCallback")

    # ------------------------------------------------------------------ visitor and agent

    def visitor_introduces(self, **contact: str) -> None:
        """The visitor submits the contact form (``jivo_onIntroduction``)."""
        for key in CONTACT_KEYS:
            if contact.get(key) is not None:
                self.state["contact"][key] = str(contact[key])
        self.fire("jivo_onIntroduction")

    def visitor_opens_chat(self) -> None:
        """The visitor opens the chat window."""
        self._set_open(True, "chat")
        self.run_timers()

    def visitor_closes_chat(self) -> None:
        """The visitor minimises the chat window."""
        self._set_open(False, None)
        self.run_timers()

    def visitor_sends_message(self, text: str) -> None:
        """The visitor writes; the first message fires ``jivo_onMessageSent`` (and
        ``jivo_onClientStartChat`` without an invitation)."""
        if not self.state["open"]:
            self._set_open(True, "chat")
        first = not self.state["chat_started"]
        self.state["chat_started"] = True
        if first:
            self._fire_now("jivo_onMessageSent")
            if not self.state["invitation"]:
                self._fire_now("jivo_onClientStartChat")
        self.run_timers()

    def agent_accepts(self) -> None:
        """An agent accepts the chat (``jivo_onAccept``)."""
        self.state["chat_started"] = True
        self.fire("jivo_onAccept")

    def agent_sends_message(self, text: str) -> None:
        """An agent writes (``jivo_onMessageReceived``; unread grows while closed)."""
        self.state["chat_started"] = True
        if not self.state["open"]:
            self.state["unread"] += 1
        self.fire("jivo_onMessageReceived")

    def set_chat_mode(self, mode: str) -> None:
        """Agents go ``"online"`` or ``"offline"``."""
        self.state["chat_mode"] = mode

    # ------------------------------------------------------------------ globals

    def jivo_init(self) -> None:
        """``window.jivo_init()``."""
        self.records.append({"name": "jivo_init", "args": [], "result": None})
        if self.state["status"] == "destroyed":
            self.state["status"] = "ready"
            self._fire_now("jivo_onLoadCallback")

    def jivo_destroy(self) -> None:
        """``window.jivo_destroy()``: fires ``jivo_onWidgetDestroy``."""
        self.records.append({"name": "jivo_destroy", "args": [], "result": None})
        if self.state["status"] != "destroyed":
            self.state.update(status="destroyed", open=False, view=None)
            self._fire_now("jivo_onWidgetDestroy")

    def setTimeout(self, callback: Callable[[], object], delay_ms: float = 0) -> int:
        """Queue ``callback``; it runs in :meth:`run_timers` (after the current action)."""
        timer = _Timer(float(delay_ms or 0), next(self._order), callback)
        timer_id = next(self._timer_ids)
        self._timers.append(timer)
        self._timer_by_id[timer_id] = timer
        return timer_id

    def clearTimeout(self, timer_id: int) -> None:
        """Cancel a timer."""
        timer = self._timer_by_id.pop(timer_id, None)
        if timer in self._timers:
            self._timers.remove(timer)

    def run_timers(self) -> None:
        """Run every queued timer (and the ones they queue), earliest first."""
        while self._timers:
            self._timers.sort(key=lambda t: (t.due, t.order))
            timer = self._timers.pop(0)
            try:
                _settle(timer.callback())
            except Exception as exc:
                self.errors.append(exc)

    def fetch(self, url: str, init: Any = None) -> Any:
        """``fetch``: recorded; answers from ``responses`` (404 for other URLs)."""
        self.requests.append((url, normalize(init)))
        status, body = self.responses.get(url, (404, ""))

        async def answer() -> Response:
            return Response(status, body)

        return answer()
