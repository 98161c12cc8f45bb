"""Typed Jivo webhook events (pydantic v2), tolerant of what real Jivo sends.

Facts: ``shared/reference/jivo-api.md`` §7. The modelling rules from there:

- everything is optional except ``event_name``;
- ids are **opaque strings** (Jivo sends ``"2016"`` and ``2016`` for the same kind of id), except
  ``chat_id`` and ``offline_message_id``, which are integers everywhere Jivo documents them;
  counters (``chats_count``) are integers coerced from numeric strings; ``visitor.number`` is an
  int, or the string as sent when it is not numeric; timestamps are whole unix **seconds**
  (fractions floored, millisecond values scaled);
- an empty value (``null``, ``""``, ``{}``, ``[]``) means "not set", whatever the field's kind:
  ``None`` for scalars and objects, ``[]`` for lists (strings keep ``""``; objects read ``{}`` and
  a PHP-style ``[]`` as an empty object). One set of annotated types (:data:`Text`, :data:`Id`,
  :data:`Integer`, :data:`NumberOrLabel`, :data:`UnixSeconds`, :data:`Flag`, :data:`Nested`,
  :data:`JivoList`, :data:`JivoObject`) applies this to every field;
- a non-empty value that contradicts its field (``chat_id: "abc"``) fails validation naming it;
- unknown keys are kept (``model.model_extra``), and the payload as received is always available
  as :attr:`JivoEvent.raw` (the decoded JSON object) and :attr:`JivoEvent.raw_body` (the bytes).

New event names parse as :class:`UnknownEvent`, never as an error (Jivo adds events over time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PrivateAttr,
    ValidationError,
)
from pydantic_core import CoreSchema, InitErrorDetails, core_schema

__all__ = [
    "EVENT_MODELS",
    "RESPONSE_EVENTS",
    "Agent",
    "AssignedAgent",
    "Call",
    "CallEvent",
    "Chat",
    "ChatAccepted",
    "ChatAssigned",
    "ChatFinished",
    "ChatMessage",
    "ChatUpdated",
    "ClientAttributeUpdated",
    "ClientStatus",
    "ClientUpdated",
    "Department",
    "Flag",
    "GeoIP",
    "Id",
    "Integer",
    "JivoEvent",
    "JivoList",
    "JivoObject",
    "Nested",
    "NumberOrLabel",
    "OfflineMessage",
    "Organization",
    "Page",
    "Session",
    "Tag",
    "Text",
    "Topic",
    "UnixSeconds",
    "UnknownEvent",
    "UtmJson",
    "Visitor",
    "event_model",
    "parse_event",
]

_T = TypeVar("_T")
_M = TypeVar("_M", bound="JivoModel")

# --- Tolerant field types ------------------------------------------------------------------------
#
# One rule, applied by kind of field, so that a new field only has to pick its kind:
#
#   *An empty value means "not set".*  ``null``, ``""`` (or only whitespace), ``{}`` and ``[]`` are
#   the empty values of JSON; Jivo (and PHP relays in front of it) send each of them where another
#   one is documented. Read in the field's own kind, an empty value is ``None`` for scalars and
#   objects and ``[]`` for lists, except that a string keeps ``""`` (``description: ""`` is real
#   data) and an object keeps ``{}`` / ``[]`` as an empty object.
#
# A non-empty value that contradicts its field (``chat_id: "abc"``, ``visitor: "John"``) is still an
# error naming the field: guessing there would hand handlers data that is not what Jivo meant.


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
    :func:`parse_event` reports the ``tolerant`` branch's errors alone (:func:`_tolerant_errors`),
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


#: The tags of :class:`_NativeFirst`'s union branches in error locations (see _tolerant_errors).
_NATIVE_TAG = "jivo-native"
_TOLERANT_TAG = "jivo-tolerant"

#: Text or ``None``: numbers are read as their decimal string, ``{}`` / ``[]`` as ``None``.
#: (A string or number is already what ``_text`` returns: the native schema alone reads it.)
Text = Annotated[str | None, _NativeFirst(_text)]
#: An id: an **opaque string** (Jivo sends ``"2016"`` and ``2016`` for the same kind of id).
Id = Text
#: An integer or ``None``: numeric strings and whole floats are read as ints, blanks as ``None``.
#: (pydantic's lax int reads ``"2198"`` and ``2198.0`` as :func:`_integral` does.)
Integer = Annotated[int | None, _NativeFirst(_integral)]
#: An int when Jivo sent a number or a numeric string, else the string as sent, else ``None``.
#: (Only a true int or ``null`` skips :func:`_number_or_label`: strings need its stripping.)
NumberOrLabel = Annotated[
    int | str | None,
    _NativeFirst(
        _number_or_label, core_schema.nullable_schema(core_schema.int_schema(strict=True))
    ),
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
]
#: ``true`` / ``false`` (or pydantic's lax forms: ``1``, ``"false"``…); blanks are ``None``.
Flag = Annotated[bool | None, _NativeFirst(_blank_as_none)]
#: A nested Jivo object or ``None``; ``""`` is ``None``, ``{}`` / ``[]`` an empty object.
Nested = Annotated[_M | None, _NativeFirst(_free_object)]
#: A list; ``null``, ``""``, ``{}`` are ``[]`` and empty items are dropped.
JivoList = Annotated[list[_T], BeforeValidator(_blank_as_empty_list)]
#: A free-form JSON object or ``None``; ``""`` is ``None`` and a PHP-style ``[]`` is ``{}``.
JivoObject = Annotated[dict[str, Any] | None, _NativeFirst(_free_object)]


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
            raise _tolerant_errors(exc) from None


class Page(JivoModel):
    """The page the visitor is on: ``{url, title?}``."""

    url: Text = None
    title: Text = None


class GeoIP(JivoModel):
    """``session.geoip``. Jivo sends latitude and longitude as strings; they are kept as such."""

    region_code: Text = None
    country: Text = None
    country_code: Text = None
    region: Text = None
    city: Text = None
    latitude: Text = None
    longitude: Text = None
    organization: Text = None
    isp: Text = None


class UtmJson(JivoModel):
    """``session.utm_json``; extra keys (a real payload has ``keyword``) are kept."""

    source: Text = None
    campaign: Text = None
    content: Text = None
    medium: Text = None
    term: Text = None


class Session(JivoModel):
    """``session``: geo data, UTM tags, IP address and user agent."""

    geoip: Nested[GeoIP] = None
    utm: Text = None
    utm_json: Nested[UtmJson] = None
    ip_addr: Text = None
    user_agent: Text = None

    @property
    def utm_pairs(self) -> dict[str, str]:
        """``utm`` as a dict: pipe-delimited ``key=value`` pairs (``source=google|medium=cpc``)."""
        pairs: dict[str, str] = {}
        for part in (self.utm or "").split("|"):
            key, sep, value = part.partition("=")
            if sep and key:
                pairs[key] = value
        return pairs


class Visitor(JivoModel):
    """``visitor``. ``number`` arrives as ``"2198"`` or ``83``: an int here (see
    :data:`NumberOrLabel`; a non-numeric string is kept as sent)."""

    name: Text = None
    email: Text = None
    phone: Text = None
    description: Text = None
    number: NumberOrLabel = None
    social: JivoObject = None
    chats_count: Integer = None


class Agent(JivoModel):
    """An agent: ``{id, name, email, phone?}``; ``id`` is an opaque string."""

    id: Id = None
    name: Text = None
    email: Text = None
    phone: Text = None


class Department(JivoModel):
    """``department``: ``{id, name}``."""

    id: Id = None
    name: Text = None


class Topic(JivoModel):
    """``topic``: ``{topic_id, title, parent_id}``."""

    topic_id: Id = None
    title: Text = None
    parent_id: Id = None


class Organization(JivoModel):
    """``organization``: ``{id, name}``."""

    id: Id = None
    name: Text = None


class ClientStatus(JivoModel):
    """``status``: the client category, e.g. ``{"id": "4", "title": "contact_later"}``."""

    id: Id = None
    title: Text = None


class AssignedAgent(JivoModel):
    """``assigned_agent``: the agent responsible for the client."""

    id: Id = None
    email: Text = None
    name: Text = None


class Tag(JivoModel):
    """One of ``tags``: ``{id, title}``."""

    id: Id = None
    title: Text = None


class ChatMessage(JivoModel):
    """One of ``chat.messages``. The text is in ``message``; ``timestamp`` is unix seconds."""

    message: Text = None
    timestamp: UnixSeconds = None
    type: Text = None
    agent_id: Id = None

    @property
    def sent_at(self) -> datetime | None:
        """``timestamp`` as an aware UTC datetime; ``None`` when unset or out of range.

        Never raises: it runs inside users' handlers, where one odd timestamp must not fail the
        handler (``timestamp`` is already scaled to seconds; see :data:`UnixSeconds`).
        """
        if self.timestamp is None:
            return None
        try:
            return datetime.fromtimestamp(self.timestamp, UTC)
        except (OverflowError, OSError, ValueError):
            return None


class Chat(JivoModel):
    """``chat`` of ``chat_finished``: the transcript and its rating."""

    messages: JivoList[ChatMessage] = Field(default_factory=list)
    blacklisted: Flag = None
    rate: Text = None
    invitation: Text = None


class Call(JivoModel):
    """``call`` of ``call_event``: type, phone, status, and after the call a record URL."""

    type: Text = None
    phone: Text = None
    status: Text = None
    reason: Text = None
    record_url: Text = None


class JivoEvent(JivoModel):
    """Base of every event. ``event_name`` is the only required field.

    :attr:`raw` is the decoded payload exactly as received and :attr:`raw_body` its bytes, so a
    field this model does not know yet is never lost.
    """

    #: The ``event_name`` this class models (``""`` for :class:`UnknownEvent`).
    event_type: ClassVar[str] = ""
    #: Jivo reads the answer to this event (a handler's response is shown to the agent); every
    #: other event is answered ``{"result": "ok"}`` as soon as it is stored.
    reads_response: ClassVar[bool] = False

    event_name: str
    widget_id: Id = None
    user_token: Id = None

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _raw_body: bytes = PrivateAttr(default=b"")

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object as received (not re-serialised, not coerced)."""
        return self._raw

    @property
    def raw_body(self) -> bytes:
        """The request body as received (empty when the event was built from a dict)."""
        return self._raw_body


