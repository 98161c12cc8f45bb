"""The facade's config: texts, links by the one URL rule, colours with readable text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from jivo_widget.facade import DEFAULT_COLOR, Facade, text_color
from jivo_widget.urls import URL_RULE


def test_defaults() -> None:
    facade = Facade()
    assert facade.label == "Open chat"
    assert facade.position == "right"
    assert facade.timeout == 10.0
    assert facade.colors().background == DEFAULT_COLOR
    assert facade.colors("#0b5fff").background == "#0b5fff"  # the Widget's colour
    assert Facade(color="#ffcc00").colors("#0b5fff").background == "#ffcc00"


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#1b7f4b", "#fff"),  # the default: 5.0:1 with white
        ("#000000", "#fff"),
        ("#0b5fff", "#fff"),
        ("#ffffff", "#000"),
        ("#ffcc00", "#000"),
        ("#26ad5f", "#000"),  # Jivo's light green: 2.9:1 with white, 7.2:1 with black
    ],
)
def test_text_colour_contrasts_most(background: str, text: str) -> None:
    assert text_color(background) == text


@pytest.mark.parametrize(
    "link",
    [
        "mailto:help@shop.example",
        "mailto:help@shop.example?subject=Chat%20did%20not%20load",
        "https://shop.example/contact",
        "/contact",
    ],
)
def test_fallback_links_accepted(link: str) -> None:
    assert Facade(fallback_url=link).fallback_url == link


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "mailto:help@shop.example\n",
        "mailto:a b@shop.example",
        "https://user@shop.example/",
        "//evil.example/",
        "data:text/html,hi",
        "mailto:help@shop.example?s=\u202e",
    ],
)
def test_fallback_links_refused_by_the_url_rule(link: str) -> None:
    with pytest.raises(ValidationError) as info:
        Facade(fallback_url=link)
    assert "fallback_url" in str(info.value) and URL_RULE in str(info.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agent_photo": "javascript:x"}, "agent_photo"),
        ({"color": "green"}, "color"),
        ({"position": "top"}, "position"),
        ({"label": ""}, "label"),
        ({"label": "a\x00b"}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": 121}, "timeout"),
        ({"labels": "x"}, "labels"),
    ],
)
def test_rules_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Facade(**fields)
    assert field in str(info.value)


def test_seconds_may_be_written_as_integers() -> None:
    assert Facade(timeout=5).timeout == 5.0
