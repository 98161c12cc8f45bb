"""Several receivers sharing one store: N separate ``jivo-widget serve`` processes (one of them
with ``--workers 2``) on one SQLite file, on one PostgreSQL database, and on a Django project's
PostgreSQL database through the Django store (``--store django://ALIAS``); and the app served by
gunicorn (uvicorn's worker class for the ASGI app, sync workers for the Flask blueprint) and by
``uvicorn --workers 2``, two workers each.

Concurrent clients send every body to two receivers at once, as a sender retrying against
another pod would: 0 lost, 0 duplicated, and both copies answered alike — the handler of
``chat_accepted`` answers with a fresh random token, so a copy answered with anything but the
first response is caught. Then ``kill -9`` of one of two receivers mid-burst: every event a
client got a 200 for is stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import open_store
from webhooks import django_project
from webhooks.test_kill9 import APP, SECRET, _free_port

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync
    from webhooks.postgres_server import PostgresServer

pytestmark = pytest.mark.slow

EVENT_MIX = ("chat_accepted", "chat_finished", "offline_message")
BODIES = 150
CONCURRENCY = 16


#: The Django settings module the receivers of the Django store run with (in the work directory).
DJANGO_SETTINGS = """
SECRET_KEY = "receivers-test"
USE_TZ = True
INSTALLED_APPS = ["jivo_widget.integrations.django"]
DATABASES = {{
    "default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "unused.sqlite3"}},
    "receivers": {receivers!r},
}}
"""


@pytest.fixture(params=["sqlite", "postgresql", "django-postgresql"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The URL of an empty store of each kind, for several receivers."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database()
    if request.param == "postgresql":
        return url
    # A Django project whose DATABASES["receivers"] is that database, migrated here.
    entry = django_project.postgres_entry(url)
    alias = django_project.add_database(f"receivers_{entry['NAME']}", entry)
    django_project.migrate(alias)
    settings = DJANGO_SETTINGS.format(receivers=entry).replace('"receivers"', repr(alias))
    (tmp_path / "receivers_settings.py").write_text(settings, encoding="utf-8")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "receivers_settings")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return f"django://{alias}"


@contextmanager
def receiver(
    workdir: Path, store: str, *extra: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``jivo-widget serve --app`` on a free port; (webhook URL, process) once healthy."""
    port = _free_port()
    exe = Path(sys.executable).with_name("jivo-widget")
    serve = [str(exe), "serve", "--store", store, "--secret", SECRET, "--app", "kill9_app:hooks"]
    with server_process(workdir, store, port, [*serve, "--port", str(port), *extra]) as served:
        yield served