class _EnvelopeEvent(JivoEvent):
    """Events carrying the chat envelope: ``chat_id``, ``visitor``, ``session``, ``page``."""

    chat_id: Integer = None
    visitor: Nested[Visitor] = None
    session: Nested[Session] = None
    page: Nested[Page] = None


class _ClientCardFields(JivoModel):
    """Client-card fields shared by chat and client events."""

    organization: Nested[Organization] = None
    status: Nested[ClientStatus] = None
    assigned_agent: Nested[AssignedAgent] = None
    tags: JivoList[Tag] = Field(default_factory=list)


class _ChatCardEvent(_EnvelopeEvent, _ClientCardFields):
    """``chat_accepted`` / ``chat_updated``: the events whose response Jivo shows to the agent."""

    reads_response: ClassVar[bool] = True

    agent: Nested[Agent] = None
    department: Nested[Department] = None
    topic: Nested[Topic] = None
    analytics: JivoObject = None


class ChatAccepted(_ChatCardEvent):
    """An agent accepted the chat. The handler's return value is shown to the agent (§7.2)."""

    event_type: ClassVar[str] = "chat_accepted"


class ChatUpdated(_ChatCardEvent):
    """Visitor data changed during an active chat. The response is shown like chat_accepted's."""

    event_type: ClassVar[str] = "chat_updated"


