"""Typed Jivo webhook events (pydantic v2), tolerant of what real Jivo sends.

The modelling rules, from Jivo's webhook documentation and the payloads it really sends:

- everything is optional except ``event_name``;
- ids are **opaque strings** (Jivo sends ``"2016"`` and ``2016`` for the same kind of id), except
  ``chat_id`` and ``offline_message_id``, which are integers everywhere Jivo documents them;
  counters (``chats_count``) are integers coerced from numeric strings; ``visitor.number`` is an
  int, or the string as sent when it is not numeric; timestamps are whole unix **seconds**
  (fractions floored, millisecond values scaled);
- an empty value (``null``, ``""``, ``{}``, ``[]``) means "not set", whatever the field's kind;
  every field is one of the tolerant kinds of :mod:`jivo_widget.webhooks.fields`, which apply
  this rule;
- a non-empty value that contradicts its field (``chat_id: "abc"``) fails validation naming it;
- unknown keys are kept (``model.model_extra``), and the payload as received is always available
  as :attr:`JivoEvent.raw` (the decoded JSON object) and :attr:`JivoEvent.raw_body` (the bytes).

New event names parse as :class:`UnknownEvent`, never as an error (Jivo adds events over time).
A new chat event is one model here, a CRM event one in :mod:`jivo_widget.webhooks.crm`; each is
listed in :data:`EVENT_MODELS` (through ``CRM_EVENT_MODELS`` for CRM events), plus a sample
payload. This module holds the chat events and the registry of names; the CRM models are
re-exported here, and :class:`JivoEvent`, the base of both, lives in ``_jivo_event``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, ValidationError

from jivo_widget.webhooks import crm
from jivo_widget.webhooks._jivo_event import JivoEvent

# The CRM models are importable from here too (listed in __all__ below), as they were before
# they had a module of their own.
from jivo_widget.webhooks.crm import *  # noqa: F403
from jivo_widget.webhooks.crm import CRM_EVENT_MODELS
from jivo_widget.webhooks.fields import (
    Flag,
    Id,
    Integer,
    JivoList,
    JivoModel,
    JivoObject,
    JivoObjectOrList,
    Nested,
    NumberOrLabel,
    Text,
    UnixSeconds,
    tolerant_errors,
)

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
__all__ += crm.__all__


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
    """An agent accepted the chat. The handler's return value is shown to the agent (see
    :class:`~jivo_widget.webhooks.responses.ChatResponse`)."""

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
    """Client attributes changed. Jivo does not document the shape of ``attributes``: kept as is."""

    event_type: ClassVar[str] = "client_attribute_updated"

    client_id: Id = None
    attributes: JivoObjectOrList = None


class UnknownEvent(JivoEvent):
    """An ``event_name`` this version does not model; every field is in :attr:`raw`."""


#: The chat webhooks this version models.
_CHAT_EVENT_MODELS: tuple[type[JivoEvent], ...] = (
    ChatAccepted,
    ChatUpdated,
    ChatFinished,
    OfflineMessage,
    CallEvent,
    ClientUpdated,
    ClientAttributeUpdated,
    ChatAssigned,
)

#: ``event_name`` → model, for every event this version knows.
EVENT_MODELS: Mapping[str, type[JivoEvent]] = {
    model.event_type: model for model in (*_CHAT_EVENT_MODELS, *CRM_EVENT_MODELS)
}


#: The events whose answer Jivo reads (see :attr:`JivoEvent.reads_response`).
RESPONSE_EVENTS = frozenset(name for name, model in EVENT_MODELS.items() if model.reads_response)


def event_model(event_name: str) -> type[JivoEvent]:
    """The model for ``event_name``: one of :data:`EVENT_MODELS`, else :class:`UnknownEvent`."""
    return EVENT_MODELS.get(event_name, UnknownEvent)


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
        raise tolerant_errors(exc) from None
    event._raw = dict(payload)
    event._raw_body = raw_body
    return event
