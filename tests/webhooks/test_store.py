"""The store contract, run against every store (the ``store`` fixture: SQLite on a real file,
PostgreSQL on a real server, and the Django store on Django's SQLite and PostgreSQL backends):
rows, dedupe, filters, purge, claims by workers, failures.

What only one store can do is tested beside it (``test_store_sqlite.py``,
``test_store_postgres.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.contract import status_code
from jivo_widget.webhooks.store import (
    Claim,
    EventStatus,
    EventStore,
    NewEvent,
    dedupe_key,
    open_store,
)
from webhooks import django_project
from webhooks.postgres_server import PostgresServer

STORE_KINDS = ["sqlite", "postgresql", "django-sqlite", "django-postgresql"]


@pytest.fixture(scope="module")
def contract_database(postgres: PostgresServer) -> str:
    """One PostgreSQL database for this module's tests, emptied before each."""
    return postgres.create_database("jivo_contract")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """A fresh, empty store of each kind in turn."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'events.db'}")
    elif request.param.startswith("django-"):
        # One database per process (the Django project's), emptied before each test.
        django_url: str = request.getfixturevalue(request.param.replace("-", "_"))
        django_project.empty(django_url)
        opened = open_store(django_url)
    else:
        url: str = request.getfixturevalue("contract_database")
        opened = open_store(url)
        server: PostgresServer = request.getfixturevalue("postgres")
        server.execute("TRUNCATE jivo_events RESTART IDENTITY", url)
    yield opened
    opened.close()


def new_event(
    body: bytes = b'{"event_name":"chat_finished","chat_id":1}',
    *,
    status: EventStatus = EventStatus.RECEIVED,
    event_name: str | None = "chat_finished",
    received_at: datetime | None = None,
    chat_id: int | None = 1,
    next_attempt_at: datetime | None = None,
) -> NewEvent:
    return NewEvent(
        received_at=received_at or datetime.now(UTC),
        remote_addr="203.0.113.9",
        body=body,
        dedupe_key=dedupe_key(body),
        event_name=event_name,
        chat_id=chat_id,
        status=status,
        next_attempt_at=next_attempt_at,
    )


def test_add_then_get_round_trips_every_column(store: EventStore) -> None:
    moment = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    body = b'{"event_name":"chat_finished","chat_id":1,"x":"\xc3\xa9"}'
    event_id = store.add(new_event(body, received_at=moment))
    assert event_id is not None
    stored = store.get(event_id)
    assert stored is not None
    assert (stored.id, stored.body, stored.received_at) == (event_id, body, moment)
    assert stored.received_at.tzinfo is UTC
    assert stored.dedupe_key == dedupe_key(body)
    assert (stored.event_name, stored.chat_id, stored.remote_addr) == (
        "chat_finished",
        1,
        "203.0.113.9",
    )
    assert (stored.status, stored.error, stored.response, stored.attempts) == (
        EventStatus.RECEIVED,
        None,
        None,
        0,
    )
    assert store.get(event_id + 1) is None


def test_dedupe_key_is_unique(store: EventStore) -> None:
    first = store.add(new_event())
    assert store.add(new_event()) is None
    assert store.count() == 1
    found = store.get_by_dedupe_key(dedupe_key(new_event().body))
    assert found is not None and found.id == first
    assert store.get_by_dedupe_key("0" * 64) is None


def test_finish_records_outcome_and_counts_attempts(store: EventStore) -> None:
    event_id = store.add(new_event())
    assert event_id is not None
    store.finish(event_id, status=EventStatus.FAILED, error="boom", response={"result": "ok"})
    store.finish(event_id, status=EventStatus.PROCESSED, error=None, response={"result": "ok"})
    stored = store.get(event_id)
    assert stored is not None
    assert (stored.status, stored.error, stored.response, stored.attempts) == (
        EventStatus.PROCESSED,
        None,
        {"result": "ok"},
        2,
    )
    assert status_code(stored.status) == 200


def test_list_filters_and_order(store: EventStore) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    ids = [
        store.add(new_event(b'{"n":1}', status=EventStatus.FAILED, received_at=old)),
        store.add(new_event(b'{"n":2}', status=EventStatus.PROCESSED)),
        store.add(new_event(b'{"n":3}', status=EventStatus.FAILED, event_name="chat_accepted")),
    ]
    assert [e.id for e in store.list()] == ids[::-1]
    assert [e.id for e in store.list(newest_first=False, limit=2)] == ids[:2]
    assert [e.id for e in store.list(status="failed")] == [ids[2], ids[0]]
    assert [e.id for e in store.list(event_name="chat_accepted")] == [ids[2]]
    assert [e.id for e in store.list(since=old + timedelta(days=1))] == [ids[2], ids[1]]
    assert [e.id for e in store.list(until=old + timedelta(days=1))] == [ids[0]]
    assert store.count(status=EventStatus.FAILED) == 2
    with pytest.raises(ValueError, match="'done' is not a valid EventStatus"):
        store.list(status="done")


def test_purge_by_age_and_status(store: EventStore) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    store.add(new_event(b'{"n":1}', status=EventStatus.PROCESSED, received_at=old))
    store.add(new_event(b'{"n":2}', status=EventStatus.FAILED, received_at=old))
    recent = store.add(new_event(b'{"n":3}', status=EventStatus.PROCESSED))
    assert store.purge(timedelta(days=30), status=EventStatus.PROCESSED) == 1
    assert store.count() == 2
    assert store.purge(timedelta(days=30)) == 1
    assert [e.id for e in store.list()] == [recent]
    assert store.purge(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.count() == 0


def test_summary_is_json_ready_without_body(store: EventStore) -> None:
    event_id = store.add(new_event())
    assert event_id is not None
    stored = store.get(event_id)
    assert stored is not None
    summary = stored.summary()
    assert {"id", "received_at", "event_name", "chat_id", "status"} <= summary.keys()
    assert "body" not in summary
    assert summary["status"] == "received"
    assert datetime.fromisoformat(summary["received_at"]) == stored.received_at


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://host/events.db", "three slashes"),
        ("sqlite:///", "names no file"),
        ("mysql://db/events", "expected sqlite:///PATH"),
        ("events.db", "expected sqlite:///PATH"),
    ],
)
def test_bad_store_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(JivoConfigError, match=message) as info:
        open_store(url)
    assert "pw" not in str(info.value)  # never echo a password


def test_purge_finds_the_boundary_across_gaps(store: EventStore) -> None:
    start = datetime.now(UTC) - timedelta(days=100)
    ids = [
        store.add(new_event(f'{{"n":{day}}}'.encode(), received_at=start + timedelta(days=day)))
        for day in range(100)
    ]
    # Make gaps in the ids, as earlier purges of one status would.
    assert store.purge(start + timedelta(days=50), status=EventStatus.RECEIVED) == 50
    assert store.count() == 50
    assert store.purge(start + timedelta(days=69, hours=12)) == 20
    assert [e.id for e in store.list(newest_first=False, limit=1)] == [ids[70]]
    assert store.purge(timedelta(days=365)) == 0
    assert store.purge(datetime.now(UTC)) == 30
    assert store.purge(datetime.now(UTC)) == 0  # empty table


def test_failed_events_are_listed_through_the_partial_index(store: EventStore) -> None:
    for n in range(5):
        status = EventStatus.FAILED if n % 2 else EventStatus.PROCESSED
        store.add(new_event(f'{{"n":{n}}}'.encode(), status=status))
    assert [e.status for e in store.list(status="failed")] == [EventStatus.FAILED] * 2
    assert len(store.list(status="processed")) == 3


def test_a_group_insert_maps_ids_back_in_order_with_duplicates(store: EventStore) -> None:
    def new(n: int) -> NewEvent:
        body = b'{"event_name":"x","n":%d}' % n
        return NewEvent(
            datetime.now(UTC), None, body, dedupe_key(body), "x", n, EventStatus.RECEIVED
        )

    (first,) = store.write_batch([new(0)], ())
    # 600 rows: more than one multi-row statement; a stored duplicate and one inside the group.
    group = [new(n) for n in range(1, 600)] + [new(0), new(5)]
    ids = store.write_batch(group, ())
    assert ids[-2:] == [None, None]
    assert all(isinstance(i, int) for i in ids[:-2]) and len(set(ids[:-2])) == 599
    for event, event_id in zip(group[:-2], ids[:-2], strict=True):
        stored = store.get(event_id or 0)
        assert stored is not None and stored.body == event.body and stored.chat_id == event.chat_id
    assert store.count() == 600 and first is not None


def test_text_a_database_cannot_encode_is_stored(store: EventStore) -> None:
    # json.loads('"\\ud800"') yields a lone surrogate, '"\\u0000"' a NUL: neither may make the
    # insert fail (UTF-8 has no surrogates; PostgreSQL's text has no NUL).
    event_id = store.add(new_event(b"{}", event_name="\ud800x\x00y"))
    assert event_id is not None
    error = "boom \x00 \udcff"
    store.finish(event_id, status=EventStatus.FAILED, error=error, response={"t": "\x00"})
    stored = store.get(event_id)
    assert stored is not None
    assert stored.event_name is not None and stored.event_name.endswith("y")
    assert stored.error is not None and stored.error.startswith("boom")
    assert stored.response is not None and set(stored.response) == {"t"}


# -- processing off the request path: claims, retries, the dead state --------------------------


def _queue(store: EventStore, n: int, due: datetime) -> list[int]:
    ids = [
        store.add(new_event(f'{{"q":{i}}}'.encode(), chat_id=i, next_attempt_at=due))
        for i in range(n)
    ]
    assert all(isinstance(i, int) for i in ids)
    return [i for i in ids if i is not None]


def test_only_queued_due_events_are_claimed_and_a_claim_counts_an_attempt(
    store: EventStore,
) -> None:
    now = datetime.now(UTC)
    store.add(new_event(b'{"inline":1}'))  # handled inline: never queued, never claimed
    due = _queue(store, 3, now - timedelta(seconds=5))
    later = store.add(new_event(b'{"later":1}', next_attempt_at=now + timedelta(minutes=5)))
    assert store.get(due[0]) is not None
    assert store.get(due[0]).next_attempt_at == now - timedelta(seconds=5)  # type: ignore[union-attr]
    claims = store.claim_due(limit=2, lease=timedelta(seconds=30), now=now)
    assert [c.event.id for c in claims] == due[:2]
    for claim in claims:
        assert claim.lease_until == now + timedelta(seconds=30)
        assert claim.event.attempts == 1
        assert claim.event.status is EventStatus.RECEIVED
        assert claim.event.next_attempt_at == claim.lease_until
        assert claim.event.body.startswith(b'{"q":')
    rest = store.claim_due(limit=10, lease=timedelta(seconds=30), now=now)
    assert [c.event.id for c in rest] == due[2:]
    assert store.claim_due(limit=10, lease=timedelta(seconds=30), now=now) == []
    # Due in five minutes: claimed then, not before (with the first claims' leases running out
    # then, they are due again too).
    five = now + timedelta(minutes=5)
    assert [c.event.id for c in store.claim_due(limit=10, lease=timedelta(hours=1), now=five)] == [
        *due,
        later,
    ]


def test_a_claim_whose_lease_ran_out_is_claimed_again_and_the_first_worker_loses_it(
    store: EventStore,
) -> None:
    now = datetime.now(UTC)
    (event_id,) = _queue(store, 1, now)
    first = store.claim_due(limit=1, lease=timedelta(seconds=10), now=now)[0]
    lease = timedelta(seconds=10)
    assert store.claim_due(limit=1, lease=lease, now=now + timedelta(seconds=9)) == []
    second = store.claim_due(limit=1, lease=lease, now=now + timedelta(seconds=10))
    assert [c.event.id for c in second] == [event_id]
    assert second[0].event.attempts == 2
    # The first worker comes back late: every report of its stale claim is refused.
    assert store.mark_processed(first) is False
    assert store.schedule_retry(first, error="late", at=now) is False
    assert store.mark_dead(first, error="late") is False
    stored = store.get(event_id)
    assert stored is not None and (stored.status, stored.attempts) == (EventStatus.RECEIVED, 2)
    assert store.mark_processed(second[0], response={"result": "ok"}) is True
    assert store.mark_processed(second[0]) is False  # settled once


def test_retry_then_dead_then_processed_record_status_error_and_queue(store: EventStore) -> None:
    now = datetime.now(UTC)
    first_id, second_id = _queue(store, 2, now)
    lease = timedelta(seconds=30)
    claims = {c.event.id: c for c in store.claim_due(limit=2, lease=lease, now=now)}
    retry_at = now + timedelta(seconds=4)
    assert store.schedule_retry(claims[first_id], error="Traceback: boom", at=retry_at)
    assert store.mark_processed(claims[second_id], response={"result": "ok"})
    failed = store.get(first_id)
    assert failed is not None
    assert (failed.status, failed.error, failed.next_attempt_at, failed.attempts) == (
        EventStatus.FAILED,
        "Traceback: boom",
        retry_at,
        1,
    )
    assert store.list(status="failed")[0].id == first_id
    done = store.get(second_id)
    assert done is not None
    assert (done.status, done.error, done.next_attempt_at, done.response) == (
        EventStatus.PROCESSED,
        None,
        None,
        {"result": "ok"},
    )
    # Not due before retry_at; then claimed again (attempt 2), and it dies.
    assert store.claim_due(limit=5, lease=lease, now=retry_at - timedelta(seconds=1)) == []
    (again,) = store.claim_due(limit=5, lease=lease, now=retry_at)
    assert (again.event.id, again.event.attempts, again.event.error) == (
        first_id,
        2,
        "Traceback: boom",
    )
    assert store.mark_dead(again, error="gave up after 2 attempts")
    dead = store.get(first_id)
    assert dead is not None
    assert (dead.status, dead.error, dead.next_attempt_at) == (
        EventStatus.DEAD,
        "gave up after 2 attempts",
        None,
    )
    assert [e.id for e in store.list(status=EventStatus.DEAD)] == [first_id]
    assert store.count(status="dead") == 1
    assert dead.summary()["status"] == "dead"
    far = now + timedelta(days=1)
    assert store.claim_due(limit=5, lease=lease, now=far) == []  # dead and processed: not queued


def test_concurrent_claimers_never_get_the_same_event(store: EventStore) -> None:
    now = datetime.now(UTC)
    queued = _queue(store, 60, now - timedelta(seconds=1))
    got: list[list[Claim]] = [[] for _ in range(4)]

    def claim_all(slot: int) -> None:
        while batch := store.claim_due(limit=3, lease=timedelta(minutes=1)):
            got[slot].extend(batch)

    threads = [threading.Thread(target=claim_all, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [c.event.id for slot in got for c in slot]
    assert sorted(claimed) == queued  # each exactly once


def test_one_event_is_claimed_by_id_only_while_it_is_queued_and_due(store: EventStore) -> None:
    now = datetime.now(UTC)
    lease = timedelta(seconds=30)
    inline = store.add(new_event(b'{"inline":1}'))
    first, second = _queue(store, 2, now - timedelta(seconds=1))
    later = store.add(new_event(b'{"later":1}', next_attempt_at=now + timedelta(minutes=5)))
    assert inline is not None and later is not None
    assert store.claim(inline, lease=lease, now=now) is None  # never queued
    assert store.claim(later, lease=lease, now=now) is None  # not due yet
    assert store.claim(10_000, lease=lease, now=now) is None  # no such event
    claim = store.claim(second, lease=lease, now=now)
    assert claim is not None and claim.event.id == second  # not the longest due: the one asked
    assert (claim.event.attempts, claim.event.status, claim.lease_until) == (
        1,
        EventStatus.RECEIVED,
        now + lease,
    )
    assert claim.event.next_attempt_at == now + lease
    assert store.claim(second, lease=lease, now=now) is None  # held by the first claim
    assert store.due(limit=10, now=now) == [first]  # a held claim is not due
    assert store.mark_processed(claim)
    far = now + timedelta(days=1)
    assert store.claim(second, lease=lease, now=far) is None  # settled: never again
    assert store.due(limit=10, now=far) == [first, later]
    assert store.due(limit=1, now=far) == [first]
    assert store.get(first) is not None and store.get(first).attempts == 0  # type: ignore[union-attr]


def test_a_retry_is_claimed_by_id_when_due_and_a_dead_event_never(store: EventStore) -> None:
    now = datetime.now(UTC)
    lease = timedelta(seconds=30)
    (event_id,) = _queue(store, 1, now)
    claim = store.claim(event_id, lease=lease, now=now)
    assert claim is not None
    retry_at = now + timedelta(seconds=4)
    assert store.schedule_retry(claim, error="boom", at=retry_at)
    assert store.due(limit=5, now=now) == []
    assert store.claim(event_id, lease=lease, now=retry_at - timedelta(seconds=1)) is None
    assert store.due(limit=5, now=retry_at) == [event_id]
    again = store.claim(event_id, lease=lease, now=retry_at)
    assert again is not None and (again.event.attempts, again.event.error) == (2, "boom")
    assert store.mark_dead(again, error="gave up")
    assert store.claim(event_id, lease=lease, now=now + timedelta(days=1)) is None
    assert store.due(limit=5, now=now + timedelta(days=1)) == []


def test_concurrent_claims_of_one_event_by_id_give_it_to_one(store: EventStore) -> None:
    now = datetime.now(UTC)
    queued = _queue(store, 20, now - timedelta(seconds=1))
    won: list[int] = []
    lock = threading.Lock()

    def claim_each() -> None:
        for event_id in queued:
            claim = store.claim(event_id, lease=timedelta(minutes=1))
            if claim is not None:
                with lock:
                    won.append(claim.event.id)

    threads = [threading.Thread(target=claim_each) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == queued  # each exactly once, whoever got it


def test_a_group_with_copies_from_before_and_within_the_dedupe_window(store: EventStore) -> None:
    now = datetime.now(UTC)
    old = new_event(b'{"old":1}', received_at=now - timedelta(hours=1), chat_id=1)
    recent = new_event(b'{"recent":1}', received_at=now - timedelta(seconds=5), chat_id=2)
    old_id, recent_id = store.write_batch([old, recent], ())
    since = now - timedelta(minutes=10)

    def again(event: NewEvent, chat_id: int) -> NewEvent:
        return NewEvent(
            now, None, event.body, event.dedupe_key, "chat_finished", chat_id,
            EventStatus.RECEIVED, dedupe_since=since,
        )  # fmt: skip

    fresh = new_event(b'{"fresh":1}', chat_id=3)
    ids = store.write_batch([again(old, 11), fresh, again(recent, 12)], ())
    assert ids[2] is None  # within the window: a duplicate
    assert ids[0] is not None and ids[0] != old_id  # before it: a new event
    assert ids[1] is not None
    latest = store.get_by_dedupe_key(old.dedupe_key)
    assert latest is not None and (latest.id, latest.chat_id) == (ids[0], 11)
    first = store.get(old_id or 0)
    assert first is not None and first.chat_id == 1  # the old row is kept, re-keyed
    latest_recent = store.get_by_dedupe_key(recent.dedupe_key)
    assert latest_recent is not None and latest_recent.id == recent_id
    assert store.count() == 4  # old (re-keyed), recent, its later copy, fresh