class ChatFinished(_EnvelopeEvent, _ClientCardFields):
    """The chat was closed: agents, transcript (``chat.messages``) and rating."""

    event_type: ClassVar[str] = "chat_finished"

    agents: JivoList[Agent] = Field(default_factory=list)
    chat: Nested[Chat] = None
    plain_messages: Text = None
    html_messages: Text = None
    department: Nested[Department] = None
    topic: Nested[Topic] = None


class OfflineMessage(_EnvelopeEvent):
    """The offline form was submitted: the text is in ``message``."""

    event_type: ClassVar[str] = "offline_message"

    message: Text = None
    offline_message_id: Integer = None
    topic: Nested[Topic] = None


class ChatAssigned(_EnvelopeEvent):
    """Legacy: a chat was linked to a CRM card via ``crm_link``. Absent from current docs."""

    event_type: ClassVar[str] = "chat_assigned"

    agent: Nested[Agent] = None
    department: Nested[Department] = None
    assign_to: Text = None


class CallEvent(_EnvelopeEvent):
    """A new call or a call status change."""

    event_type: ClassVar[str] = "call_event"

    call: Nested[Call] = None
    agent: Nested[Agent] = None
    department: Nested[Department] = None
    topic: Nested[Topic] = None


class ClientUpdated(JivoEvent, _ClientCardFields):
    """The client card changed outside a chat. Has ``client_id``, no ``chat_id``."""

    event_type: ClassVar[str] = "client_updated"

    client_id: Id = None
    visitor: Nested[Visitor] = None


