"""``WebhookApp(processing="celery")`` against a real broker and a real Celery worker.

The session starts Redis (``redis_url``) and one ``celery worker`` process over a site module
written here (``SITE``): its handler records every run in a file, and the chat id decides its
fate (succeed, fail twice then succeed, always fail). The test process builds the same app and
receives events — under uvicorn for the burst, directly through the receiver otherwise. A second
copy of the app whose broker is a port nothing listens on plays the receiver that cannot reach
the broker.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from click.testing import CliRunner

from jivo_widget.cli import cli
from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import EventStatus, StoredEvent, WebhookApp, samples
from webhooks.redis_server import free_port

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync, Servers

# One Redis and one Celery worker per session: every test of this module in one pytest worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("celery")]

# Chat ids by fate (the site's handler reads them): below FLAKY succeed at once; from FLAKY
# fail twice, then succeed; from DOOMED always fail.
FLAKY = 10_000
DOOMED = 20_000
MAX_ATTEMPTS = 3
BASE_DELAY = 0.4
JITTER = 0.5

#: One worker process running one task at a time: the solo pool takes tasks in order.
WORKER_ARGS = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
WORKER_ARGS += ["--without-heartbeat", "--hostname", "jivo-test@%h"]

SITE = textwrap.dedent(
    """
    import json, os, time
    from celery import Celery
    from jivo_widget.webhooks import RetryPolicy, WebhookApp

    celery_app = Celery("jivo_celery_site", broker={broker!r})
    celery_app.conf.update(
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_prefetch_multiplier=4,
    )
    RUNS = {runs!r}
    hooks = WebhookApp(
        secret="S",
        store={store!r},
        processing="celery",
        celery_app=celery_app,
        retry=RetryPolicy(
            max_attempts={max_attempts}, base_delay={base_delay}, max_delay=2.0,
            jitter={jitter}, poll_interval=0.2, lost_after=1.0,
        ),
    )

    def runs_of(chat_id):
        with open(RUNS, encoding="utf-8") as lines:
            return sum(1 for line in lines if json.loads(line)["chat_id"] == chat_id)

    def record(event, outcome):
        line = json.dumps({{"chat_id": event.chat_id, "pid": os.getpid(), "at": time.time(),
                           "event": event.event_name, "outcome": outcome}})
        with open(RUNS, "a", encoding="utf-8") as runs:
            runs.write(line + "\\n")

    @hooks.on("chat_finished")
    def archive(event):
        chat_id = event.chat_id
        if chat_id >= {doomed} or ({flaky} <= chat_id and runs_of(chat_id) < 2):
            record(event, "raised")
            raise RuntimeError(f"archive of chat {{chat_id}} failed")
        record(event, "ok")

    @hooks.on("chat_accepted")
    def card(event):
        record(event, "card")
        return {{"custom_data": [{{"title": "pid", "content": str(os.getpid())}}]}}
    """
)


class Site:
    """The site module, imported in the test process (its ``hooks`` receive) and run by the
    Celery worker; ``runs()`` reads what its handlers did."""

    def __init__(self, module: types.ModuleType, runs: Path, store: str, log: Path) -> None:
        self.module = module
        self.hooks: WebhookApp = module.hooks
        self.runs_file = runs
        self.store_url = store
        self.worker_log = log

    def runs(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        lines = self.runs_file.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines]
        return [r for r in found if chat_id is None or r["chat_id"] == chat_id]

    def rows(self, chat_ids: set[int]) -> dict[int, StoredEvent]:
        store = self.hooks.store
        listed = store.list(limit=None)
        return {e.chat_id: e for e in listed if e.chat_id in chat_ids}


def _import(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _write_site(directory: Path, name: str, broker: str, store: str, runs: Path) -> Path:
    path = directory / f"{name}.py"
    path.write_text(
        SITE.format(
            broker=broker,
            store=store,
            runs=str(runs),
            max_attempts=MAX_ATTEMPTS,
            base_delay=BASE_DELAY,
            jitter=JITTER,
            flaky=FLAKY,
            doomed=DOOMED,
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def site(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site over a fresh SQLite store, with one ``celery worker --pool=solo`` process
    running its tasks (stopped at the end of the session)."""
    directory = tmp_path_factory.mktemp("celery-site")
    store = f"sqlite:///{directory / 'events.db'}"
    runs = directory / "runs.jsonl"
    runs.touch()
    _write_site(directory, "jivo_celery_site", redis_url, store, runs)
    log = directory / "worker.log"
    env = {**os.environ, "PYTHONPATH": str(directory)}
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jivo_celery_site:celery_app", *WORKER_ARGS],
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            assert worker.poll() is None, f"celery worker exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"celery worker not ready: {log.read_text()}"
            time.sleep(0.1)  # the worker connects and prints "ready."; nothing else to wait on
        module = _import(directory / "jivo_celery_site.py", "jivo_celery_site")
        yield Site(module, runs, store, log)
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: the task in progress ends first
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        sys.modules.pop("jivo_celery_site", None)


