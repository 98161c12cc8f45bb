"""The fake browser's page surface: the DOM, storage, ``console``, ``JSON``, ``fetch``'s
response and ``window``, each recording what callbacks do with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from jivo_widget.testing._fake_jivo_api import FakeJivoApi
from jivo_widget.testing._js_values import JsArray, JsObject, normalize


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


class WindowHost(Protocol):
    """What ``window`` reads from the browser it belongs to."""

    navigations: list[str]
    document: Document
    localStorage: Storage
    sessionStorage: Storage
    jivo_api: FakeJivoApi

    def jivo_init(self) -> None: ...

    def jivo_destroy(self) -> None: ...


class Window:
    """``window``: the page's globals. Unknown properties read ``None`` (``undefined``);
    ``page={"dataLayer": []}`` defines globals the page has (lists become :class:`JsArray`)."""

    def __init__(self, fake: WindowHost, url: str, page: dict[str, Any]) -> None:
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
        fake: WindowHost = self.__dict__["_fake"]
        return fake.jivo_api

    def jivo_init(self) -> None:
        self.__dict__["_fake"].jivo_init()

    def jivo_destroy(self) -> None:
        self.__dict__["_fake"].jivo_destroy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None