class ClientAttributeUpdated(JivoEvent):
    """Client attributes changed. The shape of ``attributes`` is undocumented (§7.1): kept as is."""

    event_type: ClassVar[str] = "client_attribute_updated"

    client_id: Id = None
    attributes: Annotated[
        dict[str, Any] | list[Any] | None, BeforeValidator(_blank_string_as_none)
    ] = None


class UnknownEvent(JivoEvent):
    """An ``event_name`` this version does not model; every field is in :attr:`raw`."""


#: ``event_name`` → model, for every event this version knows.
EVENT_MODELS: Mapping[str, type[JivoEvent]] = {
    model.event_type: model
    for model in (
        ChatAccepted,
        ChatUpdated,
        ChatFinished,
        OfflineMessage,
        CallEvent,
        ClientUpdated,
        ClientAttributeUpdated,
        ChatAssigned,
    )
}


#: The events whose answer Jivo reads (see :attr:`JivoEvent.reads_response`).
RESPONSE_EVENTS = frozenset(name for name, model in EVENT_MODELS.items() if model.reads_response)


def event_model(event_name: str) -> type[JivoEvent]:
    """The model for ``event_name``: one of :data:`EVENT_MODELS`, else :class:`UnknownEvent`."""
    return EVENT_MODELS.get(event_name, UnknownEvent)


def _tolerant_errors(exc: ValidationError) -> ValidationError:
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


def parse_event(payload: Mapping[str, Any], raw_body: bytes = b"") -> JivoEvent:
    """Validate ``payload`` (a decoded JSON object) into its event model.

    Raises :class:`pydantic.ValidationError` when it breaks its model (e.g. ``chat_id: "abc"``).
    """
    model = event_model(str(payload.get("event_name", "")))
    try:
        # The validator itself, not model_validate: a Mapping is never PHP's ``[]``, and this is
        # the receiver's hot path.
        event: JivoEvent = model.__pydantic_validator__.validate_python(payload)
    except ValidationError as exc:
        raise _tolerant_errors(exc) from None
    event._raw = dict(payload)
    event._raw_body = raw_body
    return event
