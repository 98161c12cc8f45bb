"""``jivo-widget events migrate``: creates a store's schema or upgrades it, on SQLite and on
PostgreSQL, through the real script."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from webhooks.test_store_sqlite import _first_release_file

from jivo_widget.webhooks.store import open_store
from jivo_widget.webhooks.store._sqlite_schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from conftest import JivoCli
    from webhooks.postgres_server import PostgresServer


def test_migrate_upgrades_a_first_release_sqlite_file_then_has_nothing_to_do(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    path = tmp_path / "events.db"
    _first_release_file(path)
    url = f"sqlite:///{path}"
    first = jivo_cli.run("events", "migrate", "--store", url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"schema version {SCHEMA_VERSION} (migrated from version 1)" in first.stdout
    again = jivo_cli.run("events", "migrate", "--store", url, cwd=tmp_path)
    assert f"schema version {SCHEMA_VERSION} (already current)" in again.stdout
    listed = jivo_cli.run("events", "list", "--store", url, cwd=tmp_path)
    assert listed.returncode == 0 and "chat_finished" in listed.stdout
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM jivo_events").fetchone() == (2,)
    conn.close()


def test_migrate_creates_the_schema_in_an_empty_postgresql_database(
    postgres: PostgresServer, tmp_path: Path, jivo_cli: JivoCli
) -> None:
    url = postgres.create_database()
    result = jivo_cli.run("events", "migrate", "--store", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"schema version {SCHEMA_VERSION} (created)" in result.stdout
    store = open_store(url, read_only=True)
    assert store.count() == 0
    store.close()


def test_migrate_reports_an_unreachable_server_in_one_line(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run(
        "events", "migrate", "--store", "postgresql://u:secret@127.0.0.1:9/db", cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot open the event store postgresql://u:***@")
    assert "secret" not in result.stderr and "Traceback" not in result.stderr
