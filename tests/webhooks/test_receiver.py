"""The framework-free receiver core: secrets, body cap, decoding, dedupe, 503, never a 5xx."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jivo_widget.webhooks import (
    EventStatus,
    JivoEvent,
    WebhookApp,
    samples,
)
from jivo_widget.webhooks.contract import status_code
from jivo_widget.webhooks.store import NewEvent, SqliteStore, dedupe_key

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync


@pytest.fixture
def hooks(tmp_path: Path) -> WebhookApp:
    return WebhookApp(secret=["old-secret", "new-secret"], store=f"sqlite:///{tmp_path / 'e.db'}")


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_secret_rotation_wrong_secret_and_method(hooks: WebhookApp) -> None:
    receiver = hooks.receiver
    assert receiver.authorize("POST", "old-secret") is None
    assert receiver.authorize("POST", "new-secret") is None
    for wrong in ("", "new-secre", "new-secret2", "NEW-SECRET", "\udcff", "ключ"):
        reply = receiver.authorize("POST", wrong)
        assert reply is not None and reply.status == 404
        assert reply.body["error"] == "not found: wrong or missing secret in the webhook URL"
    reply = receiver.authorize("GET", "wrong")
    assert reply is not None and reply.status == 404  # the secret is checked first
    reply = receiver.authorize("GET", "new-secret")
    assert reply is not None and reply.status == 405
    assert ("Allow", "POST") in reply.headers
    assert reply.body["error"] == "method GET not allowed: Jivo webhooks are POST requests"


def test_read_body_counts_bytes_whatever_content_length_says(
    tmp_path: Path, run_async: RunAsync
) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", max_body_bytes=10)
    read = hooks.receiver.read_body

    async def scenario() -> None:
        assert await read(chunks(b"12345", b"67890"), "10") == b"1234567890"
        assert await read(chunks(b"12345", b"678901"), None) is None  # chunked, over
        assert await read(chunks(b"12345", b"678901"), "3") is None  # a lying Content-Length
        assert await read(chunks(b"1"), "11") is None  # declared over: refused early
        assert await read(chunks(b"1"), "banana") == b"1"  # unparseable: counted instead
        assert await read(chunks(), None) == b""

    run_async(scenario())


def test_read_body_blocking_for_wsgi(tmp_path: Path) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", max_body_bytes=10)
    read = hooks.receiver.read_body_blocking
    assert read(io.BytesIO(b"0123456789").read, "10") == b"0123456789"
    assert read(io.BytesIO(b"0123456789").read, "4") == b"0123"  # WSGI: read what is declared
    assert read(io.BytesIO(b"0123456789A").read, None) is None
    assert read(io.BytesIO(b"0123456789A").read, "11") is None
    assert read(io.BytesIO(b"012").read, None) == b"012"


def test_handle_blocking_for_sync_servers(hooks: WebhookApp) -> None:
    handled: list[str] = []

    @hooks.on("chat_finished")
    def save(event: JivoEvent) -> None:
        handled.append(event.event_name)

    body = samples.load_bytes("chat_finished")
    reply = hooks.receiver.handle_blocking("POST", "new-secret", body, "127.0.0.1")
    assert (reply.status, reply.body, reply.content) == (200, {"result": "ok"}, b'{"result":"ok"}')
    assert hooks.receiver.drain_blocking(5)
    assert handled == ["chat_finished"]
    assert hooks.store.list()[0].status is EventStatus.PROCESSED


def test_concurrent_duplicates_get_one_row_and_the_same_reply(
    hooks: WebhookApp, run_async: RunAsync
) -> None:
    release = asyncio.Event()
    runs: list[int] = []

    @hooks.on("chat_accepted")
    async def card(event: JivoEvent) -> dict[str, Any]:
        runs.append(1)
        await release.wait()
        return {"crm_link": "https://crm.example.com/c/1"}

    body = samples.load_bytes("chat_accepted")

    async def scenario() -> None:
        first = asyncio.ensure_future(hooks.receiver.handle("POST", "old-secret", body, None))
        second = asyncio.ensure_future(hooks.receiver.handle("POST", "old-secret", body, None))
        await asyncio.sleep(0)  # let both reach the receiver before the handler answers
        release.set()
        replies = await asyncio.gather(first, second)
        assert replies[0].body == replies[1].body
        assert replies[0].body == {"result": "ok", "crm_link": "https://crm.example.com/c/1"}
        [row] = hooks.store.list()
        assert replies[0].headers == ()
        assert replies[1].headers == (("X-Jivo-Duplicate-Of", str(row.id)),)
        assert await hooks.receiver.drain(5)
        third = await hooks.receiver.handle("POST", "old-secret", body, None)
        assert third == replies[1]  # later duplicates: the stored reply

    run_async(scenario())
    assert runs == [1]
    assert hooks.store.count() == 1


def test_store_locked_is_503_and_nothing_is_lost_after(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    hooks = WebhookApp(secret="S", store=SqliteStore(path, busy_timeout=0.05))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    body = samples.load_bytes("offline_message")
    try:
        reply = hooks.receiver.handle_blocking("POST", "S", body, None)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert reply.status == 503
    assert reply.body["error"].startswith("event store unavailable, retry later: cannot write to")
    assert "database is locked" in reply.body["error"]
    assert hooks.receiver.handle_blocking("POST", "S", body, None).status == 200  # the retry
    assert hooks.store.count() == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=10), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {"event_name": st.sampled_from([*samples.names(), "x", "chat_rated"])},
            optional={
                "chat_id": st.integers() | st.text(max_size=5) | st.none(),
                "visitor": st.dictionaries(st.text(max_size=8), st.integers() | st.text()),
                "tags": st.lists(st.integers()) | st.none(),
                "agents": st.text(max_size=3),
            },
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_any_body_gets_a_4xx_or_200_never_a_5xx(tmp_path_factory: Any, body: bytes) -> None:
    hooks = _property_hooks(tmp_path_factory)
    reply = hooks.receiver.handle_blocking("POST", "S", body, "127.0.0.1")
    assert reply.status in (200, 400, 422), reply
    assert reply.body["result"] in ("ok", "error")
    if reply.status != 200:
        assert reply.body["error"]
    stored = hooks.store.get_by_dedupe_key(dedupe_key(body))
    assert stored is not None and status_code(stored.status) == reply.status


_PROPERTY_HOOKS: dict[str, WebhookApp] = {}


def _property_hooks(tmp_path_factory: Any) -> WebhookApp:
    # One app for every example: building a store per example would dominate the run time.
    if "hooks" not in _PROPERTY_HOOKS:
        path = tmp_path_factory.mktemp("property") / "e.db"
        hooks = WebhookApp(secret="S", store=f"sqlite:///{path}")

        @hooks.on_any
        def echo(event: JivoEvent) -> dict[str, Any]:
            return {"crm_link": "https://crm.example.com"}

        _PROPERTY_HOOKS["hooks"] = hooks
    return _PROPERTY_HOOKS["hooks"]


class FailingOnceStore(SqliteStore):
    """The real SQLite store whose first ``failures`` group commits hit an unexpected bug
    (not :class:`StoreUnavailable`): the receiver's catch-all path."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures

    def write_batch(self, events: Any, outcomes: Any) -> list[int | None]:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("induced bug in the capture path")
        return super().write_batch(events, outcomes)


