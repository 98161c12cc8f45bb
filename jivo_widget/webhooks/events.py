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
A new event is one model here, listed in :data:`EVENT_MODELS`, plus a sample payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr, ValidationError

from jivo_widget.identity import IdentityStatus, UserTokens, Verification
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
    "CRM_EVENT_MODELS",
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
    "CrmAgentRef",
    "CrmAssignedAgentRef",
    "CrmAssignedAgentToClient",
    "CrmAssignedStatus",
    "CrmBlacklist",
    "CrmChangedClientBlacklist",
    "CrmChangedClientCompany",
    "CrmChangedRequireUpdateOfStatus",
    "CrmClient",
    "CrmClientEvent",
    "CrmClientRef",
    "CrmCompletedTask",
    "CrmContact",
    "CrmCreatedClient",
    "CrmCreatedStatus",
    "CrmCreatedTask",
    "CrmCreatorAgentRef",
    "CrmDealRef",
    "CrmDeletedClient",
    "CrmDeletedStatus",
    "CrmDeletedTask",
    "CrmEvent",
    "CrmFiredTask",
    "CrmOrganization",
    "CrmReorderedStatus",
    "CrmStatus",
    "CrmStatusEvent",
    "CrmTaskEvent",
    "CrmUpdatedClient",
    "CrmUpdatedClientContacts",
    "CrmUpdatedStatus",
    "CrmUpdatedTask",
    "CrmWidget",
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
    #: What the page passed to ``jivo_api.setUserToken``, as Jivo sent it back: **unverified**
    #: (a visitor can set any string from the browser console). Trust :attr:`visitor_id`.
    user_token: Id = None

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _raw_body: bytes = PrivateAttr(default=b"")
    _verification: Verification | None = PrivateAttr(default=None)

    @property
    def visitor_id(self) -> str | None:
        """The visitor's id from :attr:`user_token` when it **verified** (signed with the
        ``WebhookApp``'s ``identity_secret``, in date); ``None`` in every other case: no token,
        an invalid or expired one, or an app without ``identity_secret`` (nothing checked it)."""
        verification = self._verification
        return None if verification is None else verification.visitor_id

    @property
    def identity(self) -> IdentityStatus:
        """What :attr:`user_token` proves: ``verified`` (:attr:`visitor_id` is set),
        ``missing`` (no token), ``invalid``, ``expired``, or ``unverified`` (a token nothing
        checked: the app has no ``identity_secret``). Compares equal to those strings."""
        if self._verification is not None:
            return self._verification.status
        if self.user_token is None:
            return IdentityStatus.MISSING
        return IdentityStatus.UNVERIFIED

    def verify_identity(self, tokens: UserTokens) -> Verification:
        """Check :attr:`user_token` with ``tokens``; sets :attr:`identity` and
        :attr:`visitor_id`, and returns the whole result (``reason``, ``claims``). Never
        raises. The receiver calls it before every dispatch and replay, so the app's current
        secrets apply; call it yourself on an event built by hand (:func:`parse_event`)."""
        self._verification = tokens.verify(self.user_token)
        return self._verification

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


# --- CRM webhooks ------------------------------------------------------------------------------
#
# Jivo's CRM webhooks are sent to a URL of their own (CRM settings → "CRM Webhooks"), which may
# be this receiver's: ``event_name`` tells them apart from the chat events (no name is shared).
# Their shapes come from Jivo's documentation (the "CRM Webhooks" part of the Webhooks API page),
# whose examples are not valid JSON as published (an extra pair of braces; one value listing
# several event names): the fields below are those the examples and their parameter tables show,
# and nothing else. What the docs leave out stays in ``model_extra`` and ``raw``.
#
# Their conventions differ from the chat events': ids are ``*_id`` keys inside nested objects
# (``assigned_agent: {assigned_agent_id}``), timestamps are ``*_ts`` unix seconds, and ints stand
# for booleans (``has_deal: 1``). The entity is named in the payload's ``event_type``
# (``crm_status``, ``crm_client``, ``crm_task``), which the docs describe but none of their
# examples carries: it is read as :attr:`CrmEvent.entity` (``JivoEvent.event_type`` is the class's
# own event name).


class CrmWidget(JivoModel):
    """``client.widget``: the channel the client came through; Jivo sends ``widget_id`` as a
    number here (a string in the chat events): an opaque string either way."""

    widget_id: Id = None


class CrmAgentRef(JivoModel):
    """An agent named by id only: ``agent`` of a task, of a blacklist entry: ``{agent_id}``."""

    agent_id: Id = None


class CrmAssignedAgentRef(JivoModel):
    """``assigned_agent`` of a CRM client card: ``{assigned_agent_id}`` (``null`` inside when
    nobody is responsible for the client)."""

    assigned_agent_id: Id = None


