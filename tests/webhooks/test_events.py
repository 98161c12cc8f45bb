"""Typed events parsed from the documented examples and the real-world variants."""

from __future__ import annotations

import copy
import itertools
import json
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from jivo_widget.webhooks import (
    EVENT_MODELS,
    CallEvent,
    ChatAccepted,
    ChatAssigned,
    ChatFinished,
    ChatUpdated,
    ClientAttributeUpdated,
    ClientUpdated,
    OfflineMessage,
    UnknownEvent,
    parse_event,
    samples,
)
from jivo_widget.webhooks.events import CRM_EVENT_MODELS, RESPONSE_EVENTS, CrmEvent, Visitor

CHAT_MODELS = {
    "chat_accepted": ChatAccepted,
    "chat_updated": ChatUpdated,
    "chat_finished": ChatFinished,
    "offline_message": OfflineMessage,
    "call_event": CallEvent,
    "client_updated": ClientUpdated,
    "client_attribute_updated": ClientAttributeUpdated,
    "chat_assigned": ChatAssigned,
}
#: Every model: the chat events above and the CRM webhooks (tests/webhooks/test_events_crm.py
#: checks those by name); every tolerance test below runs over both.
EXPECTED_MODELS: dict[str, type[Any]] = {
    **CHAT_MODELS,
    **{model.event_type: model for model in CRM_EVENT_MODELS},
}


def test_every_event_has_a_model_and_a_sample() -> None:
    assert set(EVENT_MODELS) == set(EXPECTED_MODELS)
    assert samples.names() == sorted(EXPECTED_MODELS)


def test_the_events_whose_answer_jivo_reads_come_from_the_models() -> None:
    # Jivo shows the answer to chat_accepted and chat_updated to the agent; it ignores the rest.
    assert {"chat_accepted", "chat_updated"} == RESPONSE_EVENTS
    assert ChatAccepted.reads_response and ChatUpdated.reads_response
    assert not ChatFinished.reads_response and not UnknownEvent.reads_response


@pytest.mark.parametrize("name", sorted(EXPECTED_MODELS))
def test_sample_parses_into_its_model_with_raw_payload(name: str) -> None:
    body = samples.load_bytes(name)
    event = parse_event(json.loads(body), body)
    assert type(event) is EXPECTED_MODELS[name]
    assert event.event_name == name
    if isinstance(event, CrmEvent):  # CRM webhooks name their entity, not the widget
        assert event.entity == type(event).family
    else:
        assert event.widget_id == "3948"
    assert event.raw == json.loads(body)
    assert event.raw_body == body


def test_sample_is_a_fresh_copy_and_unknown_sample_names_the_known_ones() -> None:
    samples.load("chat_accepted")["visitor"]["email"] = "changed@example.com"
    assert samples.load("chat_accepted")["visitor"]["email"] == "john.smith@example.com"
    with pytest.raises(KeyError, match="chat_accepted"):
        samples.load("chat_acepted")


def test_chat_accepted_fields_and_coercions() -> None:
    event = parse_event(samples.load("chat_accepted"))
    assert isinstance(event, ChatAccepted)
    assert event.chat_id == 4325
    assert event.visitor is not None
    assert event.visitor.number == 2198  # sent as "2198"
    assert event.visitor.email == "john.smith@example.com"
    assert event.visitor.social == {}
    assert event.agent is not None and event.agent.id == "2016"
    assert event.department is not None and event.department.id == "123"  # sent as 123
    assert event.assigned_agent is not None and event.assigned_agent.id == "2016"  # sent as 2016
    assert event.status is not None and event.status.title == "contact_later"
    assert [tag.title for tag in event.tags] == ["vip"]
    assert event.session is not None and event.session.geoip is not None
    assert event.session.geoip.latitude == "37.3394"
    assert event.session.utm_pairs == {
        "source": "google",
        "medium": "cpc",
        "campaign": "spring_sale",
    }
    assert event.page is not None and event.page.url == "https://shop.example.com/pricing"
    assert event.analytics == {}


