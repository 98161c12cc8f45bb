"""The kinds of field every Jivo payload model is built from, tolerant of what real Jivo sends.

One rule, applied by kind of field, so that a new field only has to pick its kind:

*An empty value means "not set".* ``null``, ``""`` (or only whitespace), ``{}`` and ``[]`` are
the empty values of JSON; Jivo (and PHP relays in front of it) send each of them where another
one is documented. Read in the field's own kind, an empty value is ``None`` for scalars and
objects and ``[]`` for lists, except that a string keeps ``""`` (``description: ""`` is real
data) and an object keeps ``{}`` / ``[]`` as an empty object.

A non-empty value that contradicts its field (``chat_id: "abc"``, ``visitor: "John"``) is still
an error naming the field: guessing there would hand handlers data that is not what Jivo meant.

The kinds: :data:`Text` (and :data:`Id`, an opaque string: Jivo sends ``"2016"`` and ``2016``
for the same kind of id), :data:`Integer`, :data:`NumberOrLabel`, :data:`UnixSeconds`,
:data:`Flag`, :data:`Nested`, :data:`JivoList`, :data:`JivoObject` and :data:`JivoObjectOrList`,
on the base
:class:`JivoModel`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, core_schema

__all__ = [
    "Flag",
    "Id",
    "Integer",
    "JivoList",
    "JivoModel",
    "JivoObject",
    "JivoObjectOrList",
    "Nested",
    "NumberOrLabel",
    "Text",
    "UnixSeconds",
    "tolerant_errors",
]

_T = TypeVar("_T")
_M = TypeVar("_M", bound="JivoModel")


def _is_blank(value: Any) -> bool:
    """``None``, a whitespace-only string, ``{}`` or ``[]``: JSON's ways of saying "nothing"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (dict, list)) and not value


def _is_empty_container(value: Any) -> bool:
    return isinstance(value, (dict, list)) and not value


def _text(value: Any) -> Any:
    # ``""`` stays (it is a value); ``{}`` / ``[]`` in a string field mean "not set".
    return None if _is_empty_container(value) else value


#: ``"2198"``, ``"-3"``: what :func:`int` reads exactly (ASCII digits only, unlike ``str.isdigit``).
_DECIMAL_INTEGER = re.compile(r"[+-]?[0-9]+")


def _integral(value: Any) -> Any:
    """Blank → ``None``; ``"2198"`` / ``2198.0`` → ``2198``; anything else left to pydantic."""
    if _is_blank(value):
        return None
    if isinstance(value, str) and _DECIMAL_INTEGER.fullmatch(value.strip()):
        try:
            return int(value)
        except ValueError:  # beyond Python's digit limit: pydantic's error names the field
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number_or_label(value: Any) -> Any:
    # ``visitor.number`` is a display counter ("Visitor 2198"): a non-numeric string is kept as
    # sent rather than refusing the whole event or dropping what Jivo showed the agent.
    value = _integral(value)
    return value.strip() if isinstance(value, str) else value


#: Epoch values at or above this are not seconds (10**11 s is the year 5138): they are read as
#: milliseconds, microseconds or nanoseconds and scaled down.
_SECONDS_LIMIT = 10**11


def _unix_seconds(value: Any) -> Any:
    """Blank → ``None``; numbers and numeric strings → whole unix seconds (floored).

    Fractions are floored (Jivo documents whole seconds; the exact value stays in ``raw``), and
    millisecond, microsecond or nanosecond values are scaled to seconds.
    """
    if _is_blank(value):
        return None
    number: float | int
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value) if _DECIMAL_INTEGER.fullmatch(value.strip()) else float(value)
        except ValueError:
            return value  # "yesterday": pydantic's error names the field
    else:
        return value
    if isinstance(number, float):
        if not math.isfinite(number):
            return value  # pydantic refuses it naming the field, rather than an OverflowError
        number = math.floor(number)
    for _ in range(3):  # ms, µs, ns
        if abs(number) < _SECONDS_LIMIT:
            break
        number //= 1000
    return number


def _blank_as_none(value: Any) -> Any:
    return None if _is_blank(value) else value


def _blank_string_as_none(value: Any) -> Any:
    # An object field: ``""`` means "not set"; ``{}`` / ``[]`` are an empty object
    # (see :class:`JivoModel` for ``[]``).
    return None if isinstance(value, str) and not value.strip() else value


def _blank_as_empty_list(value: Any) -> Any:
    if _is_blank(value):
        return []
    if isinstance(value, list):
        # ``[null, {"id": 7}]``: the empty items say nothing; the others are kept.
        return [item for item in value if not _is_blank(item)]
    return value


