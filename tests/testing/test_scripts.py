"""The mock as JavaScript text: options validation and script-safe embedding (no browser)."""

from __future__ import annotations

import json
import re

import pytest

from jivo_widget import catalog
from jivo_widget.testing import MockOptions, mock_init_script, mock_loader_script


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"chat_mode": "away"}, ValueError, "chat_mode must be 'online' or 'offline', got 'away'"),
        ({"callbacks_enabled": "yes"}, TypeError, "callbacks_enabled must be a bool, got 'yes'"),
        ({"visitor_number": True}, TypeError, "visitor_number must be an int, got True"),
        ({"utm": ["source"]}, TypeError, "utm must be a dict or None, got ['source']"),
        (
            {"visitor_number_error": 500},
            TypeError,
            "visitor_number_error must be a str or None, got 500",
        ),
    ],
)
def test_bad_options_name_the_field(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        MockOptions(**kwargs)  # type: ignore[arg-type]


def test_init_script_carries_catalog_and_options() -> None:
    script = mock_init_script(MockOptions(chat_mode="offline", visitor_number=3))
    catalog_line, options_line = script.splitlines()[:2]
    prefix = "window.__JIVO_CATALOG__ = window.__JIVO_CATALOG__ || "
    assert catalog_line.startswith(prefix)
    expected = json.loads(json.dumps(catalog.as_json()))  # tuples become lists
    assert json.loads(catalog_line.removeprefix(prefix).rstrip(";")) == expected
    prefix = "window.__JIVO_MOCK_OPTIONS__ = window.__JIVO_MOCK_OPTIONS__ || "
    assert json.loads(options_line.removeprefix(prefix).rstrip(";")) == {
        "chat_mode": "offline",
        "callbacks_enabled": True,
        "visitor_number": 3,
        "visitor_number_error": None,
        "utm": None,
    }


def test_loader_embeds_a_hostile_widget_id_inertly() -> None:
    hostile = "</script><script>alert(1)</script>'\u2028"
    loader = mock_loader_script(hostile)
    assert "</script" not in loader.lower().replace("\\u003c/script", "")
    boot = loader.splitlines()[-1]
    match = re.fullmatch(r"window\.__jivoMock\.boot\((.*), document\.currentScript\);", boot)
    assert match is not None
    assert json.loads(match.group(1)) == {"widget_id": hostile}
    assert (
        mock_loader_script(None)
        .splitlines()[-1]
        .startswith('window.__jivoMock.boot({"widget_id":null}')
    )
