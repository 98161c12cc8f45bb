"""The webhook receiver's Django settings: which store Django serves, which app it replays with.

- ``JIVO_WEBHOOK_STORE``: a store URL — ``"django"`` keeps the events in the site's own database
  (``"django://ALIAS"``: ``DATABASES[ALIAS]``), as :class:`~.models.WebhookEvent` rows. Like the
  environment variable of the same name for the command line, it stands in for the store of
  every :class:`~jivo_widget.webhooks.WebhookApp` Django runs: the one
  :func:`~jivo_widget.webhooks.django.webhook_view` serves, the admin's, ``manage.py
  jivo_events``'. Unset: a view serves its app's own store.
- ``JIVO_WEBHOOK_APP``: the site's :class:`~jivo_widget.webhooks.WebhookApp`, as a dotted path
  (``"myshop.hooks.hooks"``) or ``"myshop.hooks:hooks"``: the handlers the admin's "Replay"
  action and ``manage.py jivo_events replay`` run.

Both are read when first needed and again after a test overrides them.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from django.conf import settings

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.app import WebhookApp
from jivo_widget.webhooks.store import DEFAULT_STORE_URL, resolve_store_url

__all__ = [
    "APP_SETTING",
    "SETTINGS",
    "STORE_SETTING",
    "app_reference",
    "reset",
    "serving",
    "store_url",
    "uses_django_store",
    "webhook_app",
]

STORE_SETTING = "JIVO_WEBHOOK_STORE"
APP_SETTING = "JIVO_WEBHOOK_APP"
SETTINGS = (STORE_SETTING, APP_SETTING)


def store_url() -> str | None:
    """``JIVO_WEBHOOK_STORE`` checked (a relative SQLite path made absolute), or ``None``."""
    value: Any = getattr(settings, STORE_SETTING, None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise JivoConfigError(
            f'{STORE_SETTING}: must be a store URL such as "django", got {type(value).__name__}'
        )
    try:
        return resolve_store_url(value)
    except JivoConfigError as exc:
        raise JivoConfigError(f"{STORE_SETTING}: {exc}") from None


def uses_django_store() -> bool:
    """Whether ``JIVO_WEBHOOK_STORE`` names a Django store (what the admin shows)."""
    try:
        url = store_url()
    except JivoConfigError:
        return False
    return url is not None and url.startswith("django://")


def serving(hooks: WebhookApp) -> WebhookApp:
    """``hooks`` over ``JIVO_WEBHOOK_STORE`` (a copy with the same handlers), or ``hooks`` when
    the setting is unset or names its store already.

    An app built with a store of its own that the setting contradicts is an error naming both:
    the events would go where neither the admin nor ``hooks.store`` looks.
    """
    url = store_url()
    if url is None or url == hooks.store_url:
        return hooks
    if hooks.store_url != resolve_store_url(DEFAULT_STORE_URL):
        raise JivoConfigError(
            f"{STORE_SETTING} = {url!r}, but the WebhookApp stores in {hooks.store_url}: pass "
            f"store={url!r} to WebhookApp, or none (the setting then decides)"
        )
    return hooks.configured(store=url)


def app_reference() -> str | None:
    """``JIVO_WEBHOOK_APP`` as ``module:attr`` (what ``jivo-widget --app`` takes), or ``None``."""
    value: Any = getattr(settings, APP_SETTING, None)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip(". :"):
        raise JivoConfigError(
            f'{APP_SETTING}: must be the dotted path of your WebhookApp, e.g. "myshop.hooks.hooks"'
        )
    if ":" in value:
        return value
    module, _, attribute = value.rpartition(".")
    if not module:
        raise JivoConfigError(f"{APP_SETTING}: {value!r} names no module (e.g. myshop.hooks.hooks)")
    return f"{module}:{attribute}"


@functools.cache
def webhook_app() -> WebhookApp:
    """The app ``JIVO_WEBHOOK_APP`` names, over ``JIVO_WEBHOOK_STORE`` (see :func:`serving`);
    one copy per settings, so its store is opened once."""
    reference = app_reference()
    if reference is None:
        raise JivoConfigError(
            f"{APP_SETTING} is not set: name your WebhookApp, e.g. "
            f'{APP_SETTING} = "myshop.hooks.hooks", to replay events with its handlers'
        )
    module_name, _, attributes = reference.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for attribute in attributes.split("."):
            target = getattr(target, attribute)
    except (ImportError, AttributeError) as exc:
        raise JivoConfigError(f"{APP_SETTING}: cannot import {reference!r} ({exc})") from None
    if not isinstance(target, WebhookApp):
        raise JivoConfigError(
            f"{APP_SETTING}: {reference!r} is a {type(target).__name__}, not a WebhookApp"
        )
    return serving(target)


def reset() -> None:
    """Forget the app (settings changed)."""
    webhook_app.cache_clear()