def test_an_internal_error_still_keeps_the_body_as_failed(tmp_path: Path) -> None:
    store = FailingOnceStore(tmp_path / "e.db", failures=1)
    hooks = WebhookApp(secret="S", store=store)
    body = samples.load_bytes("chat_finished")
    reply = hooks.receiver.handle_blocking("POST", "S", body, "10.0.0.1")
    assert reply.status == 200, reply
    [row] = store.list()
    assert row.body == body and row.status is EventStatus.FAILED
    assert row.event_name == "chat_finished" and row.remote_addr == "10.0.0.1"
    assert row.error is not None and "RuntimeError" in row.error
    # Kept for `events replay --failed`; a resend is a duplicate of the kept row.
    again = hooks.receiver.handle_blocking("POST", "S", body, None)
    assert again.status == 200 and store.count() == 1


def test_an_internal_error_on_a_malformed_body_keeps_it_as_malformed(tmp_path: Path) -> None:
    store = FailingOnceStore(tmp_path / "e.db", failures=1)
    hooks = WebhookApp(secret="S", store=store)
    reply = hooks.receiver.handle_blocking("POST", "S", b"[1, 2]", None)
    assert reply.status == 400 and "JSON object" in reply.body["error"]
    [row] = store.list()
    assert row.body == b"[1, 2]" and row.status is EventStatus.MALFORMED


