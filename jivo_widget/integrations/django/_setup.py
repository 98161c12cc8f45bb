"""What the Django store needs of Django before its first query: the app registry ready (set
up here when only ``DJANGO_SETTINGS_MODULE`` names the project) and the app's migrations
applied on the store's database (checked, never applied: the schema is Django's).
"""

from __future__ import annotations

import os

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from jivo_widget.errors import JivoConfigError, StoreUnavailable

__all__ = ["APP_LABEL", "APP_NAME", "check_migrated", "django_ready"]

#: The app holding the tables (``jivo_widget.integrations.django``'s label).
APP_LABEL = "jivo_widget"
APP_NAME = "jivo_widget.integrations.django"


def django_ready() -> None:
    """Django's app registry, set up now if a settings module is named but nobody set it up
    (``jivo-widget events ... --store django`` with ``DJANGO_SETTINGS_MODULE``)."""
    if apps.ready:
        return
    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise JivoConfigError(
            "the django event store needs your Django project: run `python manage.py "
            "jivo_events ...`, or set DJANGO_SETTINGS_MODULE"
        )
    import django

    try:
        django.setup()
    except (ImportError, ImproperlyConfigured) as exc:
        raise JivoConfigError(f"the django event store cannot set up Django: {exc}") from None


def check_migrated(alias: str, url: str) -> tuple[int, int]:
    """The app's migrations applied on database ``alias``: ``(n, n)``, n their number; else
    :class:`StoreUnavailable` naming the ``migrate`` command to run."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
    ours = sorted(name for app, name in loader.graph.nodes if app == APP_LABEL)
    missing = [name for name in ours if (APP_LABEL, name) not in loader.applied_migrations]
    if missing:
        database = "" if alias == "default" else f" --database {alias}"
        raise StoreUnavailable(
            f"the event store {url} is not migrated ({', '.join(missing)} not applied): "
            f"run `python manage.py migrate {APP_LABEL}{database}`"
        )
    return len(ours), len(ours)