def _empty_array_as_object(value: Any) -> Any:
    # PHP's json_encode writes an empty associative array as ``[]``. Jivo documents ``{}``,
    # but a PHP-side relay (or Jivo itself) sending ``[]`` must not turn an event invalid.
    return {} if isinstance(value, list) and not value else value


def _free_object(value: Any) -> Any:
    return _empty_array_as_object(_blank_string_as_none(value))


class _NativeFirst:
    """Validate natively (pydantic-core) first; run the Python tolerance only when that fails.

    A well-formed field then costs no Python call (the tolerance rules made ``parse_event`` about
    twice as slow when every field ran its before-validator). The core schema is a left-to-right
    union ``[native, tolerant]``: ``native`` accepts only values the tolerant reading would turn
    into the same result, so the union reads every value exactly as ``tolerant`` alone does. Only
    the error of a value that fails both differs (it names both branches, tagged):
    :func:`~jivo_widget.webhooks.events.parse_event` reports the ``tolerant`` branch's errors alone
    (:func:`tolerant_errors`),
    so errors are exactly the tolerant schema's.
    """

    __slots__ = ("_native", "_normalize")

    def __init__(self, normalize: Callable[[Any], Any], native: CoreSchema | None = None) -> None:
        self._normalize = normalize
        #: ``None``: the annotated type's own schema (valid when ``normalize`` is the identity on
        #: every value that schema accepts).
        self._native = native

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        inner = handler(source)
        return _native_first(
            inner if self._native is None else self._native, self._normalize, inner
        )


def _native_first(
    native: CoreSchema, normalize: Callable[[Any], Any], tolerant: CoreSchema
) -> CoreSchema:
    """``native``, else ``tolerant`` after ``normalize``: the union :class:`_NativeFirst` builds."""
    return core_schema.union_schema(
        [
            (native, _NATIVE_TAG),
            (core_schema.no_info_before_validator_function(normalize, tolerant), _TOLERANT_TAG),
        ],
        mode="left_to_right",
    )


class _AlsoAccepts:
    """The JSON Schema of a kind: its type's own, plus the other forms its tolerance reads.

    The OpenAPI document (:mod:`jivo_widget.webhooks.openapi`) is built from these schemas, so
    they must say what the receiver takes: every form listed here is read (never refused), so a
    body valid by the schema is never a 422 for that field's type.
    """

    __slots__ = ("_forms",)

    def __init__(self, *forms: JsonSchemaValue) -> None:
        self._forms = forms

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        own = handler(schema)
        options = list(own["anyOf"]) if set(own) == {"anyOf"} else [own]
        options += [form for form in self._forms if form not in options]
        return {"anyOf": options}


#: The empty values of JSON other than ``null`` (which every optional kind's own schema has).
_BLANK_FORMS: tuple[JsonSchemaValue, ...] = (
    {"type": "string", "pattern": "^[ \\t\\n\\r]*$"},
    {"type": "object", "maxProperties": 0},
    {"type": "array", "maxItems": 0},
)
_EMPTY_CONTAINERS = _BLANK_FORMS[1:]
#: A decimal integer as text, as :func:`_integral` reads it (ASCII digits and spaces only).
_INTEGER_TEXT: JsonSchemaValue = {
    "type": "string", "pattern": "^ *[+-]?[0-9]+ *$", "maxLength": 100
}  # fmt: skip
_WHOLE_NUMBER: JsonSchemaValue = {"type": "number", "multipleOf": 1}
#: The tags of :class:`_NativeFirst`'s union branches in error locations (see _tolerant_errors).
_NATIVE_TAG = "jivo-native"
_TOLERANT_TAG = "jivo-tolerant"

