"""One request's data for :meth:`Widget.render`: validated natively, repaired leniently.

It runs on every page view, so the happy path is one pydantic-core validation of plain dicts
into plain dicts with native checks only (the URL rule included, see :mod:`jivo_widget.urls`);
Python runs only for values that are not already ``str`` (an int token, a lazy string). The
public typed models (:class:`~jivo_widget.config.Contact`,
:class:`~jivo_widget.config.CustomField`) are built from the same schemas.

When a request breaks a rule, :class:`RequestValidator` either raises
:class:`~jivo_widget.errors.JivoConfigError` (strict) or drops the smallest invalid part and logs
one WARNING naming each part and its rule, never its value (lenient, the default for pages):

- a scalar argument (``user_token``, ``page_title``, ``nonce``, ``clear_history``...) is dropped;
  ``page_url`` goes with a dropped ``page_title`` (it needs one);
- ``contact``: the bad field (or unknown key) is dropped, the others are sent;
- ``custom_data``: an item whose ``content`` is bad, or that is not a mapping, is dropped; a bad
  optional key of an item (``link``, ``title``, ``key``, an unknown key) is dropped from it;
  beyond the tenth valid item the rest is dropped; if no item is left, nothing is sent;
- ``client_attributes``: the bad attribute is dropped;
- a ``contact``/``custom_data``/``client_attributes`` of the wrong type is dropped whole.

Strict is the call's ``strict=`` if given, else the Widget's ``strict``, else the environment
variable ``JIVO_WIDGET_STRICT`` (read only when something is wrong, so it costs a valid request
nothing), else lenient.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import (
    ErrorDetails,
    PydanticCustomError,
    SchemaValidator,
    ValidationError,
)
from pydantic_core import core_schema as cs

from jivo_widget import catalog
from jivo_widget._validation_errors import (
    ATTRIBUTE_VALUE_ERROR,
    ATTRIBUTE_VALUE_MESSAGE,
    error_location,
)
from jivo_widget.errors import JivoConfigError
from jivo_widget.urls import url_schema

__all__ = [
    "LOGGER_NAME",
    "NONCE_MESSAGE",
    "REQUEST_FIELDS",
    "STRICT_ENV",
    "RequestValidator",
    "TextRule",
    "attribute_value_schema",
    "link_schema",
    "strict_from_environment",
    "text_schema",
]

#: The environment variable that makes rendering strict when neither the call nor the Widget
#: says (the jivo_mock pytest plugin sets it for test sessions): 1/true/yes/on, or 0/false/no/off.
STRICT_ENV = "JIVO_WIDGET_STRICT"
#: The logger of lenient rendering's warnings.
LOGGER_NAME = "jivo_widget.render"
_log = logging.getLogger(LOGGER_NAME)

# CSP nonces are base64(url) in practice; anything else could break out of the attribute.
NONCE_PATTERN = r"^[A-Za-z0-9+/_=-]{1,256}$"
NONCE_MESSAGE = "must be a base64 CSP nonce (letters, digits, +/_=-)"
_STRING_TYPE = "Input should be a valid string"


# --------------------------------------------------------------------------- str()-able values

# Not "str()-able" although their classes define __str__: bytes print as "b'...'", and numbers
# where text is expected are a mistake (a phone number loses its "+" and leading zeros).
_NOT_TEXT = (bytes, bytearray, memoryview, bool, int, float, complex)


def _str_of(value: Any) -> Any:
    """The text of an object whose class defines ``__str__`` (lazy strings, UUIDs, Decimals).

    A ``str`` is returned as is (it failed a constraint: the next schema reports which). Django's
    lazy objects pretend to be ``str`` to ``isinstance``; ``type()`` sees through them.
    """
    kind = type(value)
    if kind is str:
        return value
    # A class without its own __str__ prints as "<Foo object at 0x…>": not text.
    no_str = kind.__str__ is object.__str__  # type: ignore[comparison-overlap]
    if no_str or issubclass(kind, _NOT_TEXT):
        raise PydanticCustomError("string_type", _STRING_TYPE)
    try:
        return str(value)
    except Exception as exc:  # a lazy value that fails to evaluate is a bad value, not a 500
        raise PydanticCustomError(
            "string_type",
            "str() of a {kind} raised {error}",
            {"kind": kind.__name__, "error": type(exc).__name__},
        ) from None


def _token_of(value: Any) -> Any:
    """Ints are tokens too (``request.user.pk``); booleans are not."""
    if type(value) is int:
        return str(value)
    return _str_of(value)


def _text_or(
    exact: cs.CoreSchema, convert: Callable[[Any], Any] = _str_of, *, native: bool = True
) -> cs.CoreSchema:
    """``exact`` (a strict ``str`` schema), or ``convert(value)`` checked by ``exact``.

    ``native``: a left-to-right union, so a ``str`` that passes never reaches Python (the
    per-request validator); its errors come in pairs, one per member, which
    :func:`describe` merges. Otherwise (the typed models) a Python wrapper around ``exact``,
    whose errors are pydantic's usual single ones.
    """
    if native:
        return cs.union_schema(
            [exact, cs.chain_schema([cs.no_info_plain_validator_function(convert), exact])],
            mode="left_to_right",
        )

    def text_of(value: Any, handler: cs.ValidatorFunctionWrapHandler) -> Any:
        return handler(value if type(value) is str else convert(value))

    return cs.no_info_wrap_validator_function(text_of, exact)


def text_schema(*, min_length: int | None = None, native: bool = True) -> cs.CoreSchema:
    """A string, or an object whose ``str()`` is one (converted)."""
    return _text_or(cs.str_schema(strict=True, min_length=min_length), native=native)


def link_schema(*, native: bool = True) -> cs.CoreSchema:
    """A link by the URL rule, given as a string or an object whose ``str()`` is one."""
    return _text_or(url_schema(), native=native)


def _nonce_schema() -> cs.CoreSchema:
    return _text_or(
        cs.custom_error_schema(
            cs.str_schema(strict=True, pattern=NONCE_PATTERN),
            custom_error_type="nonce",
            custom_error_message=NONCE_MESSAGE,
        )
    )


def _attribute_value(value: Any) -> Any:
    if type(value) is float and not math.isfinite(value):
        raise PydanticCustomError(ATTRIBUTE_VALUE_ERROR, ATTRIBUTE_VALUE_MESSAGE)
    return _str_of(value)


def attribute_value_schema() -> cs.CoreSchema:
    """Jivo attribute values are Text or Number (strict: ``True`` is not a number; NaN and
    Infinity are not JSON); str()-able objects are text."""
    return cs.union_schema(
        [
            cs.str_schema(strict=True),
            cs.int_schema(strict=True),
            cs.float_schema(strict=True, allow_inf_nan=False),
            cs.chain_schema(
                [cs.no_info_plain_validator_function(_attribute_value), cs.str_schema(strict=True)]
            ),
        ],
        mode="left_to_right",
        custom_error_type=ATTRIBUTE_VALUE_ERROR,
        custom_error_message=ATTRIBUTE_VALUE_MESSAGE,
    )


class TextRule:
    """``Annotated[str, TextRule(...)]``: a model field checked as the request validator does
    (``TextRule(link_schema)`` for a link), with pydantic's usual one error per field."""

    def __init__(self, schema: Callable[..., cs.CoreSchema] = text_schema, **kwargs: Any) -> None:
        self._schema = schema
        self._kwargs = kwargs

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        """The shared schema in place of ``str``'s."""
        return self._schema(**self._kwargs, native=False)


