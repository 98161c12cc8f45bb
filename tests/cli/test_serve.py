"""``jivo-widget serve``: what it serves (in-process checks; the real command runs in
tests/webhooks/test_cli.py)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jivo_widget.cli.serve import _dedupe_window, _receiver
from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.contract import DEFAULT_DEDUPE_WINDOW


@pytest.fixture
def users_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookApp]:
    """A site's hooks module in the working directory, as ``--app users_hooks:hooks``."""
    (tmp_path / "users_hooks.py").write_text(
        textwrap.dedent(
            f"""
            from jivo_widget.webhooks import WebhookApp
            hooks = WebhookApp(secret="their-secret", store="sqlite:///{tmp_path / "app.db"}")
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import users_hooks  # type: ignore[import-not-found]

    yield users_hooks.hooks
    sys.modules.pop("users_hooks", None)


def test_serve_options_never_change_the_users_app(users_app: WebhookApp, tmp_path: Path) -> None:
    # serve --app users_hooks:hooks --dedupe-window 0 --secret S --store ... used to set the
    # window on the user's own receiver.
    other_store = f"sqlite:///{tmp_path / 'other.db'}"
    served = _receiver(other_store, "S", "users_hooks:hooks", _dedupe_window("0"))
    assert served is not users_app.receiver
    assert served.dedupe_window == timedelta(0)
    assert served.authorize("POST", "S") is None
    assert served.router is users_app.router  # the user's handlers
    assert users_app.receiver.dedupe_window == DEFAULT_DEDUPE_WINDOW
    assert users_app.receiver.authorize("POST", "their-secret") is None
    assert users_app.store_url.endswith("app.db")


def test_serve_without_options_serves_the_users_app_itself(users_app: WebhookApp) -> None:
    assert _receiver(None, None, "users_hooks:hooks", _dedupe_window(None)) is users_app.receiver