@pytest.fixture(scope="session")
def unreachable(site: Site, tmp_path_factory: pytest.TempPathFactory) -> WebhookApp:
    """The same app over the same store, with a broker where nothing listens: every hand-off
    fails, as when Redis is down."""
    directory = tmp_path_factory.mktemp("celery-down")
    path = _write_site(
        directory, "jivo_celery_down", f"redis://127.0.0.1:{free_port()}/0", site.store_url,
        site.runs_file,
    )  # fmt: skip
    hooks: WebhookApp = _import(path, "jivo_celery_down").hooks
    return hooks


def chat_body(event_name: str, chat_id: int) -> bytes:
    payload = samples.load(event_name)
    payload["chat_id"] = chat_id
    return json.dumps(payload).encode()


def wait_for(check: Callable[[], bool], what: str, site: Site, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}; worker log:\n{site.worker_log.read_text()[-3000:]}")
        time.sleep(0.1)  # the Celery worker works in another process: poll the store


def settled(site: Site, chat_ids: set[int], status: EventStatus) -> Callable[[], bool]:
    def check() -> bool:
        rows = site.rows(chat_ids)
        return len(rows) == len(chat_ids) and all(r.status is status for r in rows.values())

    return check


def test_a_burst_through_the_receiver_is_processed_once_by_the_celery_worker(
    site: Site, servers: Servers, run_async: RunAsync
) -> None:
    base = servers.asgi(site.hooks.asgi())
    url = f"{base}/jivo/webhook/S"
    finished = set(range(1, 201))
    accepted = set(range(1001, 1011))

    async def burst() -> list[httpx.Response]:
        bodies = [chat_body("chat_finished", n) for n in finished]
        bodies += [chat_body("chat_accepted", n) for n in accepted]
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(limits=limits, timeout=20) as client:
            gate = asyncio.Semaphore(16)

            async def post(body: bytes) -> httpx.Response:
                async with gate:
                    return await client.post(url, content=body)

            return list(await asyncio.gather(*(post(b) for b in bodies)))

    answers = run_async(burst())
    assert {r.status_code for r in answers} == {200}
    wait_for(settled(site, finished, EventStatus.PROCESSED), "the burst was not processed", site)
    rows = site.rows(finished)
    assert all(row.attempts == 1 and row.next_attempt_at is None for row in rows.values())
    runs = [r for r in site.runs() if r["chat_id"] in finished]
    assert sorted(r["chat_id"] for r in runs) == sorted(finished)  # each exactly once
    assert os.getpid() not in {r["pid"] for r in runs}  # ... in the Celery worker
    # chat_accepted stays inline: its answer is the response, shaped in this process.
    cards = [r.json() for r in answers if "custom_data" in r.json()]
    assert len(cards) == len(accepted)
    assert {c["custom_data"][0]["content"] for c in cards} == {str(os.getpid())}
    assert all(r.status is EventStatus.PROCESSED for r in site.rows(accepted).values())


