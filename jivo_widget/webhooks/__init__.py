"""Receive Jivo webhooks: typed events, routing, Jivo's HTTP contract, durable capture.

>>> from jivo_widget.webhooks import WebhookApp, ChatAccepted
>>> hooks = WebhookApp(secret="s3cret", store="sqlite:///:memory:")
>>> @hooks.on("chat_accepted")
... def show_crm_card(event: ChatAccepted) -> dict[str, object]:
...     return {"crm_link": "https://crm.example/c/42"}

``hooks.asgi()`` is the Starlette app; ``hooks.receiver`` the framework-free core the other
adapters wrap; ``hooks.store`` the stored deliveries.
"""

from jivo_widget.identity import IdentityStatus
from jivo_widget.webhooks.app import JivoInsecureWebhookWarning, WebhookApp
from jivo_widget.webhooks.contract import Reply
from jivo_widget.webhooks.crm import (
    CrmAssignedAgentToClient,
    CrmAssignedStatus,
    CrmChangedClientBlacklist,
    CrmChangedClientCompany,
    CrmChangedRequireUpdateOfStatus,
    CrmClientEvent,
    CrmCompletedTask,
    CrmCreatedClient,
    CrmCreatedStatus,
    CrmCreatedTask,
    CrmDeletedClient,
    CrmDeletedStatus,
    CrmDeletedTask,
    CrmEvent,
    CrmFiredTask,
    CrmReorderedStatus,
    CrmStatusEvent,
    CrmTaskEvent,
    CrmUpdatedClient,
    CrmUpdatedClientContacts,
    CrmUpdatedStatus,
    CrmUpdatedTask,
)
from jivo_widget.webhooks.events import (
    EVENT_MODELS,
    CallEvent,
    ChatAccepted,
    ChatAssigned,
    ChatFinished,
    ChatUpdated,
    ClientAttributeUpdated,
    ClientUpdated,
    JivoEvent,
    OfflineMessage,
    UnknownEvent,
    parse_event,
)
from jivo_widget.webhooks.receiver import Receiver
from jivo_widget.webhooks.replay import ReplayResult
from jivo_widget.webhooks.responses import ChatResponse, ContactInfo, CustomDataField
from jivo_widget.webhooks.store import (
    EventStatus,
    EventStore,
    StoredEvent,
    StoreUnavailable,
    open_store,
)
from jivo_widget.webhooks.worker import RetryPolicy

__all__ = [
    "EVENT_MODELS",
    "CallEvent",
    "ChatAccepted",
    "ChatAssigned",
    "ChatFinished",
    "ChatResponse",
    "ChatUpdated",
    "ClientAttributeUpdated",
    "ClientUpdated",
    "ContactInfo",
    "CrmAssignedAgentToClient",
    "CrmAssignedStatus",
    "CrmChangedClientBlacklist",
    "CrmChangedClientCompany",
    "CrmChangedRequireUpdateOfStatus",
    "CrmClientEvent",
    "CrmCompletedTask",
    "CrmCreatedClient",
    "CrmCreatedStatus",
    "CrmCreatedTask",
    "CrmDeletedClient",
    "CrmDeletedStatus",
    "CrmDeletedTask",
    "CrmEvent",
    "CrmFiredTask",
    "CrmReorderedStatus",
    "CrmStatusEvent",
    "CrmTaskEvent",
    "CrmUpdatedClient",
    "CrmUpdatedClientContacts",
    "CrmUpdatedStatus",
    "CrmUpdatedTask",
    "CustomDataField",
    "EventStatus",
    "EventStore",
    "IdentityStatus",
    "JivoEvent",
    "JivoInsecureWebhookWarning",
    "OfflineMessage",
    "Receiver",
    "ReplayResult",
    "Reply",
    "RetryPolicy",
    "StoreUnavailable",
    "StoredEvent",
    "UnknownEvent",
    "WebhookApp",
    "open_store",
    "parse_event",
]
