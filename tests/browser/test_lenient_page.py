"""A page rendered leniently from bad per-request data works in a real browser (issue 6 item 10).

The bad parts are dropped and the glue still makes every other call, against the mocked widget
(the ``jivo_mock`` fixture fails the test on any contract violation or page error).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import JivoConfigError, Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"

BAD_REQUEST: dict[str, Any] = {
    "user_token": 42,  # accepted (item 11): sent as "42"
    "contact": {"name": "Ann", "phone": 5551234, "emial": "typo@example.com"},
    "custom_data": [
        {"title": "Plan", "content": ""},  # the empty plan string
        {"title": "CRM", "content": "card", "link": "/crm/42"},  # relative link
        *({"title": f"Line {i}", "content": f"item {i}"} for i in range(10)),  # 12 in all
    ],
    "client_attributes": {"vip": True, "plan": "pro"},
    "page_title": "Checkout",
    "page_url": "javascript:alert(1)",
    "nonce": 'n0nce" onload="window.__pwned = 1',
}


def page_html(glue: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head>'
        f"<body><h1>Checkout</h1>{glue}</body></html>"
    )


def test_a_lenient_page_with_bad_data_runs_every_other_call(
    page: Page, jivo_mock: JivoMock, live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    widget = Widget(widget_id=WIDGET_ID, color="#12ab34", invitation={"text": "Hi"})
    with pytest.raises(JivoConfigError):  # what the test session (strict) would say
        widget.render(**BAD_REQUEST, strict=True)
    with caplog.at_level(logging.WARNING, logger="jivo_widget"):
        glue = widget.render(**BAD_REQUEST, strict=False)

    page.goto(live_server.add("/", page_html(str(glue))))
    jivo_mock.wait_for_call("showProactiveInvitation")

    assert page.locator("h1").inner_text() == "Checkout"
    assert page.evaluate("window.__pwned") is None
    assert [[name, *args] for name, args in jivo_mock.calls()] == [
        ["setUserToken", "42"],
        ["setContactInfo", {"name": "Ann"}],
        [
            "setCustomData",
            [{"title": "CRM", "content": "card"}]
            + [{"title": f"Line {i}", "content": f"item {i}"} for i in range(9)],
        ],
        ["setClientAttributes", {"plan": "pro"}],
        ["sendPageTitle", "Checkout", True],
        ["setWidgetColor", "#12ab34"],
        ["showProactiveInvitation", "Hi"],
    ]
    assert jivo_mock.violations == []
    (warning,) = [r.getMessage() for r in caplog.records if r.name.startswith("jivo_widget")]
    for part in (
        "contact.phone",
        "contact.emial",
        "custom_data[0].content",
        "custom_data[1].link",
        "custom_data[10]",
        "client_attributes.vip",
        "page_url",
        "nonce",
    ):
        assert part in warning
    assert "typo@example.com" not in warning and "onload" not in warning
