"""The Django project the webhook tests run in this process (the Django adapter's servers, the
Django store, its admin).

Django's settings are configured once per process: :func:`configure` does it the first time
any test needs Django, with everything every such test needs (the admin's apps, the
``jivo_widget.integrations.django`` app, CSRF protection on as in any real project, a default
database in an SQLite file); a test changes the rest with ``override_settings`` (its URLs, its
middleware, ``JIVO_WEBHOOK_STORE``). A PostgreSQL database joins as another ``DATABASES`` entry
once the test server runs (:func:`add_postgres_database`): the server starts only when a test
asks for it, and ``override_settings`` cannot change ``DATABASES``.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

__all__ = [
    "POSTGRES_ALIAS",
    "add_database",
    "add_postgres_database",
    "alias_of",
    "configure",
    "empty",
    "migrate",
    "postgres_entry",
    "run",
    "urlpatterns",
]

T = TypeVar("T")

#: The alias of the PostgreSQL database, once added.
POSTGRES_ALIAS = "postgresql"

#: The project's URLs until a test overrides ``ROOT_URLCONF``: none.
urlpatterns: list[object] = []

_lock = threading.Lock()
_migrate_lock = threading.Lock()
_migrated: set[str] = set()


def configure() -> None:
    """Configure Django's settings and set up its apps, once per process."""
    import django
    from django.conf import settings

    with _lock:
        if settings.configured:
            return
        directory = Path(tempfile.mkdtemp(prefix="jivo-django-project-"))
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["127.0.0.1", "testserver"],
            SECRET_KEY="test-only",
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[
                "django.contrib.admin",
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.sessions",
                "django.contrib.messages",
                "jivo_widget.integrations.django",
            ],
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(directory / "site.sqlite3"),
                }
            },
            TEMPLATES=[
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True,
                    "OPTIONS": {
                        "context_processors": [
                            "django.template.context_processors.request",
                            "django.contrib.auth.context_processors.auth",
                            "django.contrib.messages.context_processors.messages",
                        ]
                    },
                }
            ],
            USE_TZ=True,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        )
        django.setup()


def add_database(alias: str, entry: dict[str, str]) -> str:
    """Add ``DATABASES[alias]`` (once); the alias."""
    from django.conf import settings
    from django.db import connections

    configure()
    with _lock:
        if alias not in settings.DATABASES:
            settings.DATABASES[alias] = dict(entry)
            # connections.settings is this same dict: fill in the entry's defaults as Django
            # does for the configured ones.
            connections.configure_settings(settings.DATABASES)
    return alias


def postgres_entry(url: str) -> dict[str, str]:
    """The ``DATABASES`` entry of the PostgreSQL database at ``url``."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def add_postgres_database(url: str) -> str:
    """Add the PostgreSQL database at ``url`` as :data:`POSTGRES_ALIAS` (once); the alias."""
    return add_database(POSTGRES_ALIAS, postgres_entry(url))


def migrate(alias: str = "default") -> None:
    """Apply every app's migrations to ``alias`` (once per process)."""
    from django.core.management import call_command

    configure()
    with _migrate_lock:
        if alias not in _migrated:
            run(lambda: call_command("migrate", database=alias, verbosity=0, skip_checks=True))
            _migrated.add(alias)


_orm_thread: ThreadPoolExecutor | None = None


def run(call: Callable[[], T]) -> T:
    """``call()`` on the project's own thread, where a test uses the ORM or the test client.

    Not in the test's thread: once a browser test has run in this process, Playwright's sync
    API leaves an event loop running there, and Django refuses the ORM in a thread running one.
    One thread for the whole process.
    """
    global _orm_thread
    with _lock:
        if _orm_thread is None:
            _orm_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-project")
    return _orm_thread.submit(_fresh, call).result()


def _fresh(call: Callable[[], T]) -> T:
    from django.db import connections

    # As Django does between requests: a connection a test broke (a terminated PostgreSQL
    # backend) is not reused.
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    return call()


def alias_of(url: str) -> str:
    """The database alias of a ``django://ALIAS`` store URL."""
    return url.removeprefix("django://") or "default"


def empty(url: str) -> None:
    """Delete every stored event of the Django store at ``url``."""
    from jivo_widget.integrations.django.models import WebhookEvent

    run(lambda: WebhookEvent.objects.using(alias_of(url)).all().delete())