#: Text or ``None``: numbers are read as their decimal string, ``{}`` / ``[]`` as ``None``.
#: (A string or number is already what ``_text`` returns: the native schema alone reads it.)
Text = Annotated[
    str | None, _NativeFirst(_text), _AlsoAccepts({"type": "number"}, *_EMPTY_CONTAINERS)
]
#: An id: an **opaque string** (Jivo sends ``"2016"`` and ``2016`` for the same kind of id).
Id = Text
#: An integer or ``None``: numeric strings and whole floats are read as ints, blanks as ``None``.
#: (pydantic's lax int reads ``"2198"`` and ``2198.0`` as :func:`_integral` does.)
Integer = Annotated[
    int | None, _NativeFirst(_integral), _AlsoAccepts(_INTEGER_TEXT, _WHOLE_NUMBER, *_BLANK_FORMS)
]
#: An int when Jivo sent a number or a numeric string, else the string as sent, else ``None``.
#: (Only a true int or ``null`` skips :func:`_number_or_label`: strings need its stripping.)
NumberOrLabel = Annotated[
    int | str | None,
    _NativeFirst(
        _number_or_label, core_schema.nullable_schema(core_schema.int_schema(strict=True))
    ),
    _AlsoAccepts(_WHOLE_NUMBER, *_EMPTY_CONTAINERS),
]
#: Whole unix seconds or ``None``; fractions floored, ms/µs/ns scaled to seconds.
#: (An int already in seconds is what :func:`_unix_seconds` returns unchanged.)
UnixSeconds = Annotated[
    int | None,
    _NativeFirst(
        _unix_seconds,
        core_schema.nullable_schema(
            core_schema.int_schema(strict=True, gt=-_SECONDS_LIMIT, lt=_SECONDS_LIMIT)
        ),
    ),
    _AlsoAccepts(
        {"type": "number"},
        {
            "type": "string",
            "pattern": "^ *[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})? *$",
            "maxLength": 100,
        },
        *_BLANK_FORMS,
    ),
]
#: ``true`` / ``false`` (or pydantic's lax forms: ``1``, ``"false"``…); blanks are ``None``.
Flag = Annotated[
    bool | None,
    _NativeFirst(_blank_as_none),
    _AlsoAccepts(
        {"type": "integer", "enum": [0, 1]},
        {"type": "string", "enum": ["0", "1", "true", "false", "yes", "no", "on", "off"]},
        *_BLANK_FORMS,
    ),
]
#: A nested Jivo object or ``None``; ``""`` is ``None``, ``{}`` / ``[]`` an empty object.
Nested = Annotated[_M | None, _NativeFirst(_free_object), _AlsoAccepts(*_BLANK_FORMS)]
#: A list; ``null``, ``""``, ``{}`` are ``[]`` and empty items are dropped.
JivoList = Annotated[
    list[_T],
    BeforeValidator(_blank_as_empty_list),
    _AlsoAccepts({"type": "null"}, *_BLANK_FORMS[:2]),
]
#: A free-form JSON object or ``None``; ``""`` is ``None`` and a PHP-style ``[]`` is ``{}``.
JivoObject = Annotated[
    dict[str, Any] | None, _NativeFirst(_free_object), _AlsoAccepts(*_BLANK_FORMS)
]
#: Free-form JSON whose shape Jivo does not document (an object or a list, kept as sent), or
#: ``None``; ``""`` is ``None``.
JivoObjectOrList = Annotated[
    dict[str, Any] | list[Any] | None,
    BeforeValidator(_blank_string_as_none),
    _AlsoAccepts(_BLANK_FORMS[0]),
]


class JivoModel(BaseModel):
    """Base of every nested Jivo object: extra keys kept, numbers accepted where strings are.

    Every field uses one of the tolerant types above (:data:`Text`, :data:`Id`, :data:`Integer`,
    :data:`NumberOrLabel`, :data:`UnixSeconds`, :data:`Flag`, :data:`Nested`, :data:`JivoList`,
    :data:`JivoObject`), so a new field only has to pick its kind.
    """

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Any = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Like pydantic's; a PHP-style ``[]`` reads as ``{}``, and errors name each field once.

        ``[]`` is handled here (and by :data:`Nested` inside an event) rather than by a
        ``model_validator(mode="before")``, which would cost a Python call for every object of
        every event. Errors are reported as the tolerant schema alone would (see
        :class:`_NativeFirst`).
        """
        try:
            return super().model_validate(
                _empty_array_as_object(obj),
                strict=strict,
                extra=extra,
                from_attributes=from_attributes,
                context=context,
                by_alias=by_alias,
                by_name=by_name,
            )
        except ValidationError as exc:
            raise tolerant_errors(exc) from None


def tolerant_errors(exc: ValidationError) -> ValidationError:
    """``exc`` as the tolerant schema alone reports it: the errors of the :class:`_NativeFirst`
    native branches dropped, the tolerant branches' tags taken out of each location."""
    errors: list[InitErrorDetails] = []
    for error in exc.errors(include_url=False):
        if _NATIVE_TAG in error["loc"]:
            continue
        details: InitErrorDetails = {
            "type": error["type"],
            "loc": tuple(part for part in error["loc"] if part != _TOLERANT_TAG),
            "input": error["input"],
        }
        if "ctx" in error:
            details["ctx"] = error["ctx"]
        errors.append(details)
    try:
        return ValidationError.from_exception_data(exc.title, errors)
    except (KeyError, TypeError, ValueError):
        # An error type pydantic cannot rebuild from its details (none of ours raise one): the
        # tagged original still names the field.
        return exc
