"""Event stores: where deliveries are committed before they are acknowledged.

>>> store = open_store("sqlite:///:memory:")
>>> store.count()
0
"""

from __future__ import annotations

import os
from pathlib import Path
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
    "Claim",
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
    if parts.scheme in ("postgresql", "postgres"):
        raise JivoConfigError(
            f"store URL {url.split('@')[-1]!r}: the PostgreSQL store is not available yet; "
            "use sqlite:///PATH"
        )
    raise JivoConfigError(f"store URL {url!r}: expected sqlite:///PATH")


def resolve_store_url(url: str) -> str:
    """``url`` checked, with a relative SQLite path made absolute against the working directory
    now; nothing is opened or created.

    For a store opened later (:class:`~jivo_widget.webhooks.WebhookApp` opens its store on
    first use): the file is where the URL pointed when it was given, even if the process
    changes directory in between. Raises :class:`JivoConfigError` for a URL of another kind.

    >>> resolve_store_url("sqlite:///:memory:")
    'sqlite:///:memory:'
    """
    path = _sqlite_path(url)
    if path == ":memory:" or os.path.isabs(path):
        return url
    return f"sqlite:///{Path(path).absolute()}"


def open_store(url: str, *, read_only: bool = False) -> EventStore:
    """Open the store at ``url``.

    ``sqlite:///jivo-events.db`` is a path relative to the working directory,
    ``sqlite:////var/lib/jivo/events.db`` an absolute one, ``sqlite:///:memory:`` a throwaway
    in-memory store (one database for every thread using this store object). Raises
    :class:`JivoConfigError` for a URL of another kind and :class:`StoreUnavailable` when the
    store cannot be opened for writing (with ``read_only=True``: for reading; nothing is
    created or written, no write lock taken).
    """
    return SqliteStore(_sqlite_path(url), read_only=read_only)