def test_chat_updated_with_null_card_objects() -> None:
    event = parse_event(samples.load("chat_updated"))
    assert isinstance(event, ChatUpdated)
    assert event.organization is None and event.status is None and event.assigned_agent is None
    assert event.tags == [] and event.analytics is None
    assert event.visitor is not None and event.visitor.number == 2198


def test_chat_finished_transcript() -> None:
    event = parse_event(samples.load("chat_finished"))
    assert isinstance(event, ChatFinished)
    assert event.user_token is None  # the documented example has none
    assert [agent.id for agent in event.agents] == ["2016"]
    assert event.chat is not None
    assert [m.type for m in event.chat.messages] == ["visitor", "agent", "visitor"]
    assert event.chat.messages[1].agent_id == "2016"
    assert event.chat.messages[0].sent_at == datetime(2024, 11, 25, 10, 20, 1, tzinfo=UTC)
    assert event.chat.rate == "positive" and event.chat.blacklisted is False
    assert event.session is not None and event.session.utm_json is not None
    assert event.session.utm_json.model_extra == {"keyword": "chat plan"}  # extra key kept


def test_offline_message_call_and_client_events() -> None:
    offline = parse_event(samples.load("offline_message"))
    assert isinstance(offline, OfflineMessage)
    assert offline.offline_message_id == 1665399500726
    assert offline.message is not None and offline.message.startswith("Please call me")
    assert offline.visitor is not None and offline.visitor.number == 83
    call = parse_event(samples.load("call_event"))
    assert isinstance(call, CallEvent)
    assert call.call is not None and call.call.status == "end"
    assert call.call.record_url == "https://records.example.com/calls/4327.mp3"
    client = parse_event(samples.load("client_updated"))
    assert isinstance(client, ClientUpdated) and client.client_id == "1217"
    attributes = parse_event(samples.load("client_attribute_updated"))
    assert isinstance(attributes, ClientAttributeUpdated)
    assert attributes.client_id == "1217"  # a number in this event, a string in client_updated
    assert attributes.attributes == {"1": "Pro", "2": 12}
    assigned = parse_event(samples.load("chat_assigned"))
    assert isinstance(assigned, ChatAssigned)
    assert assigned.assign_to == "https://crm.example.com/clients/1217"


@pytest.mark.parametrize("name", sorted(EXPECTED_MODELS))
def test_only_event_name_is_required(name: str) -> None:
    event = parse_event({"event_name": name})
    assert type(event) is EXPECTED_MODELS[name]
    assert event.widget_id is None and event.user_token is None


@pytest.mark.parametrize(
    ("number", "expected"), [(83, 83), ("2198", 2198), (None, None), (12.0, 12)]
)
def test_visitor_number_as_string_or_int(number: Any, expected: int | None) -> None:
    event = parse_event({"event_name": "chat_accepted", "visitor": {"number": number}})
    assert isinstance(event, ChatAccepted) and event.visitor is not None
    assert event.visitor.number == expected


@pytest.mark.parametrize("agent_id", [2016, "2016"])
def test_ids_as_string_or_number_are_strings(agent_id: Any) -> None:
    payload = {
        "event_name": "chat_accepted",
        "chat_id": "4325",
        "widget_id": 3948,
        "agent": {"id": agent_id},
        "tags": [{"id": 7, "title": "vip"}],
        "topic": {"topic_id": 12, "parent_id": 3},
    }
    event = parse_event(payload)
    assert isinstance(event, ChatAccepted)
    assert event.chat_id == 4325 and event.widget_id == "3948"
    assert event.agent is not None and event.agent.id == "2016"
    assert event.tags[0].id == "7"
    assert event.topic is not None and (event.topic.topic_id, event.topic.parent_id) == ("12", "3")


