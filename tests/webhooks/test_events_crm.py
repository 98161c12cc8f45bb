"""Jivo's CRM webhooks (the crm_status, crm_client and crm_task families) as typed events.

The bodies below have the shapes of Jivo's documentation examples (the repaired copies in the
project's reference notes, 10-12), with values of our own: a number for ``widget_id``, ``null``
inside ``assigned_agent``, ints for booleans, ``[]`` tags, a ``null`` or filled ``blacklist``.
The tolerance tests of test_events.py run over the CRM samples too (every field, every odd form).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from jivo_widget.webhooks import (
    EVENT_MODELS,
    CrmAssignedAgentToClient,
    CrmAssignedStatus,
    CrmChangedClientBlacklist,
    CrmCreatedStatus,
    CrmCreatedTask,
    CrmReorderedStatus,
    CrmTaskEvent,
    UnknownEvent,
    WebhookApp,
    parse_event,
    samples,
)
from jivo_widget.webhooks.events import CRM_EVENT_MODELS

#: Every event name of the three families in Jivo's documentation.
DOCUMENTED = {
    "crm_status": {
        "created_status",
        "updated_status",
        "deleted_status",
        "reordered_status",
        "assigned_status",
        "changed_require_update_of_status",
    },
    "crm_client": {
        "assigned_agent_to_client",
        "created_client",
        "deleted_client",
        "updated_client",
        "changed_client_company",
        "changed_client_blacklist",
        "updated_client_contacts",
    },
    "crm_task": {"created_task", "deleted_task", "updated_task", "completed_task", "fired_task"},
}

#: The shape of the docs' ``assigned_status`` example (reference 10).
ASSIGNED_STATUS: dict[str, Any] = {
    "event_name": "assigned_status",
    "status": {
        "title": "lost",
        "color": "76869d",
        "position": 3,
        "status_id": 5,
        "new_status_id": None,
    },
    "client": {
        "client_id": 41,
        "widget": {"widget_id": 500100},
        "name": "Anna Example",
        "avatar_url": None,
        "description": None,
        "social": None,
        "assigned_agent": {"assigned_agent_id": None},
        "crm_link": None,
        "chats_count": 0,
        "visits_count": 0,
        "custom_data": None,
        "status": {
            "title": "lost",
            "color": "76869d",
            "position": 3,
            "status_id": 5,
            "new_status_id": None,
        },
        "organization": None,
        "tags": [],
        "has_deal": 1,
        "contacts": [
            {"contact_type": "email", "contact": "anna@example.org", "channel_type": "agent_app"}
        ],
        "blacklist": None,
    },
}

#: The shape of the docs' ``assigned_agent_to_client`` example (reference 11): the card at the
#: top level, an organization and a blacklist entry.
ASSIGNED_AGENT_TO_CLIENT: dict[str, Any] = {
    "event_name": "assigned_agent_to_client",
    **{key: value for key, value in ASSIGNED_STATUS["client"].items()},
    "assigned_agent": {"assigned_agent_id": 7},
    "organization": {"organization_id": 9, "name": "Example Ltd"},
    "blacklist": {
        "agent": {"agent_id": 7},
        "block_datetime_ts": 1700000000,
        "unblock_datetime_ts": 1731622400,
        "ip_address": "192.0.2.10",
    },
}

#: The shape of the docs' ``created_task`` example (reference 12).
CREATED_TASK: dict[str, Any] = {
    "event_name": "created_task",
    "text": "Перезвонить клиенту",
    "status": "active",
    "task_id": 12,
    "agent": {"agent_id": 7},
    "client": {"client_id": 41},
    "notify_ts": 1700003600,
    "created_ts": 1700000000,
    "updated_ts": 1700000020,
    "show_notification": 1,
    "creator_agent": {"creator_agent_id": 8},
    "deal": {"deal_id": 3},
}


def test_every_documented_crm_event_has_a_model_in_its_family_and_a_sample() -> None:
    modelled: dict[str, set[str]] = {}
    for model in CRM_EVENT_MODELS:
        modelled.setdefault(model.family, set()).add(model.event_type)
        assert EVENT_MODELS[model.event_type] is model
    assert modelled == DOCUMENTED
    assert {name for names in DOCUMENTED.values() for name in names} <= set(samples.names())
    # The other CRM families stay unknown events (stored, answered ok), as before.
    assert type(parse_event({"event_name": "created_deal", "event_type": "crm_deal"})) is (
        UnknownEvent
    )


def test_no_crm_event_reads_a_response() -> None:
    assert not any(model.reads_response for model in CRM_EVENT_MODELS)


def test_assigned_status_as_documented() -> None:
    event = parse_event(copy.deepcopy(ASSIGNED_STATUS))
    assert isinstance(event, CrmAssignedStatus)
    assert event.status is not None
    assert (event.status.title, event.status.position, event.status.status_id) == ("lost", 3, "5")
    assert event.status.new_status_id is None
    client = event.client
    assert client is not None
    assert client.client_id == "41"
    assert client.widget is not None and client.widget.widget_id == "500100"  # sent as a number
    assert client.assigned_agent is not None and client.assigned_agent.assigned_agent_id is None
    assert client.has_deal is True  # sent as 1
    assert (client.chats_count, client.visits_count, client.tags) == (0, 0, [])
    assert (client.organization, client.blacklist, client.custom_data) == (None, None, None)
    assert [(c.contact_type, c.contact) for c in client.contacts] == [("email", "anna@example.org")]
    assert event.entity is None  # the docs' examples carry no event_type
    assert event.model_extra == {}


def test_assigned_agent_to_client_as_documented() -> None:
    event = parse_event(copy.deepcopy(ASSIGNED_AGENT_TO_CLIENT))
    assert isinstance(event, CrmAssignedAgentToClient)
    assert event.assigned_agent is not None and event.assigned_agent.assigned_agent_id == "7"
    assert event.organization is not None
    assert (event.organization.organization_id, event.organization.name) == ("9", "Example Ltd")
    assert event.blacklist is not None and event.blacklist.agent is not None
    assert event.blacklist.agent.agent_id == "7"
    assert (event.blacklist.block_datetime_ts, event.blacklist.unblock_datetime_ts) == (
        1700000000,
        1731622400,
    )
    assert event.blacklist.ip_address == "192.0.2.10"
    assert event.model_extra == {}


def test_created_task_as_documented() -> None:
    event = parse_event(copy.deepcopy(CREATED_TASK))
    assert isinstance(event, CrmCreatedTask)
    assert (event.task_id, event.text, event.status) == ("12", "Перезвонить клиенту", "active")
    assert event.agent is not None and event.agent.agent_id == "7"
    assert event.client is not None and event.client.client_id == "41"
    assert event.deal is not None and event.deal.deal_id == "3"
    assert event.creator_agent is not None and event.creator_agent.creator_agent_id == "8"
    assert (event.notify_ts, event.created_ts, event.updated_ts) == (
        1700003600,
        1700000000,
        1700000020,
    )
    assert event.show_notification is True
    assert event.model_extra == {}


def test_status_change_fields_sit_at_the_top_level() -> None:
    payload = {
        "event_type": "crm_status",
        "event_name": "created_status",
        "title": "vip",
        "color": "0363f6",
        "position": "6",
        "status_id": 6,
        "new_status_id": None,
    }
    event = parse_event(payload)
    assert isinstance(event, CrmCreatedStatus)
    assert (event.title, event.color, event.position, event.status_id) == ("vip", "0363f6", 6, "6")
    assert event.entity == "crm_status" and event.model_extra == {}


def test_entity_is_the_payloads_event_type_and_the_class_keeps_its_event_name() -> None:
    event = parse_event({"event_type": "crm_client", "event_name": "changed_client_blacklist"})
    assert isinstance(event, CrmChangedClientBlacklist)
    assert event.entity == "crm_client" and event.family == "crm_client"
    assert type(event).event_type == "changed_client_blacklist"
    assert event.model_extra == {}  # event_type is read, not left over


def test_undocumented_bodies_keep_everything_jivo_sends() -> None:
    payload = {"event_type": "crm_status", "event_name": "reordered_status", "positions": [3, 1]}
    event = parse_event(payload)
    assert isinstance(event, CrmReorderedStatus)
    assert event.model_extra == {"positions": [3, 1]} and event.raw == payload


def test_the_docs_example_spelling_with_a_space_is_an_unknown_event() -> None:
    assert type(parse_event({"event_name": "completed task"})) is UnknownEvent


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        ({"event_name": "created_task", "notify_ts": "tomorrow"}, "notify_ts"),
        ({"event_name": "created_task", "show_notification": "sometimes"}, "show_notification"),
        ({"event_name": "created_client", "contacts": "anna@example.org"}, "contacts"),
        ({"event_name": "created_client", "chats_count": "many"}, "chats_count"),
        ({"event_name": "assigned_status", "client": {"has_deal": 2}}, "client.has_deal"),
        ({"event_name": "assigned_status", "status": "lost"}, "status"),
    ],
)
def test_wrong_shapes_fail_naming_the_field(payload: dict[str, Any], location: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(payload)
    assert ".".join(str(p) for p in info.value.errors()[0]["loc"]) == location


# -- hypothesis: the forms Jivo (or a PHP relay) sends, read as the documented value -----------

_BLANKS = st.sampled_from([None, "", " ", {}, []])


def _id_forms(value: int) -> st.SearchStrategy[Any]:
    return st.sampled_from([value, str(value)])


def _flag_forms(value: bool) -> st.SearchStrategy[Any]:
    return st.sampled_from([int(value), str(int(value)), value, "true" if value else "false"])


def _seconds_forms(value: int) -> st.SearchStrategy[Any]:
    return st.sampled_from([value, str(value), value * 1000, value + 0.25, f"{value}.5"])


def _object_forms(value: dict[str, Any]) -> st.SearchStrategy[Any]:
    # PHP's json_encode writes an empty associative array as [].
    return st.just(value) if value else st.sampled_from([{}, []])


@settings(max_examples=120, deadline=None)
@given(
    client_id=st.integers(1, 10**12),
    client_id_form=st.data(),
    has_deal=st.booleans(),
    blocked_at=st.integers(10**9, 2 * 10**9),
    blank=_BLANKS,
)
def test_crm_client_variants_read_as_the_documented_values(
    client_id: int, client_id_form: st.DataObject, has_deal: bool, blocked_at: int, blank: Any
) -> None:
    draw = client_id_form.draw
    payload = copy.deepcopy(ASSIGNED_AGENT_TO_CLIENT)
    payload["client_id"] = draw(_id_forms(client_id), label="client_id")
    payload["widget"] = {"widget_id": draw(_id_forms(client_id + 1), label="widget_id")}
    payload["has_deal"] = draw(_flag_forms(has_deal), label="has_deal")
    payload["blacklist"]["block_datetime_ts"] = draw(_seconds_forms(blocked_at), label="ts")
    payload["assigned_agent"] = draw(_object_forms({}), label="assigned_agent")
    payload["description"] = blank
    payload["tags"] = draw(st.sampled_from([[], None, {}, ""]), label="tags")
    payload["custom_data"] = draw(st.sampled_from([None, [], {"k": 1}, [{"title": "Plan"}]]))
    event = parse_event(payload)
    assert isinstance(event, CrmAssignedAgentToClient)
    assert event.client_id == str(client_id)
    assert event.widget is not None and event.widget.widget_id == str(client_id + 1)
    assert event.has_deal is has_deal
    assert event.blacklist is not None and event.blacklist.block_datetime_ts == blocked_at
    assert event.assigned_agent is not None and event.assigned_agent.assigned_agent_id is None
    assert event.description == ("" if blank == "" else " " if blank == " " else None)
    assert event.tags == []
    assert event.raw == payload


@settings(max_examples=120, deadline=None)
@given(data=st.data(), task_id=st.integers(1, 10**9), notify=st.integers(10**9, 2 * 10**9))
def test_crm_task_variants_read_as_the_documented_values(
    data: st.DataObject, task_id: int, notify: int
) -> None:
    name = data.draw(st.sampled_from(sorted(DOCUMENTED["crm_task"])), label="event")
    payload = {**copy.deepcopy(CREATED_TASK), "event_name": name}
    payload["task_id"] = data.draw(_id_forms(task_id), label="task_id")
    payload["notify_ts"] = data.draw(_seconds_forms(notify), label="notify_ts")
    payload["show_notification"] = data.draw(_flag_forms(False), label="show_notification")
    payload["deal"] = data.draw(
        st.sampled_from([{"deal_id": None}, None, [], {}, ""]), label="deal"
    )
    payload["created_ts"] = data.draw(_BLANKS, label="created_ts")
    event = parse_event(payload)
    assert type(event) is EVENT_MODELS[name] and isinstance(event, CrmTaskEvent)
    assert event.family == "crm_task"
    assert (event.task_id, event.notify_ts) == (str(task_id), notify)
    assert event.show_notification is False and event.created_ts is None
    assert event.deal is None or event.deal.deal_id is None


def test_a_handler_gets_the_typed_crm_event(run_async: Any) -> None:
    hooks = WebhookApp(secret="s", store="sqlite:///:memory:")
    seen: list[Any] = []
    hooks.on(["assigned_status", "created_task"])(seen.append)

    async def deliver() -> list[int]:
        statuses = []
        for payload in (ASSIGNED_STATUS, CREATED_TASK):
            body = json.dumps(payload, ensure_ascii=False).encode()
            reply = await hooks.receiver.handle("POST", "s", body, "127.0.0.1")
            statuses.append(reply.status)
        await hooks.receiver.drain(5)
        return statuses

    assert run_async(deliver()) == [200, 200]
    assert [type(event) for event in seen] == [CrmAssignedStatus, CrmCreatedTask]
