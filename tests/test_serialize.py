"""script_json: round-trips every JSON value and never emits what could end a <script>."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jivo_widget.serialize import script_json

FORBIDDEN = ("<", ">", "&", "'", "\u2028", "\u2029")

# Text biased towards the characters that matter, plus the whole of Unicode (no surrogates:
# they cannot be encoded as UTF-8 in a page).
dangerous = st.sampled_from(
    ["<", ">", "&", "'", '"', "\\", "/", "\u2028", "\u2029", "\n", "\x00", "</script", "<!--", "🎉"]
)
text = st.lists(st.one_of(dangerous, st.text(max_size=8)), max_size=8).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(text, children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_round_trips_and_is_script_safe(value: Any) -> None:
    out = script_json(value)
    assert json.loads(out) == value
    for char in FORBIDDEN:
        assert char not in out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("</script>", '"\\u003c/script\\u003e"'),
        ("<!--", '"\\u003c!--"'),
        ("O'Brien & Co", '"O\\u0027Brien \\u0026 Co"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ({"a": [1, 2.5, None, True]}, '{"a":[1,2.5,null,true]}'),
    ],
)
def test_known_escapes(value: Any, expected: str) -> None:
    assert script_json(value) == expected


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_json_numbers_are_refused(value: float) -> None:
    with pytest.raises(ValueError):
        script_json(value)


def test_unserializable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        script_json({"when": object()})
