"""Dispatching a stored event to its handlers (:mod:`jivo_widget.webhooks.dispatch`): sync
handlers on threads and async ones on the loop, isolation, the deadlines, the one response
shaper, the shaped response committed before it is sent, and handler errors logged at ERROR
with their traceback (never with the secret; nothing personal below ERROR).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jivo_widget.webhooks import (
    ChatAccepted,
    ChatResponse,
    EventStatus,
    JivoEvent,
    WebhookApp,
    samples,
)
from jivo_widget.webhooks.store import dedupe_key

if TYPE_CHECKING:
    from webhooks.conftest import Deliver, OnlyEvent, RunAsync

SECRET = "log-secret-Zx81"
EMAIL = "zoe.private@example.com"


def _body_with_email() -> bytes:
    payload = samples.load("chat_finished")
    payload["visitor"]["email"] = EMAIL
    return json.dumps(payload).encode()


def _formatted(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return [(record.levelno, formatter.format(record)) for record in caplog.records]


def test_each_handler_error_is_logged_at_error_with_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jivo_widget")
    hooks = WebhookApp(
        secret=SECRET,
        store=f"sqlite:///{tmp_path / 'e.db'}",
        handler_timeout=0.5,
        response_deadline=0.25,
    )
    release = threading.Event()

    @hooks.on("chat_finished")
    def crm(event: JivoEvent) -> None:
        raise RuntimeError(f"CRM refused {event.raw['visitor']['email']}")

    @hooks.on("chat_finished")
    async def transcript(event: JivoEvent) -> None:
        raise KeyError("transcript-store")

    @hooks.on("chat_finished")
    def slow(event: JivoEvent) -> None:
        release.wait(5)

    try:
        reply = hooks.receiver.handle_blocking("POST", SECRET, _body_with_email(), "10.1.2.3")
        assert reply.status == 200
        assert hooks.receiver.drain_blocking(10)
    finally:
        release.set()
    [stored] = hooks.store.list()
    assert stored.status == "failed"

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    label = r"handler \S+\.(\w+) "
    by_handler = {re.search(label, r.getMessage()).group(1): r for r in errors}  # type: ignore[union-attr]
    assert sorted(by_handler) == ["crm", "slow", "transcript"]
    for name in ("crm", "transcript"):
        record = by_handler[name]
        assert record.getMessage().startswith(f"event {stored.id} (chat_finished): handler ")
        assert record.exc_info is not None  # the traceback goes with it
    text = logging.Formatter().format(by_handler["crm"])
    assert "Traceback (most recent call last)" in text and "in crm" in text
    assert "RuntimeError: CRM refused" in text
    assert "did not finish within 0.5 s" in by_handler["slow"].getMessage()

    for level, line in _formatted(caplog):
        assert SECRET not in line
        if level <= logging.INFO:
            assert EMAIL not in line and "10.1.2.3" not in line, line


def test_sync_handlers_run_in_a_thread_async_ones_on_the_loop(
    hooks: WebhookApp, run_async: RunAsync, deliver: Deliver
) -> None:
    threads: dict[str, int] = {}

    @hooks.on("chat_finished")
    def sync_handler(event: JivoEvent) -> None:
        threads["sync"] = threading.get_ident()

    @hooks.on("chat_finished")
    async def async_handler(event: JivoEvent) -> None:
        threads["async"] = threading.get_ident()

    async def scenario() -> None:
        threads["loop"] = threading.get_ident()
        await deliver(hooks, "chat_finished", drain=True)

    run_async(scenario())
    assert threads["async"] == threads["loop"]
    assert threads["sync"] != threads["loop"]


def test_handler_gets_the_typed_event(
    hooks: WebhookApp, run_async: RunAsync, deliver: Deliver
) -> None:
    seen: list[ChatAccepted] = []

    @hooks.on("chat_accepted")
    def crm(event: ChatAccepted) -> None:
        seen.append(event)

    run_async(deliver(hooks, "chat_accepted", drain=True))
    assert isinstance(seen[0], ChatAccepted)
    assert seen[0].visitor is not None and seen[0].visitor.email == "john.smith@example.com"
    assert seen[0].raw_body == samples.load_bytes("chat_accepted")


def test_a_raising_handler_does_not_stop_the_others(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
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

    run_async(scenario())
    assert ran == ["fine"]
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.attempts == 1
    assert stored.error is not None
    assert "broken raised RuntimeError: CRM is down" in stored.error
    assert "also_broken raised KeyError: 'missing'" in stored.error
    assert "Traceback" in stored.error


def test_the_shaper_response_is_sent_and_stored(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
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

    run_async(scenario())
    stored = only_event(hooks)
    assert (stored.status, stored.response, stored.error) == (
        EventStatus.PROCESSED,
        expected,
        None,
    )


def test_two_shapers_first_wins_and_the_event_is_failed(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
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

    run_async(scenario())
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED
    assert stored.response == {"result": "ok", "crm_link": "https://crm.example.com/first"}
    assert stored.error is not None and "second_shaper returned a response" in stored.error
    assert "first_shaper already did; only one handler may shape it" in stored.error


def test_an_invalid_response_falls_back_to_ok(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
    @hooks.on("chat_accepted")
    def too_much(event: JivoEvent) -> dict[str, Any]:
        return {"custom_data": [{"content": str(i)} for i in range(11)]}

    async def scenario() -> None:
        assert (await deliver(hooks, "chat_accepted")).body == {"result": "ok"}
        assert await hooks.receiver.drain(5)

    run_async(scenario())
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.response == {"result": "ok"}
    assert stored.error is not None
    assert "too_much returned invalid response: custom_data: List should have at most 10" in (
        stored.error
    )


def test_a_slow_shaper_misses_the_deadline_and_ok_goes_out(
    tmp_path: Path,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
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

    run_async(scenario())
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.response == {"result": "ok"}
    assert stored.error is not None
    assert "slow_card returned its response after the 0.2 s response deadline" in stored.error


def test_a_handler_past_handler_timeout_is_failed(
    tmp_path: Path,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
    hooks = WebhookApp(
        secret="S",
        store=f"sqlite:///{tmp_path / 'e.db'}",
        response_deadline=0.1,
        handler_timeout=0.3,
    )

    @hooks.on("offline_message")
    async def never_done(event: JivoEvent) -> None:
        await asyncio.Event().wait()

    run_async(deliver(hooks, "offline_message", drain=True))
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED
    assert stored.error is not None and "never_done did not finish within 0.3 s" in stored.error


def test_odd_handlers_are_isolated_too(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:

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

    run_async(deliver(hooks, "offline_message", drain=True))
    assert ran == ["awaited"]
    stored = only_event(hooks)
    assert stored.status is EventStatus.FAILED and stored.error is not None
    assert "exits raised SystemExit: 3" in stored.error
    assert "exits_in_thread raised SystemExit: 4" in stored.error
    assert "takes_no_event raised TypeError" in stored.error


def test_a_sync_shaper_may_return_a_coroutine(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
    @hooks.on("chat_updated")
    def card(event: JivoEvent) -> Coroutine[Any, Any, dict[str, Any]]:
        async def lookup() -> dict[str, Any]:
            return {"crm_link": "https://crm.example.com/async"}

        return lookup()

    async def scenario() -> None:
        reply = await deliver(hooks, "chat_updated")
        assert reply.body == {"result": "ok", "crm_link": "https://crm.example.com/async"}
        assert await hooks.receiver.drain(5)

    run_async(scenario())
    assert only_event(hooks).status is EventStatus.PROCESSED


def test_a_shaped_response_is_committed_before_it_is_sent(
    tmp_path: Path, run_async: RunAsync
) -> None:
    # A second handler still runs when the card goes out: the stored row must already hold
    # the card, or a duplicate after a crash would be answered {"result": "ok"}.
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}")
    release = threading.Event()
    card = {"result": "ok", "crm_link": "https://crm.example.com/c/1"}

    @hooks.on("chat_accepted")
    def shape(event: JivoEvent) -> dict[str, Any]:
        return card

    @hooks.on("chat_accepted")
    def slow(event: JivoEvent) -> None:
        release.wait(10)

    body = samples.load_bytes("chat_accepted")

    async def scenario() -> None:
        reply = await hooks.receiver.handle("POST", "S", body, None)
        assert reply.status == 200 and reply.body == card
        stored = hooks.store.get_by_dedupe_key(dedupe_key(body))
        assert stored is not None
        assert (stored.status, stored.response, stored.attempts) == (
            EventStatus.RECEIVED,
            card,
            0,
        )
        release.set()
        assert await hooks.receiver.drain(10)

    run_async(scenario())
    stored = hooks.store.get_by_dedupe_key(dedupe_key(body))
    assert stored is not None
    assert (stored.status, stored.response, stored.attempts) == (EventStatus.PROCESSED, card, 1)


def test_the_last_handler_shaping_commits_outcome_and_response_before_the_reply(
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}")

    @hooks.on("chat_updated")
    def shape(event: JivoEvent) -> dict[str, Any]:
        return {"enable_assign": True}

    body = samples.load_bytes("chat_updated")

    async def scenario() -> None:
        reply = await hooks.receiver.handle("POST", "S", body, None)
        assert reply.body == {"result": "ok", "enable_assign": True}
        stored = hooks.store.get_by_dedupe_key(dedupe_key(body))
        assert stored is not None
        assert (stored.status, stored.response) == (EventStatus.PROCESSED, reply.body)

    run_async(scenario())
