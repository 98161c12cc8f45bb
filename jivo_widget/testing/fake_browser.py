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
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jivo_widget import browser as browser_stubs
from jivo_widget import catalog

__all__ = [
    "FakeBrowser",
    "JsArray",
    "JsObject",
    "normalize",
]

_CONTACT_KEYS = catalog.CONTACT_FIELDS
_RESULT_KEYS = catalog.CONTACT_INFO_RESULT_FIELDS


class JsObject(dict[str, Any]):
    """A plain JS object: a dict whose keys also read as attributes (``info.client_name``);
    a missing property reads ``None`` (JavaScript's ``undefined``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class JsArray(list[Any]):
    """A JS array a page defined (``window.dataLayer``): a list with ``push``."""

    def push(self, *items: Any) -> int:
        """Append the items; return the new length (as JS does)."""
        self.extend(items)
        return len(self)


def _js_value(value: Any) -> Any:
    """Data handed to a callback as the page would see it: dicts read as JS objects."""
    if isinstance(value, dict) and not isinstance(value, JsObject):
        return JsObject({k: _js_value(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [_js_value(v) for v in value]
    return value


def normalize(value: Any) -> Any:
    """A value as JSON would carry it from the page: tuples become lists, integral floats
    ints (JavaScript has one number type), fakes their data, functions ``"[function]"``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if callable(value):
        return "[function]"
    return str(value)


# ---------------------------------------------------------------------- the DOM and friends


