"""Test support: a mocked Jivo widget and the ``jivo_mock`` pytest fixture.

The pytest plugin (``jivo_widget.testing.plugin``) registers itself through the ``pytest11``
entry point; import :class:`JivoMock` from here for type hints::

    from jivo_widget.testing import JivoMock

    def test_chat(page, jivo_mock: JivoMock) -> None: ...

Async suites (pytest-playwright-asyncio) get an :class:`AsyncJivoMock` from the same fixture.
Without pytest, ``with JivoMock(page) as jivo:`` (or ``async with AsyncJivoMock(page)``) and
:func:`launch_options` for ``chromium.launch(**launch_options())``.

:func:`mock_loader_script` serves the same mock from a plain web server, without Playwright;
:mod:`fake_browser` runs Python callbacks in CPython against a recording fake of the same widget.
"""

from typing import Any

from jivo_widget.testing import fake_browser
from jivo_widget.testing.async_controller import AsyncJivoMock
from jivo_widget.testing.controller import JivoMock
from jivo_widget.testing.scripts import MockOptions, mock_init_script, mock_loader_script

__all__ = [
    "AsyncJivoMock",
    "JivoMock",
    "MockOptions",
    "fake_browser",
    "launch_options",
    "mock_init_script",
    "mock_loader_script",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: `python -m jivo_widget.testing.chromium` must find the module not
    # yet imported by this package (runpy warns otherwise).
    if name == "launch_options":
        from jivo_widget.testing.chromium import launch_options

        return launch_options
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
