"""The local event simulator behind ``jivo-widget trigger``.

It builds a realistic Jivo payload (a sample from :mod:`jivo_widget.webhooks.samples`, or a JSON
file), applies ``dotted.path=value`` overrides, and posts it to a receiver. Only the standard
library is used, so ``trigger`` works without the ``server`` extra and from any pytest run.
"""

from __future__ import annotations

import difflib
import json
import types
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from jivo_widget.errors import DeliveryError, OverrideError
from jivo_widget.webhooks.contract import DUPLICATE_HEADER
from jivo_widget.webhooks.decode import pretty_json
from jivo_widget.webhooks.events import event_model

__all__ = [
    "Delivery",
    "DeliveryError",
    "OverrideError",
    "apply_override",
    "build_payload",
    "check_override_path",
    "deliver",
    "parse_override",
    "parse_value",
]


@dataclass(frozen=True)
class Delivery:
    """What the receiver answered: its HTTP status, the raw response body and, for a
    duplicate, the id of the stored event it repeats (the ``X-Jivo-Duplicate-Of`` header)."""

    status: int
    body: bytes
    duplicate_of: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def text(self) -> str:
        """The body as text, pretty-printed when it is JSON (for people reading a terminal)."""
        return pretty_json(self.body) or self.body.decode("utf-8", errors="replace")


def parse_value(raw: str) -> Any:
    """Read an override value: JSON when it parses (``5``, ``true``, ``null``, ``{"a":1}``), else
    the string itself, so ``--set visitor.email=a@b.c`` needs no quoting."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_override(spec: str) -> tuple[str, Any]:
    """Split ``dotted.path=value`` into the path and the parsed value."""
    path, sep, raw = spec.partition("=")
    if not sep or not path.strip():
        raise OverrideError(f"override {spec!r} must look like dotted.path=value")
    return path.strip(), parse_value(raw)


def _segments(path: str) -> list[str]:
    segments = path.split(".")
    if any(segment == "" for segment in segments):
        raise OverrideError(f"override path {path!r} has an empty segment")
    return segments


def _list_index(segment: str, path: str, where: str) -> int:
    # Not str.isdigit(): it accepts "²", which int() refuses. Nine digits is plenty for a list.
    if not (segment.isascii() and segment.isdecimal()) or len(segment) > 9:
        raise OverrideError(f"override path {path!r}: {where!r} indexes a list, use a number")
    return int(segment)


def _slot(container: Any, segment: str, path: str, where: str) -> str | int:
    """The key of ``segment`` in ``container``; a list grows by one when indexed at its end."""
    if isinstance(container, dict):
        return segment
    if isinstance(container, list):
        index = _list_index(segment, path, where)
        if index > len(container):
            raise OverrideError(
                f"override path {path!r}: index {index} is past the end of a list of "
                f"{len(container)} (append with index {len(container)})"
            )
        if index == len(container):
            container.append(None)
        return index
    raise OverrideError(
        f"override path {path!r}: {where!r} is a {type(container).__name__}, "
        "not an object or a list"
    )


# -- which paths exist ------------------------------------------------------------------------

_Shape = tuple[
    str, Any
]  # ("object", model) | ("list", item type) | ("free", None) | ("none", None)
_FREE: _Shape = ("free", None)
_NONE: _Shape = ("none", None)


def _shape(annotation: Any) -> _Shape:
    """What a model field holds, as far as paths go: a nested model, a list, a free-form
    object (any key below it exists), or nothing to descend into."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            shape = _shape(arg)
            if shape is not _NONE:
                return shape
        return _NONE
    if origin is list:
        args = get_args(annotation)
        return ("list", args[0] if args else Any)
    if annotation is Any or origin is dict or annotation is dict:
        return _FREE
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("object", annotation)
    return _NONE


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: field.annotation for name, field in model.model_fields.items()}


def _unknown_segment(
    event: str, payload: dict[str, Any], path: str
) -> tuple[int, list[str]] | None:
    """Where ``path`` leaves what exists, or ``None`` when it is all known.

    A segment exists when the payload has it, or the event's model declares it (a field the
    sample leaves out is still a real field); below a free-form object everything exists. The
    answer is the index of the first unknown segment and the names known at that level.
    """
    segments = _segments(path)
    node: Any = payload
    shape: _Shape = ("object", event_model(event))
    for depth, segment in enumerate(segments):
        if shape is _FREE:
            return None
        where = ".".join(segments[:depth]) or "(root)"
        if isinstance(node, list) or shape[0] == "list":
            index = _list_index(segment, path, where)
            node = node[index] if isinstance(node, list) and index < len(node) else None
            shape = _shape(shape[1]) if shape[0] == "list" else _NONE
            continue
        known: dict[str, _Shape] = {}
        if shape[0] == "object":
            known = {name: _shape(annotation) for name, annotation in _fields(shape[1]).items()}
        if isinstance(node, dict):
            known.update({key: known.get(key, _NONE) for key in node})
        if segment not in known:
            if not known and not isinstance(node, dict) and node is not None:
                return None  # a scalar: apply_override says it cannot be descended into
            return depth, sorted(known)
        shape = known[segment]
        node = node.get(segment) if isinstance(node, dict) else None
    return None


