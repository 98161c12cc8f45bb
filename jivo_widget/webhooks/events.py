"""Typed Jivo webhook events (pydantic v2), tolerant of what real Jivo sends.

Facts: ``shared/reference/jivo-api.md`` §7. The modelling rules from there:

- everything is optional except ``event_name``;
- ids are **opaque strings** (Jivo sends ``"2016"`` and ``2016`` for the same kind of id), except
  ``chat_id`` and ``offline_message_id``, which are integers everywhere Jivo documents them;
  counters (``visitor.number``, ``chats_count``) and timestamps (unix **seconds**) are integers
  coerced from numeric strings;
- ``null`` and missing nested objects are ``None``; ``null`` lists are empty lists; PHP-style
  empty arrays (``[]``) where an object is expected are read as empty objects (defensive);
- unknown keys are kept (``model.model_extra``), and the payload as received is always available
  as :attr:`JivoEvent.raw` (the decoded JSON object) and :attr:`JivoEvent.raw_body` (the bytes).

New event names parse as :class:`UnknownEvent`, never as an error (Jivo adds events over time).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

__all__ = [
    "EVENT_MODELS",
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
    "GeoIP",
    "JivoEvent",
    "OfflineMessage",
    "Organization",
    "Page",
    "Session",
    "Tag",
    "Topic",
    "UnknownEvent",
    "UtmJson",
    "Visitor",
    "event_model",
    "parse_event",
]

_T = TypeVar("_T")


def _none_as_empty_list(value: Any) -> Any:
    return [] if value is None else value


#: A list that Jivo may also send as ``null``: read as ``[]``.
JivoList = Annotated[list[_T], BeforeValidator(_none_as_empty_list)]


def _empty_array_as_object(value: Any) -> Any:
    # PHP's json_encode writes an empty associative array as ``[]``. Jivo documents ``{}``,
    # but a PHP-side relay (or Jivo itself) sending ``[]`` must not turn an event invalid.
    return {} if isinstance(value, list) and not value else value


#: A free-form JSON object that may arrive as a PHP-style ``[]`` when empty.
JivoObject = Annotated[dict[str, Any], BeforeValidator(_empty_array_as_object)]


class JivoModel(BaseModel):
    """Base of every nested Jivo object: extra keys kept, numbers accepted where strings are."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _php_empty_array_is_empty_object(cls, data: Any) -> Any:
        return _empty_array_as_object(data)


class Page(JivoModel):
    """The page the visitor is on: ``{url, title?}``."""

    url: str | None = None
    title: str | None = None


class GeoIP(JivoModel):
    """``session.geoip``. Jivo sends latitude and longitude as strings; they are kept as such."""

    region_code: str | None = None
    country: str | None = None
    country_code: str | None = None
    region: str | None = None
    city: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    organization: str | None = None
    isp: str | None = None


class UtmJson(JivoModel):
    """``session.utm_json``; extra keys (a real payload has ``keyword``) are kept."""

    source: str | None = None
    campaign: str | None = None
    content: str | None = None
    medium: str | None = None
    term: str | None = None


