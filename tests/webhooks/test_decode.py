"""Reading a delivered body: the one pretty-printer of bodies and answers."""

from __future__ import annotations

import json

from jivo_widget.webhooks.decode import pretty_json


def test_pretty_json_indents_json_and_keeps_non_ascii() -> None:
    assert pretty_json('{"name":"Zoë"}'.encode()) == '{\n  "name": "Zoë"\n}'


def test_pretty_json_is_none_for_what_is_not_json() -> None:
    assert pretty_json(b"not json") is None
    assert pretty_json(b"\xff\xfe") is None
    # Nested past Python's parser: stored as malformed, and shown as text, not a crash
    # (`events show` used to die with RecursionError on it).
    assert pretty_json(b"[" * 100_000) is None
    assert json.loads(pretty_json(b"[1]") or "") == [1]
