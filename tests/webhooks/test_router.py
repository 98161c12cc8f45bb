"""Routing: registration, the order handlers are called in, registration errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import (
    EventStatus,
    JivoEvent,
    WebhookApp,
)

if TYPE_CHECKING:
    from webhooks.conftest import Deliver, RunAsync


def test_named_handlers_in_order_then_catch_all(
    hooks: WebhookApp, run_async: RunAsync, deliver: Deliver
) -> None:
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

    run_async(scenario())
    assert sorted(calls) == ["any:brand_new_event", "any:offline_message", "second"]
    assert {e.status for e in hooks.store.list()} == {EventStatus.PROCESSED}


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