def check_override_path(
    event: str, payload: dict[str, Any], path: str, *, add_hint: str = "--add"
) -> None:
    """Raise :class:`OverrideError` unless ``path`` exists in ``payload`` or in ``event``'s
    model, naming the nearest existing path (a typo like ``visitor.emial`` would otherwise add
    a field nobody reads, and the test would pass with the sample's value).

    ``add_hint`` is how the caller says "a new field is meant" (``--add`` for ``trigger``).
    """
    found = _unknown_segment(event, payload, path)
    if found is None:
        return
    depth, known = found
    segments = path.split(".")
    prefix = segments[:depth]
    where = f" under {'.'.join(prefix)!r}" if prefix else ""
    close = difflib.get_close_matches(segments[depth], known, n=1, cutoff=0.6)
    if close:
        nearest = [*prefix, close[0]]
        rest = [*nearest, *segments[depth + 1 :]]
        if _unknown_segment(event, payload, ".".join(rest)) is None:
            nearest = rest
        hint = f"did you mean {'.'.join(nearest)!r}?"
    elif known:
        hint = f"the fields there are {', '.join(known)}."
    else:
        hint = "nothing is known there."
    raise OverrideError(
        f"override path {path!r}: {event} has no field {segments[depth]!r}{where}; {hint} "
        f"(to add a new field, pass {add_hint})"
    )


def apply_override(payload: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` in ``payload`` in place.

    Segments are object keys, or list indices when the container is a list (``agents.0.name``;
    the index equal to the list's length appends). Missing or null intermediate containers are
    created: a list when the next segment is ``0``, else an object. Descending into a scalar is
    refused, because silently replacing ``visitor.number`` by an object would hide a typo.
    """
    segments = _segments(path)
    container: Any = payload
    for depth, segment in enumerate(segments):
        where = ".".join(segments[:depth]) or "(root)"
        key = _slot(container, segment, path, where)
        if depth == len(segments) - 1:
            container[key] = value
            return
        child = container.get(key) if isinstance(container, dict) else container[key]
        if child is None:
            child = [] if segments[depth + 1] == "0" else {}
            container[key] = child
        container = child


def load_payload_file(path: Path) -> dict[str, Any]:
    """Read a JSON object from ``path`` (the ``--file`` of ``trigger``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OverrideError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise OverrideError(f"{path} is not UTF-8: {exc.reason}") from exc
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise OverrideError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise OverrideError(f"{path} must hold a JSON object, not a {type(payload).__name__}")
    return payload


def build_payload(
    event: str,
    overrides: Iterable[str] = (),
    *,
    file: Path | None = None,
    add: bool = False,
) -> dict[str, Any]:
    """The payload ``trigger`` posts for ``event``: the packaged sample (or ``file``), with
    ``event_name`` set to ``event`` and every ``dotted.path=value`` override applied in order.

    Each override's path must exist in the payload or in the event's model
    (:func:`check_override_path`) unless ``add`` says new fields are meant.
    Raises :class:`OverrideError` for an unknown event without ``file``, an unreadable file or a
    bad override.
    """
    if file is not None:
        payload = load_payload_file(file)
    else:
        from jivo_widget.webhooks import samples

        known = sorted(samples.names())
        if event not in known:
            raise OverrideError(
                f"no sample for event {event!r}; known events: {', '.join(known)} "
                "(use --file for any other payload)"
            )
        payload = samples.load(event)  # a fresh copy, safe to modify
    payload["event_name"] = event
    for spec in overrides:
        path, value = parse_override(spec)
        if not add:
            check_override_path(event, payload, path)
        apply_override(payload, path, value)
    return payload


def deliver(url: str, payload: dict[str, Any] | bytes, *, timeout: float = 10.0) -> Delivery:
    """POST ``payload`` (a dict is sent as compact UTF-8 JSON) to ``url`` and return the answer.

    Non-2xx answers are returned, not raised; only an unreachable receiver raises
    :class:`DeliveryError`.
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    # Only HTTP(S): urllib would also "post" to file:// and ftp:// URLs.
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError(f"cannot reach {url!r}: the URL must start with http:// or https://")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Delivery(
                status=response.status,
                body=response.read(),
                duplicate_of=response.headers.get(DUPLICATE_HEADER),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return Delivery(
                status=exc.code, body=exc.read(), duplicate_of=exc.headers.get(DUPLICATE_HEADER)
            )
    except urllib.error.URLError as exc:
        raise DeliveryError(f"cannot reach {url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:
        # ValueError: a URL urllib cannot use (no host, bad port).
        raise DeliveryError(f"cannot reach {url}: {exc}") from exc
