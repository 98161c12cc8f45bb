"""Typed stubs of what a Python callbacks module may use in the browser.

A callbacks module imports its browser names from here, so mypy and IDEs check it::

    from jivo_widget.browser import jivo_api, window, document

    def jivo_onIntroduction() -> None:
        info = jivo_api.getContactInfo()
        window.dataLayer.push({"event": "jivo_lead", "name": info.client_name})

The compiler (``jivo_widget.transpile``) turns these names into the page's own globals. In
CPython they are only types: using one outside the browser raises an error that points to
:mod:`jivo_widget.testing.fake_browser`, which runs the same module against a recording fake.

``JivoApi`` mirrors :mod:`jivo_widget.catalog` method by method (a test fails when they drift).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol, TypedDict, TypeVar, cast

__all__ = [
    "GLOBALS",
    "JSON",
    "CallResult",
    "ContactFields",
    "ContactInfo",
    "CustomDataField",
    "Document",
    "Element",
    "JivoApi",
    "JivoCallbacks",
    "OfflineMessage",
    "OfflineResult",
    "OpenParams",
    "Response",
    "Result",
    "Storage",
    "Utm",
    "Window",
    "clearTimeout",
    "console",
    "document",
    "fetch",
    "jivo_api",
    "jivo_destroy",
    "jivo_init",
    "localStorage",
    "on",
    "sessionStorage",
    "setTimeout",
    "window",
]

F = TypeVar("F", bound=Callable[..., object])


# ---------------------------------------------------------------------- argument shapes


class OpenParams(TypedDict, total=False):
    """``jivo_api.open(params)``: which view to open."""

    start: Literal["chat", "call", "menu"]


class ContactFields(TypedDict, total=False):
    """``jivo_api.setContactInfo(info)``: ``name`` here, ``client_name`` from getContactInfo."""

    name: str
    email: str
    phone: str
    description: str


class OfflineMessage(TypedDict, total=False):
    """``jivo_api.sendOfflineMessage(message)``."""

    name: str
    email: str
    phone: str
    description: str
    message: str


class CustomDataField(TypedDict, total=False):
    """One field of ``jivo_api.setCustomData(fields)`` (``content`` is required by Jivo)."""

    content: str
    title: str
    link: str
    key: str


# ---------------------------------------------------------------------- results (JS objects)


class Result(Protocol):
    """``{result: 'ok'|'fail', reason?}`` (open, close, startCall, isCallbackEnabled)."""

    result: str
    reason: str | None


class CallResult(Protocol):
    """What ``jivo_onCallEnd`` receives: ``{result: 'ok'|'fail', reason?}``."""

    result: str
    reason: str | None


class OfflineResult(Protocol):
    """``sendOfflineMessage``: failure carries ``error`` (not ``reason``)."""

    result: str
    error: str | None


class ContactInfo(Protocol):
    """``getContactInfo()``: ``client_name`` (not ``name``); ``None`` for empty fields."""

    client_name: str | None
    email: str | None
    phone: str | None
    description: str | None


class Utm(Protocol):
    """``getUtm()``: the first visit's UTM tags."""

    content: str | None
    campaign: str | None
    source: str | None
    medium: str | None
    term: str | None


# ---------------------------------------------------------------------- jivo_api


class JivoApi(Protocol):
    """``window.jivo_api``: usable from ``jivo_onLoadCallback`` on (see the catalog)."""

    def open(self, params: OpenParams | None = None) -> Result: ...
    def close(self) -> Result: ...
    def showProactiveInvitation(self, text: str, department_id: int | None = None) -> None: ...
    def setWidgetColor(self, color: str, color2: str | None = None) -> None: ...
    def chatMode(self) -> str: ...
    def startCall(self, phone: str) -> Result: ...
    def sendOfflineMessage(self, message: OfflineMessage) -> OfflineResult: ...
    def sendPageTitle(
        self, title: str, fromApi: bool | None = None, url: str | None = None
    ) -> None: ...
    def setContactInfo(self, info: ContactFields) -> None: ...
    def setClientAttributes(self, attributes: dict[str, str | float]) -> None: ...
    def setCustomData(self, fields: list[CustomDataField]) -> None: ...
    def setUserToken(self, token: str) -> None: ...
    def setRules(self, rules: dict[str, Any]) -> None: ...
    def getContactInfo(self) -> ContactInfo: ...
    def getVisitorNumber(self, callback: Callable[[str | None, int | None], object]) -> None: ...
    def getUnreadMessagesCount(self) -> int: ...
    def getUtm(self) -> Utm: ...
    def isCallbackEnabled(self, callback: Callable[[Result], object]) -> None: ...
    def clearHistory(self) -> None: ...


class JivoCallbacks(Protocol):
    """The ``jivo_on*`` callbacks a module may define, with the arguments Jivo passes."""

    def jivo_onLoadCallback(self) -> object: ...
    def jivo_onOpen(self) -> object: ...
    def jivo_onClose(self) -> object: ...
    def jivo_onChangeState(self, state: str) -> object: ...
    def jivo_onMessageSent(self) -> object: ...
    def jivo_onClientStartChat(self) -> object: ...
    def jivo_onIntroduction(self) -> object: ...
    def jivo_onAccept(self) -> object: ...
    def jivo_onMessageReceived(self) -> object: ...
    def jivo_onCallStart(self) -> object: ...
    def jivo_onCallEnd(self, res: CallResult | None = None) -> object: ...
    def jivo_onResizeCallback(self) -> object: ...
    def jivo_onWidgetDestroy(self) -> object: ...


# ---------------------------------------------------------------------- the browser


