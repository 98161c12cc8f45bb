"""What only the Django store does (its contract runs in ``test_store.py``): URLs naming a
``DATABASES`` entry, a schema that is Django's (migrations shipped, checked on open), commits that
do not wait for a caller's transaction, calls from an event loop's thread, a lost PostgreSQL
connection answered with 503 then replaced, connections closed with the store.

Everything runs in this process's Django project (:mod:`webhooks.django_project`); the ORM is
used on its thread (``django_project.run``).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jivo_widget.errors import JivoConfigError, StoreUnavailable
from jivo_widget.webhooks.store import (
    EventStatus,
    EventStore,
    NewEvent,
    dedupe_key,
    open_store,
    resolve_store_url,
)
from webhooks import django_project
from webhooks.postgres_server import PostgresServer

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync


def new_event(n: int = 1, **fields: object) -> NewEvent:
    body = b'{"event_name":"chat_finished","chat_id":%d}' % n
    values: dict[str, object] = {
        "received_at": datetime.now(UTC),
        "remote_addr": "203.0.113.9",
        "body": body,
        "dedupe_key": dedupe_key(body),
        "event_name": "chat_finished",
        "chat_id": n,
        "status": EventStatus.RECEIVED,
    }
    values.update(fields)
    return NewEvent(**values)  # type: ignore[arg-type]


@pytest.fixture
def django_store(django_sqlite: str) -> Iterator[EventStore]:
    """A fresh Django store in the project's default database (SQLite)."""
    django_project.empty(django_sqlite)
    store = open_store(django_sqlite)
    yield store
    store.close()


def test_store_urls_name_a_database_alias() -> None:
    assert resolve_store_url("django") == "django://default"
    assert resolve_store_url("django://default") == "django://default"
    assert resolve_store_url("django://events_db") == "django://events_db"
    for bad in ("django://bad-alias", "django://default/x", "django://default?x=1", "django:x"):
        with pytest.raises(JivoConfigError, match=r"django://ALIAS \(an entry of DATABASES\)"):
            resolve_store_url(bad)


def test_an_unknown_alias_is_a_config_error_naming_the_databases(django_sqlite: str) -> None:
    with pytest.raises(JivoConfigError, match=r"no database 'replica' in DATABASES \(it has "):
        open_store("django://replica")


def test_a_database_without_the_migrations_is_refused_with_the_command_to_run(
    tmp_path: Path,
) -> None:
    alias = django_project.add_database(
        "unmigrated", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "u.db")}
    )
    with pytest.raises(StoreUnavailable) as info:
        open_store(f"django://{alias}")
    assert "is not migrated (0001_initial not applied)" in str(info.value)
    assert "run `python manage.py migrate jivo_widget --database unmigrated`" in str(info.value)


def test_the_shipped_migrations_match_the_models(django_sqlite: str) -> None:
    from django.core.management import call_command

    output = io.StringIO()
    # --check exits 1 when a model change has no migration; --dry-run writes nothing.
    django_project.run(
        lambda: call_command(
            "makemigrations", "jivo_widget", check=True, dry_run=True, stdout=output
        )
    )
    assert "No changes detected" in output.getvalue()


def test_opening_reports_the_schema_version_of_the_migrations(django_store: EventStore) -> None:
    assert django_store.migrated == (1, 1)
    assert django_store.url == "django://default"


def test_a_write_commits_even_inside_a_callers_transaction_that_rolls_back(
    django_store: EventStore,
) -> None:
    from django.db import transaction

    class RolledBack(Exception):
        pass

    def inside_a_transaction() -> int | None:
        # A view under ATOMIC_REQUESTS, or a site's own transaction.atomic(), that then fails.
        try:
            with transaction.atomic():
                event_id = django_store.add(new_event())
                raise RolledBack
        except RolledBack:
            return event_id

    event_id = django_project.run(inside_a_transaction)
    assert event_id is not None
    stored = django_store.get(event_id)
    assert stored is not None and stored.chat_id == 1


def test_calls_from_a_thread_running_an_event_loop_work(
    django_store: EventStore, run_async: RunAsync
) -> None:
    # The receiver calls the store on its event loop; Django refuses the ORM in such a thread.
    async def on_the_loop() -> tuple[int | None, int]:
        event_id = django_store.add(new_event())
        found = django_store.get_by_dedupe_key(new_event().dedupe_key)
        assert found is not None
        return event_id, django_store.count()

    event_id, count = run_async(on_the_loop())
    assert event_id is not None and count == 1


def test_a_read_only_store_reads_and_refuses_writes(django_store: EventStore) -> None:
    event_id = django_store.add(new_event())
    reader = open_store("django", read_only=True)
    try:
        assert [e.id for e in reader.list()] == [event_id]
        reader.ping()
        with pytest.raises(StoreUnavailable, match="it is opened read-only"):
            reader.add(new_event(2))
        with pytest.raises(StoreUnavailable, match="read-only"):
            reader.purge(timedelta(0))
    finally:
        reader.close()
    assert django_store.count() == 1