# --------------------------------------------------------------------------- the schema


def _optional(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.nullable_schema(schema), required=False)


def _fields(max_fields: int | None) -> dict[str, cs.TypedDictField]:
    """The request's fields (``render()``'s keyword arguments) and their schemas."""
    text = text_schema()
    contact = cs.typed_dict_schema(
        {name: _optional(text) for name in catalog.CONTACT_FIELDS}, extra_behavior="forbid"
    )
    # Every custom data key is optional text, but two: Jivo requires content (an empty string
    # is no content: the mock flags it too), and a link follows the URL rule.
    special = {
        "content": cs.typed_dict_field(text_schema(min_length=1)),
        "link": _optional(link_schema()),
    }
    custom_field = cs.typed_dict_schema(
        {key: special.get(key, _optional(text)) for key in catalog.CUSTOM_DATA_FIELD_KEYS},
        extra_behavior="forbid",
    )
    return {
        "user_token": _optional(_text_or(cs.str_schema(strict=True, min_length=1), _token_of)),
        "contact": _optional(contact),
        "custom_data": _optional(cs.list_schema(custom_field, max_length=max_fields, strict=True)),
        "client_attributes": _optional(cs.dict_schema(text, attribute_value_schema(), strict=True)),
        "page_title": _optional(text),
        "page_url": _optional(link_schema()),
        "clear_history": _optional(cs.bool_schema(strict=True)),
        "nonce": _optional(_nonce_schema()),
    }