def test_a_handler_that_fails_twice_is_retried_with_backoff_then_processed(
    site: Site, run_async: RunAsync
) -> None:
    chat_id = FLAKY + 1
    reply = run_async(
        site.hooks.receiver.handle("POST", "S", chat_body("chat_finished", chat_id), None)
    )
    assert reply.status == 200
    wait_for(settled(site, {chat_id}, EventStatus.PROCESSED), "not processed", site)
    row = site.rows({chat_id})[chat_id]
    assert (row.attempts, row.error, row.next_attempt_at) == (3, None, None)
    runs = site.runs(chat_id)
    assert [r["outcome"] for r in runs] == ["raised", "raised", "ok"]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(runs)]
    # Exponential backoff with jitter: at least (1 - jitter) of base_delay * 2 ** (n - 1).
    assert gaps[0] >= BASE_DELAY * (1 - JITTER) * 0.95, gaps
    assert gaps[1] >= 2 * BASE_DELAY * (1 - JITTER) * 0.95, gaps


def test_an_always_failing_event_is_dead_after_max_attempts_and_listed(
    site: Site, run_async: RunAsync
) -> None:
    chat_id = DOOMED + 1
    reply = run_async(
        site.hooks.receiver.handle("POST", "S", chat_body("chat_finished", chat_id), None)
    )
    assert reply.status == 200
    wait_for(settled(site, {chat_id}, EventStatus.DEAD), "not dead", site)
    row = site.rows({chat_id})[chat_id]
    assert row.attempts == MAX_ATTEMPTS and row.next_attempt_at is None
    assert row.error is not None and f"archive of chat {chat_id} failed" in row.error
    assert [r["outcome"] for r in site.runs(chat_id)] == ["raised"] * MAX_ATTEMPTS
    listed = CliRunner().invoke(
        cli, ["events", "list", "--status", "dead", "--json", "--store", site.store_url]
    )
    assert listed.exit_code == 0, listed.output
    dead = [json.loads(line) for line in listed.output.splitlines()]
    (shown,) = [d for d in dead if d["chat_id"] == chat_id]
    assert (shown["status"], shown["attempts"]) == ("dead", MAX_ATTEMPTS)
    assert f"archive of chat {chat_id} failed" in shown["error"]


def _receive_without_broker(
    unreachable: WebhookApp, run_async: RunAsync, chat_id: int, caplog: pytest.LogCaptureFixture
) -> StoredEvent:
    """Post an event to the receiver whose broker is down; the stored row, still queued."""
    # DEBUG: after the first failure of an outage the hand-off logs at DEBUG only.
    with caplog.at_level(logging.DEBUG, logger="jivo_widget.webhooks"):
        reply = run_async(
            unreachable.receiver.handle("POST", "S", chat_body("chat_finished", chat_id), None)
        )
        assert reply.status == 200  # stored: the broker is not needed for the 200
        deadline = time.monotonic() + 20
        while "cannot hand event" not in caplog.text:  # the hand-off thread tries, and fails
            assert time.monotonic() < deadline, "the hand-off was not attempted"
            time.sleep(0.05)
    (row,) = [e for e in unreachable.store.list(limit=None) if e.chat_id == chat_id]
    assert row.status is EventStatus.RECEIVED and row.next_attempt_at is not None
    assert row.attempts == 0
    return row


