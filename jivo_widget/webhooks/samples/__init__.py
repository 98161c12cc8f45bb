"""Realistic sample payloads for every Jivo webhook event (the simulator's and the tests' fixtures).

Built from the examples in Jivo's webhook documentation, including the real-world type variance:
ids as strings and numbers, ``visitor.number`` as ``"2198"`` or ``83``, ``null`` objects, and an
extra ``utm_json.keyword``; and for the CRM webhooks (``assigned_status``, ``created_task``…) the
shapes of Jivo's CRM examples (``widget_id`` as a number, ``has_deal: 1``, ``*_ts`` seconds),
with the ``event_type`` Jivo's docs describe. Events whose body Jivo does not document
(``reordered_status``, ``changed_require_update_of_status``) have only the envelope. Personal
data in them is fictitious.

>>> load("chat_accepted")["event_name"]
'chat_accepted'
"""

from __future__ import annotations

import json
from typing import Any

from jivo_widget import _resources

__all__ = ["load", "load_bytes", "names"]

_FOLDER = "webhooks/samples"


def names() -> list[str]:
    """The event names that have a sample, sorted."""
    return _resources.listing(_FOLDER, ".json")


def load_bytes(event_name: str) -> bytes:
    """The sample payload for ``event_name`` as the bytes of its JSON file."""
    if event_name not in names():
        known = ", ".join(names())
        raise KeyError(f"no sample for event {event_name!r}; samples exist for: {known}")
    return _resources.read_bytes(f"{_FOLDER}/{event_name}.json")


def load(event_name: str) -> dict[str, Any]:
    """A fresh copy of the sample payload for ``event_name`` (safe to modify)."""
    payload: dict[str, Any] = json.loads(load_bytes(event_name))
    return payload
