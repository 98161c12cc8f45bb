"""One structured INFO line per delivered event, with nothing personal in it."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.instrument import MALFORMED_LABEL, UNKNOWN_LABEL, event_label

if TYPE_CHECKING:
    from conftest import Deliver, RunAsync


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.INFO and hasattr(r, "jivo_event")]


def test_one_line_per_event_with_id_name_status_and_latency(
    caplog: pytest.LogCaptureFixture, run_async: RunAsync, deliver: Deliver
) -> None:
    hooks = WebhookApp(secret="S", store="sqlite:///:memory:")

    @hooks.on("chat_finished")
    def export(event: Any) -> None:
        raise RuntimeError("CRM is down")

    caplog.set_level(logging.INFO, logger="jivo_widget.webhooks")

    async def scenario() -> None:
        await deliver(hooks, "chat_accepted")  # no handler: stored processed
        await deliver(hooks, "chat_accepted")  # the same body again: a duplicate
        await deliver(hooks, "chat_finished", drain=True)  # its handler fails
        await deliver(hooks, {"event_name": "chat_accepted", "chat_id": "abc"})  # invalid
        await hooks.receiver.handle("POST", "S", b"[1]", None)  # malformed

    run_async(scenario())
    seen = [
        (r.jivo_event["id"], r.jivo_event["name"], r.jivo_event["status"])  # type: ignore[attr-defined]
        for r in _lines(caplog)
    ]
    assert seen == [
        (1, "chat_accepted", "processed"),
        (1, "chat_accepted", "duplicate"),
        (2, "chat_finished", "failed"),
        (3, "chat_accepted", "invalid"),
        (4, MALFORMED_LABEL, "malformed"),
    ]
    for record in _lines(caplog):
        fields = record.jivo_event  # type: ignore[attr-defined]
        assert fields["latency_ms"] >= 0
        assert record.getMessage() == (
            f"event id={fields['id']} name={fields['name']} status={fields['status']} "
            f"latency_ms={fields['latency_ms']}"
        )


def test_nothing_personal_from_the_payload_reaches_info(
    caplog: pytest.LogCaptureFixture, run_async: RunAsync, deliver: Deliver
) -> None:
    """Every event that carries contact data, delivered with handlers, a failing one, an invalid
    copy and a CRM card: no email, phone or name from a payload appears at INFO or below."""
    hooks = WebhookApp(secret="S", store="sqlite:///:memory:")
    hooks.on_any(lambda event: None)

    @hooks.on("chat_accepted")
    def card(event: Any) -> dict[str, Any]:
        return {"contact_info": {"name": event.visitor.name, "email": event.visitor.email}}

    @hooks.on("offline_message")
    def fails(event: Any) -> None:
        raise ValueError(f"cannot reach {event.visitor.email}")

    names = ["chat_accepted", "chat_finished", "offline_message", "client_updated"]
    names += ["assigned_status", "created_client", "changed_client_blacklist"]
    personal: set[str] = set()
    for name in names:
        _collect_personal(samples.load(name), personal)
    assert {"john.smith@example.com", "+14084987855", "John Smith"} <= personal
    caplog.set_level(logging.DEBUG, logger="jivo_widget")

    async def scenario() -> None:
        for name in names:
            await deliver(hooks, name, drain=True)
            await deliver(hooks, name, drain=True)  # duplicate
            bad = {**samples.load(name), "chat_id": "not a number"}
            await deliver(hooks, bad, drain=True)
        unknown = {"event_name": "john.smith@example.com", "chat_id": 1}
        await deliver(hooks, unknown, drain=True)

    run_async(scenario())
    info = [r for r in caplog.records if r.levelno <= logging.INFO]
    assert len(_lines(caplog)) == 3 * len(names) + 1
    leaked = [
        (value, record.getMessage())
        for record in info
        for value in personal
        if value in record.getMessage() or value in json.dumps(getattr(record, "jivo_event", {}))
    ]
    # The unknown event's name is the sender's text: shown escaped and cut to 40 characters,
    # so a name that is an email address does show; nothing else from the payload does.
    assert {value for value, _ in leaked} <= {"john.smith@example.com"}
    assert all("name='john.smith@example.com'" in message for _, message in leaked)


def _collect_personal(value: Any, found: set[str], key: str = "") -> None:
    if isinstance(value, dict):
        for child_key, child in value.items():
            _collect_personal(child, found, child_key)
    elif isinstance(value, list):
        for child in value:
            _collect_personal(child, found, key)
    elif isinstance(value, str) and key in {"name", "email", "phone", "contact"}:
        found.add(value)


def test_event_labels_are_bounded() -> None:
    assert event_label("chat_accepted") == "chat_accepted"
    assert event_label("assigned_status") == "assigned_status"
    assert event_label("anything the sender invents") == UNKNOWN_LABEL
    assert event_label(None) == MALFORMED_LABEL