class ClassList(Protocol):
    """``element.classList``."""

    def add(self, *tokens: str) -> None: ...
    def remove(self, *tokens: str) -> None: ...
    def contains(self, token: str) -> bool: ...
    def toggle(self, token: str, force: bool | None = None) -> bool: ...


class Element(Protocol):
    """A DOM element (other properties are typed ``Any``)."""

    id: str
    className: str
    textContent: str | None
    classList: ClassList

    def getAttribute(self, name: str) -> str | None: ...
    def setAttribute(self, name: str, value: str) -> None: ...
    def appendChild(self, child: Element) -> Element: ...
    def __getattr__(self, name: str) -> Any: ...


class Document(Protocol):
    """``document``."""

    body: Element
    title: str
    referrer: str
    cookie: str

    def getElementById(self, element_id: str) -> Element | None: ...
    def querySelector(self, selector: str) -> Element | None: ...
    def createElement(self, tag: str) -> Element: ...
    def __getattr__(self, name: str) -> Any: ...


class Location(Protocol):
    """``window.location``."""

    href: str
    origin: str
    protocol: str
    host: str
    hostname: str
    pathname: str
    search: str
    hash: str

    def replace(self, url: str) -> None: ...
    def assign(self, url: str) -> None: ...


class Navigator(Protocol):
    """``window.navigator``."""

    language: str
    userAgent: str


class Storage(Protocol):
    """``localStorage`` / ``sessionStorage``: strings only."""

    def getItem(self, key: str) -> str | None: ...
    def setItem(self, key: str, value: str) -> None: ...
    def removeItem(self, key: str) -> None: ...
    def clear(self) -> None: ...


class DataLayer(Protocol):
    """Google Tag Manager's ``window.dataLayer`` (a JS array)."""

    def push(self, *items: Any) -> int: ...


class Console(Protocol):
    """``console``."""

    def log(self, *values: Any) -> None: ...
    def info(self, *values: Any) -> None: ...
    def warn(self, *values: Any) -> None: ...
    def error(self, *values: Any) -> None: ...


class Response(Protocol):
    """What ``await fetch(...)`` gives."""

    ok: bool
    status: int

    def json(self) -> Awaitable[Any]: ...
    def text(self) -> Awaitable[str]: ...


class JsonApi(Protocol):
    """The JS ``JSON`` object."""

    def stringify(self, value: Any) -> str: ...
    def parse(self, text: str) -> Any: ...


class Window(Protocol):
    """``window`` (page globals of your own are typed ``Any``)."""

    location: Location
    navigator: Navigator
    document: Document
    localStorage: Storage
    sessionStorage: Storage
    dataLayer: DataLayer
    jivo_api: JivoApi

    def jivo_init(self) -> None: ...
    def jivo_destroy(self) -> None: ...
    def __getattr__(self, name: str) -> Any: ...


# ---------------------------------------------------------------------- runtime placeholders


class _BrowserOnly:
    """Stands for a browser global in CPython: any use says where the real one lives."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _fail(self) -> RuntimeError:
        return RuntimeError(
            f"jivo_widget.browser.{self._name} exists only in the browser; to run callbacks in "
            "Python use jivo_widget.testing.fake_browser (FakeBrowser().load('callbacks.py'))"
        )

    def __getattr__(self, name: str) -> Any:
        raise self._fail()

    def __call__(self, *args: Any) -> Any:
        raise self._fail()

    def __repr__(self) -> str:
        return f"<browser-only {self._name}>"


jivo_api = cast(JivoApi, _BrowserOnly("jivo_api"))
window = cast(Window, _BrowserOnly("window"))
document = cast(Document, _BrowserOnly("document"))
console = cast(Console, _BrowserOnly("console"))
localStorage = cast(Storage, _BrowserOnly("localStorage"))
sessionStorage = cast(Storage, _BrowserOnly("sessionStorage"))
JSON = cast(JsonApi, _BrowserOnly("JSON"))


def jivo_init() -> None:
    """``window.jivo_init()``: show the widget again after :func:`jivo_destroy`."""
    raise _BrowserOnly("jivo_init")._fail()


def jivo_destroy() -> None:
    """``window.jivo_destroy()``: remove the widget (fires ``jivo_onWidgetDestroy``)."""
    raise _BrowserOnly("jivo_destroy")._fail()


def setTimeout(callback: Callable[[], object], delay_ms: float = 0) -> int:
    """``setTimeout(callback, delay_ms)``: run ``callback`` later; returns its timer id."""
    raise _BrowserOnly("setTimeout")._fail()


def clearTimeout(timer_id: int) -> None:
    """``clearTimeout(timer_id)``."""
    raise _BrowserOnly("clearTimeout")._fail()


def fetch(url: str, init: dict[str, Any] | None = None) -> Awaitable[Response]:
    """``await fetch(url, init)``: an HTTP request from the page."""
    raise _BrowserOnly("fetch")._fail()


#: The attribute a decorated function carries: the ``jivo_on*`` callback it handles.
CALLBACK_ATTRIBUTE = "__jivo_callback__"


def on(callback: str) -> Callable[[F], F]:
    """Register the decorated function as one more handler of a Jivo callback.

    ``@on("introduction")``, ``@on("change_state")`` and ``@on("jivo_onIntroduction")`` name
    the same kind of callback: the catalog's name with or without ``jivo_on``, in any case,
    underscores ignored. The compiler rejects unknown names.
    """

    def register(function: F) -> F:
        setattr(function, CALLBACK_ATTRIBUTE, callback)
        return function

    return register


#: Every name a callbacks module may import from here (the compiler allows these globals).
GLOBALS = (
    "jivo_api",
    "window",
    "document",
    "console",
    "localStorage",
    "sessionStorage",
    "JSON",
    "jivo_init",
    "jivo_destroy",
    "setTimeout",
    "clearTimeout",
    "fetch",
)
