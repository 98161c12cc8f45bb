"""Routing: registration, sync/async handlers, catch-all, isolation, the one response shaper."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import fresh_loop
import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import (
    ChatAccepted,
    ChatResponse,
    EventStatus,
    JivoEvent,
    Reply,
    StoredEvent,
    WebhookApp,
    samples,
)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    fresh_loop.run(scenario())


@pytest.fixture
def hooks(tmp_path: Path) -> WebhookApp:
    return WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'events.db'}")


async def deliver(hooks: WebhookApp, payload: dict[str, Any] | str) -> Reply:
    body = samples.load_bytes(payload) if isinstance(payload, str) else json.dumps(payload).encode()
    return await hooks.receiver.handle("POST", "S", body, "127.0.0.1")


def only_event(hooks: WebhookApp) -> StoredEvent:
    events = hooks.store.list()
    assert len(events) == 1
    return events[0]


def test_named_handlers_in_order_then_catch_all(hooks: WebhookApp) -> None:
    calls: list[str] = []

    @hooks.on_any
    def everything(event: JivoEvent) -> None:
        calls.append(f"any:{event.event_name}")

    @hooks.on("chat_finished")
    def first(event: JivoEvent) -> None:
        calls.append("first")

    @hooks.on(["chat_finished", "offline_message"])
    async def second(event: JivoEvent) -> None:
        calls.append("second")

    names = [r.label.rsplit(".", 1)[-1] for r in hooks.router.handlers_for("chat_finished")]
    assert names == ["first", "second", "everything"]
    assert [r.label.rsplit(".", 1)[-1] for r in hooks.router.handlers_for("call_event")] == [
        "everything"
    ]

    async def scenario() -> None:
        assert (await deliver(hooks, "offline_message")).body == {"result": "ok"}
        assert (await deliver(hooks, {"event_name": "brand_new_event"})).status == 200
        assert await hooks.receiver.drain(5)

    run(scenario)
    assert sorted(calls) == ["any:brand_new_event", "any:offline_message", "second"]
    assert {e.status for e in hooks.store.list()} == {EventStatus.PROCESSED}


def test_sync_handlers_run_in_a_thread_async_ones_on_the_loop(hooks: WebhookApp) -> None:
    threads: dict[str, int] = {}

    @hooks.on("chat_finished")
    def sync_handler(event: JivoEvent) -> None:
        threads["sync"] = threading.get_ident()

    @hooks.on("chat_finished")
    async def async_handler(event: JivoEvent) -> None:
        threads["async"] = threading.get_ident()

    async def scenario() -> None:
        threads["loop"] = threading.get_ident()
        await _deliver_and_drain(hooks, "chat_finished")

    run(scenario)
    assert threads["async"] == threads["loop"]
    assert threads["sync"] != threads["loop"]


async def _deliver_and_drain(hooks: WebhookApp, payload: dict[str, Any] | str) -> None:
    await deliver(hooks, payload)
    assert await hooks.receiver.drain(5)


def test_handler_gets_the_typed_event(hooks: WebhookApp) -> None:
    seen: list[ChatAccepted] = []

    @hooks.on("chat_accepted")
    def crm(event: ChatAccepted) -> None:
        seen.append(event)

    run(lambda: _deliver_and_drain(hooks, "chat_accepted"))
    assert isinstance(seen[0], ChatAccepted)
    assert seen[0].visitor is not None and seen[0].visitor.email == "john.smith@example.com"
    assert seen[0].raw_body == samples.load_bytes("chat_accepted")


def test_a_raising_handler_does_not_stop_the_others(hooks: WebhookApp) -> None:
    ran: list[str] = []

    @hooks.on("chat_finished")
    def broken(event: JivoEvent) -> None:
        raise RuntimeError("CRM is down")

    @hooks.on("chat_finished")
    async def also_broken(event: JivoEvent) -> None:
        raise KeyError("missing")

    @hooks.on("chat_finished")
    def fine(event: JivoEvent) -> None:
        ran.append("fine")

    async def scenario() -> None:
        reply = await deliver(hooks, "chat_finished")
        assert (reply.status, reply.body) == (200, {"result": "ok"})
        assert await hooks.receiver.drain(5)

    run(scenario)
    assert ran == ["fine"]
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.attempts == 1
    assert stored.error is not None
    assert "broken raised RuntimeError: CRM is down" in stored.error
    assert "also_broken raised KeyError: 'missing'" in stored.error
    assert "Traceback" in stored.error


def test_the_shaper_response_is_sent_and_stored(hooks: WebhookApp) -> None:
    @hooks.on("chat_accepted")
    def card(event: ChatAccepted) -> ChatResponse:
        return ChatResponse(crm_link="https://crm.example.com/c/1", enable_assign=True)

    @hooks.on("chat_accepted")
    def logger(event: ChatAccepted) -> None:
        return None

    @hooks.on_any
    def catch_all(event: JivoEvent) -> dict[str, Any]:
        return {"crm_link": "ignored: a catch-all never shapes a response"}

    expected = {"result": "ok", "enable_assign": True, "crm_link": "https://crm.example.com/c/1"}

    async def scenario() -> None:
        assert (await deliver(hooks, "chat_accepted")).body == expected
        assert await hooks.receiver.drain(5)

    run(scenario)
    stored = only_event(hooks)
    assert (stored.status, stored.response, stored.error) == (
        EventStatus.PROCESSED,
        expected,
        None,
    )


def test_two_shapers_first_wins_and_the_event_is_failed(hooks: WebhookApp) -> None:
    second_may_return = asyncio.Event()

    @hooks.on("chat_updated")
    async def first_shaper(event: JivoEvent) -> dict[str, Any]:
        return {"crm_link": "https://crm.example.com/first"}

    @hooks.on("chat_updated")
    async def second_shaper(event: JivoEvent) -> dict[str, Any]:
        await second_may_return.wait()
        return {"crm_link": "https://crm.example.com/second"}

    async def scenario() -> None:
        reply = await deliver(hooks, "chat_updated")
        assert reply.body == {"result": "ok", "crm_link": "https://crm.example.com/first"}
        second_may_return.set()
        assert await hooks.receiver.drain(5)

    run(scenario)
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED
    assert stored.response == {"result": "ok", "crm_link": "https://crm.example.com/first"}
    assert stored.error is not None and "second_shaper returned a response" in stored.error
    assert "first_shaper already did; only one handler may shape it" in stored.error


def test_an_invalid_response_falls_back_to_ok(hooks: WebhookApp) -> None:
    @hooks.on("chat_accepted")
    def too_much(event: JivoEvent) -> dict[str, Any]:
        return {"custom_data": [{"content": str(i)} for i in range(11)]}

    async def scenario() -> None:
        assert (await deliver(hooks, "chat_accepted")).body == {"result": "ok"}
        assert await hooks.receiver.drain(5)

    run(scenario)
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.response == {"result": "ok"}
    assert stored.error is not None
    assert "too_much returned invalid response: custom_data: List should have at most 10" in (
        stored.error
    )


def test_a_slow_shaper_misses_the_deadline_and_ok_goes_out(tmp_path: Path) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", response_deadline=0.2)
    release = asyncio.Event()

    @hooks.on("chat_accepted")
    async def slow_card(event: JivoEvent) -> dict[str, Any]:
        await release.wait()
        return {"crm_link": "https://crm.example.com/late"}

    async def scenario() -> None:
        reply = await deliver(hooks, "chat_accepted")
        assert reply.body == {"result": "ok"}  # sent at the deadline, the handler still runs
        assert only_event(hooks).status is EventStatus.RECEIVED
        release.set()
        assert await hooks.receiver.drain(5)

    run(scenario)
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.response == {"result": "ok"}
    assert stored.error is not None
    assert "slow_card returned its response after the 0.2 s response deadline" in stored.error


def test_a_handler_past_handler_timeout_is_failed(tmp_path: Path) -> None:
    hooks = WebhookApp(
        secret="S",
        store=f"sqlite:///{tmp_path / 'e.db'}",
        response_deadline=0.1,
        handler_timeout=0.3,
    )

    @hooks.on("offline_message")
    async def never_done(event: JivoEvent) -> None:
        await asyncio.Event().wait()

    run(lambda: _deliver_and_drain(hooks, "offline_message"))
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED
    assert stored.error is not None and "never_done did not finish within 0.3 s" in stored.error


def test_replay_runs_the_handlers_again(hooks: WebhookApp) -> None:
    crm_up = False

    @hooks.on("chat_finished")
    def save(event: JivoEvent) -> None:
        if not crm_up:
            raise ConnectionError("CRM unreachable")

    run(lambda: _deliver_and_drain(hooks, "chat_finished"))
    failed = only_event(hooks)
    assert failed.status is EventStatus.FAILED
    crm_up = True
    results = fresh_loop.run(hooks.receiver.replay_failed())
    assert [(r.event_id, r.status, r.error, r.ok) for r in results] == [
        (failed.id, EventStatus.PROCESSED, None, True)
    ]
    replayed = only_event(hooks)
    assert (replayed.status, replayed.error, replayed.attempts) == (EventStatus.PROCESSED, None, 2)
    assert replayed.response == {"result": "ok"}  # what Jivo got is unchanged
    with pytest.raises(KeyError, match="no stored event with id 999"):
        fresh_loop.run(hooks.receiver.replay(999))


def test_replay_stuck_received_events(hooks: WebhookApp) -> None:
    from datetime import UTC, datetime, timedelta

    from jivo_widget.webhooks.store import NewEvent, dedupe_key

    body = samples.load_bytes("chat_finished")
    # What a process killed mid-dispatch leaves behind: a committed row still "received".
    stuck = hooks.store.add(
        NewEvent(
            datetime.now(UTC) - timedelta(minutes=10),
            None,
            body,
            dedupe_key(body),
            "chat_finished",
            4325,
            EventStatus.RECEIVED,
        )
    )
    seen: list[int | None] = []

    @hooks.on("chat_finished")
    def save(event: JivoEvent) -> None:
        seen.append(getattr(event, "chat_id", None))

    assert fresh_loop.run(hooks.receiver.replay_stuck(timedelta(minutes=20))) == []
    results = fresh_loop.run(hooks.receiver.replay_stuck(timedelta(minutes=5)))
    assert [(r.event_id, r.status) for r in results] == [(stuck, EventStatus.PROCESSED)]
    assert seen == [4325]


def test_replay_of_malformed_is_refused_and_invalid_is_revalidated(hooks: WebhookApp) -> None:
    async def scenario() -> None:
        await hooks.receiver.handle("POST", "S", b"[1, 2]", None)
        await deliver(hooks, {"event_name": "chat_accepted", "chat_id": "abc"})

    run(scenario)
    invalid, malformed = hooks.store.list()
    result = fresh_loop.run(hooks.receiver.replay(malformed.id))
    assert result.status is None
    assert (
        result.error == "cannot replay a malformed body: body must be a JSON object, not an array"
    )
    result = fresh_loop.run(hooks.receiver.replay(invalid.id))
    assert result.status is EventStatus.INVALID
    assert result.error is not None and "chat_id: Input should be a valid integer" in result.error


def test_registration_errors_are_clear(hooks: WebhookApp) -> None:
    with pytest.raises(JivoConfigError, match="did you mean 'chat_accepted'"):
        hooks.on("chat_acepted")
    with pytest.raises(JivoConfigError, match="non-empty string"):
        hooks.on(["chat_finished", ""])
    with pytest.raises(JivoConfigError, match="at least one event name"):
        hooks.on([])
    with pytest.raises(JivoConfigError, match=r"write @hooks.on\('chat_accepted'\)"):
        hooks.on(lambda event: None)  # type: ignore[arg-type]
    with pytest.raises(JivoConfigError, match="must be callable"):
        hooks.on("chat_finished")("not a function")  # type: ignore[type-var]
    # A name Jivo may add tomorrow stays registrable.
    hooks.on("chat_rated")(lambda event: None)
    assert len(hooks.router.handlers_for("chat_rated")) == 1


def test_odd_handlers_are_isolated_too(hooks: WebhookApp) -> None:
    import sys

    ran: list[str] = []

    @hooks.on("offline_message")
    async def exits(event: JivoEvent) -> None:
        sys.exit(3)

    @hooks.on("offline_message")
    def exits_in_thread(event: JivoEvent) -> None:
        sys.exit(4)

    @hooks.on("offline_message")
    async def takes_no_event() -> None:  # registered with the wrong signature
        ran.append("never")

    @hooks.on("offline_message")
    def returns_a_coroutine(event: JivoEvent) -> Coroutine[Any, Any, None]:
        async def later() -> None:
            ran.append("awaited")

        return later()

    run(lambda: _deliver_and_drain(hooks, "offline_message"))
    assert ran == ["awaited"]
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.error is not None
    assert "exits raised SystemExit: 3" in stored.error
    assert "exits_in_thread raised SystemExit: 4" in stored.error
    assert "takes_no_event raised TypeError" in stored.error


def test_a_sync_shaper_may_return_a_coroutine(hooks: WebhookApp) -> None:
    @hooks.on("chat_updated")
    def card(event: JivoEvent) -> Coroutine[Any, Any, dict[str, Any]]:
        async def lookup() -> dict[str, Any]:
            return {"crm_link": "https://crm.example.com/async"}

        return lookup()

    async def scenario() -> None:
        reply = await deliver(hooks, "chat_updated")
        assert reply.body == {"result": "ok", "crm_link": "https://crm.example.com/async"}
        assert await hooks.receiver.drain(5)

    run(scenario)
    assert only_event(hooks).status is EventStatus.PROCESSED
