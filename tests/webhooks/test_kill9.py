"""kill -9 mid-burst: every event that got a 200 survives, and duplicates get the first answer.

A real ``jivo-widget serve`` process (SQLite store) takes a burst of distinct events of several
types from concurrent clients and is SIGKILLed part-way through: ``chat_accepted`` (a handler
shapes the answer, unique per run), ``chat_finished`` (answered right after the insert, its
handler runs afterwards), ``offline_message`` and ``chat_updated`` (no handler: one insert of the
final row). A second phase does the same to capture-only ``serve`` (no ``--app``). After a
restart on the same store, every event whose 200 reached a client must be stored, and re-sent
copies must be answered with the stored first response without adding rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import open_store

pytestmark = pytest.mark.slow

SECRET = "kill9-secret"
EVENTS = 1200
CONCURRENCY = 32
KILL_AFTER = 450  # answered events before the SIGKILL: mid-burst, with plenty still in flight

# The handler answers with a fresh random token, so a re-sent duplicate that got a recomputed
# answer instead of the stored first one is caught.
APP = textwrap.dedent(
    """
    import os, uuid
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret=os.environ["JIVO_WEBHOOK_SECRET"], store=os.environ["KILL9_STORE"])

    @hooks.on("chat_accepted")
    def card(event):
        return {"result": "ok", "custom_data": [{"title": "run", "content": uuid.uuid4().hex}]}

    @hooks.on("chat_finished")
    def transcript(event):
        pass  # runs after the 200: its row is "received" until the outcome is recorded
    """
)

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync

#: The burst's mix, one type per chat id in turn (see the module docstring).
EVENT_MIX = ("chat_accepted", "chat_finished", "offline_message", "chat_updated")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(
    workdir: Path, store: str, port: int, *, app: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """``jivo-widget serve --app`` (or capture-only) in ``workdir``; yields once /healthz
    answers."""
    exe = Path(sys.executable).with_name("jivo-widget")
    env = {**os.environ, "JIVO_WEBHOOK_SECRET": SECRET, "KILL9_STORE": store}
    cmd = [str(exe), "serve", "--store", store, "--secret", SECRET]
    if app:
        cmd += ["--app", "kill9_app:hooks"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"serve exited with {proc.returncode}"
            assert time.monotonic() < deadline, "serve did not become healthy"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet; there is nothing else to wait on
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _body(chat_id: int, template: dict[str, Any]) -> bytes:
    return json.dumps({**template, "chat_id": chat_id}).encode()


async def _burst(
    url: str, bodies: dict[int, bytes], proc: subprocess.Popen[bytes] | None
) -> dict[int, tuple[int, bytes]]:
    """Post every body with bounded concurrency; SIGKILL ``proc`` after KILL_AFTER answers.

    Returns chat_id -> (status, response body) for every request that got an HTTP answer.
    """
    answered: dict[int, tuple[int, bytes]] = {}
    queue = list(bodies.items())
    queue.reverse()

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            chat_id, body = queue.pop()
            try:
                response = await client.post(url, content=body)
            except httpx.TransportError:
                continue  # the server is gone: this event was never acknowledged
            answered[chat_id] = (response.status_code, response.content)
            if proc is not None and len(answered) == KILL_AFTER:
                proc.send_signal(signal.SIGKILL)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return answered


@pytest.mark.parametrize("mode", ["handlers", "capture-only"])
def test_no_acknowledged_event_is_lost_and_duplicates_get_the_first_answer(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], run_async: RunAsync
) -> None:
    app = mode == "handlers"
    (tmp_path / "kill9_app.py").write_text(APP, encoding="utf-8")
    store_url = f"sqlite:///{tmp_path / 'events.db'}"
    templates = [samples.load(name) for name in EVENT_MIX]
    bodies = {
        chat_id: _body(chat_id, templates[chat_id % len(templates)])
        for chat_id in range(1, EVENTS + 1)
    }
    port = _free_port()
    url = f"http://127.0.0.1:{port}/jivo/webhook/{SECRET}"

    with serve(tmp_path, store_url, port, app=app) as proc:
        first = run_async(_burst(url, bodies, proc))
        assert proc.wait(timeout=10) == -signal.SIGKILL

    acknowledged = {cid for cid, (status, _) in first.items() if status == 200}
    assert len(acknowledged) >= KILL_AFTER
    assert all(status == 200 for status, _ in first.values()), "only 200s before the kill"
    unanswered = set(bodies) - set(first)
    assert unanswered, "the kill must land mid-burst"

    with serve(tmp_path, store_url, port, app=app):
        store = open_store(store_url)
        stored = store.list(limit=EVENTS * 2)
        stored_ids = [event.chat_id for event in stored]
        lost = acknowledged - {int(cid) for cid in stored_ids if cid is not None}
        assert not lost, f"{len(lost)} acknowledged events lost: {sorted(lost)[:20]}"
        assert len(stored_ids) == len(set(stored_ids)), "an event was stored twice"

        # Re-send everything: acknowledged ones must get the first answer, byte for byte
        # equal as JSON; the rest are stored now, exactly once each.
        second = run_async(_burst(url, bodies, None))
        assert {status for status, _ in second.values()} == {200}
        assert set(second) == set(bodies)
        changed = [
            cid for cid in acknowledged if json.loads(second[cid][1]) != json.loads(first[cid][1])
        ]
        assert not changed, f"{len(changed)} duplicates got a new answer, e.g. {changed[:5]}"
        after = store.list(limit=EVENTS * 2)
        after_ids = [event.chat_id for event in after]
        assert sorted(int(cid) for cid in after_ids if cid is not None) == sorted(bodies)
        names = {event.event_name for event in after}
        assert names == set(EVENT_MIX)

    with capsys.disabled():
        print(
            f"\nkill -9 ({mode}, {'/'.join(EVENT_MIX)}): {len(bodies)} sent, "
            f"{len(acknowledged)} acknowledged before SIGKILL, "
            f"{len(stored)} stored at restart ({len(stored) - len(acknowledged)} stored but "
            f"unacknowledged), 0 lost; {len(second)} re-sent, {len(after)} rows after."
        )


# A card handler and a second, never-finishing handler on chat_accepted: the card goes out as soon
# as it is shaped, while the event's outcome waits for every handler.
SLOW_APP = textwrap.dedent(
    """
    import os, threading, uuid
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret=os.environ["JIVO_WEBHOOK_SECRET"], store=os.environ["KILL9_STORE"])

    @hooks.on("chat_accepted")
    def card(event):
        return {"result": "ok", "custom_data": [{"title": "run", "content": uuid.uuid4().hex}]}

    @hooks.on("chat_accepted")
    def crm_sync(event):
        threading.Event().wait(60)  # a slow side effect, still running when the process dies
    """
)


def test_a_sent_response_survives_a_crash_while_other_handlers_run(tmp_path: Path) -> None:
    (tmp_path / "kill9_app.py").write_text(SLOW_APP, encoding="utf-8")
    store_url = f"sqlite:///{tmp_path / 'events.db'}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/jivo/webhook/{SECRET}"
    body = samples.load_bytes("chat_accepted")

    with serve(tmp_path, store_url, port) as proc:
        first = httpx.post(url, content=body, timeout=10)
        assert first.status_code == 200
        assert first.json()["custom_data"][0]["title"] == "run"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL

    with serve(tmp_path, store_url, port):
        again = httpx.post(url, content=body, timeout=10)
        assert again.status_code == 200
        assert again.json() == first.json()
        assert open_store(store_url).count() == 1
