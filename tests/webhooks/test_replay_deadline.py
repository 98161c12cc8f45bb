"""Issue 6 item 17: a sync handler that blocks forever cannot keep a process from exiting.

The receiver stops waiting at the handler deadline, but a thread cannot be stopped; it used to
run on the event loop's default executor, whose threads are joined when the loop closes and at
interpreter exit, so ``events replay`` (and a stopping ``serve``) never returned. Real
subprocesses, with a timeout on the test side.
"""

from __future__ import annotations

import subprocess
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cli_support import EXE, SECRET, env_for, start_serve

from jivo_widget.webhooks import EventStatus, samples
from jivo_widget.webhooks.store import NewEvent, dedupe_key, open_store

STUCK_APP = textwrap.dedent(
    """
    import threading
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(
        secret="unused", store="sqlite:///events.db", handler_timeout=1, response_deadline=0.5
    )

    @hooks.on("chat_finished")
    def export(event):
        threading.Event().wait()  # a call without a timeout that never returns
    """
)


def _failed_event(path: Path) -> int:
    store = open_store(f"sqlite:///{path}")
    try:
        body = samples.load_bytes("chat_finished")
        new = NewEvent(
            datetime.now(UTC), None, body, dedupe_key(body), "chat_finished", 1,
            EventStatus.FAILED, "an earlier failure",
        )  # fmt: skip
        event_id = store.add(new)
    finally:
        store.close()
    assert event_id is not None
    return event_id


def test_replay_stops_at_the_handler_deadline_and_exits(tmp_path: Path) -> None:
    (tmp_path / "stuckapp.py").write_text(STUCK_APP, encoding="utf-8")
    event_id = _failed_event(tmp_path / "events.db")
    started = time.monotonic()
    result = subprocess.run(
        [EXE, "events", "replay", str(event_id), "--app", "stuckapp:hooks"],
        cwd=tmp_path,
        env=env_for(),
        capture_output=True,
        text=True,
        timeout=60,  # before the fix: TimeoutExpired, the process never exits
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert f"{event_id}  chat_finished  failed  attempts=1" in result.stdout
    assert "did not finish within 1 s" in result.stdout
    stored = open_store(f"sqlite:///{tmp_path / 'events.db'}", read_only=True).get(event_id)
    assert stored is not None and stored.status is EventStatus.FAILED
    assert "did not finish within 1 s" in (stored.error or "")
    assert elapsed < 45, elapsed  # a deadline of 1 s, not the test's timeout


def test_serve_stops_with_a_handler_blocked_forever(tmp_path: Path) -> None:
    (tmp_path / "stuckapp.py").write_text(STUCK_APP, encoding="utf-8")
    served = start_serve(tmp_path, "--secret", SECRET, "--app", "stuckapp:hooks")
    try:
        body = samples.load_bytes("chat_finished")
        assert httpx.post(served.url(), content=body, timeout=10).status_code == 200
        time.sleep(1.5)  # past the handler deadline: the event is failed, the thread runs on
    finally:
        served.proc.send_signal(2)  # Ctrl-C
        try:
            _, err = served.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            served.proc.communicate()
            raise AssertionError("serve did not exit with a handler blocked forever") from None
    assert served.proc.returncode == 0, err
    stored = open_store(served.store, read_only=True).list()
    assert [event.status for event in stored] == [EventStatus.FAILED]
