"""External mode in a real Chromium: the glue's static part loaded as a file with Subresource
Integrity, only the request's data inline, and every guarantee of the inline glue kept
(queueing, chaining, exactly once, the CSP nonce on the loader). The exactly-once property over
strategies and timings covers external mode too (``test_exactly_once.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

ID = "AbCdEf1234"
HANDLERS = {
    "jivo_onLoadCallback": "seen.push('config:load')",
    "jivo_onOpen": "seen.push('config:open')",
}


def serve(live_server: Any, widget: Widget, body: str, head: str = "") -> str:
    """The page, and the widget's static file at its URL; returns the page's URL."""
    script = widget.static_script
    assert script is not None
    live_server.add(script.url, script.text, "text/javascript", headers=script.headers)
    return live_server.add(
        "/",
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{head}<title>t</title>'
        f"</head><body>{body}</body></html>",
    )


def csp(policy: str) -> str:
    return (
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<script nonce='n0nce'>window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => violations.push(e.violatedDirective + ' ' + e.blockedURI));</script>"
    )


def test_calls_handlers_and_the_nonce_as_with_the_inline_glue(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(widget_id=ID, static_url="/static/jivo/", handlers=HANDLERS)
    body = (
        "<script nonce='n0nce'>window.seen = [];"
        " function jivo_onOpen() { seen.push('page:open:before') }</script>"
        + str(widget.render(user_token="u-ext", custom_data=[{"content": "c"}], nonce="n0nce"))
        + "<script nonce='n0nce'>jivoWidget.call('setContactInfo', {name: 'Ann'});"
        " var old = window.jivo_onOpen; window.jivo_onOpen = function () {"
        " old(); seen.push('page:open:after') };</script>"
    )
    head = csp("script-src 'nonce-n0nce' 'strict-dynamic'")
    page.goto(serve(live_server, widget, body, head))
    jivo_mock.wait_for_call("setContactInfo")
    assert jivo_mock.calls() == [
        ("setUserToken", ["u-ext"]),
        ("setCustomData", [[{"content": "c"}]]),
        ("setContactInfo", [{"name": "Ann"}]),
    ]
    jivo_mock.fire("jivo_onOpen")
    assert sorted(page.evaluate("seen")) == [
        "config:load",
        "config:open",
        "page:open:after",
        "page:open:before",
    ]
    assert page.evaluate("document.querySelector('script[src*=jivosite]').nonce") == "n0nce"
    assert page.evaluate("violations") == []
    # No inline script of the glue: only the tag with the request's data.
    assert page.evaluate("[...document.scripts].filter(s => !s.src && s.dataset.jivo).length") == 0


def test_allowed_by_its_hash_alone_under_csp_and_refused_when_tampered(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(widget_id=ID, static_url="/static/")
    # The nonce is the probe's only: the glue's tag carries none, so only its hash allows it.
    hashes = " ".join(widget.csp_hashes())
    policy = f"script-src {hashes} 'nonce-n0nce' https://code.jivosite.com"
    url = serve(live_server, widget, str(widget.render(user_token="u-hash")), csp(policy))
    page.goto(url)
    jivo_mock.wait_for_call("setUserToken")
    assert page.evaluate("violations") == []
    # The controls: without its hash in the policy the file is refused (CSP)...
    live_server.add(
        "/nohash",
        f"<!doctype html><head>{csp(policy.replace(hashes, ''))}</head><body>"
        f"{widget.render(user_token='u')}</body>",
    )
    page.goto(live_server.url + "/nohash")
    page.wait_for_function("violations.length > 0")
    assert page.evaluate("typeof window.jivoWidget") == "undefined"
    # ...and other bytes at the same URL are refused (integrity), the hash policy or not.
    script = widget.static_script
    assert script is not None
    live_server.add(script.url, script.text.replace("jivoWidget", "jivoWidgeT"), "text/javascript")
    with page.expect_console_message(lambda m: "integrity" in m.text):
        page.goto(url)
    assert page.evaluate("typeof window.jivoWidget") == "undefined"


def test_a_repeat_view_fetches_the_glue_from_the_cache(browser: Browser, live_server: Any) -> None:
    # A context without routes (routing turns the HTTP cache off); "manual": Jivo never loads.
    widget = Widget(widget_id=ID, static_url="/static/", strategy="manual")
    url = serve(live_server, widget, str(widget.render(user_token="u")))
    context = browser.new_context()
    try:
        page = context.new_page()
        for _ in range(3):
            page.goto(url)
            assert page.evaluate("typeof jivoWidget.call") == "function"
            page.goto("about:blank")
    finally:
        context.close()
    script = widget.static_script
    assert script is not None
    assert live_server.requested.count(script.url) == 1
    assert live_server.requested.count("/") == 3
