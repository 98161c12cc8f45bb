"""System checks (``manage.py check``, and every ``runserver`` start).

- ``jivo_widget.E001``: ``JIVO_WIDGET`` is missing (unless the app is installed for the webhook
  store only: ``JIVO_WEBHOOK_STORE`` is set).
- ``jivo_widget.E002``: ``JIVO_WIDGET`` is invalid (the message names the field and the rule, or
  the config file and why it cannot be read).
- ``jivo_widget.E003``: ``JIVO_WIDGET_IDENTITY`` cannot be imported or is not callable.
- ``jivo_widget.E004``: ``JIVO_WEBHOOK_STORE`` is not a store URL.
- ``jivo_widget.E005``: ``JIVO_WEBHOOK_APP`` cannot be imported or is not a WebhookApp.
- ``jivo_widget.W001``: a jivo-widget middleware comes before Django's
  ``AuthenticationMiddleware``, so it cannot see ``request.user``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from jivo_widget.errors import JivoConfigError
from jivo_widget.integrations.django import conf, webhook_settings

__all__ = ["check_middleware_order", "check_settings", "check_webhook_settings", "register"]

_AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
_OURS = "jivo_widget.integrations.django.middleware."


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E001, E002, E003 (see the module docstring)."""
    errors: list[checks.CheckMessage] = []
    if not hasattr(settings, conf.SETTING):
        # Installed for the webhook store alone: no widget to render, nothing to configure.
        if getattr(settings, webhook_settings.STORE_SETTING, None) is None:
            errors.append(
                checks.Error(
                    f"{conf.SETTING} is not set.",
                    hint=f'Add {conf.SETTING} = {{"widget_id": "…"}} (or {{"config": '
                    '"jivo.toml"}) to your settings.',
                    id="jivo_widget.E001",
                )
            )
    else:
        conf.widget.cache_clear()  # check what the settings say now
        try:
            conf.widget()
        except JivoConfigError as exc:
            errors.append(
                checks.Error(
                    str(exc),
                    hint="Fix the field named above; the README lists every Widget field.",
                    id="jivo_widget.E002",
                )
            )
    conf.identity_resolver.cache_clear()
    try:
        conf.identity_resolver()
    except JivoConfigError as exc:
        errors.append(
            checks.Error(
                str(exc),
                hint="Name a function request -> dict of render() arguments.",
                id="jivo_widget.E003",
            )
        )
    return errors


def check_webhook_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E004, E005 (see the module docstring)."""
    errors: list[checks.CheckMessage] = []
    try:
        webhook_settings.store_url()
    except JivoConfigError as exc:
        errors.append(
            checks.Error(
                str(exc),
                hint='Use "django" (this site\'s database), "django://ALIAS", '
                '"sqlite:///PATH" or "postgresql://USER:PASSWORD@HOST/DB".',
                id="jivo_widget.E004",
            )
        )
    if getattr(settings, webhook_settings.APP_SETTING, None) is not None:
        webhook_settings.reset()  # check what the settings say now
        try:
            webhook_settings.webhook_app()
        except JivoConfigError as exc:
            errors.append(
                checks.Error(
                    str(exc),
                    hint="Name the module-level WebhookApp your webhook URLs serve.",
                    id="jivo_widget.E005",
                )
            )
    return errors


def check_middleware_order(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """W001 (see the module docstring)."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    ours = [i for i, name in enumerate(middleware) if str(name).startswith(_OURS)]
    if _AUTH in middleware and ours and min(ours) < middleware.index(_AUTH):
        return [
            checks.Warning(
                f"{middleware[min(ours)]} comes before {_AUTH}: it cannot see request.user.",
                hint="Move it below AuthenticationMiddleware in MIDDLEWARE.",
                id="jivo_widget.W001",
            )
        ]
    return []


def register() -> None:
    """Register the checks (from the app's ``ready()``)."""
    checks.register(check_settings)
    checks.register(check_webhook_settings)
    checks.register(check_middleware_order)
