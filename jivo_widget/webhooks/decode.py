"""What a delivered body is: a typed event, or the reason it is not one.

Every step here runs on untrusted bytes and never raises for any input: a body that is not a
UTF-8 JSON object with a string ``event_name`` is *malformed* (400), one that breaks its event
model is *invalid* (422), and either is still stored, with the problem named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from jivo_widget.webhooks._reading import ascii_number
from jivo_widget.webhooks.events import JivoEvent, parse_event
from jivo_widget.webhooks.responses import describe_validation_error
from jivo_widget.webhooks.store.base import EventStatus

__all__ = [
    "MAX_JSON_DEPTH",
    "Decoded",
    "chat_id",
    "decode",
    "decode_after_error",
    "decode_body",
    "pretty_json",
]

#: The nesting depth we promise to parse. Python's parser gives up (RecursionError) a little
#: under ``sys.getrecursionlimit()`` (1,000) levels, so whatever it refuses is deeper than this.
MAX_JSON_DEPTH = 500

#: What a 64-bit signed integer column (SQLite's INTEGER, PostgreSQL's BIGINT) holds.
_INT64 = range(-(2**63), 2**63)


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def decode_body(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(payload, None)`` for a UTF-8 JSON object with a string ``event_name``, else
    ``(payload or None, message naming the problem)``."""
    if not body.strip():
        return None, "body is empty; expected a JSON object with an event_name"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"body is not UTF-8 (invalid byte at offset {exc.start})"
    try:
        payload = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        return None, f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return None, f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError as exc:
        # Valid JSON the parser still refuses, e.g. an integer of more than 4,300 digits
        # (CPython's int max_str_digits guard against quadratic parsing).
        return None, f"body is not valid JSON: {exc}"
    if not isinstance(payload, dict):
        return None, f"body must be a JSON object, not {_json_type(payload)}"
    name = payload.get("event_name")
    if name is None:
        return payload, "body has no event_name"
    if not isinstance(name, str) or not name:
        return payload, f"event_name must be a non-empty string, not {_json_type(name)}"
    return payload, None


def chat_id(payload: dict[str, Any] | None) -> int | None:
    """The ``chat_id`` column of a delivery: the payload's integer chat id, or ``None``.

    Never raises, whatever the payload holds: it runs on every body, including the ones kept
    after an unexpected error.
    """
    value = payload.get("chat_id") if payload else None
    if isinstance(value, str):
        return ascii_number(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in _INT64:
        return value
    return None


def invalid_message(event_name: str, exc: ValidationError) -> str:
    """The stored error (and 422 message) of an event that breaks its model."""
    return f"{event_name} does not match its model: {describe_validation_error(exc)}"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A body read as far as it goes. ``event`` is set for a typed event; otherwise ``status``
    is ``malformed`` or ``invalid`` and ``error`` names the problem."""

    event: JivoEvent | None
    #: The payload's ``event_name`` (``None`` for a malformed body).
    event_name: str | None
    chat_id: int | None
    status: EventStatus | None = None
    error: str | None = None


def decode(body: bytes) -> Decoded:
    """Read ``body`` into its typed event, or say why it is malformed or invalid.

    Raises only if the event model itself fails unexpectedly (never for bad input).
    """
    payload, problem = decode_body(body)
    if payload is None or problem is not None:
        return Decoded(
            None, None, chat_id(payload), EventStatus.MALFORMED, problem or "malformed body"
        )
    name: str = payload["event_name"]
    try:
        event = parse_event(payload, body)
    except ValidationError as exc:
        error = invalid_message(name, exc)
        return Decoded(None, name, chat_id(payload), EventStatus.INVALID, error)
    return Decoded(event, name, chat_id(payload))


def decode_after_error(body: bytes, exc: Exception) -> Decoded:
    """How a body is kept after the unexpected error ``exc`` in the receiver: ``failed`` when
    it is a valid event (its handlers did not run: a replay runs them), else ``malformed`` or
    ``invalid`` as :func:`decode` says (``invalid`` too when its model itself failed)."""
    try:
        decoded = decode(body)
    except Exception as typing_error:  # a JSON object with an event_name its model choked on
        payload, _ = decode_body(body)
        name = payload["event_name"] if payload else None
        message = (
            f"{name} could not be validated: internal error ({type(typing_error).__name__}) in "
            "the webhook receiver; replay the event"
        )
        return Decoded(None, name, chat_id(payload), EventStatus.INVALID, message)
    if decoded.status is not None:
        return decoded
    error = (
        f"internal error ({type(exc).__name__}) in the webhook receiver before the handlers "
        "ran; replay the event"
    )
    return Decoded(None, decoded.event_name, decoded.chat_id, EventStatus.FAILED, error)


def pretty_json(body: bytes) -> str | None:
    """``body`` as indented JSON for a person to read (non-ASCII kept as is), or ``None`` when
    it is not JSON (a malformed delivery: show its text instead).

    The one pretty-printer of bodies and answers: ``trigger``, ``events show`` and the demo's
    event log use it.
    """
    try:
        return json.dumps(
            json.loads(body.decode("utf-8", errors="replace")), ensure_ascii=False, indent=2
        )
    except (ValueError, RecursionError):
        return None