class ClassList:
    """``element.classList``."""

    def __init__(self) -> None:
        self._tokens: list[str] = []

    def add(self, *tokens: str) -> None:
        for token in tokens:
            if token not in self._tokens:
                self._tokens.append(token)

    def remove(self, *tokens: str) -> None:
        self._tokens = [t for t in self._tokens if t not in tokens]

    def contains(self, token: str) -> bool:
        return token in self._tokens

    def toggle(self, token: str, force: bool | None = None) -> bool:
        present = token in self._tokens if force is None else not force
        if present:
            self.remove(token)
        else:
            self.add(token)
        return not present

    def __iter__(self) -> Iterator[str]:
        return iter(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def value(self) -> str:
        return " ".join(self._tokens)


class Element:
    """A DOM element: id, classList, attributes, text and children."""

    def __init__(self, tag: str) -> None:
        self.tagName = tag.upper()
        self.id = ""
        self.classList = ClassList()
        self.textContent: str | None = ""
        self.children: list[Element] = []
        self.attributes: dict[str, str] = {}

    @property
    def className(self) -> str:
        return self.classList.value

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def setAttribute(self, name: str, value: str) -> None:
        self.attributes[name] = str(value)

    def appendChild(self, child: Element) -> Element:
        self.children.append(child)
        return child


class Document:
    """``document``: a body, a title, elements by id."""

    def __init__(self, title: str = "", referrer: str = "") -> None:
        self.body = Element("body")
        self.title = title
        self.referrer = referrer
        self.cookie = ""

    def _all(self) -> Iterator[Element]:
        stack = [self.body]
        while stack:
            element = stack.pop()
            yield element
            stack.extend(reversed(element.children))

    def getElementById(self, element_id: str) -> Element | None:
        return next((e for e in self._all() if e.id == element_id), None)

    def querySelector(self, selector: str) -> Element | None:
        if selector.startswith("#"):
            return self.getElementById(selector[1:])
        raise NotImplementedError("the fake document answers querySelector('#id') only")

    def createElement(self, tag: str) -> Element:
        return Element(tag)


class Location:
    """``window.location`` parsed from the page URL; navigations are recorded."""

    def __init__(self, url: str, navigations: list[str]) -> None:
        parts = urlsplit(url)
        self.href = url
        self.protocol = f"{parts.scheme}:"
        self.host = parts.netloc
        self.hostname = parts.hostname or ""
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.pathname = parts.path or "/"
        self.search = f"?{parts.query}" if parts.query else ""
        self.hash = f"#{parts.fragment}" if parts.fragment else ""
        self._navigations = navigations

    def replace(self, url: str) -> None:
        self._navigations.append(url)

    def assign(self, url: str) -> None:
        self._navigations.append(url)

    def __str__(self) -> str:
        return self.href


class Storage:
    """``localStorage`` / ``sessionStorage``: strings only."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def getItem(self, key: str) -> str | None:
        return self.items.get(str(key))

    def setItem(self, key: str, value: Any) -> None:
        self.items[str(key)] = value if isinstance(value, str) else _js_string(value)

    def removeItem(self, key: str) -> None:
        self.items.pop(str(key), None)

    def clear(self) -> None:
        self.items.clear()


def _js_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Console:
    """``console``: every call recorded as ``(level, [values])``."""

    def __init__(self) -> None:
        self.records: list[tuple[str, list[Any]]] = []

    def _record(self, level: str, values: tuple[Any, ...]) -> None:
        self.records.append((level, [normalize(v) for v in values]))

    def log(self, *values: Any) -> None:
        self._record("log", values)

    def info(self, *values: Any) -> None:
        self._record("info", values)

    def warn(self, *values: Any) -> None:
        self._record("warn", values)

    def error(self, *values: Any) -> None:
        self._record("error", values)


class Json:
    """The JS ``JSON`` object (compact output, like ``JSON.stringify``)."""

    def stringify(self, value: Any) -> str:
        return json.dumps(normalize(value), separators=(",", ":"), ensure_ascii=False)

    def parse(self, text: str) -> Any:
        return json.loads(text, object_hook=JsObject)


@dataclass
class Response:
    """What ``await fetch(url)`` answers (configured with ``FakeBrowser(responses=...)``)."""

    status: int = 200
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    async def json(self) -> Any:
        return json.loads(json.dumps(self.body), object_hook=JsObject)

    async def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body)


class Window:
    """``window``: the page's globals. Unknown properties read ``None`` (``undefined``);
    ``page={"dataLayer": []}`` defines globals the page has (lists become :class:`JsArray`)."""

    def __init__(self, fake: FakeBrowser, url: str, page: dict[str, Any]) -> None:
        state = self.__dict__
        state["_fake"] = fake
        state["location"] = Location(url, fake.navigations)
        state["navigator"] = JsObject(language="en-US", userAgent="jivo-widget fake browser")
        state["document"] = fake.document
        state["localStorage"] = fake.localStorage
        state["sessionStorage"] = fake.sessionStorage
        for name, value in page.items():
            state[name] = JsArray(value) if isinstance(value, list) else value

    @property
    def jivo_api(self) -> FakeJivoApi:
        fake: FakeBrowser = self.__dict__["_fake"]
        return fake.jivo_api

    def jivo_init(self) -> None:
        self.__dict__["_fake"].jivo_init()

    def jivo_destroy(self) -> None:
        self.__dict__["_fake"].jivo_destroy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


# ---------------------------------------------------------------------- jivo_api


class FakeJivoApi:
    """``jivo_api``: every catalog method, recorded, answering like the ``jivo_mock`` widget."""

    def __init__(self, fake: FakeBrowser) -> None:
        self._fake = fake

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        fake = self._fake

        def unknown(*args: Any) -> None:
            fake._record(name, args, None)
            fake.violations.append(f"jivo_api.{name}(): not a Jivo method")

        return unknown

    def _call(self, name: str, args: tuple[Any, ...], result: Any) -> Any:
        return self._fake._record(name, args, result)

    def open(self, params: Any = None) -> Any:
        state = self._fake.state
        start = "chat"
        if isinstance(params, dict) and params.get("start") is not None:
            start = params["start"]
            if start not in catalog.OPEN_START_VALUES:
                return self._call("open", (params,), JsObject(result="fail"))
        if state["status"] == "destroyed" or (start == "call" and not state["callbacks_enabled"]):
            return self._call("open", _args(params), JsObject(result="fail"))
        result = self._call("open", _args(params), JsObject(result="ok"))
        self._fake._set_open(True, start)
        return result

    def close(self) -> Any:
        if self._fake.state["status"] == "destroyed":
            return self._call("close", (), JsObject(result="fail"))
        result = self._call("close", (), JsObject(result="ok"))
        self._fake._set_open(False, None)
        return result

    def showProactiveInvitation(self, text: str, department_id: int | None = None) -> None:
        self._call("showProactiveInvitation", _args(text, department_id), None)
        if isinstance(text, str):
            self._fake.state["invitation"] = {"text": text, "department_id": department_id}
            self._fake._set_open(True, "chat")

    def setWidgetColor(self, color: str, color2: str | None = None) -> None:
        self._call("setWidgetColor", _args(color, color2), None)
        self._fake.state["widget_color"] = color

    def chatMode(self) -> str:
        return str(self._call("chatMode", (), self._fake.state["chat_mode"]))

    def startCall(self, phone: str) -> Any:
        state = self._fake.state
        failure = None
        if not state["callbacks_enabled"]:
            failure = "callbacks are disabled for this widget"
        elif not isinstance(phone, str) or not re.search(r"\d", phone):
            failure = "invalid phone number"
        if failure:
            result = self._call("startCall", (phone,), JsObject(result="fail", reason=failure))
            self._fake._fire_now("jivo_onCallEnd", JsObject(result="fail", reason=failure))
            return result
        result = self._call("startCall", (phone,), JsObject(result="ok"))
        state["call"] = {"phone": phone}
        self._fake._fire_now("jivo_onCallStart")
        return result

    def sendOfflineMessage(self, message: Any) -> Any:
        if not isinstance(message, dict):
            res = JsObject(result="fail", error="message object required")
        elif self._fake.state["chat_mode"] == "online":
            res = JsObject(
                result="fail",
                error="agents are online; offline messages are accepted only offline",
            )
        elif not isinstance(message.get("message"), str) or not message.get("message"):
            res = JsObject(result="fail", error="message is required")
        else:
            res = JsObject(result="ok")
        return self._call("sendOfflineMessage", (message,), res)

    def sendPageTitle(
        self, title: str, fromApi: bool | None = None, url: str | None = None
    ) -> None:
        self._call("sendPageTitle", _args(title, fromApi, url), None)

    def setContactInfo(self, info: Any) -> None:
        self._call("setContactInfo", (info,), None)
        if isinstance(info, dict):
            for key in _CONTACT_KEYS:
                if isinstance(info.get(key), str):
                    self._fake.state["contact"][key] = info[key]

    def setClientAttributes(self, attributes: Any) -> None:
        self._call("setClientAttributes", (attributes,), None)

    def setCustomData(self, fields: Any) -> Any:
        # The mock's answers: Jivo documents {result: 'ok'} and the non-array reason; the other
        # reasons are the mock's (the catalog marks them undocumented).
        if not isinstance(fields, list):
            answer = JsObject(result="fail", reason=catalog.CUSTOM_DATA_NOT_ARRAY_REASON)
        elif len(fields) > catalog.CUSTOM_DATA_MAX_FIELDS:
            answer = JsObject(
                result="fail",
                reason=f"Custom data must have at most {catalog.CUSTOM_DATA_MAX_FIELDS} fields.",
            )
        elif not all(_valid_custom_field(field) for field in fields):
            answer = JsObject(result="fail", reason="Custom data fields are invalid.")
        else:
            answer = JsObject(result="ok")
            self._fake.state["custom_data"] = normalize(fields)
        return self._call("setCustomData", (fields,), answer)

    def setUserToken(self, token: str) -> None:
        self._call("setUserToken", (token,), None)
        if isinstance(token, str):
            self._fake.state["user_token"] = token

    def setRules(self, rules: Any) -> None:
        self._call("setRules", (rules,), None)

    def getContactInfo(self) -> JsObject:
        contact = self._fake.state["contact"]
        info = JsObject(
            {
                result: contact[key] or None
                for result, key in zip(_RESULT_KEYS, _CONTACT_KEYS, strict=True)
            }
        )
        self._call("getContactInfo", (), info)
        return info

    def getVisitorNumber(self, callback: Callable[[Any, Any], object]) -> None:
        self._call("getVisitorNumber", (callback,), None)
        state = self._fake.state
        error = state["visitor_number_error"]
        number = state["visitor_number"] if error is None else None
        if callable(callback):
            self._fake.setTimeout(lambda: callback(error, number), 0)

    def getUnreadMessagesCount(self) -> int:
        return int(self._call("getUnreadMessagesCount", (), self._fake.state["unread"]))

    def getUtm(self) -> JsObject:
        utm = JsObject({k: self._fake.utm.get(k) or None for k in catalog.UTM_FIELDS})
        self._call("getUtm", (), utm)
        return utm

    def isCallbackEnabled(self, callback: Callable[[Any], object]) -> None:
        self._call("isCallbackEnabled", (callback,), None)
        if self._fake.state["callbacks_enabled"]:
            res = JsObject(result="ok")
        else:
            res = JsObject(result="fail", reason="callbacks are disabled for this widget")
        if callable(callback):
            self._fake.setTimeout(lambda: callback(res), 0)

    def clearHistory(self) -> None:
        self._call("clearHistory", (), None)
        state = self._fake.state
        state["contact"] = dict.fromkeys(_CONTACT_KEYS)
        state["custom_data"] = None
        state["user_token"] = None
        state["invitation"] = None
        state["unread"] = 0
        state["chat_started"] = False


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


def _valid_custom_field(field: Any) -> bool:
    """What the JS mock accepts as one ``setCustomData`` field: an object with non-empty
    ``content`` and, if a ``link`` is given, one the browser parses as an http(s) URL."""
    if not isinstance(field, dict):
        return False
    content, link = field.get("content"), field.get("link")
    return (
        isinstance(content, str)
        and content != ""
        and (not isinstance(link, str) or urlsplit(link).scheme.lower() in ("http", "https"))
    )


def _args(*values: Any) -> tuple[Any, ...]:
    """Arguments as JS sees them: trailing ``None`` (omitted optional ones) dropped."""
    items = list(values)
    while items and items[-1] is None:
        items.pop()
    return tuple(items)


# ---------------------------------------------------------------------- the browser


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
            "contact": dict.fromkeys(_CONTACT_KEYS),
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
        args = tuple(_js_value(a) for a in args)
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
        for key in _CONTACT_KEYS:
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
