"""The mocked widget as JavaScript text, for Playwright and for plain web servers alike.

No Playwright or pytest here: the demo site serves :func:`mock_loader_script` at its own URL and
gets exactly what the pytest plugin's routed loader URLs answer.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any, Literal

from jivo_widget import _resources, catalog
from jivo_widget.serialize import script_json

__all__ = ["MockOptions", "mock_init_script", "mock_loader_script"]

ChatMode = Literal["online", "offline"]


@dataclass(frozen=True, kw_only=True)
class MockOptions:
    """How the mocked widget behaves from the start of a page.

    ``chat_mode``: what ``chatMode()`` answers; ``callbacks_enabled``: whether
    ``isCallbackEnabled``/``startCall``/``open({start: "call"})`` succeed; ``visitor_number``:
    what ``getVisitorNumber`` calls back with; ``visitor_number_error``: when a string,
    ``getVisitorNumber`` calls back ``(error, null)`` instead; ``utm``: what ``getUtm()``
    returns (default: the page URL's ``utm_*`` parameters).
    """

    chat_mode: ChatMode = "online"
    callbacks_enabled: bool = True
    visitor_number: int = 1
    visitor_number_error: str | None = None
    utm: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.chat_mode not in ("online", "offline"):
            raise ValueError(f"chat_mode must be 'online' or 'offline', got {self.chat_mode!r}")
        if not isinstance(self.callbacks_enabled, bool):
            raise TypeError(f"callbacks_enabled must be a bool, got {self.callbacks_enabled!r}")
        if isinstance(self.visitor_number, bool) or not isinstance(self.visitor_number, int):
            raise TypeError(f"visitor_number must be an int, got {self.visitor_number!r}")
        if self.visitor_number_error is not None and not isinstance(self.visitor_number_error, str):
            raise TypeError(
                f"visitor_number_error must be a str or None, got {self.visitor_number_error!r}"
            )
        if self.utm is not None and not isinstance(self.utm, dict):
            raise TypeError(f"utm must be a dict or None, got {self.utm!r}")

    def as_json(self) -> dict[str, Any]:
        """The options as the page receives them."""
        return asdict(self)


@functools.cache
def _mock_source() -> str:
    return _resources.read_text("testing/mock_widget.js")


@functools.cache
def _catalog_json() -> str:
    return script_json(catalog.as_json())


def mock_init_script(options: MockOptions | None = None) -> str:
    """JavaScript that installs the mock (catalog + options + mock) without loading the widget.

    Run it before any page script (Playwright's ``add_init_script``); the widget then appears
    only when the page loads a Jivo loader, as with the real one. ``options``: a
    :class:`MockOptions` (defaults when ``None``).
    """
    opts = (options or MockOptions()).as_json()
    return (
        f"window.__JIVO_CATALOG__ = window.__JIVO_CATALOG__ || {_catalog_json()};\n"
        f"window.__JIVO_MOCK_OPTIONS__ = window.__JIVO_MOCK_OPTIONS__ || {script_json(opts)};\n"
        f"{_mock_source()}"
    )


def mock_loader_script(widget_id: str | None = None, options: MockOptions | None = None) -> str:
    """A standalone loader: exactly what a Jivo loader URL answers, served by the mock.

    Serve it as ``application/javascript`` from any URL and include it like Jivo's loader. It
    installs the mock if the page does not have it yet, then boots the widget for
    ``widget_id``. With ``widget_id=None`` the id is read from the including script's
    ``data-jv-id`` (or bare ``jv-id``) attribute, as the mid-era ``widget.js`` loader does.
    """
    info = script_json({"widget_id": widget_id})
    boot = f"window.__jivoMock.boot({info}, document.currentScript);\n"
    return f"{mock_init_script(options)}\n{boot}"
