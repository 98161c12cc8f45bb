"""``jivo-widget serve``: what it serves (in-process checks; the real command runs in
tests/webhooks/test_cli.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from jivo_widget.cli.serve import _dedupe_window, _hooks
from jivo_widget.webhooks import EventStatus, WebhookApp, samples
from jivo_widget.webhooks.contract import DEFAULT_DEDUPE_WINDOW
from jivo_widget.webhooks.store import open_store

if TYPE_CHECKING:
    from conftest import JivoCli, Served


@pytest.fixture
def users_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookApp]:
    """A site's hooks module in the working directory, as ``--app users_hooks:hooks``."""
    (tmp_path / "users_hooks.py").write_text(
        textwrap.dedent(
            f"""
            from jivo_widget.webhooks import WebhookApp
            hooks = WebhookApp(secret="their-secret", store="sqlite:///{tmp_path / "app.db"}")
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import users_hooks  # type: ignore[import-not-found]

    yield users_hooks.hooks
    sys.modules.pop("users_hooks", None)


def test_serve_options_never_change_the_users_app(users_app: WebhookApp, tmp_path: Path) -> None:
    # serve --app users_hooks:hooks --dedupe-window 0 --secret S --store ... used to set the
    # window on the user's own receiver.
    other_store = f"sqlite:///{tmp_path / 'other.db'}"
    served = _hooks(other_store, "S", "users_hooks:hooks", _dedupe_window("0"), "fsync").receiver
    assert served is not users_app.receiver
    assert served.dedupe_window == timedelta(0)
    assert served.authorize("POST", "S") is None
    assert served.router is users_app.router  # the user's handlers
    assert users_app.receiver.dedupe_window == DEFAULT_DEDUPE_WINDOW
    assert users_app.receiver.authorize("POST", "their-secret") is None
    assert users_app.store_url.endswith("app.db")
    assert served.store.durability == "fsync"  # type: ignore[attr-defined]
    assert users_app._store_opener.durability == "process"


def test_serve_without_options_serves_the_users_app_itself(users_app: WebhookApp) -> None:
    served = _hooks(None, None, "users_hooks:hooks", _dedupe_window(None), None)
    assert served.receiver is users_app.receiver


def test_capture_mode_stores_every_event_and_answers_ok(capture: Served, jivo_cli: JivoCli) -> None:
    # The real trigger script for one event of each kind (a shaped-answer event, a chat event,
    # a CRM event); the other samples over HTTP (a subprocess each would add a second apiece).
    through_trigger = {"chat_accepted", "chat_finished", "created_task"}
    for event in samples.names():
        if event not in through_trigger:
            capture.post_sample(event)
            continue
        result = jivo_cli.run("trigger", event, "--url", capture.url(), cwd=capture.cwd)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("HTTP 200\n")
        assert json.loads(result.stdout.split("\n", 1)[1]) == {"result": "ok"}
    rows = capture.list_json("--limit", "100")
    assert sorted(row["event_name"] for row in rows) == sorted(samples.names())
    assert {row["status"] for row in rows} == {"processed"}


def test_secret_from_the_environment_guards_the_url(capture: Served, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run(
        "trigger", "chat_accepted", "--url", capture.url("wrong"), cwd=capture.cwd
    )
    assert result.returncode == 1
    assert result.stdout.startswith("HTTP 404")
    assert "the receiver answered 404" in result.stderr
    assert capture.list_json() == []


def test_serve_without_a_secret_warns_loudly(workdir: Path, jivo_cli: JivoCli) -> None:
    served = jivo_cli.serve(workdir)
    err = served.stop()
    assert "WARNING: no webhook secret" in err


def test_serve_does_not_log_the_secret(capture: Served, jivo_cli: JivoCli) -> None:
    jivo_cli.run("trigger", "chat_accepted", "--url", capture.url(), cwd=capture.cwd)
    err = capture.stop()
    assert jivo_cli.secret not in err


def test_serve_app_runs_the_users_handlers_with_overrides(
    with_app: Served, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run(
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
    assert len(with_app.list_json()) == 1
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
def test_serve_refuses_a_bad_app_reference(
    workdir: Path, ref: str, message: str, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run("serve", "--secret", "s", "--port", "0", "--app", ref, cwd=workdir)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reports_a_broken_app_module(workdir: Path, jivo_cli: JivoCli) -> None:
    (workdir / "broken.py").write_text("raise RuntimeError('boom at import')\n", encoding="utf-8")
    result = jivo_cli.run("serve", "--secret", "s", "--app", "broken:hooks", cwd=workdir)
    assert result.returncode == 1
    assert "RuntimeError: boom at import" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_busy_port_fails(capture: Served, jivo_cli: JivoCli) -> None:
    port = capture.base.rsplit(":", 1)[1]
    result = jivo_cli.run("serve", "--secret", "s", "--port", port, cwd=capture.cwd)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_serve_rejects_a_bad_port(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("serve", "--port", "70000", cwd=tmp_path)
    assert result.returncode == 2
    assert "--port" in result.stderr


def test_bad_store_url_is_bad_usage(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("serve", "--store", "mysql://x/y", "--secret", "s", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected sqlite:///PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_store_is_a_runtime_failure(tmp_path: Path, jivo_cli: JivoCli) -> None:
    store = f"sqlite:///{tmp_path / 'no-such-dir' / 'events.db'}"
    result = jivo_cli.run("serve", "--store", store, "--secret", "s", cwd=tmp_path)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_serve_app_with_only_store_keeps_the_apps_secret(workdir: Path, jivo_cli: JivoCli) -> None:
    served = jivo_cli.serve(workdir, "--app", "userapp:hooks")
    try:
        assert httpx.post(served.url(), json=samples.load("offline_message")).status_code == 404
        app_url = served.url("ignored-by-serve")
        assert httpx.post(app_url, json=samples.load("offline_message")).status_code == 200
        assert len(served.list_json()) == 1  # in --store, not in the app's own store
        assert open_store(f"sqlite:///{workdir / 'ignored.db'}").count() == 0
    finally:
        err = served.stop()
    assert "WARNING: no webhook secret" not in err


def test_serve_dedupe_window_zero_stores_every_resend(workdir: Path, jivo_cli: JivoCli) -> None:
    served = jivo_cli.serve(workdir, "--secret", jivo_cli.secret, "--dedupe-window", "0")
    try:
        args = ("trigger", "client_updated", "--url", served.url())
        for _ in range(2):
            result = jivo_cli.run(*args, cwd=workdir)
            assert result.returncode == 0 and "Duplicate" not in result.stderr, result.stderr
        assert len(served.list_json()) == 2
    finally:
        served.stop()


def test_serve_rejects_a_bad_dedupe_window(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("serve", "--dedupe-window", "soon", "--secret", "s", cwd=tmp_path)
    assert result.returncode == 2
    assert "--dedupe-window 'soon' must be a number and a unit" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_warns_about_stuck_events_and_replay_stuck_runs_them(
    workdir: Path, jivo_cli: JivoCli, leave_stuck_event: Callable[[Path, float], int]
) -> None:
    event_id = leave_stuck_event(workdir, minutes_ago=30)
    served = jivo_cli.serve(workdir, "--secret", jivo_cli.secret)
    err = served.stop()
    assert "1 event(s) still 'received'" in err and "events replay --stuck" in err

    store = f"sqlite:///{workdir / 'events.db'}"
    (workdir / "transcripts-ok").touch()
    young = jivo_cli.run("events", "replay", "--stuck", "--older-than", "1h", "--store", store,
                "--app", "userapp:hooks", cwd=workdir)  # fmt: skip
    assert young.returncode == 0, young.stderr
    assert "replayed 0 event(s)" in young.stderr
    result = jivo_cli.run("events", "replay", "--stuck", "--store", store, "--app", "userapp:hooks",
                 cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{event_id}  chat_finished  processed  attempts=1" in result.stdout
    assert served.list_json("--status", "received") == []


def test_serve_is_quiet_without_stuck_events(
    workdir: Path, jivo_cli: JivoCli, leave_stuck_event: Callable[[Path, float], int]
) -> None:
    leave_stuck_event(workdir, minutes_ago=1)  # may still be running in another process
    served = jivo_cli.serve(workdir, "--secret", jivo_cli.secret)
    assert "still 'received'" not in served.stop()


def test_serve_on_port_zero_prints_the_port_it_got(workdir: Path, jivo_cli: JivoCli) -> None:
    proc = subprocess.Popen(
        [
            jivo_cli.exe,
            "serve",
            "--port",
            "0",
            "--secret",
            jivo_cli.secret,
            "--store",
            "sqlite:///events.db",
        ],
        cwd=workdir,
        env=jivo_cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = jivo_cli.track(proc, workdir, "sqlite:///events.db")
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
        result = jivo_cli.run("trigger", "offline_message", "--url", served.url(), cwd=workdir)
        assert result.returncode == 0 and "HTTP 200" in result.stdout, result.stderr
    finally:
        served.stop()


def test_store_help_names_both_stores_and_the_new_options(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run("serve", "--help", cwd=tmp_path)
    text = " ".join(result.stdout.split())  # as read, whatever the column width wraps
    assert "sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB" in text
    assert "SQLite only" not in text
    assert "--durability [process|fsync]" in text and "--workers" in text


# A sync handler that blocks forever must not keep a process from exiting: the dispatcher stops
# waiting at the handler deadline, but a thread cannot be stopped; it used to run on the event
# loop's default executor, whose threads are joined when the loop closes and at interpreter
# exit, so `events replay` (and a stopping `serve`) never returned. Real subprocesses, with a
# timeout on the test side.


def test_serve_stops_with_a_handler_blocked_forever(
    tmp_path: Path, jivo_cli: JivoCli, stuck_app: str
) -> None:
    served = jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret, "--app", stuck_app)
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


def test_serve_reports_a_deleted_store_on_stderr(tmp_path: Path, jivo_cli: JivoCli) -> None:
    served = jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret)
    try:
        Path(served.store.removeprefix("sqlite:///")).unlink()
        assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 503
        assert (
            httpx.post(
                served.url(), content=samples.load_bytes("offline_message"), timeout=10
            ).status_code
            == 503
        )
    finally:
        err = served.stop()
    assert "ERROR" in err and "deleted or replaced" in err, err


# A handler's error reaches serve's log at ERROR, with its traceback escaped for the terminal
# (the log used to say only "1 handler error(s)"), and never with the secret.
SECRET = "log-secret-Zx81"
EMAIL = "zoe.private@example.com"

FAILING_APP = textwrap.dedent(
    """
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="unused", store="sqlite:///unused.db")

    @hooks.on("chat_finished")
    def transcript(event):
        raise RuntimeError("CRM is down \\x1b]0;pwned\\x07 for " + event.raw["visitor"]["email"])
    """
)


def _body_with_email() -> bytes:
    payload = samples.load("chat_finished")
    payload["visitor"]["email"] = EMAIL
    return json.dumps(payload).encode()


def _wait_for_failed(store_url: str) -> bool:
    """Wait (at most 10 s) until the store holds a failed event: handlers run after the reply."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        store = open_store(store_url, read_only=True)
        try:
            if store.count(status="failed"):
                return True
        finally:
            store.close()
        time.sleep(0.05)  # another process writes it: nothing to wait on but the file
    return False


def test_serve_logs_the_handler_traceback_escaped_and_without_the_secret(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    (tmp_path / "failing.py").write_text(FAILING_APP, encoding="utf-8")
    served = jivo_cli.serve(tmp_path, "--secret", SECRET, "--app", "failing:hooks")
    try:
        response = httpx.post(served.url(SECRET), content=_body_with_email(), timeout=10)
        assert response.status_code == 200
        assert _wait_for_failed(served.store), "the event never failed"
    finally:
        err = served.stop()
    assert "ERROR" in err and "handler failing.transcript raised RuntimeError" in err, err
    assert "Traceback (most recent call last)" in err and "in transcript" in err, err
    assert "RuntimeError: CRM is down \\x1b]0;pwned\\x07 for" in err, err  # escaped
    assert "\x1b" not in err
    assert SECRET not in err
    assert "handler error(s)" not in err  # the old count-only line
