"""The app config: system checks, the logout hook, and a fresh Widget when settings change."""

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
        from jivo_widget.integrations.django import checks, conf, logout

        checks.register()
        user_logged_out.connect(logout.on_logout, dispatch_uid="jivo_widget_logout")
        setting_changed.connect(_settings_changed, dispatch_uid="jivo_widget_settings")
        conf.reset()


def _settings_changed(setting: str, **kwargs: Any) -> None:
    from jivo_widget.integrations.django import conf

    if setting in conf.SETTINGS:
        conf.reset()
