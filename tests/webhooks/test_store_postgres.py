"""What only the PostgreSQL store does: a server that is unreachable or drops connections
(503, never a driver exception), durability settings per connection, schema migration of a
database made by an earlier schema, read-only opening. The contract every store keeps is in
``test_store.py``; several receivers on one database in ``test_receivers.py``."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.store import StoreUnavailable, open_store
from jivo_widget.webhooks.store._postgres_schema import MIGRATIONS, SCHEMA_VERSION
from jivo_widget.webhooks.store.postgres import PostgresStore
from webhooks.conftest import Servers
from webhooks.postgres_server import PostgresServer
from webhooks.test_store import new_event


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    yield opened
    opened.close()


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"postgresql://jivo:hunter2@127.0.0.1:{sock.getsockname()[1]}/events"
        with pytest.raises(StoreUnavailable, match=r"cannot open the event store") as info:
            PostgresStore(url, timeout=1)
    assert "hunter2" not in str(info.value)
    assert "jivo:***@127.0.0.1" in str(info.value)


def test_dropped_connections_get_503_then_the_store_recovers(
    postgres: PostgresServer, postgres_url: str, servers: Servers
) -> None:
    hooks = WebhookApp(secret="S", store=postgres_url)
    base = servers.asgi(hooks.asgi())
    url = f"{base}/jivo/webhook/S"
    assert httpx.post(url, content=samples.load_bytes("chat_finished")).status_code == 200
    # Every connection of the database killed, as a server restart or failover would.
    database = postgres_url.rsplit("/", 1)[1]
    postgres.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )
    answers = [
        httpx.post(url, content=samples.load_bytes("offline_message")).status_code for _ in range(6)
    ]
    assert set(answers) <= {200, 503} and answers[-1] == 200, answers
    assert 503 in answers  # the broken pooled connection was reported, not hidden
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert hooks.store.count() == 2  # the 503s stored nothing; the later 200 did
    hooks.store.close()


@pytest.mark.parametrize(("durability", "setting"), [("process", "off"), ("fsync", "on")])
def test_durability_sets_synchronous_commit(
    postgres_url: str, durability: str, setting: str
) -> None:
    store = open_store(postgres_url, durability=durability)  # type: ignore[arg-type]
    assert isinstance(store, PostgresStore)
    with store._pool.connection() as conn:
        row = conn.execute("SHOW synchronous_commit").fetchone()
    assert row == (setting,)
    store.close()


def test_a_database_at_schema_version_1_is_migrated_in_place(
    postgres: PostgresServer, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                conn.execute(statement)  # type: ignore[call-overload]
        conn.execute(
            "INSERT INTO jivo_events (received_at, body, dedupe_key, status, attempts) "
            "VALUES (now(), '\\x7b7d', '\\x00', 'failed', 1)"
        )
    with pytest.raises(StoreUnavailable, match=r"schema version 1, .*events migrate"):
        PostgresStore(postgres_url, read_only=True)
    code = (
        "import sys; from jivo_widget.webhooks.store.postgres import PostgresStore; "
        "s = PostgresStore(sys.argv[1]); print(s.migrated[0]); s.close()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, postgres_url], stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    befores = sorted(int(p.communicate(timeout=60)[0]) for p in procs)
    assert befores == [1, SCHEMA_VERSION, SCHEMA_VERSION]  # one of them migrated
    store = PostgresStore(postgres_url, read_only=True)
    (old,) = store.list()
    assert (old.status.value, old.attempts, old.next_attempt_at) == ("failed", 1, None)
    with pytest.raises(StoreUnavailable, match="read-only transaction"):
        store.add(new_event())
    store.close()


def test_a_new_database_starts_at_the_current_version(store: PostgresStore) -> None:
    assert store.migrated == (0, SCHEMA_VERSION)
    assert store.url.startswith("postgresql://jivo@127.0.0.1:")