@contextmanager
def server_process(
    workdir: Path, store: str, port: int, command: list[str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``command``, serving the test app (``kill9_app``, its store ``store``) on ``port``;
    (webhook URL, process) once healthy. The process and its workers are stopped at exit."""
    env = {**os.environ, "JIVO_WEBHOOK_SECRET": SECRET, "KILL9_STORE": store}
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers are stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"{command[0]} exited with {proc.returncode}"
            assert time.monotonic() < deadline, "serve did not become healthy"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet; there is nothing else to wait on
        yield f"{base}/jivo/webhook/{SECRET}", proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _bodies(count: int) -> dict[int, bytes]:
    templates = [samples.load(name) for name in EVENT_MIX]
    return {
        chat_id: json.dumps({**templates[chat_id % len(templates)], "chat_id": chat_id}).encode()
        for chat_id in range(1, count + 1)
    }


async def _post_until_answered(client: httpx.AsyncClient, url: str, body: bytes) -> httpx.Response:
    """Post like a sender that retries a 503 (the store was busy) until it gets an answer."""
    for _ in range(50):
        response = await client.post(url, content=body)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.05)
    return response


async def _both(urls: tuple[str, str], bodies: dict[int, bytes]) -> dict[int, list[httpx.Response]]:
    """Send every body to both receivers at the same moment, ``CONCURRENCY`` bodies at a time."""
    queue = list(bodies.items())
    answers: dict[int, list[httpx.Response]] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            chat_id, body = queue.pop()
            answers[chat_id] = list(
                await asyncio.gather(*(_post_until_answered(client, url, body) for url in urls))
            )

    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(limits=limits, timeout=20) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return answers


def test_receivers_sharing_a_store_store_each_body_once_and_answer_copies_alike(
    shared_store: str, tmp_path: Path, run_async: RunAsync, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kill9_app.py").write_text(APP, encoding="utf-8")
    bodies = _bodies(BODIES)
    with ExitStack() as stack:
        first, _ = stack.enter_context(receiver(tmp_path, shared_store, "--workers", "2"))
        second, _ = stack.enter_context(receiver(tmp_path, shared_store))
        started = time.monotonic()
        answers = run_async(_both((first, second), bodies))
        elapsed = time.monotonic() - started
    stored = _stored_once_and_answered_alike(answers, bodies, shared_store)
    with capsys.disabled():
        kind = shared_store.split(":", 1)[0]
        print(
            f"\n{kind}: 3 receiver processes, {len(bodies)} bodies x 2 receivers in "
            f"{elapsed:.1f} s: {stored} stored, 0 lost, 0 duplicated, copies alike."
        )


def _stored_once_and_answered_alike(
    answers: dict[int, list[httpx.Response]], bodies: dict[int, bytes], store_url: str
) -> int:
    """Every body answered 200 by both receivers with the same answer (the second with the
    duplicate header) and stored exactly once; how many rows there are."""
    assert set(answers) == set(bodies)
    statuses = {r.status_code for pair in answers.values() for r in pair}
    assert statuses == {200}, statuses
    differ = [cid for cid, (a, b) in answers.items() if a.json() != b.json()]
    assert not differ, f"{len(differ)} copies answered differently, e.g. {differ[:5]}"
    duplicates = sum("x-jivo-duplicate-of" in r.headers for pair in answers.values() for r in pair)
    assert duplicates == len(bodies)  # exactly one copy of each was the first
    cards = [a.json() for a, _ in answers.values() if "custom_data" in a.json()]
    assert len(cards) == sum(1 for cid in bodies if cid % len(EVENT_MIX) == 0)
    store = open_store(store_url)
    stored = store.list(limit=len(bodies) * 3)
    store.close()
    chat_ids = sorted(int(e.chat_id) for e in stored if e.chat_id is not None)
    assert chat_ids == sorted(bodies), "an event was lost or stored twice"
    return len(stored)


# The test app served by gunicorn and uvicorn themselves: its ASGI app and a Flask site with the
# webhook blueprint (WSGI, for gunicorn's sync workers).
SERVED_APPS = """
from flask import Flask
from kill9_app import hooks
from jivo_widget.webhooks.flask import webhook_blueprint

app = hooks.asgi()
flask_app = Flask("kill9_flask")
flask_app.register_blueprint(webhook_blueprint(hooks))
"""


def _server_command(kind: str, port: int) -> list[str]:
    """Two worker processes of ``kind`` serving the test app on ``port``."""
    bind = ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    gunicorn = [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", *bind]
    if kind == "gunicorn-uvicorn":  # the ASGI app under uvicorn's worker class
        return [*gunicorn, "--worker-class", "uvicorn_worker.UvicornWorker", "kill9_apps:app"]
    if kind == "gunicorn-sync":  # the Flask site under gunicorn's sync (WSGI) workers
        return [*gunicorn, "--worker-class", "sync", "kill9_apps:flask_app"]
    assert kind == "uvicorn"
    return [
        *(sys.executable, "-m", "uvicorn", "kill9_apps:app", "--workers", "2"),
        *("--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"),
    ]


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("sqlite", "gunicorn-uvicorn", "uvicorn"),
        ("sqlite", "gunicorn-sync", "gunicorn-uvicorn"),
        ("postgresql", "gunicorn-sync", "uvicorn"),
    ],
)
def test_gunicorn_and_uvicorn_workers_sharing_a_store_store_each_body_once(
    kind: str,
    first: str,
    second: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    run_async: RunAsync,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if kind == "sqlite":
        store = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        store = server.create_database()
    (tmp_path / "kill9_app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "kill9_apps.py").write_text(SERVED_APPS, encoding="utf-8")
    bodies = _bodies(BODIES)
    with ExitStack() as stack:
        urls = []
        for name in (first, second):
            port = _free_port()
            command = _server_command(name, port)
            url, _ = stack.enter_context(server_process(tmp_path, store, port, command))
            urls.append(url)
        started = time.monotonic()
        answers = run_async(_both((urls[0], urls[1]), bodies))
        elapsed = time.monotonic() - started
    stored = _stored_once_and_answered_alike(answers, bodies, store)
    with capsys.disabled():
        print(
            f"\n{kind}: {first} -w 2 + {second} -w 2, {len(bodies)} bodies x 2 in "
            f"{elapsed:.1f} s: {stored} stored, 0 lost, 0 duplicated, copies alike."
        )


async def _burst_and_kill(
    urls: tuple[str, str], bodies: dict[int, bytes], victim: subprocess.Popen[bytes]
) -> dict[int, int]:
    """Spread the bodies over both receivers; SIGKILL ``victim`` a third of the way in.

    chat_id -> status for every request that got an HTTP answer."""
    answered: dict[int, int] = {}
    queue = list(bodies.items())
    kill_after = len(bodies) // 3

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            chat_id, body = queue.pop()
            url = urls[chat_id % 2]
            try:
                response = await client.post(url, content=body)
            except httpx.TransportError:
                continue  # that receiver is gone: this event was never acknowledged
            answered[chat_id] = response.status_code
            if len(answered) == kill_after:
                os.killpg(victim.pid, signal.SIGKILL)

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=32), timeout=20) as client:
        await asyncio.gather(*(worker(client) for _ in range(32)))
    return answered


def test_kill_9_of_one_of_two_receivers_loses_no_acknowledged_event(
    shared_store: str, tmp_path: Path, run_async: RunAsync, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kill9_app.py").write_text(APP, encoding="utf-8")
    bodies = _bodies(600)
    with ExitStack() as stack:
        survivor, _ = stack.enter_context(receiver(tmp_path, shared_store))
        doomed, victim = stack.enter_context(receiver(tmp_path, shared_store))
        answered = run_async(_burst_and_kill((survivor, doomed), bodies, victim))
        assert victim.wait(timeout=10) == -signal.SIGKILL
    acknowledged = {cid for cid, status in answered.items() if status == 200}
    lost_connections = set(bodies) - set(answered)
    assert lost_connections, "the kill must land mid-burst"
    store = open_store(shared_store)
    stored = {int(e.chat_id) for e in store.list(limit=5000) if e.chat_id is not None}
    store.close()
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged events lost: {sorted(lost)[:20]}"
    with capsys.disabled():
        kind = shared_store.split(":", 1)[0]
        print(
            f"\n{kind}: kill -9 of 1 of 2 receivers: {len(acknowledged)} acknowledged, "
            f"{len(stored)} stored, 0 lost; {len(lost_connections)} never answered."
        )


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_a_worker_killed_with_9_is_replaced_and_the_port_keeps_answering(tmp_path: Path) -> None:
    (tmp_path / "kill9_app.py").write_text(APP, encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'events.db'}"
    with receiver(tmp_path, store, "--workers", "2") as (url, proc):
        workers = _children(proc.pid)
        assert len(workers) == 2
        doomed = min(workers)
        os.kill(doomed, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while (now := _children(proc.pid)) == workers or len(now) < 2:
            assert time.monotonic() < deadline, f"no replacement worker: {now}"
            time.sleep(0.1)  # the supervisor waits a moment before replacing a worker
        assert doomed not in now and len(now) == 2
        for n in range(20):  # both workers answer (the kernel spreads the connections)
            body = json.dumps({**samples.load("offline_message"), "chat_id": n}).encode()
            assert httpx.post(url, content=body, timeout=10).status_code == 200
    assert proc.returncode == 0  # SIGINT: the workers stopped, then the supervisor
