"""The ``jivo_mock`` fixture of async suites (pytest-playwright-asyncio), loaded by the plugin.

Registered after the plugin module, so its ``jivo_mock`` wins over the sync one. Its ``page`` is
Playwright's async page, on pytest-playwright-asyncio's session event loop, so this fixture runs
on that loop too. Contract violations and page errors are checked when the fixture tears down
(an async check cannot run in the sync hook that fails sync tests right after their body): the
test then reports an error at teardown with the same listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from jivo_widget.testing.async_controller import AsyncJivoMock
from jivo_widget.testing.plugin import _failure_text, settings_for

if TYPE_CHECKING:
    from playwright.async_api import Page


@pytest_asyncio.fixture(loop_scope="session")  # type: ignore[untyped-decorator]
async def jivo_mock(page: Page, request: pytest.FixtureRequest) -> AsyncIterator[AsyncJivoMock]:
    """The mocked Jivo widget for this test's async ``page`` (see :class:`AsyncJivoMock`):
    ``await jivo_mock.wait_for_load()``, ``await jivo_mock.calls("setUserToken")``... Markers
    and options as for the sync fixture."""
    try:
        settings = settings_for(request.node)
    except pytest.UsageError as exc:
        pytest.fail(str(exc), pytrace=False)
    mock = AsyncJivoMock(page, settings.options, wait_timeout=settings.wait_timeout)
    await mock.install()
    yield mock
    if page.is_closed():
        return
    violations, page_errors = await mock.problems()
    failing = (violations if settings.strict else []) + (
        page_errors if not settings.allow_page_errors else []
    )
    if failing:
        pytest.fail(_failure_text(violations, page_errors, settings), pytrace=False)
