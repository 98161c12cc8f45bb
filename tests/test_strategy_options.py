"""The lazy-loading strategies' options: validated once per Widget, then factory arguments.

Data reaches the page only through ``script_json`` and code only as a checked function body:
these tests pin both, and every rule's error names the field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from jivo_widget.strategy_options import (
    ClickOptions,
    ConsentOptions,
    IdleOptions,
    VisibleOptions,
)


def _error(model: type[Any], **fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        model(**fields)
    return str(info.value)


def test_idle_timeout_defaults_to_five_seconds_and_travels_in_ms() -> None:
    assert IdleOptions().js_arguments() == '{"timeout":5000}'
    assert IdleOptions(timeout=2).js_arguments() == '{"timeout":2000}'
    assert IdleOptions(timeout=0.25).js_arguments() == '{"timeout":250}'


@pytest.mark.parametrize("timeout", [0, -1, 601, "5", True, float("nan")])
def test_idle_timeout_rules(timeout: Any) -> None:
    assert "timeout" in _error(IdleOptions, timeout=timeout)


def test_selector_options_are_json_made_by_the_one_serializer() -> None:
    hostile = "a[title='</script><!--<script>'] \u2028 & b"
    arguments = ClickOptions(selector=hostile).js_arguments()
    assert "<" not in arguments and "'" not in arguments and "\u2028" not in arguments
    assert json.loads(arguments) == {"selector": hostile, "open": True}
    visible = VisibleOptions(selector="#contact", margin="200px 0px").js_arguments()
    assert json.loads(visible) == {"selector": "#contact", "margin": "200px 0px"}


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (ClickOptions, {}, "selector"),
        (ClickOptions, {"selector": ""}, "selector"),
        (ClickOptions, {"selector": "a\nb"}, "selector"),
        (ClickOptions, {"selector": "a" * 501}, "selector"),
        (ClickOptions, {"selector": ".x", "open": "yes"}, "open"),
        (ClickOptions, {"selector": ".x", "unknown": 1}, "unknown"),
        (VisibleOptions, {"selector": ".x", "margin": "10em"}, "margin"),
        (VisibleOptions, {"selector": ".x", "margin": "1px 2px 3px 4px 5px"}, "margin"),
        (VisibleOptions, {"selector": ".x", "margin": "0px; x"}, "margin"),
    ],
)
def test_selector_option_rules_name_the_field(
    model: type[Any], fields: dict[str, Any], field: str
) -> None:
    assert field in _error(model, **fields)


def test_consent_cookie_travels_as_the_pair_document_cookie_lists() -> None:
    options = ConsentOptions(cookie="cmp_choice", cookie_value="all")
    assert options.js_arguments() == '{"cookie":"cmp_choice=all"},null'


def test_consent_predicate_travels_as_a_checked_function() -> None:
    options = ConsentOptions(predicate="return CookieConsent.acceptedCategory('chat')\r\n")
    assert options.js_arguments() == (
        "{\"cookie\":null},function(){\nreturn CookieConsent.acceptedCategory('chat')\n\n}"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "needs cookie and cookie_value, or predicate"),
        ({"cookie": "c"}, "cookie and cookie_value go together"),
        ({"cookie_value": "yes"}, "cookie and cookie_value go together"),
        ({"cookie": "a b", "cookie_value": "y"}, "cookie\n  must be a cookie name"),
        ({"cookie": "c", "cookie_value": "y;z"}, "cookie_value\n  must be a cookie value"),
        ({"cookie": "c", "cookie_value": 'a"b'}, "cookie_value\n  must be a cookie value"),
        ({"predicate": "return })("}, "predicate\n  "),
        ({"predicate": "return '</script>'"}, "predicate\n  line 1: must not contain '</script'"),
    ],
)
def test_consent_rules(fields: dict[str, Any], message: str) -> None:
    assert message in _error(ConsentOptions, **fields)
