"""``jivo-widget events list|show|replay|purge`` through the real console script."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jivo_widget.webhooks import EventStatus
from jivo_widget.webhooks.store import open_store

if TYPE_CHECKING:
    from conftest import JivoCli, Served


def test_events_list_table_json_and_filters(capture: Served, jivo_cli: JivoCli) -> None:
    for chat_id in (1, 2, 3):
        capture.post_sample("chat_accepted", chat_id=chat_id)
    capture.post_sample("offline_message")
    rows = capture.list_json()
    assert len(rows) == 4
    for row in rows:
        assert {"id", "received_at", "event_name", "chat_id", "status"} <= row.keys()
    accepted = capture.list_json("--event", "chat_accepted")
    assert sorted(row["chat_id"] for row in accepted) == [1, 2, 3]
    assert len(capture.list_json("--limit", "2")) == 2
    assert capture.list_json("--status", "failed") == []

    table = jivo_cli.run("events", "list", "--store", capture.store, cwd=capture.cwd)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "RECEIVED", "EVENT", "CHAT", "STATUS"]
    assert len(lines) == 5
    assert sum("chat_accepted" in line for line in lines) == 3


def test_events_show_prints_metadata_payload_and_response(
    capture: Served, jivo_cli: JivoCli
) -> None:
    jivo_cli.run("trigger", "chat_accepted", "--url", capture.url(), "--set", "visitor.name=Zoë",
        cwd=capture.cwd)  # fmt: skip
    (row,) = capture.list_json()
    result = jivo_cli.run(
        "events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd
    )
    assert result.returncode == 0, result.stderr
    assert "status:      processed" in result.stdout
    assert '"name": "Zoë"' in result.stdout  # pretty, not ASCII-escaped
    response = result.stdout.split("\nresponse:\n", 1)[1]
    assert json.loads(response) == {"result": "ok"}


def test_events_show_unknown_id_is_bad_input(tmp_path: Path, jivo_cli: JivoCli) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    open_store(store).close()
    result = jivo_cli.run("events", "show", "999", "--store", store, cwd=tmp_path)
    assert result.returncode == 2
    assert "no event with id 999" in result.stderr


def test_events_on_a_missing_store_is_bad_input(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("events", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "no event store at jivo-events.db" in result.stderr
    assert not (tmp_path / "jivo-events.db").exists()


def test_events_store_from_the_environment(capture: Served, jivo_cli: JivoCli) -> None:
    capture.post_sample("chat_accepted")
    result = jivo_cli.run(
        "events", "list", "--json", cwd=capture.cwd, JIVO_WEBHOOK_STORE=capture.store
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_events_replay_failed_reruns_handlers(with_app: Served, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("trigger", "chat_finished", "--url", with_app.url(), cwd=with_app.cwd)
    assert result.returncode == 0  # a failing handler still answers 200 ok
    (row,) = with_app.list_json("--status", "failed")
    assert row["attempts"] == 1
    assert "CRM is down" in str(row["error"])

    replay = ["events", "replay", "--failed", "--store", with_app.store, "--app", "userapp:hooks"]
    still = jivo_cli.run(*replay, cwd=with_app.cwd)
    assert still.returncode == 1
    assert "1 event(s) still failed" in still.stderr

    (with_app.cwd / "transcripts-ok").touch()
    fixed = jivo_cli.run(*replay, cwd=with_app.cwd)
    assert fixed.returncode == 0, fixed.stderr
    (after,) = with_app.list_json()
    assert after["status"] == "processed"
    assert after["attempts"] == 3
    assert with_app.list_json("--status", "failed") == []


def test_events_replay_by_id(with_app: Served, jivo_cli: JivoCli) -> None:
    jivo_cli.run("trigger", "chat_finished", "--url", with_app.url(), cwd=with_app.cwd)
    (row,) = with_app.list_json()
    (with_app.cwd / "transcripts-ok").touch()
    result = jivo_cli.run("events", "replay", str(row["id"]), "--store", with_app.store,
                 cwd=with_app.cwd, JIVO_WEBHOOK_APP="userapp:hooks")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{row['id']}  chat_finished  processed  attempts=2" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "userapp:hooks"], "name event IDs to replay, or pass --failed"),
        (["--failed"], "replay re-runs your handlers: pass --app"),
    ],
)
def test_events_replay_bad_usage(
    workdir: Path, args: list[str], message: str, jivo_cli: JivoCli
) -> None:
    store = f"sqlite:///{workdir / 'events.db'}"
    open_store(store).close()
    result = jivo_cli.run("events", "replay", *args, "--store", store, cwd=workdir)
    assert result.returncode == 2
    assert message in result.stderr


def test_events_purge(capture: Served, jivo_cli: JivoCli) -> None:
    capture.post_sample("chat_accepted")
    capture.post_sample("offline_message")
    keep = jivo_cli.run(
        "events", "purge", "--older-than", "30d", "--store", capture.store, cwd=capture.cwd
    )
    assert keep.returncode == 0, keep.stderr
    assert keep.stdout.startswith("purged 0 event(s)")
    assert len(capture.list_json()) == 2

    purge_all = jivo_cli.run(
        "events", "purge", "--older-than", "0s", "--status", "processed",
        "--store", capture.store, cwd=capture.cwd,
    )  # fmt: skip
    assert purge_all.returncode == 0, purge_all.stderr
    assert purge_all.stdout.startswith("purged 2 event(s)")
    assert capture.list_json() == []


@pytest.mark.parametrize("age", ["30", "30x", "d30", "-1d", ""])
def test_events_purge_bad_age_is_bad_usage(tmp_path: Path, age: str, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("events", "purge", "--older-than", age, cwd=tmp_path)
    assert result.returncode == 2
    assert "must be a number and a unit s/m/h/d" in result.stderr


def test_events_replay_unknown_id_is_bad_input(workdir: Path, jivo_cli: JivoCli) -> None:
    store = f"sqlite:///{workdir / 'events.db'}"
    open_store(store).close()
    result = jivo_cli.run(
        "events", "replay", "41", "--app", "userapp:hooks", "--store", store, cwd=workdir
    )
    assert result.returncode == 2
    assert "no event with id 41" in result.stderr


def test_events_show_a_malformed_delivery_prints_the_raw_body(
    capture: Served, jivo_cli: JivoCli
) -> None:
    assert httpx.post(capture.url(), content=b'{"event_name": "chat_').status_code == 400
    (row,) = capture.list_json("--status", "malformed")
    result = jivo_cli.run(
        "events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd
    )
    assert result.returncode == 0, result.stderr
    assert 'payload:\n{"event_name": "chat_\n' in result.stdout
    assert "body is not valid JSON" in result.stdout  # the stored error and 400 response


def test_events_list_on_an_empty_store(tmp_path: Path, jivo_cli: JivoCli) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    open_store(store).close()
    result = jivo_cli.run("events", "list", "--store", store, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.split() == ["ID", "RECEIVED", "EVENT", "CHAT", "STATUS", "TRIES", "ERROR"]
    assert "(no events)" in result.stderr


def _store_with_one_event(
    workdir: Path, leave_stuck_event: Callable[[Path, float], int]
) -> tuple[str, Path]:
    leave_stuck_event(workdir, 0)
    return f"sqlite:///{workdir / 'events.db'}", workdir / "events.db"


def test_events_list_and_show_read_a_store_whose_write_lock_is_held(
    workdir: Path, jivo_cli: JivoCli, leave_stuck_event: Callable[[Path, float], int]
) -> None:
    import sqlite3

    store, path = _store_with_one_event(workdir, leave_stuck_event)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a live receiver in the middle of a write
    try:
        listed = jivo_cli.run("events", "list", "--json", "--store", store, cwd=workdir)
        shown = jivo_cli.run("events", "show", "1", "--store", store, cwd=workdir)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["event_name"] for line in listed.stdout.splitlines()] == [
        "chat_finished"
    ]
    assert shown.returncode == 0 and "event_name:  chat_finished" in shown.stdout, shown.stderr


def test_events_list_and_show_read_a_read_only_store(
    workdir: Path,
    make_read_only: Any,
    jivo_cli: JivoCli,
    leave_stuck_event: Callable[[Path, float], int],
) -> None:
    store, path = _store_with_one_event(workdir, leave_stuck_event)
    make_read_only(path)
    listed = jivo_cli.run("events", "list", "--json", "--store", store, cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 1
    shown = jivo_cli.run("events", "show", "1", "--store", store, cwd=workdir)
    assert shown.returncode == 0 and "chat_finished" in shown.stdout, shown.stderr
    # Writing commands still say clearly why they cannot.
    purged = jivo_cli.run("events", "purge", "--older-than", "1d", "--store", store, cwd=workdir)
    assert purged.returncode != 0 and "read-only" in purged.stderr
    assert "Traceback" not in purged.stderr


# A sync handler that blocks forever must not keep a process from exiting: the dispatcher stops
# waiting at the handler deadline, but a thread cannot be stopped; it used to run on the event
# loop's default executor, whose threads are joined when the loop closes and at interpreter
# exit, so `events replay` (and a stopping `serve`) never returned. Real subprocesses, with a
# timeout on the test side.


def test_replay_stops_at_the_handler_deadline_and_exits(
    tmp_path: Path, jivo_cli: JivoCli, failed_event: Callable[[Path, str], int], stuck_app: str
) -> None:
    event_id = failed_event(tmp_path / "events.db", "an earlier failure")
    started = time.monotonic()
    result = subprocess.run(
        [jivo_cli.exe, "events", "replay", str(event_id), "--app", stuck_app],
        cwd=tmp_path,
        env=jivo_cli.env(),
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


# `events replay --app` uses the app's own store.
REPLAY_APP = textwrap.dedent(
    """
    from pathlib import Path
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="s", store="sqlite:///app-events.db")

    @hooks.on("chat_finished")
    def transcript(event):
        if not Path("crm-ok").exists():
            raise RuntimeError("CRM is down")
    """
)


def test_events_replay_app_uses_the_apps_store(
    tmp_path: Path, jivo_cli: JivoCli, failed_event: Callable[[Path, str], int]
) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    event_id = failed_event(tmp_path / "app-events.db", "handler raised RuntimeError: CRM is down")
    (tmp_path / "crm-ok").touch()
    result = jivo_cli.run("events", "replay", "--failed", "--app", "replayapp:hooks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{event_id}  chat_finished  processed  attempts=1" in result.stdout
    assert not (tmp_path / "jivo-events.db").exists()  # not the CLI's default store


def test_events_replay_store_option_still_wins_over_the_apps(
    tmp_path: Path, jivo_cli: JivoCli, failed_event: Callable[[Path, str], int]
) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    event_id = failed_event(tmp_path / "other.db", "handler raised RuntimeError: CRM is down")
    (tmp_path / "crm-ok").touch()
    store = f"sqlite:///{tmp_path / 'other.db'}"
    result = jivo_cli.run(
        "events", "replay", str(event_id), "--app", "replayapp:hooks", "--store", store,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "app-events.db").exists()


def test_events_replay_app_whose_store_is_missing_is_bad_input(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    (tmp_path / "replayapp.py").write_text(REPLAY_APP, encoding="utf-8")
    result = jivo_cli.run("events", "replay", "--failed", "--app", "replayapp:hooks", cwd=tmp_path)
    assert result.returncode == 2
    assert "no event store at" in result.stderr and "app-events.db" in result.stderr
    assert not (tmp_path / "app-events.db").exists()  # never created by a typo
