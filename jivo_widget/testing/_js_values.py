"""JavaScript values as the fake browser hands them to callbacks and records them.

A dict a callback receives reads like a JS object (:class:`JsObject`: ``info.client_name``,
``undefined`` as ``None``); a page's array has ``push`` (:class:`JsArray`); what is recorded
is passed through :func:`normalize`, as JSON would carry it from a real page.
"""

from __future__ import annotations

from typing import Any


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


def js_value(value: Any) -> Any:
    """Data handed to a callback as the page would see it: dicts read as JS objects."""
    if isinstance(value, dict) and not isinstance(value, JsObject):
        return JsObject({k: js_value(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [js_value(v) for v in value]
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