class CrmCreatorAgentRef(JivoModel):
    """``creator_agent`` of a task: ``{creator_agent_id}``."""

    creator_agent_id: Id = None


class CrmStatus(JivoModel):
    """A client category (``crm_status``): title, HEX colour without ``#``, position in the list,
    id, and ``new_status_id``, the category its clients move to when this one is deleted."""

    title: Text = None
    color: Text = None
    position: Integer = None
    status_id: Id = None
    new_status_id: Id = None


class CrmOrganization(JivoModel):
    """``organization`` of a CRM client card: ``{organization_id, name}``."""

    organization_id: Id = None
    name: Text = None


class CrmContact(JivoModel):
    """One of a client card's ``contacts``: ``contact_type`` ``phone`` or ``email``, the
    ``contact`` itself, and ``channel_type``: where it was added (``agent_app``: the agent app;
    ``widget``: external contacts)."""

    contact_type: Text = None
    contact: Text = None
    channel_type: Text = None


class CrmBlacklist(JivoModel):
    """``blacklist`` of a client card: who blocked the client, when (and until when), from which
    IP address; ``null`` for a client never blocked."""

    agent: Nested[CrmAgentRef] = None
    block_datetime_ts: UnixSeconds = None
    unblock_datetime_ts: UnixSeconds = None
    ip_address: Text = None


class CrmClientRef(JivoModel):
    """A client named by id: ``client`` of a task (``{client_id}``)."""

    client_id: Id = None


class CrmDealRef(JivoModel):
    """``deal`` of a task: ``{deal_id}``."""

    deal_id: Id = None


class CrmClient(CrmClientRef):
    """A CRM client card, as the ``crm_client`` events send it (and ``client`` of
    ``assigned_status``).

    Documented loosely: ``social`` is "an object of links to the client's profiles" and
    ``custom_data`` "what setCustomData passed" (``null`` in every example, so kept as sent);
    the items of ``tags`` are not described (``[]`` in every example), so they are kept as sent
    objects too.
    """

    widget: Nested[CrmWidget] = None
    name: Text = None
    avatar_url: Text = None
    description: Text = None
    social: JivoObjectOrList = None
    assigned_agent: Nested[CrmAssignedAgentRef] = None
    crm_link: Text = None
    chats_count: Integer = None
    visits_count: Integer = None
    custom_data: JivoObjectOrList = None
    status: Nested[CrmStatus] = None
    organization: Nested[CrmOrganization] = None
    tags: JivoList[dict[str, Any]] = Field(default_factory=list)
    has_deal: Flag = None
    contacts: JivoList[CrmContact] = Field(default_factory=list)
    blacklist: Nested[CrmBlacklist] = None


class CrmEvent(JivoEvent):
    """Base of the CRM webhooks. ``entity`` is the payload's ``event_type`` (``crm_client``…)
    when Jivo sends it; :attr:`family` is the entity this class belongs to."""

    #: The CRM entity these events are about, as Jivo names it in ``event_type``.
    family: ClassVar[str] = ""

    entity: Text = Field(default=None, alias="event_type")


# crm_status: the client categories (CRM settings → "Categories") and their assignment.


class CrmStatusEvent(CrmEvent):
    """Base of the ``crm_status`` events (a handler typed with it takes any of them)."""

    family: ClassVar[str] = "crm_status"


class _CrmStatusChange(CrmStatusEvent, CrmStatus):
    """A category added, changed or deleted: the category's fields at the top level."""


class CrmCreatedStatus(_CrmStatusChange):
    """``created_status``: a client category was added."""

    event_type: ClassVar[str] = "created_status"


class CrmUpdatedStatus(_CrmStatusChange):
    """``updated_status``: a client category was changed."""

    event_type: ClassVar[str] = "updated_status"


class CrmDeletedStatus(_CrmStatusChange):
    """``deleted_status``: a client category was deleted; its clients move to
    ``new_status_id``."""

    event_type: ClassVar[str] = "deleted_status"


class CrmReorderedStatus(CrmStatusEvent):
    """``reordered_status``: a category moved in the list.

    Jivo lists this event without an example or fields: nothing is typed beyond the envelope;
    whatever it sends is in ``model_extra`` and ``raw``.
    """

    event_type: ClassVar[str] = "reordered_status"


class CrmAssignedStatus(CrmStatusEvent):
    """``assigned_status``: a client was given a category: the category, and the client's card
    (whose ``status`` is the new category)."""

    event_type: ClassVar[str] = "assigned_status"

    status: Nested[CrmStatus] = None
    client: Nested[CrmClient] = None