def test_broker_down_at_receive_time_the_event_is_kept_and_the_receivers_sweep_hands_it_over(
    site: Site,
    unreachable: WebhookApp,
    servers: Servers,
    run_async: RunAsync,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat_id = 3001
    _receive_without_broker(unreachable, run_async, chat_id, caplog)
    time.sleep(1.5)  # past lost_after (1 s): no task for it is in the queue
    assert site.runs(chat_id) == []
    # A receiver that reaches the broker runs its sweep beside the server (the ASGI lifespan).
    servers.asgi(site.hooks.asgi())
    wait_for(settled(site, {chat_id}, EventStatus.PROCESSED), "not swept", site)
    assert [r["outcome"] for r in site.runs(chat_id)] == ["ok"]
    assert site.rows({chat_id})[chat_id].attempts == 1


def test_the_sweep_task_hands_over_events_whose_task_was_lost(
    site: Site, unreachable: WebhookApp, run_async: RunAsync, caplog: pytest.LogCaptureFixture
) -> None:
    chat_id = 3002
    _receive_without_broker(unreachable, run_async, chat_id, caplog)
    time.sleep(1.5)  # past lost_after
    tasks = site.hooks.celery
    assert tasks is not None
    assert tasks.beat_schedule(every=30) == {
        "jivo-webhooks-sweep": {"task": "jivo_widget.webhooks.sweep", "schedule": 30}
    }
    tasks.sweep.delay()  # what Celery beat sends
    wait_for(settled(site, {chat_id}, EventStatus.PROCESSED), "not swept", site)
    assert [r["outcome"] for r in site.runs(chat_id)] == ["ok"]


def test_a_task_delivered_twice_or_after_the_event_was_processed_runs_the_handler_once(
    site: Site, unreachable: WebhookApp, run_async: RunAsync, caplog: pytest.LogCaptureFixture
) -> None:
    chat_id = 3003
    row = _receive_without_broker(unreachable, run_async, chat_id, caplog)
    tasks = site.hooks.celery
    assert tasks is not None
    skipped_before = site.worker_log.read_text().count("'not due'")
    for _ in range(3):  # the same task, delivered three times
        tasks.hand_off(row.id)
    wait_for(settled(site, {chat_id}, EventStatus.PROCESSED), "not processed", site)
    for _ in range(2):  # and again once it is processed
        tasks.hand_off(row.id)
    # The solo worker takes tasks in order: once a later event is processed, so are they.
    marker = 3004
    run_async(site.hooks.receiver.handle("POST", "S", chat_body("chat_finished", marker), None))
    wait_for(settled(site, {marker}, EventStatus.PROCESSED), "marker not processed", site)
    assert [r["outcome"] for r in site.runs(chat_id)] == ["ok"]
    assert site.rows({chat_id})[chat_id].attempts == 1
    # The four extra deliveries ran and did nothing (the task's result, in the worker's log).
    assert site.worker_log.read_text().count("'not due'") - skipped_before >= 4


def test_processing_celery_needs_a_celery_app(tmp_path: Path) -> None:
    with pytest.raises(JivoConfigError, match="processing 'celery' needs celery_app"):
        WebhookApp(secret="S", store="sqlite:///:memory:", processing="celery")


def test_events_sweep_hands_due_events_to_celery_and_fails_while_the_broker_is_down(
    site: Site,
    unreachable: WebhookApp,
    run_async: RunAsync,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat_id = 3005
    _receive_without_broker(unreachable, run_async, chat_id, caplog)
    monkeypatch.setitem(sys.modules, "jivo_celery_down", sys.modules["jivo_celery_down"])
    down = CliRunner().invoke(cli, ["events", "sweep", "--app", "jivo_celery_down:hooks"])
    assert down.exit_code == 1, down.output
    assert "the broker did not take event" in down.output and "stay queued" in down.output
    assert site.rows({chat_id})[chat_id].status is EventStatus.RECEIVED
    swept = CliRunner().invoke(cli, ["events", "sweep", "--app", "jivo_celery_site:hooks"])
    assert swept.exit_code == 0, swept.output
    assert "due event(s) to Celery" in swept.output
    wait_for(settled(site, {chat_id}, EventStatus.PROCESSED), "not swept", site)
    assert [r["outcome"] for r in site.runs(chat_id)] == ["ok"]
