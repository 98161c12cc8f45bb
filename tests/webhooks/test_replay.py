"""Replaying stored events (:mod:`jivo_widget.webhooks.replay`): failed and stuck events run
their handlers again; malformed ones cannot, invalid ones are validated again; a replayed
handler's error is logged too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jivo_widget.webhooks import (
    EventStatus,
    JivoEvent,
    WebhookApp,
    samples,
)
from jivo_widget.webhooks.store import NewEvent, dedupe_key

if TYPE_CHECKING:
    from webhooks.conftest import Deliver, OnlyEvent, RunAsync

SECRET = "log-secret-Zx81"


def test_replay_runs_the_handlers_again(
    hooks: WebhookApp,
    run_async: RunAsync,
    deliver: Deliver,
    only_event: OnlyEvent,
) -> None:
    crm_up = False

    @hooks.on("chat_finished")
    def save(event: JivoEvent) -> None:
        if not crm_up:
            raise ConnectionError("CRM unreachable")

    run_async(deliver(hooks, "chat_finished", drain=True))
    failed = only_event(hooks)
    assert failed.status is EventStatus.FAILED
    crm_up = True
    results = run_async(hooks.receiver.replay_failed())
    assert [(r.event_id, r.status, r.error, r.ok) for r in results] == [
        (failed.id, EventStatus.PROCESSED, None, True)
    ]
    replayed = only_event(hooks)
    assert (replayed.status, replayed.error, replayed.attempts) == (EventStatus.PROCESSED, None, 2)
    assert replayed.response == {"result": "ok"}  # what Jivo got is unchanged
    with pytest.raises(KeyError, match="no stored event with id 999"):
        run_async(hooks.receiver.replay(999))


def test_replay_stuck_received_events(hooks: WebhookApp, run_async: RunAsync) -> None:

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

    assert run_async(hooks.receiver.replay_stuck(timedelta(minutes=20))) == []
    results = run_async(hooks.receiver.replay_stuck(timedelta(minutes=5)))
    assert [(r.event_id, r.status) for r in results] == [(stuck, EventStatus.PROCESSED)]
    assert seen == [4325]


def test_replay_of_malformed_is_refused_and_invalid_is_revalidated(
    hooks: WebhookApp, run_async: RunAsync, deliver: Deliver
) -> None:
    async def scenario() -> None:
        await hooks.receiver.handle("POST", "S", b"[1, 2]", None)
        await deliver(hooks, {"event_name": "chat_accepted", "chat_id": "abc"})

    run_async(scenario())
    invalid, malformed = hooks.store.list()
    result = run_async(hooks.receiver.replay(malformed.id))
    assert result.status is None
    assert (
        result.error == "cannot replay a malformed body: body must be a JSON object, not an array"
    )
    result = run_async(hooks.receiver.replay(invalid.id))
    assert result.status is EventStatus.INVALID
    assert result.error is not None and "chat_id: Input should be a valid integer" in result.error


def test_a_replayed_handler_error_is_logged_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, run_async: RunAsync
) -> None:
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}")
    fail = True

    @hooks.on("chat_finished")
    def crm(event: JivoEvent) -> None:
        if fail:
            raise RuntimeError("CRM is down")

    hooks.receiver.handle_blocking("POST", SECRET, samples.load_bytes("chat_finished"), None)
    assert hooks.receiver.drain_blocking(10)
    [stored] = hooks.store.list()
    caplog.clear()
    caplog.set_level(logging.ERROR, logger="jivo_widget")
    result = run_async(hooks.receiver.replay(stored.id))
    assert not result.ok
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith(f"event {stored.id} (chat_finished): handler ")
    assert record.exc_info is not None
