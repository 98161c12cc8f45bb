"""``jivo-widget serve / trigger / events`` through the real console script, in temp dirs."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import EXE, SECRET, Served, env_for, free_port, run, start_serve

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import open_store

# A user's app: the chat_accepted card echoes the visitor's email (so --set is visible in the
# answer), and chat_finished fails until a flag file exists (so replay has something to fix).
USER_APP = textwrap.dedent(
    """
    from pathlib import Path
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="ignored-by-serve", store="sqlite:///ignored.db")

    @hooks.on("chat_accepted")
    def card(event):
        return {"custom_data": [{"title": "Email", "content": str(event.visitor.email)}]}

    @hooks.on("chat_finished")
    def transcript(event):
        if not Path("transcripts-ok").exists():
            raise RuntimeError("CRM is down")

    not_an_app = 42
    """
)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "userapp.py").write_text(USER_APP, encoding="utf-8")
    return tmp_path


@pytest.fixture
def capture(workdir: Path) -> Iterator[Served]:
    """Capture-only ``serve`` with the secret from the environment."""
    served = start_serve(workdir, JIVO_WEBHOOK_SECRET=SECRET)
    yield served
    served.stop()


@pytest.fixture
def with_app(workdir: Path) -> Iterator[Served]:
    """``serve --app userapp:hooks --secret S``."""
    served = start_serve(workdir, "--secret", SECRET, "--app", "userapp:hooks")
    yield served
    served.stop()


def _list_json(served: Served, *args: str) -> list[dict[str, object]]:
    result = run("events", "list", "--json", "--store", served.store, *args, cwd=served.cwd)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# ---------------------------------------------------------------------------------- help / usage


def test_help_lists_the_webhook_commands(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "trigger", "events"):
        assert command in result.stdout
    events = run("events", "--help", cwd=tmp_path)
    for command in ("list", "show", "replay", "purge"):
        assert command in events.stdout


# ---------------------------------------------------------------------------------------- serve


def test_capture_mode_stores_every_event_and_answers_ok(capture: Served) -> None:
    for event in samples.names():
        result = run("trigger", event, "--url", capture.url(), cwd=capture.cwd)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("HTTP 200\n")
        assert json.loads(result.stdout.split("\n", 1)[1]) == {"result": "ok"}
    rows = _list_json(capture, "--limit", "100")
    assert sorted(row["event_name"] for row in rows) == sorted(samples.names())
    assert {row["status"] for row in rows} == {"processed"}


def test_secret_from_the_environment_guards_the_url(capture: Served) -> None:
    result = run("trigger", "chat_accepted", "--url", capture.url("wrong"), cwd=capture.cwd)
    assert result.returncode == 1
    assert result.stdout.startswith("HTTP 404")
    assert "the receiver answered 404" in result.stderr
    assert _list_json(capture) == []


def test_serve_without_a_secret_warns_loudly(workdir: Path) -> None:
    served = start_serve(workdir)
    err = served.stop()
    assert "WARNING: no webhook secret" in err


def test_serve_does_not_log_the_secret(capture: Served) -> None:
    run("trigger", "chat_accepted", "--url", capture.url(), cwd=capture.cwd)
    err = capture.stop()
    assert SECRET not in err


def test_serve_app_runs_the_users_handlers_with_overrides(with_app: Served) -> None:
    result = run(
        "trigger",
        "chat_accepted",
        "--url",
        with_app.url(),
        "--set",
        "visitor.email=ann@example.com",
        cwd=with_app.cwd,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.split("\n", 1)[1])
    assert answer["custom_data"] == [{"title": "Email", "content": "ann@example.com"}]
    # --secret and --store from the command line win over the module's own.
    assert len(_list_json(with_app)) == 1
    assert open_store(f"sqlite:///{with_app.cwd / 'ignored.db'}").count() == 0


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("userapp", "must look like module:attr"),
        ("nosuchmodule:hooks", "no module named 'nosuchmodule'"),
        ("userapp:missing", "userapp has no attribute 'missing'"),
        ("userapp:not_an_app", "is a int, not a WebhookApp"),
    ],
)
def test_serve_refuses_a_bad_app_reference(workdir: Path, ref: str, message: str) -> None:
    result = run("serve", "--secret", "s", "--port", "0", "--app", ref, cwd=workdir)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reports_a_broken_app_module(workdir: Path) -> None:
    (workdir / "broken.py").write_text("raise RuntimeError('boom at import')\n", encoding="utf-8")
    result = run("serve", "--secret", "s", "--app", "broken:hooks", cwd=workdir)
    assert result.returncode == 1
    assert "RuntimeError: boom at import" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_busy_port_fails(capture: Served) -> None:
    port = capture.base.rsplit(":", 1)[1]
    result = run("serve", "--secret", "s", "--port", port, cwd=capture.cwd)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_serve_rejects_a_bad_port(tmp_path: Path) -> None:
    result = run("serve", "--port", "70000", cwd=tmp_path)
    assert result.returncode == 2
    assert "--port" in result.stderr


# -------------------------------------------------------------------------------------- trigger


def test_trigger_posts_a_file_with_overrides(capture: Served) -> None:
    file = capture.cwd / "custom.json"
    file.write_text(json.dumps({"widget_id": "w1", "chat_id": 5}), encoding="utf-8")
    result = run(
        "trigger", "brand_new_event", "--url", capture.url(), "--file", str(file),
        "--set", "chat_id=6", cwd=capture.cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = _list_json(capture)
    assert row["event_name"] == "brand_new_event"
    shown = run("events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd)
    assert '"chat_id": 6' in shown.stdout


def test_trigger_unknown_event_lists_the_known_ones(tmp_path: Path) -> None:
    result = run("trigger", "chat_exploded", "--url", "http://127.0.0.1:9/x", cwd=tmp_path)
    assert result.returncode == 2
    assert "chat_exploded" in result.stderr
    for name in samples.names():
        assert name in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [("novalue", "must look like dotted.path=value"), ("visitor..x=1", "empty segment")],
)
def test_trigger_bad_override_is_bad_usage(tmp_path: Path, override: str, message: str) -> None:
    result = run(
        "trigger", "chat_accepted", "--url", "http://127.0.0.1:9/x", "--set", override,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr


def test_trigger_without_url_is_bad_usage(tmp_path: Path) -> None:
    result = run("trigger", "chat_accepted", cwd=tmp_path)
    assert result.returncode == 2
    assert "--url" in result.stderr


def test_trigger_unreachable_server_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/jivo/webhook/S"
    result = run("trigger", "chat_accepted", "--url", url, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach")
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------- events


def _post(served: Served, event: str, **fields: object) -> None:
    """Seed one event straight over HTTP (faster than a trigger subprocess)."""
    payload = {**samples.load(event), **fields}
    assert httpx.post(served.url(), json=payload).status_code == 200


def test_events_list_table_json_and_filters(capture: Served) -> None:
    for chat_id in (1, 2, 3):
        _post(capture, "chat_accepted", chat_id=chat_id)
    _post(capture, "offline_message")
    rows = _list_json(capture)
    assert len(rows) == 4
    for row in rows:
        assert {"id", "received_at", "event_name", "chat_id", "status"} <= row.keys()
    accepted = _list_json(capture, "--event", "chat_accepted")
    assert sorted(row["chat_id"] for row in accepted) == [1, 2, 3]
    assert len(_list_json(capture, "--limit", "2")) == 2
    assert _list_json(capture, "--status", "failed") == []

    table = run("events", "list", "--store", capture.store, cwd=capture.cwd)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "RECEIVED", "EVENT", "CHAT", "STATUS"]
    assert len(lines) == 5
    assert sum("chat_accepted" in line for line in lines) == 3


def test_events_show_prints_metadata_payload_and_response(capture: Served) -> None:
    run("trigger", "chat_accepted", "--url", capture.url(), "--set", "visitor.name=Zoë",
        cwd=capture.cwd)  # fmt: skip
    (row,) = _list_json(capture)
    result = run("events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd)
    assert result.returncode == 0, result.stderr
    assert "status:      processed" in result.stdout
    assert '"name": "Zoë"' in result.stdout  # pretty, not ASCII-escaped
    response = result.stdout.split("\nresponse:\n", 1)[1]
    assert json.loads(response) == {"result": "ok"}


def test_events_show_unknown_id_is_bad_input(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    open_store(store).close()
    result = run("events", "show", "999", "--store", store, cwd=tmp_path)
    assert result.returncode == 2
    assert "no event with id 999" in result.stderr


def test_events_on_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    result = run("events", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "no event store at jivo-events.db" in result.stderr
    assert not (tmp_path / "jivo-events.db").exists()


def test_events_store_from_the_environment(capture: Served) -> None:
    _post(capture, "chat_accepted")
    result = run("events", "list", "--json", cwd=capture.cwd, JIVO_WEBHOOK_STORE=capture.store)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_events_replay_failed_reruns_handlers(with_app: Served) -> None:
    result = run("trigger", "chat_finished", "--url", with_app.url(), cwd=with_app.cwd)
    assert result.returncode == 0  # a failing handler still answers 200 ok
    (row,) = _list_json(with_app, "--status", "failed")
    assert row["attempts"] == 1
    assert "CRM is down" in str(row["error"])

    replay = ["events", "replay", "--failed", "--store", with_app.store, "--app", "userapp:hooks"]
    still = run(*replay, cwd=with_app.cwd)
    assert still.returncode == 1
    assert "1 event(s) still failed" in still.stderr

    (with_app.cwd / "transcripts-ok").touch()
    fixed = run(*replay, cwd=with_app.cwd)
    assert fixed.returncode == 0, fixed.stderr
    (after,) = _list_json(with_app)
    assert after["status"] == "processed"
    assert after["attempts"] == 3
    assert _list_json(with_app, "--status", "failed") == []


def test_events_replay_by_id(with_app: Served) -> None:
    run("trigger", "chat_finished", "--url", with_app.url(), cwd=with_app.cwd)
    (row,) = _list_json(with_app)
    (with_app.cwd / "transcripts-ok").touch()
    result = run("events", "replay", str(row["id"]), "--store", with_app.store,
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
def test_events_replay_bad_usage(workdir: Path, args: list[str], message: str) -> None:
    store = f"sqlite:///{workdir / 'events.db'}"
    open_store(store).close()
    result = run("events", "replay", *args, "--store", store, cwd=workdir)
    assert result.returncode == 2
    assert message in result.stderr


def test_events_purge(capture: Served) -> None:
    _post(capture, "chat_accepted")
    _post(capture, "offline_message")
    keep = run("events", "purge", "--older-than", "30d", "--store", capture.store, cwd=capture.cwd)
    assert keep.returncode == 0, keep.stderr
    assert keep.stdout.startswith("purged 0 event(s)")
    assert len(_list_json(capture)) == 2

    purge_all = run(
        "events", "purge", "--older-than", "0s", "--status", "processed",
        "--store", capture.store, cwd=capture.cwd,
    )  # fmt: skip
    assert purge_all.returncode == 0, purge_all.stderr
    assert purge_all.stdout.startswith("purged 2 event(s)")
    assert _list_json(capture) == []


@pytest.mark.parametrize("age", ["30", "30x", "d30", "-1d", ""])
def test_events_purge_bad_age_is_bad_usage(tmp_path: Path, age: str) -> None:
    result = run("events", "purge", "--older-than", age, cwd=tmp_path)
    assert result.returncode == 2
    assert "must be a number and a unit s/m/h/d" in result.stderr


def test_events_replay_unknown_id_is_bad_input(workdir: Path) -> None:
    store = f"sqlite:///{workdir / 'events.db'}"
    open_store(store).close()
    result = run("events", "replay", "41", "--app", "userapp:hooks", "--store", store, cwd=workdir)
    assert result.returncode == 2
    assert "no event with id 41" in result.stderr


def test_bad_store_url_is_bad_usage(tmp_path: Path) -> None:
    result = run("serve", "--store", "mysql://x/y", "--secret", "s", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected sqlite:///PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_store_is_a_runtime_failure(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'no-such-dir' / 'events.db'}"
    result = run("serve", "--store", store, "--secret", "s", cwd=tmp_path)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_serve_app_with_only_store_keeps_the_apps_secret(workdir: Path) -> None:
    served = start_serve(workdir, "--app", "userapp:hooks")
    try:
        assert httpx.post(served.url(), json=samples.load("offline_message")).status_code == 404
        app_url = served.url("ignored-by-serve")
        assert httpx.post(app_url, json=samples.load("offline_message")).status_code == 200
        assert len(_list_json(served)) == 1  # in --store, not in the app's own store
        assert open_store(f"sqlite:///{workdir / 'ignored.db'}").count() == 0
    finally:
        err = served.stop()
    assert "WARNING: no webhook secret" not in err


def test_events_show_a_malformed_delivery_prints_the_raw_body(capture: Served) -> None:
    assert httpx.post(capture.url(), content=b'{"event_name": "chat_').status_code == 400
    (row,) = _list_json(capture, "--status", "malformed")
    result = run("events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd)
    assert result.returncode == 0, result.stderr
    assert 'payload:\n{"event_name": "chat_\n' in result.stdout
    assert "body is not valid JSON" in result.stdout  # the stored error and 400 response


def test_events_list_on_an_empty_store(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    open_store(store).close()
    result = run("events", "list", "--store", store, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.split() == ["ID", "RECEIVED", "EVENT", "CHAT", "STATUS", "TRIES", "ERROR"]
    assert "(no events)" in result.stderr


def test_trigger_twice_says_why_the_handlers_did_not_run(capture: Served) -> None:
    args = ("trigger", "client_attribute_updated", "--url", capture.url(), "--set", "client_id=77")
    first = run(*args, cwd=capture.cwd)
    assert first.returncode == 0, first.stderr
    assert "X-Jivo-Duplicate-Of" not in first.stderr
    again = run(*args, cwd=capture.cwd)
    assert again.returncode == 0, again.stderr
    (row,) = _list_json(capture)
    assert f"X-Jivo-Duplicate-Of: {row['id']}" in again.stderr
    assert "did not run the handlers again" in again.stderr


def test_serve_dedupe_window_zero_stores_every_resend(workdir: Path) -> None:
    served = start_serve(workdir, "--secret", SECRET, "--dedupe-window", "0")
    try:
        args = ("trigger", "client_updated", "--url", served.url())
        for _ in range(2):
            result = run(*args, cwd=workdir)
            assert result.returncode == 0 and "Duplicate" not in result.stderr, result.stderr
        assert len(_list_json(served)) == 2
    finally:
        served.stop()


def test_serve_rejects_a_bad_dedupe_window(tmp_path: Path) -> None:
    result = run("serve", "--dedupe-window", "soon", "--secret", "s", cwd=tmp_path)
    assert result.returncode == 2
    assert "--dedupe-window 'soon' must be a number and a unit" in result.stderr
    assert "Traceback" not in result.stderr


def _leave_stuck_event(workdir: Path, minutes_ago: float) -> int:
    """A chat_finished row left 'received', as by a process killed while its handlers ran."""
    from datetime import UTC, datetime, timedelta

    from jivo_widget.webhooks.store import EventStatus, NewEvent, dedupe_key

    body = samples.load_bytes("chat_finished")
    store = open_store(f"sqlite:///{workdir / 'events.db'}")
    try:
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        new = NewEvent(at, None, body, dedupe_key(body), "chat_finished", 1, EventStatus.RECEIVED)
        event_id = store.add(new)
    finally:
        store.close()
    assert event_id is not None
    return event_id


def test_serve_warns_about_stuck_events_and_replay_stuck_runs_them(workdir: Path) -> None:
    event_id = _leave_stuck_event(workdir, minutes_ago=30)
    served = start_serve(workdir, "--secret", SECRET)
    err = served.stop()
    assert "1 event(s) still 'received'" in err and "events replay --stuck" in err

    store = f"sqlite:///{workdir / 'events.db'}"
    (workdir / "transcripts-ok").touch()
    young = run("events", "replay", "--stuck", "--older-than", "1h", "--store", store,
                "--app", "userapp:hooks", cwd=workdir)  # fmt: skip
    assert young.returncode == 0, young.stderr
    assert "replayed 0 event(s)" in young.stderr
    result = run("events", "replay", "--stuck", "--store", store, "--app", "userapp:hooks",
                 cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{event_id}  chat_finished  processed  attempts=1" in result.stdout
    assert _list_json(served, "--status", "received") == []


def test_serve_is_quiet_without_stuck_events(workdir: Path) -> None:
    _leave_stuck_event(workdir, minutes_ago=1)  # may still be running in another process
    served = start_serve(workdir, "--secret", SECRET)
    assert "still 'received'" not in served.stop()


def _store_with_one_event(workdir: Path) -> tuple[str, Path]:
    _leave_stuck_event(workdir, minutes_ago=0)
    return f"sqlite:///{workdir / 'events.db'}", workdir / "events.db"


def test_events_list_and_show_read_a_store_whose_write_lock_is_held(workdir: Path) -> None:
    import sqlite3

    store, path = _store_with_one_event(workdir)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a live receiver in the middle of a write
    try:
        listed = run("events", "list", "--json", "--store", store, cwd=workdir)
        shown = run("events", "show", "1", "--store", store, cwd=workdir)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["event_name"] for line in listed.stdout.splitlines()] == [
        "chat_finished"
    ]
    assert shown.returncode == 0 and "event_name:  chat_finished" in shown.stdout, shown.stderr


def test_events_list_and_show_read_a_read_only_store(workdir: Path, make_read_only: Any) -> None:
    store, path = _store_with_one_event(workdir)
    make_read_only(path)
    listed = run("events", "list", "--json", "--store", store, cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 1
    shown = run("events", "show", "1", "--store", store, cwd=workdir)
    assert shown.returncode == 0 and "chat_finished" in shown.stdout, shown.stderr
    # Writing commands still say clearly why they cannot.
    purged = run("events", "purge", "--older-than", "1d", "--store", store, cwd=workdir)
    assert purged.returncode != 0 and "read-only" in purged.stderr
    assert "Traceback" not in purged.stderr


def test_serve_on_port_zero_prints_the_port_it_got(workdir: Path) -> None:
    proc = subprocess.Popen(
        [EXE, "serve", "--port", "0", "--secret", SECRET, "--store", "sqlite:///events.db"],
        cwd=workdir,
        env=env_for(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(proc, "", "sqlite:///events.db", workdir)
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # printed before uvicorn starts
        match = re.search(r"http://127\.0\.0\.1:(\d+)/jivo/webhook/<secret>", banner)
        assert match and match.group(1) != "0", banner
        served.base = f"http://127.0.0.1:{match.group(1)}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet; nothing else to wait on
        result = run("trigger", "offline_message", "--url", served.url(), cwd=workdir)
        assert result.returncode == 0 and "HTTP 200" in result.stdout, result.stderr
    finally:
        served.stop()


def test_store_help_says_sqlite_only(tmp_path: Path) -> None:
    result = run("serve", "--help", cwd=tmp_path)
    text = " ".join(result.stdout.split())  # as read, whatever the column width wraps
    assert "SQLite only for now" in text and "postgresql" not in text
