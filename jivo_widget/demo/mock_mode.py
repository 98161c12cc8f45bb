"""Demo mode for example sites: serve the mocked widget and a live list of its calls.

An example site run by ``make demo`` (``JIVO_DEMO=1``) points its Widget at
:data:`MOCK_LOADER_PATH` with :func:`with_mock_loader`, answers that path with
:func:`mock_loader` and :data:`CALL_LOG_PATH` with :func:`call_log_script`, and includes
``<script src="/_jivo/mock/call-log.js" nonce="…">`` in its base template. Outside demo mode
none of this is served. Both answers are JavaScript (``application/javascript``).
"""

from __future__ import annotations

import functools
import os
from importlib import resources

from jivo_widget.config import Widget
from jivo_widget.demo.app import MOCK_LOADER_PATH, demo_loader_script

__all__ = [
    "CALL_LOG_PATH",
    "DEMO_ENV",
    "MOCK_LOADER_PATH",
    "call_log_script",
    "demo_mode",
    "mock_loader",
    "with_mock_loader",
]

#: The environment variable that turns demo mode on (``JIVO_DEMO=1``).
DEMO_ENV = "JIVO_DEMO"
#: Where the call-log script is served.
CALL_LOG_PATH = "/_jivo/mock/call-log.js"


def demo_mode() -> bool:
    """Whether ``JIVO_DEMO`` asks for demo mode."""
    return os.environ.get(DEMO_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def with_mock_loader(widget: Widget) -> Widget:
    """``widget`` loading the mocked widget from the site itself."""
    return widget.model_copy(
        update={"loader_url": MOCK_LOADER_PATH.format(widget_id=widget.widget_id)}
    )


def mock_loader(widget_id: str) -> bytes:
    """The mocked widget's loader for ``widget_id`` (what Jivo's loader URL would answer)."""
    return demo_loader_script(widget_id)


@functools.cache
def call_log_script() -> bytes:
    """The call-log panel's JavaScript."""
    return resources.files("jivo_widget.demo").joinpath("call_log.js").read_bytes()
