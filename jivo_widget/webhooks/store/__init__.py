"""Event stores: where deliveries are committed before they are acknowledged.

>>> store = open_store("sqlite:///:memory:")
>>> store.count()
0
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.store.base import (
    Claim,
    EventOutcome,
    EventStatus,
    EventStore,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    dedupe_key,
)
from jivo_widget.webhooks.store.sqlite import SqliteStore

__all__ = [
    "DEFAULT_STORE_URL",
    "DURABILITIES",
    "Claim",
    "Durability",
    "EventOutcome",
    "EventStatus",
    "EventStore",
    "NewEvent",
    "SqliteStore",
    "StoreUnavailable",
    "StoredEvent",
    "dedupe_key",
    "open_store",
    "resolve_store_url",
]


#: The store a :class:`~jivo_widget.webhooks.WebhookApp` and ``jivo-widget serve`` use when given
#: none: a file in the working directory.
DEFAULT_STORE_URL = "sqlite:///jivo-events.db"


#: What a commit survives (see :func:`open_store`).
Durability = Literal["process", "fsync"]
DURABILITIES: tuple[Durability, ...] = ("process", "fsync")


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgresql", "postgres")


#: What a Django database alias may look like (a Python identifier, as DATABASES keys are).
_DJANGO_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _django_alias(url: str) -> str | None:
    """The database alias of a Django store URL (``django``: ``default``; ``django://ALIAS``),
    ``None`` for a URL of another kind; :class:`JivoConfigError` for a malformed one."""
    if url == "django":
        return "default"
    parts = urlsplit(url)
    if parts.scheme != "django":
        return None
    alias = parts.netloc or "default"
    if (
        parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or not _DJANGO_ALIAS.fullmatch(alias)
    ):
        raise JivoConfigError(
            f"store URL {url!r}: a Django store is django (the default database) or "
            "django://ALIAS (an entry of DATABASES)"
        )
    return alias


def _sqlite_path(url: str) -> str:
    """The file path of an SQLite store URL; :class:`JivoConfigError` for any other URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if parts.netloc:
            raise JivoConfigError(
                f"store URL {url!r}: an SQLite URL has three slashes before a relative path "
                "(sqlite:///events.db) and four before an absolute one (sqlite:////var/events.db)"
            )
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise JivoConfigError(f"store URL {url!r} names no file (e.g. sqlite:///events.db)")
        return path
    raise JivoConfigError(
        f"store URL {url.rpartition('@')[2]!r}: expected sqlite:///PATH, "
        "postgresql://USER:PASSWORD@HOST:PORT/DATABASE or django[://ALIAS]"
    )


def resolve_store_url(url: str) -> str:
    """``url`` checked, with a relative SQLite path made absolute against the working directory
    now; nothing is opened or created.

    For a store opened later (:class:`~jivo_widget.webhooks.WebhookApp` opens its store on
    first use): the file is where the URL pointed when it was given, even if the process
    changes directory in between. Raises :class:`JivoConfigError` for a URL of another kind.

    >>> resolve_store_url("sqlite:///:memory:")
    'sqlite:///:memory:'
    """
    if _is_postgres(url):
        return url
    alias = _django_alias(url)
    if alias is not None:
        return f"django://{alias}"
    path = _sqlite_path(url)
    if path == ":memory:" or os.path.isabs(path):
        return url
    return f"sqlite:///{Path(path).absolute()}"


def open_store(
    url: str, *, read_only: bool = False, durability: Durability = "process"
) -> EventStore:
    """Open the store at ``url``, migrating its schema to this release's (unless read-only).

    ``sqlite:///jivo-events.db`` is a path relative to the working directory,
    ``sqlite:////var/lib/jivo/events.db`` an absolute one, ``sqlite:///:memory:`` a throwaway
    in-memory store (one database for every thread using this store object);
    ``postgresql://user:password@host:5432/dbname`` a PostgreSQL database (the ``postgres``
    extra; several receivers may share it); ``django`` (``django://ALIAS``) the Django project's
    default database (or ``DATABASES[ALIAS]``), in the ``jivo_widget.integrations.django`` app's
    model (the ``django`` extra; see :mod:`jivo_widget.integrations.django.store`). Raises
    :class:`JivoConfigError` for a URL of another kind and :class:`StoreUnavailable` when the
    store cannot be opened for writing (with ``read_only=True``: for reading; nothing is created
    or written, no write lock taken).

    ``durability``: what an acknowledged event survives. ``"process"`` (the default): a crash
    of the receiver process (``kill -9``, OOM) — SQLite commits into its WAL without ``fsync``
    (``synchronous=NORMAL``), PostgreSQL with ``synchronous_commit=off`` (its server holds the
    commit; a crash of PostgreSQL itself may lose the last fraction of a second); a power
    loss or kernel crash may lose the last commits. ``"fsync"``: that too — every commit is
    flushed to disk before the 200 (SQLite ``synchronous=FULL``, PostgreSQL
    ``synchronous_commit=on``), at a cost in throughput (see benchmarks/RESULTS.md). A Django
    store keeps the durability its database is configured for.
    """
    if durability not in DURABILITIES:
        raise JivoConfigError(
            f"durability {durability!r}: expected one of {', '.join(map(repr, DURABILITIES))}"
        )
    if _is_postgres(url):
        try:
            from jivo_widget.webhooks.store.postgres import PostgresStore
        except ImportError:
            raise JivoConfigError(
                "the PostgreSQL store needs the postgres extra: pip install 'jivo-widget[postgres]'"
            ) from None
        return PostgresStore(url, read_only=read_only, durability=durability)
    alias = _django_alias(url)
    if alias is not None:
        try:
            from jivo_widget.integrations.django.store import DjangoStore
        except ImportError:
            raise JivoConfigError(
                "the django store needs the django extra: pip install 'jivo-widget[django]'"
            ) from None
        return DjangoStore(alias, read_only=read_only)
    return SqliteStore(_sqlite_path(url), read_only=read_only, durability=durability)
