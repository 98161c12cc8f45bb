"""Reading a delivered body: the one pretty-printer of bodies and answers."""

from __future__ import annotations

import json

import pytest

from jivo_widget.webhooks.decode import decode_body, pretty_json


def test_pretty_json_indents_json_and_keeps_non_ascii() -> None:
    assert pretty_json('{"name":"Zoë"}'.encode()) == '{\n  "name": "Zoë"\n}'


def test_pretty_json_is_none_for_what_is_not_json() -> None:
    assert pretty_json(b"not json") is None
    assert pretty_json(b"\xff\xfe") is None
    # Nested past Python's parser: stored as malformed, and shown as text, not a crash
    # (`events show` used to die with RecursionError on it).
    assert pretty_json(b"[" * 100_000) is None
    assert json.loads(pretty_json(b"[1]") or "") == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body is empty; expected a JSON object with an event_name"),
        (b"  \n", "body is empty; expected a JSON object with an event_name"),
        (b'{"event_name": "chat_finished"', "body is not valid JSON: Expecting ',' delimiter"),
        (b"\xff\xfe{}", "body is not UTF-8 (invalid byte at offset 0)"),
        ('{"event_name":"é"}'.encode("utf-16"), "body is not UTF-8"),
        (b"[1]", "body must be a JSON object, not an array"),
        (b'"chat_finished"', "body must be a JSON object, not a string"),
        (b"null", "body must be a JSON object, not null"),
        (b"{}", "body has no event_name"),
        (b'{"event_name": 5}', "event_name must be a non-empty string, not a number"),
        (b'{"event_name": ""}', "event_name must be a non-empty string, not a string"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON: nested deeper than 500 levels"),
    ],
)
def test_decode_names_the_problem(body: bytes, message: str) -> None:
    _, problem = decode_body(body)
    assert problem is not None and problem.startswith(message)


def test_decode_accepts_a_bom_and_any_content() -> None:
    payload, problem = decode_body(b'\xef\xbb\xbf{"event_name": "chat_finished"}')
    assert problem is None and payload == {"event_name": "chat_finished"}
