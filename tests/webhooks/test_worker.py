"""Processing off the request path: ``WebhookApp(processing="worker")`` and its QueueWorker.

Events whose answer Jivo ignores are stored queued and acknowledged at once; the worker claims
them from the store, retries failures with exponential backoff and jitter, and marks them dead
after the last attempt. The clock and the jitter are injected, so no test sleeps a backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.testclient import TestClient

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import EventStatus, JivoEvent, WebhookApp, samples
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.worker import QueueWorker, RetryPolicy

if TYPE_CHECKING:
    from conftest import JivoCli

    from webhooks.conftest import Deliver, RunAsync

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand (the worker's ``clock``)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class DeadCounter(Observer):
    """Counts the ``dead`` hook, as the metrics do."""

    def __init__(self) -> None:
        self.dead_events: list[str] = []

    def dead(self, event_name: str) -> None:
        self.dead_events.append(event_name)


def worker_app(store: str, policy: RetryPolicy | None = None, clock: Any = None) -> WebhookApp:
    hooks = WebhookApp(secret="S", store=store, processing="worker", retry=policy)
    worker = hooks.receiver.worker
    assert worker is not None
    if clock is not None:
        worker.clock = clock
    worker.rand = lambda: 0.5
    return hooks


def the_worker(hooks: WebhookApp) -> QueueWorker:
    worker = hooks.receiver.worker
    assert worker is not None
    return worker


def body(n: int) -> dict[str, Any]:
    payload = samples.load("chat_finished")
    payload["chat_id"] = n
    return payload


def test_default_keeps_inline_processing(tmp_path: Path) -> None:
    policy = RetryPolicy(max_attempts=2)
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", retry=policy)
    assert hooks.processing == "inline" and hooks.receiver.worker is None
    queued = hooks.configured(processing="worker")
    assert queued.processing == "worker" and the_worker(queued).policy is policy


def test_bad_settings_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(JivoConfigError, match="processing 'later'"):
        WebhookApp(secret="S", store="sqlite:///:memory:", processing="later")  # type: ignore[arg-type]
    with pytest.raises(JivoConfigError, match="max_attempts 0"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(JivoConfigError, match="jitter 2"):
        RetryPolicy(jitter=2)


def test_acknowledged_and_queued_before_the_handler_runs(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    clock = FakeClock()
    hooks = worker_app(store_url, clock=clock)
    seen: list[int] = []

    @hooks.on("chat_finished")
    def archive(event: JivoEvent) -> None:
        seen.append(event.chat_id)  # type: ignore[attr-defined]

    async def scenario() -> None:
        reply = await deliver(hooks, body(7))
        assert reply.status == 200 and reply.body == {"result": "ok"}
        (row,) = hooks.store.list()
        assert seen == []  # acknowledged, not handled: the worker has not run
        assert row.status is EventStatus.RECEIVED and row.next_attempt_at is not None
        assert row.attempts == 0
        clock.now = row.next_attempt_at
        assert await the_worker(hooks).run_due() == 1

    run_async(scenario())
    assert seen == [7]
    (row,) = hooks.store.list()
    assert row.status is EventStatus.PROCESSED and row.attempts == 1
    assert row.next_attempt_at is None and row.error is None


def test_chat_accepted_handlers_stay_inline(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    hooks = worker_app(store_url)

    @hooks.on("chat_accepted")
    def card(event: JivoEvent) -> dict[str, Any]:
        return {"crm_link": "https://crm.example/c/1"}

    reply = run_async(deliver(hooks, "chat_accepted", drain=True))
    assert reply.body["crm_link"] == "https://crm.example/c/1"
    (row,) = hooks.store.list()
    assert row.status is EventStatus.PROCESSED and row.next_attempt_at is None


def test_retry_after_backoff_then_success(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, base_delay=10, jitter=0.5)
    hooks = worker_app(store_url, policy, clock)
    calls: list[int] = []

    @hooks.on("chat_finished")
    def flaky(event: JivoEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("CRM down")

    async def scenario() -> None:
        await deliver(hooks, body(1))
        clock.now = datetime.now(UTC)
        worker = the_worker(hooks)
        assert await worker.run_due() == 1
        (row,) = hooks.store.list()
        assert row.status is EventStatus.FAILED and row.attempts == 1
        assert row.error is not None and "ConnectionError: CRM down" in row.error
        # rand() = 0.5, jitter 0.5: three quarters of the 10 s first delay.
        assert row.next_attempt_at == clock.now + timedelta(seconds=7.5)
        clock.advance(7.4)
        assert await worker.run_due() == 0  # not due yet
        clock.advance(0.2)
        assert await worker.run_due() == 1

    run_async(scenario())
    (row,) = hooks.store.list()
    assert row.status is EventStatus.PROCESSED and row.attempts == 2 and row.error is None
    assert len(calls) == 2


def test_retries_exhausted_dead_with_the_error(
    store_url: str, deliver: Deliver, run_async: RunAsync, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    hooks = worker_app(store_url, RetryPolicy(max_attempts=3, base_delay=1), clock)
    counter = DeadCounter()
    the_worker(hooks).observer = counter

    @hooks.on("chat_finished")
    def broken(event: JivoEvent) -> None:
        raise ValueError("no such deal")

    async def scenario() -> None:
        await deliver(hooks, body(1))
        clock.now = datetime.now(UTC)
        for _ in range(3):
            assert await the_worker(hooks).run_due() == 1
            clock.advance(60)
        assert await the_worker(hooks).run_due() == 0  # dead: never claimed again

    with caplog.at_level(logging.ERROR, logger="jivo_widget.webhooks"):
        run_async(scenario())
    (row,) = hooks.store.list()
    assert row.status is EventStatus.DEAD and row.attempts == 3
    assert row.next_attempt_at is None
    assert row.error is not None and "ValueError: no such deal" in row.error
    assert "Traceback" in row.error
    assert counter.dead_events == ["chat_finished"]
    raised = [r for r in caplog.records if "raised ValueError" in r.getMessage()]
    assert len(raised) == 3 and all(r.exc_info for r in raised)  # logged with traceback
    assert any("dead after 3 attempts" in r.getMessage() for r in caplog.records)


def test_dead_events_counted_by_the_metrics(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    pytest.importorskip("prometheus_client")
    hooks = WebhookApp(
        secret="S", store=store_url, processing="worker", metrics=True,
        retry=RetryPolicy(max_attempts=1),
    )  # fmt: skip

    @hooks.on("chat_finished")
    def broken(event: JivoEvent) -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        await deliver(hooks, body(1))
        the_worker(hooks).clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
        await the_worker(hooks).run_due()

    run_async(scenario())
    text = hooks.receiver.observer.exposition()[0].decode()
    assert 'jivo_webhook_events_dead_total{event="chat_finished"} 1.0' in text


@pytest.mark.parametrize("attempts", [1, 2, 3, 4, 10])
def test_backoff_grows_exponentially_with_jitter_within_bounds(attempts: int) -> None:
    policy = RetryPolicy(base_delay=2, max_delay=60, jitter=0.25)
    full = min(60, 2 * 2 ** (attempts - 1))
    assert policy.delay(attempts, lambda: 0.0) == full
    assert policy.delay(attempts, lambda: 0.999999) == pytest.approx(full * 0.75, rel=1e-5)
    import random

    rng = random.Random(attempts)
    delays = [policy.delay(attempts, rng.random) for _ in range(200)]
    assert all(full * 0.75 <= d <= full for d in delays)
    assert len(set(delays)) > 100  # jittered: events failing together come back apart
    if attempts > 1 and full < 60:
        assert policy.delay(attempts, lambda: 0.0) == 2 * policy.delay(attempts - 1, lambda: 0.0)


def test_backoff_recorded_by_the_worker_grows(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    clock = FakeClock()
    hooks = worker_app(store_url, RetryPolicy(max_attempts=5, base_delay=1, jitter=0.5), clock)

    @hooks.on("chat_finished")
    def broken(event: JivoEvent) -> None:
        raise ValueError("down")

    waits: list[float] = []

    async def scenario() -> None:
        await deliver(hooks, body(1))
        clock.now = datetime.now(UTC)
        for _ in range(4):
            assert await the_worker(hooks).run_due() == 1
            (row,) = hooks.store.list()
            assert row.next_attempt_at is not None
            waits.append((row.next_attempt_at - clock.now).total_seconds())
            clock.now = row.next_attempt_at

    run_async(scenario())
    assert waits == [0.75, 1.5, 3.0, 6.0]


def _drain_with_worker(hooks: WebhookApp, start: threading.Event, claimed: Counter[str]) -> None:
    async def run() -> None:
        start.wait()
        while taken := await the_worker(hooks).run_due():
            claimed[threading.current_thread().name] += taken

    asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest, store_url: str) -> str:
    """The store two receivers share: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return store_url
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_two_workers_on_one_store_never_run_an_event_twice(
    shared_store: str, deliver: Deliver, run_async: RunAsync
) -> None:
    store_url = shared_store
    # Two receivers (each with its own store connection, as two processes have) on one file.
    first = worker_app(store_url, RetryPolicy(batch=2))
    second = first.configured(store=store_url)
    assert second.store is not first.store
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    @first.on("chat_finished")
    def count(event: JivoEvent) -> None:
        with lock:
            runs[event.chat_id] += 1  # type: ignore[attr-defined]
        time.sleep(0.005)  # let the other worker claim meanwhile

    async def queue() -> None:
        for n in range(40):
            assert (await deliver(first, body(n))).status == 200

    run_async(queue())
    start = threading.Event()
    claimed: Counter[str] = Counter()
    threads = [
        threading.Thread(
            target=_drain_with_worker, args=(hooks, start, claimed), name=f"worker-{n}"
        )
        for n, hooks in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(10)
    assert runs == Counter(range(40))
    assert sum(claimed.values()) == 40 and len(claimed) == 2  # both workers took a share
    statuses = Counter(row.status for row in first.store.list(limit=100))
    assert statuses == {EventStatus.PROCESSED: 40}
    first.store.close()
    second.store.close()


def test_worker_runs_with_the_app_lifespan(store_url: str) -> None:
    hooks = worker_app(store_url, RetryPolicy(poll_interval=0.05))
    done = threading.Event()

    @hooks.on("chat_finished")
    def archive(event: JivoEvent) -> None:
        done.set()

    with TestClient(hooks.asgi()) as client:
        response = client.post("/jivo/webhook/S", content=json.dumps(body(3)))
        assert response.status_code == 200 and response.json() == {"result": "ok"}
        assert done.wait(5)
        deadline = time.monotonic() + 5
        while hooks.store.list()[0].status is not EventStatus.PROCESSED:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert hooks.receiver.worker is not None and hooks.receiver.worker._task is None


def test_events_list_shows_dead_events(
    store_url: str, deliver: Deliver, run_async: RunAsync, jivo_cli: JivoCli, tmp_path: Path
) -> None:
    hooks = worker_app(store_url, RetryPolicy(max_attempts=2))

    @hooks.on("chat_finished")
    def broken(event: JivoEvent) -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        await deliver(hooks, body(1))
        worker = the_worker(hooks)
        worker.clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
        await worker.run_due()
        worker.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
        await worker.run_due()

    run_async(scenario())
    hooks.store.close()
    listed = jivo_cli.run("events", "list", "--json", "--store", store_url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["status"] == "dead" and row["attempts"] == 2
    assert "ValueError: boom" in row["error"]
    table = jivo_cli.run("events", "list", "--status", "dead", "--store", store_url, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "dead" in table.stdout and "chat_finished" in table.stdout


def test_replay_stuck_leaves_queued_events_to_the_worker(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    hooks = worker_app(store_url)
    runs: list[int] = []

    @hooks.on("chat_finished")
    def archive(event: JivoEvent) -> None:
        runs.append(1)

    async def scenario() -> None:
        await deliver(hooks, body(1))
        assert await hooks.receiver.replay_stuck(timedelta(0)) == []

    run_async(scenario())
    assert runs == []
    (row,) = hooks.store.list()
    assert row.status is EventStatus.RECEIVED and row.next_attempt_at is not None


SERVED_APP = """
from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.worker import RetryPolicy

hooks = WebhookApp(
    secret="S",
    retry=RetryPolicy(max_attempts=2, base_delay=0.05, poll_interval=0.05),
)

@hooks.on("chat_finished")
def archive(event):
    raise ValueError("CRM down")

@hooks.on("chat_accepted")
def card(event):
    return {"crm_link": "https://crm.example/c/9"}
"""


def test_serve_processing_worker_end_to_end(jivo_cli: JivoCli, tmp_path: Path) -> None:
    (tmp_path / "queued_app.py").write_text(SERVED_APP)
    served = jivo_cli.serve(
        tmp_path, "--secret", jivo_cli.secret, "--app", "queued_app:hooks",
        "--processing", "worker",
    )  # fmt: skip
    accepted = httpx.post(served.url(), json=samples.load("chat_accepted"), timeout=5)
    assert accepted.json()["crm_link"] == "https://crm.example/c/9"  # inline: the answer
    finished = httpx.post(served.url(), json=samples.load("chat_finished"), timeout=5)
    assert finished.status_code == 200 and finished.json() == {"result": "ok"}
    deadline = time.monotonic() + 5
    while True:
        (row,) = served.list_json("--event", "chat_finished")
        if row["status"] == "dead" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row["status"] == "dead" and row["attempts"] == 2
    assert "ValueError: CRM down" in str(row["error"])
    log = served.stop()
    assert "Traceback" in log and "dead after 2 attempts" in log


def test_worker_starts_with_the_first_queued_delivery_under_wsgi(store_url: str) -> None:
    # A WSGI server has no lifespan: the worker starts on the loop its deliveries run on.
    hooks = worker_app(store_url, RetryPolicy(poll_interval=0.05))
    done = threading.Event()

    @hooks.on("chat_finished")
    def archive(event: JivoEvent) -> None:
        done.set()

    receiver = hooks.receiver
    try:
        reply = receiver.handle_blocking("POST", "S", json.dumps(body(5)).encode(), None)
        assert reply.status == 200 and reply.body == {"result": "ok"}
        assert done.wait(5)
        assert the_worker(hooks).running
        done.clear()
        receiver.handle_blocking("POST", "S", json.dumps(body(6)).encode(), None)
        assert done.wait(5)  # the same worker takes the next one
    finally:
        receiver.close()


def test_a_replayed_event_leaves_the_queue(
    shared_store: str, deliver: Deliver, run_async: RunAsync
) -> None:
    # `events replay` of an event waiting for its retry settles it: the worker must not run
    # it once more afterwards.
    clock = FakeClock()
    hooks = worker_app(shared_store, RetryPolicy(max_attempts=5), clock)
    calls: list[int] = []

    @hooks.on("chat_finished")
    def flaky(event: JivoEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("CRM down")

    async def scenario() -> None:
        await deliver(hooks, body(1))
        clock.now = datetime.now(UTC)
        assert await the_worker(hooks).run_due() == 1
        (row,) = hooks.store.list()
        assert row.status is EventStatus.FAILED
        result = await hooks.receiver.replay(row.id)
        assert result.status is EventStatus.PROCESSED
        clock.advance(3600)
        assert await the_worker(hooks).run_due() == 0

    run_async(scenario())
    (row,) = hooks.store.list()
    assert row.status is EventStatus.PROCESSED and row.next_attempt_at is None
    assert len(calls) == 2
    hooks.store.close()


def test_events_sweep_runs_due_queued_events_here(
    jivo_cli: JivoCli, tmp_path: Path, run_async: RunAsync
) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    (tmp_path / "queued_app.py").write_text(SWEPT_APP.format(store=store))
    inline = jivo_cli.run("events", "sweep", "--app", "queued_app:inline", cwd=tmp_path)
    assert inline.returncode == 2 and "nothing to sweep" in inline.stderr
    hooks = WebhookApp(secret="S", store=store, processing="worker")
    hooks.on("chat_finished")(print)  # a handler, so events are queued; never run here
    for n in range(3):  # queued, and no worker runs: the app is not served
        reply = run_async(hooks.receiver.handle("POST", "S", json.dumps(body(n)).encode(), None))
        assert reply.status == 200
    assert [e.status for e in hooks.store.list()] == [EventStatus.RECEIVED] * 3
    swept = jivo_cli.run("events", "sweep", "--app", "queued_app:hooks", cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    assert "ran 3 due event(s) here" in swept.stderr
    rows = hooks.store.list()
    assert [(e.status, e.attempts) for e in rows] == [(EventStatus.PROCESSED, 1)] * 3
    assert sorted((tmp_path / "archived.txt").read_text().split()) == ["0", "1", "2"]
    again = jivo_cli.run("events", "sweep", "--app", "queued_app:hooks", cwd=tmp_path)
    assert again.returncode == 0 and "ran 0 due event(s) here" in again.stderr


SWEPT_APP = """
from pathlib import Path
from jivo_widget.webhooks import WebhookApp

hooks = WebhookApp(secret="S", store={store!r}, processing="worker")
inline = hooks.configured(processing="inline")

@hooks.on("chat_finished")
def archive(event):
    with open(Path(__file__).with_name("archived.txt"), "a") as archived:
        archived.write(f"{{event.chat_id}}\\n")
"""


def test_the_sweep_hands_over_lost_events_ever_less_often_and_stops_at_a_dead_broker(
    store_url: str, deliver: Deliver, run_async: RunAsync, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    hooks = worker_app(store_url, RetryPolicy(lost_after=10), clock=clock)
    hooks.on("chat_finished")(print)  # a handler: events are queued (never run here)
    worker = the_worker(hooks)
    handed: list[int] = []
    broker_up = True

    def handoff(event_id: int, due: datetime | None) -> None:
        if not broker_up:
            raise ConnectionError("broker down")
        handed.append(event_id)

    worker.handoff = handoff
    assert hooks.processing == "celery"

    async def scenario() -> None:
        nonlocal broker_up
        for n in (1, 2):
            assert (await deliver(hooks, body(n))).status == 200
        for _ in range(200):  # the receiver's own hand-off, on its thread
            if len(handed) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(handed) == 2
        first, second = handed
        clock.now = datetime.now(UTC)  # queued "now" by the real clock
        assert await worker.sweep() == 0  # due, but not for lost_after yet
        clock.advance(10)
        assert await worker.sweep() == 2 and handed[2:] == [first, second]
        clock.advance(9)
        assert await worker.sweep() == 0  # handed over 9 s ago: not again yet
        clock.advance(1)
        assert await worker.sweep() == 2  # 10 s: again; the next wait is twice as long
        clock.advance(10)
        assert await worker.sweep() == 0
        clock.advance(10)
        assert await worker.sweep() == 2
        broker_up = False
        clock.advance(40)
        with caplog.at_level(logging.DEBUG, logger="jivo_widget.webhooks"):
            assert await worker.sweep() == 0  # the first one fails: the sweep stops
            clock.advance(40)
            assert await worker.sweep() == 0
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "stays queued" in warnings[0].getMessage()
        broker_up = True
        assert await worker.sweep() == 2
        assert "takes events again" in caplog.text
        claim = hooks.store.claim(first, lease=timedelta(minutes=1), now=clock())
        assert claim is not None and hooks.store.mark_processed(claim)
        clock.advance(3600)
        assert await worker.sweep() == 1  # a settled event is never handed over again

    run_async(scenario())


def test_a_batch_of_queued_events_runs_side_by_side(
    store_url: str, deliver: Deliver, run_async: RunAsync
) -> None:
    # Four handlers that each wait for the other three: only runs side by side all pass.
    hooks = worker_app(store_url, RetryPolicy(max_attempts=1))
    together = threading.Barrier(4, timeout=5)

    @hooks.on("chat_finished")
    def archive(event: JivoEvent) -> None:
        together.wait()

    async def scenario() -> None:
        for n in range(4):
            assert (await deliver(hooks, body(n))).status == 200
        the_worker(hooks).clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
        assert await the_worker(hooks).run_due() == 4

    run_async(scenario())
    rows = hooks.store.list()
    assert [(r.status, r.error) for r in rows] == [(EventStatus.PROCESSED, None)] * 4