class Session(JivoModel):
    """``session``: geo data, UTM tags, IP address and user agent."""

    geoip: GeoIP | None = None
    utm: str | None = None
    utm_json: UtmJson | None = None
    ip_addr: str | None = None
    user_agent: str | None = None

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
    """``visitor``. ``number`` arrives as ``"2198"`` or ``83``; it is an int here."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    number: int | None = None
    social: JivoObject | None = None
    chats_count: int | None = None


class Agent(JivoModel):
    """An agent: ``{id, name, email, phone?}``; ``id`` is an opaque string."""

    id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class Department(JivoModel):
    """``department``: ``{id, name}``."""

    id: str | None = None
    name: str | None = None


class Topic(JivoModel):
    """``topic``: ``{topic_id, title, parent_id}``."""

    topic_id: str | None = None
    title: str | None = None
    parent_id: str | None = None


class Organization(JivoModel):
    """``organization``: ``{id, name}``."""

    id: str | None = None
    name: str | None = None


class ClientStatus(JivoModel):
    """``status``: the client category, e.g. ``{"id": "4", "title": "contact_later"}``."""

    id: str | None = None
    title: str | None = None


class AssignedAgent(JivoModel):
    """``assigned_agent``: the agent responsible for the client."""

    id: str | None = None
    email: str | None = None
    name: str | None = None


class Tag(JivoModel):
    """One of ``tags``: ``{id, title}``."""

    id: str | None = None
    title: str | None = None


class ChatMessage(JivoModel):
    """One of ``chat.messages``. The text is in ``message``; ``timestamp`` is unix seconds."""

    message: str | None = None
    timestamp: int | None = None
    type: str | None = None
    agent_id: str | None = None

    @property
    def sent_at(self) -> datetime | None:
        """``timestamp`` as an aware UTC datetime."""
        return None if self.timestamp is None else datetime.fromtimestamp(self.timestamp, UTC)


class Chat(JivoModel):
    """``chat`` of ``chat_finished``: the transcript and its rating."""

    messages: JivoList[ChatMessage] = Field(default_factory=list)
    blacklisted: bool | None = None
    rate: str | None = None
    invitation: str | None = None


class Call(JivoModel):
    """``call`` of ``call_event``: type, phone, status, and after the call a record URL."""

    type: str | None = None
    phone: str | None = None
    status: str | None = None
    reason: str | None = None
    record_url: str | None = None


class JivoEvent(JivoModel):
    """Base of every event. ``event_name`` is the only required field.

    :attr:`raw` is the decoded payload exactly as received and :attr:`raw_body` its bytes, so a
    field this model does not know yet is never lost.
    """

    #: The ``event_name`` this class models (``""`` for :class:`UnknownEvent`).
    event_type: ClassVar[str] = ""

    event_name: str
    widget_id: str | None = None
    user_token: str | None = None

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

    chat_id: int | None = None
    visitor: Visitor | None = None
    session: Session | None = None
    page: Page | None = None


class _ClientCardFields(JivoModel):
    """Client-card fields shared by chat and client events."""

    organization: Organization | None = None
    status: ClientStatus | None = None
    assigned_agent: AssignedAgent | None = None
    tags: JivoList[Tag] = Field(default_factory=list)


class _ChatCardEvent(_EnvelopeEvent, _ClientCardFields):
    """``chat_accepted`` / ``chat_updated``: the events whose response Jivo shows to the agent."""

    agent: Agent | None = None
    department: Department | None = None
    topic: Topic | None = None
    analytics: JivoObject | None = None


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
    chat: Chat | None = None
    plain_messages: str | None = None
    html_messages: str | None = None
    department: Department | None = None
    topic: Topic | None = None


class OfflineMessage(_EnvelopeEvent):
    """The offline form was submitted: the text is in ``message``."""

    event_type: ClassVar[str] = "offline_message"

    message: str | None = None
    offline_message_id: int | None = None
    topic: Topic | None = None


class ChatAssigned(_EnvelopeEvent):
    """Legacy: a chat was linked to a CRM card via ``crm_link``. Absent from current docs."""

    event_type: ClassVar[str] = "chat_assigned"

    agent: Agent | None = None
    department: Department | None = None
    assign_to: str | None = None


class CallEvent(_EnvelopeEvent):
    """A new call or a call status change."""

    event_type: ClassVar[str] = "call_event"

    call: Call | None = None
    agent: Agent | None = None
    department: Department | None = None
    topic: Topic | None = None


class ClientUpdated(JivoEvent, _ClientCardFields):
    """The client card changed outside a chat. Has ``client_id``, no ``chat_id``."""

    event_type: ClassVar[str] = "client_updated"

    client_id: str | None = None
    visitor: Visitor | None = None


class ClientAttributeUpdated(JivoEvent):
    """Client attributes changed. The shape of ``attributes`` is undocumented (§7.1): kept as is."""

    event_type: ClassVar[str] = "client_attribute_updated"

    client_id: str | None = None
    attributes: dict[str, Any] | list[Any] | None = None


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

_M = TypeVar("_M", bound=JivoEvent)


def event_model(event_name: str) -> type[JivoEvent]:
    """The model for ``event_name``: one of :data:`EVENT_MODELS`, else :class:`UnknownEvent`."""
    return EVENT_MODELS.get(event_name, UnknownEvent)


def parse_event(payload: Mapping[str, Any], raw_body: bytes = b"") -> JivoEvent:
    """Validate ``payload`` (a decoded JSON object) into its event model.

    Raises :class:`pydantic.ValidationError` when it breaks its model (e.g. ``chat_id: "abc"``).
    """
    event = event_model(str(payload.get("event_name", ""))).model_validate(payload)
    event._raw = dict(payload)
    event._raw_body = raw_body
    return event
