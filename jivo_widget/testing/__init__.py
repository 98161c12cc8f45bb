"""Test support: a mocked Jivo widget and the ``jivo_mock`` pytest fixture.

The pytest plugin (``jivo_widget.testing.plugin``) registers itself through the ``pytest11``
entry point; import :class:`JivoMock` from here for type hints::

    from jivo_widget.testing import JivoMock

    def test_chat(page, jivo_mock: JivoMock) -> None: ...

:func:`mock_loader_script` serves the same mock from a plain web server, without Playwright;
:mod:`fake_browser` runs Python callbacks in CPython against a recording fake of the same widget.
"""

from jivo_widget.testing import fake_browser
from jivo_widget.testing.controller import JivoMock
from jivo_widget.testing.scripts import MockOptions, mock_init_script, mock_loader_script

__all__ = ["JivoMock", "MockOptions", "fake_browser", "mock_init_script", "mock_loader_script"]
