"""The app config: system checks, the logout hook, and a fresh Widget (and webhook app) when
settings change. Its models are the Django event store's tables (:mod:`.models`)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out
from django.core.signals import setting_changed


class JivoWidgetConfig(AppConfig):  # type: ignore[misc]  # Django ships no types
    """``jivo_widget.integrations.django``, labelled ``jivo_widget``."""

    name = "jivo_widget.integrations.django"
    label = "jivo_widget"
    verbose_name = "Jivo widget"

    def ready(self) -> None:
        """Register the checks and connect the signals."""
        from jivo_widget.integrations.django import checks, conf, logout, webhook_settings

        checks.register()
        user_logged_out.connect(logout.on_logout, dispatch_uid="jivo_widget_logout")
        setting_changed.connect(_settings_changed, dispatch_uid="jivo_widget_settings")
        conf.reset()
        webhook_settings.reset()


def _settings_changed(setting: str, **kwargs: Any) -> None:
    from jivo_widget.integrations.django import conf, webhook_settings

    if setting in conf.SETTINGS:
        conf.reset()
    if setting in webhook_settings.SETTINGS:
        webhook_settings.reset()
