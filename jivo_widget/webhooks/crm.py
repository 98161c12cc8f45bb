"""Jivo's CRM webhooks (the ``crm_status``, ``crm_client``, ``crm_task`` families), typed.

Jivo's CRM webhooks are sent to a URL of their own (CRM settings → "CRM Webhooks"), which may
be this receiver's: ``event_name`` tells them apart from the chat events (no name is shared).
Their shapes come from Jivo's documentation (the "CRM Webhooks" part of the Webhooks API page),
whose examples are not valid JSON as published (an extra pair of braces; one value listing
several event names): the fields below are those the examples and their parameter tables show,
and nothing else. What the docs leave out stays in ``model_extra`` and ``raw``.

Their conventions differ from the chat events': ids are ``*_id`` keys inside nested objects
(``assigned_agent: {assigned_agent_id}``), timestamps are ``*_ts`` unix seconds, and ints stand
for booleans (``has_deal: 1``). The entity is named in the payload's ``event_type``
(``crm_status``, ``crm_client``, ``crm_task``), which the docs describe but none of their
examples carries: it is read as :attr:`CrmEvent.entity` (``JivoEvent.event_type`` is the class's
own event name).

Like the chat events they derive from :class:`~jivo_widget.webhooks.events.JivoEvent` and are
built from the tolerant kinds of :mod:`jivo_widget.webhooks.fields`; the registry of event names
(``EVENT_MODELS``, ``parse_event``) is :mod:`jivo_widget.webhooks.events`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from jivo_widget.webhooks._jivo_event import JivoEvent
from jivo_widget.webhooks.fields import (
    Flag,
    Id,
    Integer,
    JivoList,
    JivoModel,
    JivoObjectOrList,
    Nested,
    Text,
    UnixSeconds,
)

__all__ = [
    "CRM_EVENT_MODELS",
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
]


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