#: ``render()``'s per-request keyword arguments, in order (its signature is checked against it).
REQUEST_FIELDS = tuple(_fields(None))


def _request_schema(max_fields: int | None) -> cs.CoreSchema:
    return cs.typed_dict_schema(_fields(max_fields), extra_behavior="forbid")


# --------------------------------------------------------------------------- errors

#: Where an error points, as the request's own keys: ("custom_data", 3, "link").
Path = tuple[str | int, ...]


def _path(loc: tuple[int | str, ...]) -> Path:
    """The data path of an error, without pydantic's union/chain tags (position tells them)."""
    top = loc[0]
    if top == "contact":
        return tuple(loc[:2])  # ("contact", key)
    if top == "custom_data":
        return tuple(loc[:3])  # ("custom_data", index, key)
    if top == "client_attributes":
        return tuple(loc[:3]) if loc[2:3] == ("[key]",) else tuple(loc[:2])
    return (top,)


def _message(error: ErrorDetails) -> str:
    """The rule an error broke, without the value (it may be personal data)."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == ATTRIBUTE_VALUE_ERROR:
        return f"{error['msg']}, got {type(error['input']).__name__}"
    return error["msg"]


def _too_many(path: Path) -> tuple[str, str]:
    limit = catalog.CUSTOM_DATA_MAX_FIELDS
    where = f"{error_location(path)}[{limit}]"
    return where, f"at most {limit} fields allowed (setCustomData limit)"


def describe(exc: ValidationError) -> str:
    """One line naming every failing part and its rule.

    A value that is not a ``str`` fails both members of a text union: the last error (the
    converted value's) says more than "Input should be a valid string", so it wins.
    """
    seen: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = _path(error["loc"])
        if error["type"] == "too_long" and path == ("custom_data",):
            where, message = _too_many(path)
        else:
            where, message = error_location(path), _message(error)
        seen[where] = message
    return "; ".join(f"{where}: {message}" for where, message in seen.items())


def strict_from_environment() -> bool:
    """``JIVO_WIDGET_STRICT``: unset, empty, 0, false, no or off is lenient; else strict."""
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def _is_strict(strict: bool | None) -> bool:
    # Called only once something is wrong: a valid request never reads the environment.
    return strict if strict is not None else strict_from_environment()


# --------------------------------------------------------------------------- lenient repair


class _Repair:
    """A copy of a request without the parts that errors point at, and what was dropped."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.notes: dict[str, str] = {}  # where → "rule (what went, when it is more)"

    def note(self, where: str, message: str, dropped: Path | None = None) -> None:
        """Record that the part at ``where`` broke ``message`` (and what larger part went).

        The last message for a place wins, as in :func:`describe`.
        """
        if dropped is not None:
            message += f" ({error_location(dropped)} dropped)"
        self.notes[where] = message

    def drop(self, errors: list[ErrorDetails]) -> None:
        values = dict(self.values)
        items: dict[str, dict[Any, Any]] = {}  # mapping fields copied once, then trimmed
        drop_items: set[int] = set()
        item_keys: dict[int, set[str]] = {}
        for error in errors:
            path = _path(error["loc"])
            top, where, message = path[0], error_location(path), _message(error)
            if len(path) == 1 or top not in ("contact", "custom_data", "client_attributes"):
                self.note(where, message)
                values[str(top)] = None
            elif top == "custom_data":
                index = int(path[1])
                if len(path) == 2:
                    self.note(where, message)
                    drop_items.add(index)
                elif path[2] == "content":
                    self.note(where, message, path[:2])
                    drop_items.add(index)
                else:
                    self.note(where, message)
                    item_keys.setdefault(index, set()).add(str(path[2]))
            else:
                self.note(where, message)
                trimmed = items.setdefault(str(top), dict(values[str(top)]))
                trimmed.pop(path[1], None)
        values.update(items)
        if drop_items or item_keys:
            values["custom_data"] = [
                {k: v for k, v in item.items() if k not in item_keys.get(i, ())}
                for i, item in enumerate(values["custom_data"])
                if i not in drop_items
            ] or None  # every item invalid: no setCustomData at all (not a clearing [])
        self.values = values


class RequestValidator:
    """Validates ``render()``'s keyword arguments into plain dicts, strictly or leniently."""

    def __init__(self) -> None:
        self._validator = SchemaValidator(_request_schema(catalog.CUSTOM_DATA_MAX_FIELDS))
        # Lenient repair sees every item's errors: past max_length, pydantic-core stops looking.
        self._unbounded = SchemaValidator(_request_schema(None))

    def __call__(self, values: dict[str, Any], strict: bool | None) -> dict[str, Any]:
        """The validated request; ``strict=None`` means the environment decides."""
        try:
            request: dict[str, Any] = self._validator.validate_python(values)
        except ValidationError as exc:
            if _is_strict(strict):
                raise JivoConfigError(describe(exc)) from None
            return self._lenient(values)
        if request.get("page_url") is not None and request.get("page_title") is None:
            if _is_strict(strict):
                raise JivoConfigError(f"page_url: {_NEEDS_TITLE}")
            return self._lenient(values)
        return request

    def _lenient(self, values: dict[str, Any]) -> dict[str, Any]:
        repair = _Repair(values)
        # Each round drops every part an error points at; a second round can only fail on a
        # part the first round could not see, so two rounds always end (a third is a guard).
        for _ in range(3):
            try:
                request: dict[str, Any] = self._unbounded.validate_python(repair.values)
                break
            except ValidationError as exc:
                repair.drop(exc.errors(include_url=False))
        else:  # defensive, unreachable by construction: send nothing rather than fail the page
            repair.note("request", "could not be repaired, nothing sent")
            request = {}
        limit = catalog.CUSTOM_DATA_MAX_FIELDS
        if len(custom_data := request.get("custom_data") or ()) > limit:
            repair.note(*_too_many(("custom_data",)))
            request["custom_data"] = custom_data[:limit]
        if request.get("page_url") is not None and request.get("page_title") is None:
            repair.note("page_url", _NEEDS_TITLE)
            request["page_url"] = None
        _log.warning(
            "jivo-widget: invalid per-request data left out of the page "
            "(Widget(strict=True) or %s=1 raises instead): %s",
            STRICT_ENV,
            "; ".join(f"{where}: {message}" for where, message in repair.notes.items()),
        )
        return request


_NEEDS_TITLE = "needs page_title (sendPageTitle(title, true, url))"
