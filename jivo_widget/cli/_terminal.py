"""Everything the commands print that came from a payload goes through here: escaped for the
terminal, and JSON pretty-printed where it is JSON.

A terminal acts on some characters instead of showing them, so payload text (event names,
bodies, handler errors quoting what a visitor typed) must never reach it raw.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import click

from jivo_widget.webhooks.decode import pretty_json

__all__ = ["echo_json", "log_to_terminal", "pretty", "terminal_safe"]

#: What a terminal acts on instead of showing: the C0 controls but tab and newline (ESC starts
#: CSI/OSC sequences: clear screen, window title, OSC 52 clipboard writes), DEL, the C1
#: controls (U+009B is a one-character CSI on many terminals), the line and paragraph
#: separators, and the bidi controls that reorder what follows them.
_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _python_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_safe(text: str, *, json: bool = False) -> str:
    """``text`` with every character a terminal would act on shown as an escape.

    Plain text gets Python-style escapes (``\\x1b``, ``\\u202e``); ``json=True`` is for a JSON
    document, where the same characters become JSON escapes (``\\u001b``), so the output stays
    valid JSON meaning the same text. Tabs and newlines are kept.
    """
    return _TERMINAL_CONTROLS.sub(_json_escape if json else _python_escape, text)


def echo_json(value: Any, *, indent: int | None = None) -> None:
    """Print ``value`` as JSON (non-ASCII kept readable), escaped for the terminal."""
    click.echo(terminal_safe(json.dumps(value, ensure_ascii=False, indent=indent), json=True))


def pretty(raw: bytes) -> str:
    """A payload or an answer for the terminal: pretty-printed JSON when it is JSON, else the
    text (malformed deliveries); escaped either way."""
    shown = pretty_json(raw)
    if shown is None:
        return terminal_safe(raw.decode("utf-8", errors="replace"))
    return terminal_safe(shown, json=True)


class _TerminalLogFormatter(logging.Formatter):
    """Log lines in uvicorn's look (``ERROR:    message``), escaped for the terminal: a
    handler's traceback quotes whatever the visitor typed."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)  # the message, and the traceback if there is one
        return terminal_safe(f"{record.levelname}:{' ' * (8 - len(record.levelname))} {text}")


def log_to_terminal() -> None:
    """Show the receiver's log (warnings and errors, handler tracebacks) on stderr, escaped.

    Left alone when the user's app configured logging itself (a handler on the root or on
    ``jivo_widget``): their handlers then get the records.
    """
    package = logging.getLogger("jivo_widget")
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(_TerminalLogFormatter())
    package.addHandler(handler)