def test_an_internal_error_is_503_only_when_the_body_cannot_be_kept(tmp_path: Path) -> None:
    store = FailingOnceStore(tmp_path / "e.db", failures=2)
    hooks = WebhookApp(secret="S", store=store)
    reply = hooks.receiver.handle_blocking("POST", "S", samples.load_bytes("chat_finished"), None)
    assert reply.status == 503
    assert reply.body["error"] == "internal error in the webhook receiver, retry later"
    assert store.count() == 0


def _backdate(path: Path, minutes: float) -> None:
    """Move every stored row ``minutes`` into the past (as if received that long ago)."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE jivo_events SET received_at = received_at - ?", (minutes * 60,))
    conn.close()


def _attribute_update(value: str) -> bytes:
    # client_attribute_updated carries no timestamp: the same change sends the same bytes.
    return json.dumps(
        {"event_name": "client_attribute_updated", "chat_id": 7, "attributes": {"1": value}}
    ).encode()


def test_an_identical_body_after_the_dedupe_window_is_a_new_event(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    hooks = WebhookApp(secret="S", store=SqliteStore(path))  # default window: 10 minutes
    seen: list[str] = []

    @hooks.on("client_attribute_updated")
    def note(event: JivoEvent) -> None:
        seen.append(event.raw["attributes"]["1"])

    def send(value: str) -> Any:
        reply = hooks.receiver.handle_blocking("POST", "S", _attribute_update(value), None)
        assert hooks.receiver.drain_blocking(5)
        return reply

    assert send("Gold7").status == 200
    _backdate(path, 11)
    assert send("Free7").status == 200
    third = send("Gold7")  # A -> B -> A: the last A is a change, not a resend
    assert third.status == 200 and dict(third.headers) == {}
    assert seen == ["Gold7", "Free7", "Gold7"]
    rows = hooks.store.list(newest_first=False)
    assert [json.loads(r.body)["attributes"]["1"] for r in rows] == ["Gold7", "Free7", "Gold7"]
    assert {r.status for r in rows} == {EventStatus.PROCESSED}
    assert rows[0].dedupe_key == rows[2].dedupe_key  # the older copy keeps its body hash
    assert hooks.store.get_by_dedupe_key(rows[0].dedupe_key) == rows[2]

    # Within the window the same body is a resend: the first reply, marked, handlers not re-run.
    fourth = send("Gold7")
    assert fourth.status == 200 and dict(fourth.headers) == {"X-Jivo-Duplicate-Of": str(rows[2].id)}
    assert seen == ["Gold7", "Free7", "Gold7"] and hooks.store.count() == 3


def test_dedupe_window_none_is_forever(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    hooks = WebhookApp(secret="S", store=SqliteStore(path), dedupe_window=None)
    body = _attribute_update("Gold7")
    first = hooks.receiver.handle_blocking("POST", "S", body, None)
    _backdate(path, 60 * 24 * 365)
    again = hooks.receiver.handle_blocking("POST", "S", body, None)
    assert first.status == again.status == 200
    assert dict(again.headers) == {"X-Jivo-Duplicate-Of": str(hooks.store.list()[0].id)}
    assert hooks.store.count() == 1


def test_copies_of_an_old_body_in_one_transaction_store_one_new_row(tmp_path: Path) -> None:
    """The re-key and the insert are one transaction: two copies racing past the window of an
    old row still make exactly one new row (the unique key holds)."""
    store = SqliteStore(tmp_path / "e.db")
    body = _attribute_update("Gold7")
    old = datetime.now(UTC) - timedelta(hours=1)

    def new(at: datetime) -> NewEvent:
        return NewEvent(
            at, None, body, dedupe_key(body), "client_attribute_updated", 7,
            EventStatus.PROCESSED, dedupe_since=at - timedelta(minutes=10),
        )  # fmt: skip

    [first] = store.write_batch([new(old)], ())
    now = datetime.now(UTC)
    ids = store.write_batch([new(now), new(now)], ())
    assert first is not None and ids[0] is not None and ids[1] is None
    assert store.count() == 2
    latest = store.get_by_dedupe_key(dedupe_key(body))
    assert latest is not None and latest.id == ids[0]
    # One at a time (no surrounding transaction) the same holds.
    assert store.add(new(now)) is None and store.count() == 2
