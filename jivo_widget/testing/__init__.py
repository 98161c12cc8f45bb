"""Test support: a mocked Jivo widget and the ``jivo_mock`` pytest fixture.

The pytest plugin (``jivo_widget.testing.plugin``) registers itself through the ``pytest11``
entry point; import :class:`JivoMock` from here for type hints::

    from jivo_widget.testing import JivoMock

    def test_chat(page, jivo_mock: JivoMock) -> None: ...

:func:`mock_loader_script` serves the same mock from a plain web server, without Playwright.
"""

from jivo_widget.testing.controller import JivoMock
from jivo_widget.testing.scripts import MockOptions, mock_init_script, mock_loader_script

__all__ = ["JivoMock", "MockOptions", "mock_init_script", "mock_loader_script"]
