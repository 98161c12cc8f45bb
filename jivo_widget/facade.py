"""The facade: a launcher in the look of Jivo's chat label that stands in for the widget.

``Widget(facade=True)`` (or a mapping of :class:`Facade`'s fields) puts a small ``<button>`` in
the page, in the Widget's colour and corner, that costs no Jivo bytes until the visitor clicks
it: then the widget loads and its chat opens. Its markup is
``templates/jivo_widget/facade.html.j2``, its style ``js/src/facade.css`` (shipped minified)
and its behaviour ``js/src/facade.js``, which wraps the Widget's strategy
(``_with_facade`` in :mod:`jivo_widget.render`). The renderer fills the template with a
:class:`Facade` (``facade``), its :meth:`Facade.colors` (``colors``), the minified CSS (``css``)
and the request's nonce attribute (``nonce_attr``: the ``<style>`` needs it under a CSP).

Accessibility: a real ``<button>`` (keyboard-operable, Enter and Space included), named by its
visible text (``label``, "Open chat" by default, then the agent's name and status line); a
visible focus ring; no motion under ``prefers-reduced-motion``; the loading and failure messages
in a polite live region; text in black or white, whichever contrasts more with the colour
(WCAG's formula). ``tests/assets/test_facade_browser.py`` runs axe-core on it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from jivo_widget import catalog
from jivo_widget.urls import URL_RULE, is_http_url, is_mailto, is_root_path

__all__ = ["DEFAULT_COLOR", "Facade", "FacadeColors", "text_color"]

#: The facade's colour when neither it nor the Widget has one: a green like Jivo's default
#: label, dark enough for white text (contrast 5.0:1).
DEFAULT_COLOR = "#1b7f4b"
_COLOR = re.compile(catalog.COLOR_PATTERN)
# No control characters in text shown on the page (a NUL becomes U+FFFD there).
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$"

Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_TEXT)]


def _fail(rule: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(rule, message.replace("{", "{{").replace("}", "}}"))


def _seconds(value: Any) -> Any:
    # Strict models refuse an int for a float; TOML and Python users write `timeout = 10`.
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Facade(BaseModel):
    """What the facade shows and how long it waits for the widget (all optional)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    #: The button's text and accessible name.
    label: Text = "Open chat"
    #: ``#rrggbb``; by default the Widget's ``color``.
    color: str | None = None
    #: The bottom corner it sits in.
    position: Literal["right", "left"] = "right"
    #: An agent's name and photo (a link by the URL rule, or a /path on the site).
    agent_name: Text | None = None
    agent_photo: str | None = None
    #: A line under the label, e.g. "We're online" (the real status is known only to Jivo).
    status_text: Text | None = None
    #: Announced while Jivo loads after a click.
    loading_text: Text = "Loading the chat…"
    #: Announced when Jivo is not ready ``timeout`` seconds after the click.
    failed_text: Text = "Sorry, the chat did not load."
    #: Shown with ``failed_text``: a contact page (a link by the URL rule, or a /path) or a
    #: ``mailto:`` link, and its text.
    fallback_url: str | None = None
    fallback_text: Text = "Contact us"
    timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    #: The name of the facade's landmark (a labelled region), for screen-reader navigation.
    region_label: Text = "Chat"

    _timeout_seconds = field_validator("timeout", mode="before")(_seconds)

    @field_validator("color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is not None and not _COLOR.fullmatch(value):
            raise _fail("color", f"must be a #rrggbb hex colour, got {value!r}")
        return value

    @field_validator("agent_photo")
    @classmethod
    def _photo_link(cls, value: str | None) -> str | None:
        if value is not None and not (is_http_url(value) or is_root_path(value)):
            raise _fail("http_url", f"{URL_RULE}, or a /path on this site")
        return value

    @field_validator("fallback_url")
    @classmethod
    def _fallback_link(cls, value: str | None) -> str | None:
        if value is None or is_http_url(value) or is_root_path(value) or is_mailto(value):
            return value
        raise _fail("http_url", f"{URL_RULE}, a /path on this site, or a mailto: link")

    def colors(self, widget_color: str | None = None) -> FacadeColors:
        """The button's colours: its own, else the Widget's, else :data:`DEFAULT_COLOR`."""
        background = self.color or widget_color or DEFAULT_COLOR
        return FacadeColors(background=background, text=text_color(background))


class FacadeColors(BaseModel):
    """The facade's background (``#rrggbb``) and the text colour chosen for it."""

    model_config = ConfigDict(frozen=True)

    background: str
    text: str


def _luminance(color: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``."""
    channels = []
    for i in (1, 3, 5):
        value = int(color[i : i + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_color(background: str) -> str:
    """``#fff`` or ``#000``, whichever contrasts more with ``background`` (WCAG 2 ratio)."""
    lum = _luminance(background)
    return "#fff" if 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 else "#000"
