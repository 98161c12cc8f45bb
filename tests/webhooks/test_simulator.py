"""The simulator's payload building: overrides, files, samples, and delivery errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.simulator import (
    DeliveryError,
    OverrideError,
    apply_override,
    build_payload,
    deliver,
    parse_override,
    parse_value,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5", 5),
        ("5.5", 5.5),
        ("true", True),
        ("null", None),
        ('"5"', "5"),
        ('{"a": [1]}', {"a": [1]}),
        ("a@b.c", "a@b.c"),
        ("", ""),
        ("{not json", "{not json"),
    ],
)
def test_values_are_json_when_they_parse_else_strings(raw: str, expected: Any) -> None:
    assert parse_value(raw) == expected


def test_override_splits_on_the_first_equals_sign() -> None:
    assert parse_override("page.url=https://x.example/?a=b") == (
        "page.url",
        "https://x.example/?a=b",
    )


@pytest.mark.parametrize("spec", ["no-equals", "=5", " =5"])
def test_override_without_a_path_is_refused(spec: str) -> None:
    with pytest.raises(OverrideError, match=r"dotted\.path=value"):
        parse_override(spec)


def test_override_sets_nested_keys_and_creates_objects() -> None:
    payload: dict[str, Any] = {"visitor": {"name": "Ann"}, "analytics": None}
    apply_override(payload, "visitor.email", "a@b.c")
    apply_override(payload, "session.geoip.city", "Riga")
    apply_override(payload, "analytics.ga", "G-1")
    assert payload == {
        "visitor": {"name": "Ann", "email": "a@b.c"},
        "session": {"geoip": {"city": "Riga"}},
        "analytics": {"ga": "G-1"},
    }


def test_override_indexes_and_appends_to_lists() -> None:
    payload: dict[str, Any] = {"agents": [{"id": 1, "name": "A"}]}
    apply_override(payload, "agents.0.name", "B")
    apply_override(payload, "agents.1.name", "C")
    apply_override(payload, "tags.0.title", "vip")
    assert payload == {
        "agents": [{"id": 1, "name": "B"}, {"name": "C"}],
        "tags": [{"title": "vip"}],
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("visitor.number.x", "'visitor.number' is a int, not an object or a list"),
        ("agents.5.name", "index 5 is past the end of a list of 1"),
        ("agents.first.name", "'agents' indexes a list, use a number"),
        ("visitor..email", "empty segment"),
    ],
)
def test_bad_override_paths_name_the_problem(path: str, message: str) -> None:
    payload: dict[str, Any] = {"visitor": {"number": 83}, "agents": [{"id": 1}]}
    before = json.dumps(payload)
    with pytest.raises(OverrideError, match=message.replace(".", r"\.").replace("(", r"\(")):
        apply_override(payload, path, 1)
    assert json.dumps(payload) == before


def test_build_payload_starts_from_the_sample_and_applies_overrides_in_order() -> None:
    payload = build_payload("chat_accepted", ["visitor.email=a@b.c", "chat_id=77", "chat_id=78"])
    assert payload["event_name"] == "chat_accepted"
    assert payload["visitor"]["email"] == "a@b.c"
    assert payload["chat_id"] == 78
    # The rest of the realistic sample is untouched.
    sample = samples.load("chat_accepted")
    assert payload["widget_id"] == sample["widget_id"]


def test_samples_are_fresh_copies() -> None:
    build_payload("chat_accepted", ["visitor.name=Changed"])
    assert samples.load("chat_accepted")["visitor"].get("name") != "Changed"


def test_every_sample_event_can_be_built() -> None:
    for name in samples.names():
        assert build_payload(name)["event_name"] == name


def test_unknown_event_lists_the_known_ones() -> None:
    with pytest.raises(OverrideError) as info:
        build_payload("chat_exploded")
    assert "chat_exploded" in str(info.value)
    for name in samples.names():
        assert name in str(info.value)


def test_file_replaces_the_sample_and_any_event_name_is_allowed(tmp_path: Path) -> None:
    file = tmp_path / "e.json"
    file.write_text('{"widget_id": "w", "chat_id": 1}', encoding="utf-8")
    payload = build_payload("brand_new_event", ["chat_id=2"], file=file)
    assert payload == {"widget_id": "w", "chat_id": 2, "event_name": "brand_new_event"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{oops", "is not valid JSON"),
        (b"[1, 2]", "must hold a JSON object, not a list"),
        (b"\xff\xfe", "is not UTF-8"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    with pytest.raises(OverrideError, match=message):
        build_payload("chat_accepted", file=file)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OverrideError, match="cannot read"):
        build_payload("chat_accepted", file=tmp_path / "absent.json")


def test_unreachable_receiver_raises_delivery_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    with pytest.raises(DeliveryError, match=f"cannot reach http://127.0.0.1:{port}/"):
        deliver(f"http://127.0.0.1:{port}/jivo/webhook/S", {"event_name": "x"}, timeout=2)


def test_unparseable_url_raises_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="cannot reach"):
        deliver("not a url", {"event_name": "x"})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://"])
def test_only_http_urls_are_posted_to(url: str) -> None:
    with pytest.raises(DeliveryError, match="cannot reach"):
        deliver(url, {"event_name": "x"})


def test_non_2xx_and_non_json_answers_are_returned_not_raised(live_server: Any) -> None:
    # The suite's live server only serves GET: a POST gets its HTML 501 page.
    delivery = deliver(live_server.url + "/jivo/webhook/S", {"event_name": "x"})
    assert delivery.status == 501
    assert not delivery.ok
    assert "<html" in delivery.text().lower()  # shown as text when it is not JSON


# -- override paths must exist ------------------------------------------------------------------
# `--set visitor.emial=a@b.c` used to add a field nobody reads and post the sample's real email,
# so the test "passed" with the wrong data. A path must exist in the payload (the sample or
# `--file`) or in the event's model; `--add` says a new field is meant.


@pytest.mark.parametrize(
    ("event", "override", "nearest"),
    [
        ("chat_accepted", "visitor.emial=a@b.c", "visitor.email"),
        ("chat_accepted", "chat_idd=5", "chat_id"),
        ("chat_accepted", "session.geoip.cuntry=France", "session.geoip.country"),
        ("chat_finished", "agents.0.nmae=Ann", "agents.0.name"),
        ("chat_accepted", "vistor.email=a@b.c", "visitor.email"),
    ],
)
def test_a_typo_names_the_nearest_existing_path(event: str, override: str, nearest: str) -> None:
    with pytest.raises(OverrideError) as raised:
        build_payload(event, [override])
    message = str(raised.value)
    path = override.split("=", 1)[0]
    assert f"{path!r}" in message and f"did you mean {nearest!r}" in message, message
    assert "--add" in message


@pytest.mark.parametrize(
    "override",
    [
        "visitor.email=a@b.c",  # in the sample
        "session.utm_json.term=shoes",  # in the model, not in the sample
        "visitor.social.vk=id42",  # under a free-form object
        "analytics.ga=1",
        "agent=null",
        'tags.1={"id": "8", "title": "new"}',  # appending to a list
    ],
)
def test_existing_and_model_paths_need_no_add(override: str) -> None:
    build_payload("chat_accepted", [override])


def test_add_allows_a_new_field() -> None:
    payload = build_payload("chat_accepted", ["visitor.loyalty_tier=gold"], add=True)
    assert payload["visitor"]["loyalty_tier"] == "gold"
    assert payload["visitor"]["email"] == "john.smith@example.com"


def test_a_file_payload_knows_its_own_keys(tmp_path: Path) -> None:
    file = tmp_path / "custom.json"
    file.write_text(json.dumps({"widget_id": "w1", "extra": {"flag": True}}), encoding="utf-8")
    build_payload("brand_new_event", ["extra.flag=false"], file=file)
    with pytest.raises(OverrideError, match=r"did you mean 'extra\.flag'"):
        build_payload("brand_new_event", ["extra.flga=false"], file=file)
    assert build_payload("brand_new_event", ["other=1"], file=file, add=True)["other"] == 1


@pytest.mark.parametrize("segment", ["²", "①", "9" * 5000, "-1"])
def test_a_list_index_only_isdigit_accepts_is_a_clear_error(segment: str) -> None:
    with pytest.raises(OverrideError, match="indexes a list, use a number"):
        build_payload("chat_finished", [f"agents.{segment}.name=Ann"])