def test_nulls_and_php_empty_arrays_are_tolerated() -> None:
    payload = {
        "event_name": "chat_finished",
        "user_token": None,
        "visitor": {"social": [], "name": None},
        "agents": None,
        "tags": None,
        "chat": {"messages": None, "rate": None},
        "session": {"geoip": [], "utm_json": [], "utm": None},
        "page": None,
    }
    event = parse_event(payload)
    assert isinstance(event, ChatFinished)
    assert event.agents == [] and event.tags == []
    assert event.chat is not None and event.chat.messages == []
    assert event.visitor is not None and event.visitor.social == {}
    assert event.session is not None and event.session.utm_pairs == {}
    assert event.page is None


def test_unknown_fields_are_kept_at_every_level() -> None:
    payload = {
        "event_name": "chat_accepted",
        "brand_new_field": {"x": 1},
        "visitor": {"number": 1, "loyalty_tier": "gold"},
    }
    event = parse_event(payload)
    assert event.model_extra == {"brand_new_field": {"x": 1}}
    assert isinstance(event, ChatAccepted) and event.visitor is not None
    assert event.visitor.model_extra == {"loyalty_tier": "gold"}
    assert event.raw["brand_new_field"] == {"x": 1}


def test_new_and_crm_event_names_parse_as_unknown_event() -> None:
    event = parse_event({"event_name": "chat_rated", "chat_id": 5, "rate": "positive"})
    assert type(event) is UnknownEvent
    assert event.raw == {"event_name": "chat_rated", "chat_id": 5, "rate": "positive"}
    assert event.model_extra == {"chat_id": 5, "rate": "positive"}
    crm = parse_event({"event_type": "crm_deal", "event_name": "created_deal"})
    assert type(crm) is UnknownEvent


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        ({"event_name": "chat_accepted", "chat_id": "abc"}, "chat_id"),
        ({"event_name": "chat_accepted", "visitor": {"chats_count": "two"}}, "visitor.chats_count"),
        ({"event_name": "chat_accepted", "visitor": {"chats_count": 2.5}}, "visitor.chats_count"),
        ({"event_name": "chat_finished", "chat": {"blacklisted": "maybe"}}, "chat.blacklisted"),
        ({"event_name": "chat_finished", "tags": "vip"}, "tags"),
        ({"event_name": "chat_finished", "agents": {"id": 1}}, "agents"),
        ({"event_name": "chat_finished", "chat": {"messages": [{"timestamp": "x"}]}}, "chat"),
        ({"event_name": "offline_message", "visitor": "John"}, "visitor"),
    ],
)
def test_wrong_shapes_fail_naming_the_field(payload: dict[str, Any], location: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(payload)
    assert ".".join(str(p) for p in info.value.errors()[0]["loc"]).startswith(location)


# --- Tolerance: every field of every sample in every odd form Jivo (or a relay) sends -------------

Path = tuple[str | int, ...]

#: The empty values of JSON; each must read as "not set" in any field.
BLANK_FORMS: list[Any] = [None, "", "  ", {}, []]


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every key and list item below ``value``, depth first (``event_name`` left out)."""
    found: list[Path] = []
    items: list[tuple[str | int, Any]] = (
        list(value.items()) if isinstance(value, dict) else list(enumerate(value))
    )
    for key, child in items:
        path = (*prefix, key)
        if path == ("event_name",):
            continue
        found.append(path)
        if isinstance(child, (dict, list)):
            found.extend(_paths(child, path))
    return found


def _get(payload: Any, path: Path) -> Any:
    for key in path:
        payload = payload[key]
    return payload


def _with(payload: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(payload)
    _get(mutated, path[:-1])[path[-1]] = value
    return mutated


def _swapped(value: Any) -> Any:
    """The str-vs-int twin of ``value``: ``"2198"`` ↔ ``2198``, ``"John"`` → ``12345``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return 12345
    return None  # objects and lists have no twin; None is one of the blank forms anyway


def _parsed_at(event: Any, path: Path) -> tuple[bool, Any]:
    """(True, the parsed value at ``path``) when ``path`` runs through declared model fields."""
    node = event
    for key in path:
        if not isinstance(node, BaseModel) or not isinstance(key, str):
            return False, None
        if key not in type(node).model_fields:
            return False, None
        node = getattr(node, key)
    return True, node


def _is_empty(value: Any) -> bool:
    if isinstance(value, BaseModel):
        fields = [getattr(value, name) for name in type(value).model_fields]
        return not value.model_extra and all(_is_empty(field) for field in fields)
    return value in (None, "", "  ", [], {})


def _mutations() -> list[tuple[str, Path]]:
    return [(name, path) for name in samples.names() for path in _paths(samples.load(name))]


def test_mutation_table_covers_every_sample_deeply() -> None:
    mutations = _mutations()
    assert {name for name, _ in mutations} == set(EXPECTED_MODELS)
    assert ("chat_finished", ("chat", "messages", 1, "timestamp")) in mutations
    assert ("chat_accepted", ("visitor", "number")) in mutations
    assert len(mutations) > 300


@pytest.mark.parametrize("name", sorted(EXPECTED_MODELS))
def test_any_field_in_any_odd_form_still_parses(name: str) -> None:
    """Blank string, null, {}, [] and the str/int twin, in every field: the event still parses,
    the raw payload is the mutated one, a blank reads as "not set" and a twin as the original."""
    original = samples.load(name)
    baseline = parse_event(original)
    failures: list[str] = []
    for path in _paths(original):
        for form in [*BLANK_FORMS, _swapped(_get(original, path))]:
            payload = _with(original, path, form)
            label = f"{'.'.join(map(str, path))} = {form!r}"
            try:
                event = parse_event(payload)
            except ValidationError as exc:
                failures.append(f"{label}: {exc.errors()[0]['msg']}")
                continue
            if type(event) is not EXPECTED_MODELS[name] or event.raw != payload:
                failures.append(f"{label}: wrong model or raw payload")
                continue
            declared, value = _parsed_at(event, path)
            if not declared:
                continue
            if form in BLANK_FORMS and not _is_empty(value):
                failures.append(f"{label}: read as {value!r}, not as 'not set'")
            was_number = isinstance(_get(original, path), (int, float))
            if form not in BLANK_FORMS and was_number and value != _parsed_at(baseline, path)[1]:
                failures.append(f"{label}: read as {value!r}")
    assert failures == []


def _declared_paths(model: type[BaseModel], prefix: Path = ()) -> list[tuple[Path, list[Any]]]:
    """Every field a model declares, nested models included (list items as index ``0``), each
    with its str-vs-int forms (none for objects and lists)."""
    found: list[tuple[Path, list[Any]]] = []
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        if path == ("event_name",):
            continue
        nested_models = _models_in(field.annotation)
        is_list = _is_list(field.annotation)
        scalar = not nested_models and not is_list and "dict" not in str(field.annotation)
        flag = "bool" in str(field.annotation)
        found.append((path, ["1", 0, "false"] if flag else ["7", 7] if scalar else []))
        for nested in nested_models:
            found.extend(_declared_paths(nested, (*path, 0) if is_list else path))
    return found


def _is_list(annotation: Any) -> bool:
    # Not a substring test on the annotation's text: "CrmBlacklist" contains "list".
    if typing.get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _set_creating(payload: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """``payload`` with ``path`` set to ``value``, creating missing (or blank) parents."""
    mutated = copy.deepcopy(payload)
    node: Any = mutated
    for key, next_key in itertools.pairwise(path):
        empty: Any = [{}] if isinstance(next_key, int) else {}
        if isinstance(node, list):
            while len(node) <= int(key):
                node.append({})
        elif not isinstance(node.get(key), (dict, list)) or node.get(key) in ({}, []):
            node[key] = empty
        node = node[key]
    if isinstance(node, list):
        node.append(value)
    else:
        node[path[-1]] = value
    return mutated


def test_declared_paths_reach_every_nested_field() -> None:
    paths = dict(_declared_paths(ChatFinished))
    assert paths[("chat", "messages", 0, "timestamp")] == ["7", 7]
    assert paths[("session", "geoip", "isp")] == ["7", 7]
    assert paths[("tags", 0, "id")] == ["7", 7]
    assert paths[("chat", "blacklisted")] == ["1", 0, "false"]
    assert paths[("tags",)] == [] and paths[("visitor", "social")] == []


@pytest.mark.parametrize("name", sorted(EXPECTED_MODELS))
def test_declared_fields_absent_from_the_sample_tolerate_odd_forms_too(name: str) -> None:
    """The samples mirror Jivo's examples, which leave fields out (``call.reason``,
    ``geoip.isp``…): every declared field is also tried, on top of the sample."""
    original = samples.load(name)
    failures: list[str] = []
    for path, twins in _declared_paths(EXPECTED_MODELS[name]):
        for form in [*BLANK_FORMS, *twins]:
            payload = _set_creating(original, path, form)
            try:
                event = parse_event(payload)
            except ValidationError as exc:
                failures.append(f"{'.'.join(map(str, path))} = {form!r}: {exc.errors()[0]['msg']}")
                continue
            assert event.raw == payload
    assert failures == []


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_many_odd_fields_at_once_still_parse(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(samples.names()), label="sample")
    original = samples.load(name)
    payload = original
    paths = _paths(original)
    for _ in range(data.draw(st.integers(1, 12), label="how many")):
        path = data.draw(st.sampled_from(paths), label="path")
        try:
            parent = _get(payload, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue  # an ancestor was already replaced
        key = path[-1]
        if not (
            (isinstance(parent, dict) and key in parent)
            or (isinstance(parent, list) and isinstance(key, int) and key < len(parent))
        ):
            continue  # the parent itself was replaced by a blank
        twin = _swapped(_get(original, path))  # the twin of what Jivo sent, not of a blank
        form = data.draw(st.sampled_from([*BLANK_FORMS, twin]), label="form")
        payload = _with(payload, path, form)
    event = parse_event(payload)
    assert type(event) is EXPECTED_MODELS[name]
    assert event.raw == payload


@pytest.mark.parametrize(
    ("visitor", "number", "chats_count"),
    [
        ({"number": "", "chats_count": ""}, None, None),
        ({"number": " 2198 ", "chats_count": "3"}, 2198, 3),
        ({"number": 83.0, "chats_count": 3}, 83, 3),
        ({"number": "Visitor 2198", "chats_count": None}, "Visitor 2198", None),
        ({"number": {}, "chats_count": []}, None, None),
    ],
)
def test_visitor_counters(visitor: dict[str, Any], number: Any, chats_count: int | None) -> None:
    event = parse_event({"event_name": "chat_accepted", "visitor": visitor})
    assert isinstance(event, ChatAccepted) and event.visitor is not None
    assert (event.visitor.number, event.visitor.chats_count) == (number, chats_count)


@pytest.mark.parametrize(
    ("timestamp", "seconds"),
    [
        (1732530001, 1732530001),
        (1732530001.5, 1732530001),  # fractions floored: Jivo documents whole seconds
        ("1732530001", 1732530001),
        ("1732530001.9", 1732530001),
        (1732530001000, 1732530001),  # milliseconds
        (1732530001000000, 1732530001),  # microseconds
        (1732530001000000000, 1732530001),  # nanoseconds
        ("", None),
        (None, None),
        ({}, None),
    ],
)
def test_timestamps_are_whole_seconds(timestamp: Any, seconds: int | None) -> None:
    event = parse_event(
        {"event_name": "chat_finished", "chat": {"messages": [{"timestamp": timestamp}]}}
    )
    assert isinstance(event, ChatFinished) and event.chat is not None
    (message,) = event.chat.messages
    assert message.timestamp == seconds
    expected = None if seconds is None else datetime.fromtimestamp(seconds, UTC)
    assert message.sent_at == expected


@pytest.mark.parametrize("timestamp", [10**25, 10**30, -(10**20)])
def test_sent_at_out_of_range_is_none_not_an_exception(timestamp: int) -> None:
    event = parse_event(
        {"event_name": "chat_finished", "chat": {"messages": [{"timestamp": timestamp}]}}
    )
    assert isinstance(event, ChatFinished) and event.chat is not None
    assert event.chat.messages[0].sent_at is None
    assert event.raw["chat"]["messages"][0]["timestamp"] == timestamp


@pytest.mark.parametrize("timestamp", ["yesterday", "NaN", "Infinity", "1e400", [1]])
def test_timestamps_that_are_not_numbers_fail_naming_the_field(timestamp: Any) -> None:
    payload = {"event_name": "chat_finished", "chat": {"messages": [{"timestamp": timestamp}]}}
    with pytest.raises(ValidationError) as info:
        parse_event(payload)
    assert info.value.errors()[0]["loc"] == ("chat", "messages", 0, "timestamp")


def test_blank_objects_and_lists_read_as_not_set() -> None:
    payload = {
        "event_name": "chat_finished",
        "analytics": "",
        "visitor": {"social": "", "name": {}, "email": []},
        "tags": {},
        "agents": "",
        "chat": {"messages": {}, "blacklisted": "", "rate": []},
        "organization": "",
        "session": {"geoip": " ", "utm_json": {}},
    }
    event = parse_event(payload)
    assert isinstance(event, ChatFinished)
    assert event.tags == [] and event.agents == [] and event.organization is None
    assert event.visitor is not None
    assert (event.visitor.social, event.visitor.name, event.visitor.email) == (None, None, None)
    assert event.chat is not None
    assert (event.chat.messages, event.chat.blacklisted, event.chat.rate) == ([], None, None)
    assert event.session is not None and event.session.geoip is None
    assert event.session.utm_json is not None and event.session.utm_json.source is None
    assert event.model_extra == {"analytics": ""}  # chat_finished does not model analytics
    assert event.raw == payload


def test_blank_items_in_lists_are_dropped_and_the_others_kept() -> None:
    payload = {"event_name": "chat_accepted", "tags": [None, "", {}, {"id": 7, "title": "vip"}]}
    event = parse_event(payload)
    assert isinstance(event, ChatAccepted)
    assert [(tag.id, tag.title) for tag in event.tags] == [("7", "vip")]


def test_strings_keep_empty_values_and_read_numbers_as_text() -> None:
    payload = {
        "event_name": "chat_accepted",
        "visitor": {"description": "", "phone": 14084987855},
        "session": {"geoip": {"latitude": 37.3394}},
    }
    event = parse_event(payload)
    assert isinstance(event, ChatAccepted) and event.visitor is not None
    assert (event.visitor.description, event.visitor.phone) == ("", "14084987855")
    assert event.session is not None and event.session.geoip is not None
    assert event.session.geoip.latitude == "37.3394"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"event_name": "chat_accepted", "chat_id": "abc"},
            [("int_parsing", ("chat_id",))],
        ),
        (
            {"event_name": "chat_finished", "visitor": {"name": True, "chats_count": 2.5}},
            [("string_type", ("visitor", "name")), ("int_from_float", ("visitor", "chats_count"))],
        ),
        (
            {"event_name": "chat_finished", "chat": {"messages": [{"timestamp": "x"}]}},
            [("int_parsing", ("chat", "messages", 0, "timestamp"))],
        ),
    ],
)
def test_errors_name_each_bad_field_once_with_its_plain_location(
    payload: dict[str, Any], expected: list[tuple[str, tuple[str | int, ...]]]
) -> None:
    """The fields validate natively first and fall back to the tolerant reading: an error
    reports the tolerant reading's failure alone, at the field's own location."""
    with pytest.raises(ValidationError) as info:
        parse_event(payload)
    assert [(error["type"], error["loc"]) for error in info.value.errors()] == expected


def test_nested_models_validated_directly_read_php_arrays_and_report_plain_errors() -> None:
    assert Visitor.model_validate([]) == Visitor()
    with pytest.raises(ValidationError) as info:
        Visitor.model_validate({"name": {"first": "John"}})
    assert [error["loc"] for error in info.value.errors()] == [("name",)]