class CrmChangedRequireUpdateOfStatus(CrmStatusEvent):
    """``changed_require_update_of_status``: the setting "require a category update when a chat
    ends" was switched.

    Jivo lists this event without an example or fields: nothing is typed beyond the envelope;
    whatever it sends is in ``model_extra`` and ``raw``.
    """

    event_type: ClassVar[str] = "changed_require_update_of_status"


# crm_client: a client card added, changed or deleted. Jivo: "the body and its parameters are
# the same for every event of this kind": the card's fields at the top level.


class CrmClientEvent(CrmEvent, CrmClient):
    """Base of the ``crm_client`` events: the client card at the top level."""

    family: ClassVar[str] = "crm_client"


class CrmAssignedAgentToClient(CrmClientEvent):
    """``assigned_agent_to_client``: an agent was made responsible for the client
    (``assigned_agent.assigned_agent_id``)."""

    event_type: ClassVar[str] = "assigned_agent_to_client"


class CrmCreatedClient(CrmClientEvent):
    """``created_client``: a client card was added."""

    event_type: ClassVar[str] = "created_client"


class CrmDeletedClient(CrmClientEvent):
    """``deleted_client``: a client card was deleted."""

    event_type: ClassVar[str] = "deleted_client"


class CrmUpdatedClient(CrmClientEvent):
    """``updated_client``: a client card was changed (see :class:`ClientUpdated` for the chat
    webhook with a similar name and another shape)."""

    event_type: ClassVar[str] = "updated_client"


class CrmChangedClientCompany(CrmClientEvent):
    """``changed_client_company``: the client's organization changed."""

    event_type: ClassVar[str] = "changed_client_company"


class CrmChangedClientBlacklist(CrmClientEvent):
    """``changed_client_blacklist``: the client was blocked or unblocked (``blacklist``)."""

    event_type: ClassVar[str] = "changed_client_blacklist"


class CrmUpdatedClientContacts(CrmClientEvent):
    """``updated_client_contacts``: the client's contacts were edited (``contacts``)."""

    event_type: ClassVar[str] = "updated_client_contacts"


# crm_task: tasks, with the client and the deal they belong to.


class CrmTaskEvent(CrmEvent):
    """Base of the ``crm_task`` events. A task: its text, ``status`` (``"active"`` in the docs;
    the other values are not documented), the agent it is assigned to, its client and deal, when
    its reminder fires (``notify_ts``) and whether it is shown (``show_notification``, 1 or 0),
    who created it."""

    family: ClassVar[str] = "crm_task"

    task_id: Id = None
    text: Text = None
    status: Text = None
    agent: Nested[CrmAgentRef] = None
    client: Nested[CrmClientRef] = None
    deal: Nested[CrmDealRef] = None
    creator_agent: Nested[CrmCreatorAgentRef] = None
    notify_ts: UnixSeconds = None
    created_ts: UnixSeconds = None
    updated_ts: UnixSeconds = None
    show_notification: Flag = None


class CrmCreatedTask(CrmTaskEvent):
    """``created_task``: a task was added."""

    event_type: ClassVar[str] = "created_task"


class CrmUpdatedTask(CrmTaskEvent):
    """``updated_task``: a task was changed."""

    event_type: ClassVar[str] = "updated_task"


class CrmDeletedTask(CrmTaskEvent):
    """``deleted_task``: a task was deleted."""

    event_type: ClassVar[str] = "deleted_task"


class CrmCompletedTask(CrmTaskEvent):
    """``completed_task``: a task was completed. (The docs' example spells it ``completed
    task``, with a space, where their list of names says ``completed_task``: the list is
    taken as the name; a body with the space parses as :class:`UnknownEvent`.)"""

    event_type: ClassVar[str] = "completed_task"


class CrmFiredTask(CrmTaskEvent):
    """``fired_task``: a task's reminder went off."""

    event_type: ClassVar[str] = "fired_task"


#: The CRM webhooks this version models (the ``crm_status``, ``crm_client`` and ``crm_task``
#: families). Jivo's other CRM families (``crm_deal``, ``crm_pipeline``, ``crm_client_tag``,
#: ``crm_organization``) parse as :class:`UnknownEvent`.
CRM_EVENT_MODELS: tuple[type[CrmEvent], ...] = (
    CrmCreatedStatus,
    CrmUpdatedStatus,
    CrmDeletedStatus,
    CrmReorderedStatus,
    CrmAssignedStatus,
    CrmChangedRequireUpdateOfStatus,
    CrmAssignedAgentToClient,
    CrmCreatedClient,
    CrmDeletedClient,
    CrmUpdatedClient,
    CrmChangedClientCompany,
    CrmChangedClientBlacklist,
    CrmUpdatedClientContacts,
    CrmCreatedTask,
    CrmUpdatedTask,
    CrmDeletedTask,
    CrmCompletedTask,
    CrmFiredTask,
)


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
