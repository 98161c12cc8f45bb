"""The ``browser_type_launch_args`` override, loaded late so that it wins.

pytest resolves a fixture name to the last-registered plugin's definition, and entry points load
in no guaranteed order; ``plugin.pytest_configure`` imports this module with
``config.pluginmanager.import_plugin`` after pytest-playwright is registered, so this
definition is the last one and wins, while still requesting pytest-playwright's as its own
argument. Resulting chain: a user's conftest.py -> this -> pytest-playwright.
"""

from __future__ import annotations

from typing import Any

import pytest

from jivo_widget.testing.chromium import LAUNCH_FLAGS, NOT_FOUND_HELP
from jivo_widget.testing.plugin import chromium_choice


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str | None, pytestconfig: pytest.Config
) -> dict[str, Any]:
    """pytest-playwright's launch args plus jivo-widget's Chromium executable and flags.

    Upstream keys (``headless`` from ``--headed``, ``channel``, ``slow_mo``) are kept; the
    container flags are appended to any existing ``args``.
    """
    if browser_name not in (None, "chromium"):
        return browser_type_launch_args
    merged = dict(browser_type_launch_args)
    upstream_args = list(merged.get("args") or [])
    merged["args"] = upstream_args + [flag for flag in LAUNCH_FLAGS if flag not in upstream_args]
    if "executable_path" in merged or "channel" in merged:
        return merged  # the user chose a browser explicitly
    choice = chromium_choice(pytestconfig)
    if choice is None:
        pytest.fail(NOT_FOUND_HELP, pytrace=False)
    if choice.path is not None:
        merged["executable_path"] = choice.path
    return merged