def test_ping_commits_a_write_and_a_closed_store_refuses_calls(django_sqlite: str) -> None:
    from jivo_widget.integrations.django.models import WebhookStoreProbe

    store = open_store(django_sqlite)
    before = datetime.now(UTC)
    store.ping()
    probe = django_project.run(lambda: WebhookStoreProbe.objects.get(id=1))
    assert probe.probed_at >= before
    store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        store.count()


def test_times_round_trip_without_use_tz(django_sqlite: str) -> None:
    from django.test.utils import override_settings

    moment = datetime(2026, 3, 1, 23, 30, 0, 250000, tzinfo=UTC)
    with override_settings(USE_TZ=False, TIME_ZONE="Europe/Moscow"):
        django_project.empty(django_sqlite)
        store = open_store(django_sqlite)  # new threads: connections made under these settings
        try:
            event_id = store.add(new_event(received_at=moment, next_attempt_at=moment))
            assert event_id is not None
            stored = store.get(event_id)
            assert stored is not None
            assert stored.received_at == moment and stored.received_at.tzinfo is UTC
            assert stored.next_attempt_at == moment
            assert [e.id for e in store.list(since=moment, until=moment + timedelta(1))] == [
                event_id
            ]
            assert [c.event.id for c in store.claim_due(limit=5, lease=timedelta(1), now=moment)]
        finally:
            store.close()


def _backends(server: PostgresServer, database: str) -> int:
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_lost_postgresql_connection_is_one_503_then_a_new_connection(
    django_postgresql: str, postgres: PostgresServer
) -> None:
    from django.conf import settings

    database = settings.DATABASES[django_project.alias_of(django_postgresql)]["NAME"]
    django_project.empty(django_postgresql)
    store = open_store(django_postgresql, read_only=False)
    try:
        assert store.add(new_event()) is not None
        postgres.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        with pytest.raises(StoreUnavailable, match="cannot read the event store django://"):
            store.count()
        assert store.count() == 1  # the broken connection was replaced
        assert store.add(new_event(2)) is not None
    finally:
        store.close()


def test_closing_the_store_closes_its_connections(
    django_postgresql: str, postgres: PostgresServer
) -> None:
    import threading

    from django.conf import settings

    database = settings.DATABASES[django_project.alias_of(django_postgresql)]["NAME"]
    django_project.run(lambda: None)
    others = _backends(postgres, database)
    store = open_store(django_postgresql)
    # Several threads at once: the store opens more than one connection.
    threads = [threading.Thread(target=store.count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _backends(postgres, database) > others
    store.close()
    deadline = time.monotonic() + 10
    # A backend leaves pg_stat_activity a moment after its client closed the connection.
    while _backends(postgres, database) != others:
        assert time.monotonic() < deadline, "the store's connections are still open"
        time.sleep(0.05)


def test_the_worker_retries_queued_events_then_marks_them_dead(django_sqlite: str) -> None:
    from jivo_widget.webhooks import WebhookApp, samples
    from jivo_widget.webhooks.worker import RetryPolicy

    django_project.empty(django_sqlite)
    policy = RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.05, poll_interval=0.05)
    hooks = WebhookApp(secret="S", store=django_sqlite, processing="worker", retry=policy)
    runs: dict[int, int] = {}

    @hooks.on("chat_finished")
    def archive(event: Any) -> None:
        runs[event.chat_id] = runs.get(event.chat_id, 0) + 1
        if event.chat_id == 2 or runs[event.chat_id] == 1:
            raise RuntimeError(f"archive down for {event.chat_id}")

    receiver = hooks.receiver
    try:
        for chat_id in (1, 2):
            body = json.dumps({**samples.load("chat_finished"), "chat_id": chat_id}).encode()
            reply = receiver.handle_blocking("POST", "S", body, None)
            assert reply.status == 200  # acknowledged once stored, queued for the worker
        deadline = time.monotonic() + 20
        while {e.status for e in hooks.store.list()} != {EventStatus.PROCESSED, EventStatus.DEAD}:
            assert time.monotonic() < deadline, [e.summary() for e in hooks.store.list()]
            time.sleep(0.05)
    finally:
        receiver.close()
    done, dead = sorted(hooks.store.list(), key=lambda e: e.chat_id or 0)
    assert (done.status, done.attempts, done.error, done.next_attempt_at) == (
        EventStatus.PROCESSED,
        2,
        None,
        None,
    )
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (EventStatus.DEAD, 2, None)
    assert dead.error is not None and "archive down for 2" in dead.error
    assert runs == {1: 2, 2: 2}
    hooks.store.close()
