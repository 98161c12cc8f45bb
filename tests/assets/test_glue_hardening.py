"""The glue under attack and under error, in a real Chromium against the mocked widget.

- DOM clobbering: HTML earlier on the page (user content rendered without script) names
  elements after what the glue reads — ``document.currentScript``, ``document.head``,
  ``window.jivo_api``, ``window.jivoWidget``... It must not replace the visitor's data, break
  the glue or stop the loader.
- Errors thrown by configured handlers, the page's own ``jivo_on*`` functions and queued
  ``jivo_api`` calls reach ``window.onerror`` as uncaught errors (the same ones as without the
  glue), and the other handlers and calls still run.
- A second glue of another widget on the page is warned about, naming both ids.
- Handler code with Windows line ends keeps the CSP hash valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
OTHER_ID = "ZyXwVu9876"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"
ATTACKER = '[["setUserToken",["attacker"]],["setContactInfo",[{"name":"attacker"}]]]'

# What the page records: every uncaught error as window.onerror sees it, in order.
ONERROR = (
    "<script>window.uncaught = [];"
    "window.onerror = function (message, source, line, column, error) {"
    "  uncaught.push(error ? error.name + ': ' + error.message : String(message)); };</script>"
)


def html(body: str, head: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


class Console:
    """Console messages of the page, by type, and its uncaught errors (pageerror)."""

    def __init__(self, page: Page) -> None:
        self.messages: dict[str, list[str]] = {}
        self.page_errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc.name}: {exc.message}"))

    def _message(self, message: ConsoleMessage) -> None:
        self.messages.setdefault(message.type, []).append(message.text)


@pytest.fixture
def console(page: Page) -> Console:
    return Console(page)


# ------------------------------------------------------------------------------ clobbering

CLOBBERS = {
    # The attack: the attacker's token and contact instead of the visitor's.
    "img-currentScript": f"<img name='currentScript' data-jivo='{ATTACKER}'>",
    "form-currentScript": f"<form name='currentScript' data-jivo='{ATTACKER}'></form>",
    "embed-currentScript": f"<embed name='currentScript' data-jivo='{ATTACKER}'>",
    # Break the glue or stop the loader.
    "div-jivoWidget": "<div id='jivoWidget'></div>",
    "form-jivoWidget-with-q": "<form id='jivoWidget'><input name='q'><input name='id'></form>",
    "div-jivo_api": "<div id='jivo_api'></div>",
    "iframe-jivo_api": "<iframe name='jivo_api'></iframe>",
    "img-head": "<img name='head'>",
    "img-addEventListener": "<img name='addEventListener'>",
    "img-querySelector": "<img name='querySelector'>",
    "a-jivo_onLoadCallback": "<a id='jivo_onLoadCallback' href='#'>x</a>",
    "img-jivo_onOpen": "<img name='jivo_onOpen'>",
    "many": (
        f"<img name='currentScript' data-jivo='{ATTACKER}'><div id='jivo_api'></div>"
        "<div id='jivoWidget'></div><form name='head'></form><img name='addEventListener'>"
    ),
}


@pytest.mark.parametrize("clobber", CLOBBERS.values(), ids=CLOBBERS.keys())
def test_named_elements_earlier_on_the_page_change_nothing(
    page: Page, jivo_mock: JivoMock, live_server: Any, console: Console, clobber: str
) -> None:
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={"jivo_onOpen": "seen.push('config:open')"},
    )
    body = (
        "<script>window.seen = [];</script>"
        + clobber
        + str(widget.render(user_token="u-visitor", contact={"name": "Ann"}, nonce="n0nce"))
        + "<script>jivoWidget.call('setCustomData', [{content: 'from the page'}]);</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("setCustomData")
    assert jivo_mock.calls("setUserToken") == [["u-visitor"]]
    assert jivo_mock.calls("setContactInfo") == [[{"name": "Ann"}]]
    assert jivo_mock.loader_requests == [LOADER]
    jivo_mock.fire("jivo_onOpen")
    assert page.evaluate("seen") == ["config:open"]
    assert console.page_errors == []
    assert console.messages.get("error", []) == []


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_a_clobbered_create_element_does_not_stop_the_loader(
    page: Page, jivo_mock: JivoMock, live_server: Any, console: Console
) -> None:
    # The glue still injects the loader. The widget itself then meets the same clobbered
    # document.createElement (the mock, like any widget, uses it): that error is not the glue's.
    widget = Widget(widget_id=WIDGET_ID)
    body = "<form name='createElement'></form>" + str(widget.render(user_token="u-visitor"))
    page.goto(live_server.add("/", html(body)))
    page.wait_for_function("window.__jivoMock && window.__jivoMock.loaderRuns === 1")
    assert jivo_mock.loader_requests == [LOADER]
    assert page.evaluate("typeof jivoWidget.call") == "function"
    assert all("createElement" in error for error in console.page_errors)


def test_a_clobbered_ready_state_does_not_stop_a_late_onload_glue(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    console: Console,
    inject_glue: Callable[..., None],
) -> None:
    # The onload strategy asks whether the page already loaded: a glue added after load (an
    # SPA) must load at once even when <img name="readyState"> shadows document.readyState.
    widget = Widget(widget_id=WIDGET_ID, strategy="onload")
    page.goto(live_server.add("/", html("<img name='readyState'><p>loaded</p>")))
    page.wait_for_function(
        "Document.prototype.__lookupGetter__('readyState').call(document) === 'complete'"
    )
    inject_glue(page, widget, user_token="u-late")
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-late"]]
    assert console.page_errors == []


def test_a_clobbered_query_selector_does_not_stop_a_glue_after_jivo_initialised(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    console: Console,
    inject_glue: Callable[..., None],
) -> None:
    # With Jivo initialised before the glue, the glue looks for Jivo's <jdiv> elements.
    widget = Widget(widget_id=WIDGET_ID)
    page.goto(
        live_server.add("/", html(f"<img name='querySelector'><script src='{LOADER}'></script>"))
    )
    jivo_mock.wait_for_load()
    inject_glue(page, widget, user_token="u-after")
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-after"]]
    assert console.page_errors == []


# ------------------------------------------------------------------------------ errors

PAGE_CALLBACKS_THAT_THROW = """<script>
window.seen = [];
function jivo_onLoadCallback() { seen.push("page:load"); throw new Error("page load failed") }
function jivo_onOpen() { throw new TypeError("page open failed") }
</script>"""


def _uncaught_errors_of(
    page: Page, jivo_mock: JivoMock, live_server: Any, path: str, body: str
) -> list[str]:
    page.goto(live_server.add(path, html(body, head=ONERROR)))
    jivo_mock.wait_for_load()
    jivo_mock.fire("jivo_onOpen")
    page.wait_for_function("uncaught.length >= 2")
    return list(page.evaluate("uncaught"))


@pytest.mark.jivo_mock(allow_page_errors=True)  # the page's callbacks throw on purpose
def test_page_callbacks_that_throw_give_the_same_uncaught_errors_with_and_without_the_glue(
    page: Page, jivo_mock: JivoMock, live_server: Any, console: Console
) -> None:
    # Error trackers (window.onerror, Sentry...) must see what they saw before the glue came.
    without = _uncaught_errors_of(
        page,
        jivo_mock,
        live_server,
        "/without",
        PAGE_CALLBACKS_THAT_THROW + f"<script src='{LOADER}'></script>",
    )
    errors_without = list(console.page_errors)
    console.page_errors.clear()

    widget = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "seen.push('config:open')"})
    glue = str(widget.render(user_token="u-1"))
    later = "<script>jivoWidget.on('jivo_onOpen', function () { seen.push('api:open') })</script>"
    with_glue = _uncaught_errors_of(
        page, jivo_mock, live_server, "/with", PAGE_CALLBACKS_THAT_THROW + glue + later
    )

    assert without == ["Error: page load failed", "TypeError: page open failed"]
    assert with_glue == without
    assert console.page_errors == errors_without == without
    # Every other handler and call still ran, in order.
    assert page.evaluate("seen") == ["page:load", "config:open", "api:open"]
    assert jivo_mock.calls("setUserToken") == [["u-1"]]


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_configured_handlers_that_throw_are_uncaught_errors_and_the_rest_still_runs(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={
            "jivo_onLoadCallback": ["throw new RangeError('first')", "seen.push('second')"],
            "jivo_onChangeState": "if (state == 'chat') throw new Error('state ' + state)",
        },
    )
    body = "<script>window.seen = [];</script>" + str(widget.render(user_token="u-2"))
    page.goto(live_server.add("/", html(body, head=ONERROR)))
    jivo_mock.wait_for_call("setUserToken")
    jivo_mock.fire("jivo_onChangeState", "chat")
    page.wait_for_function("uncaught.length >= 2")
    assert page.evaluate("uncaught") == ["RangeError: first", "Error: state chat"]
    assert page.evaluate("seen") == ["second"]
    assert jivo_mock.page_errors == ["RangeError: first", "Error: state chat"]


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_a_queued_jivo_api_call_that_throws_is_an_uncaught_error_and_later_calls_still_run(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    # Called directly, jivo_api.then() would throw at the caller. Queued, it throws inside the
    # glue's flush: reported the same way, and the calls queued after it are not lost.
    widget = Widget(widget_id=WIDGET_ID)
    body = (
        str(widget.render(user_token="u-3"))
        + "<script>jivoWidget.call('then'); jivoWidget.call('open', {start: 'chat'});</script>"
    )
    page.goto(live_server.add("/", html(body, head=ONERROR)))
    jivo_mock.wait_for_call("open")
    page.wait_for_function("uncaught.length >= 1")
    (error,) = page.evaluate("uncaught")
    assert error.startswith("TypeError: ")
    assert [name for name, _ in jivo_mock.calls()] == ["setUserToken", "open"]


STRICT_PROJECT = """
from jivo_widget import Widget

SHOP = "https://shop.test/"


def test_a_handler_throws(page, jivo_mock):
    widget = Widget(widget_id="AbCdEf1234", handlers={"jivo_onLoadCallback": "undefinedThing()"})
    html = "<!doctype html><body>" + str(widget.render(user_token="u-42")) + "</body>"
    page.route(SHOP, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(SHOP)
    jivo_mock.wait_for_call("setUserToken")
"""


def test_a_throwing_handler_fails_a_strict_jivo_mock_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(STRICT_PROJECT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReferenceError: undefinedThing is not defined*"])


# ------------------------------------------------------------------------------ two widgets


def test_a_second_glue_of_another_widget_is_warned_about_and_still_forwards(
    page: Page, jivo_mock: JivoMock, live_server: Any, console: Console
) -> None:
    first = Widget(widget_id=WIDGET_ID)
    second = Widget(widget_id=OTHER_ID, handlers={"jivo_onOpen": "window.secondRan = 1"})
    body = str(first.render(user_token="u-4")) + str(
        second.render(custom_data=[{"content": "from the second"}])
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("setCustomData")
    (warning,) = console.messages["warning"]
    assert OTHER_ID in warning and WIDGET_ID in warning
    assert warning.index(OTHER_ID) < warning.index(WIDGET_ID)  # "<second> ignored... <first>"
    # The visitor's data is the same whichever widget it was rendered for: it still arrives.
    assert jivo_mock.calls("setCustomData") == [[[{"content": "from the second"}]]]
    assert jivo_mock.loader_requests == [LOADER]  # the first widget's loader, once
    jivo_mock.fire("jivo_onOpen")
    assert page.evaluate("window.secondRan") is None


def test_the_same_widget_twice_is_not_warned_about(
    page: Page, jivo_mock: JivoMock, live_server: Any, console: Console
) -> None:
    widget = Widget(widget_id=WIDGET_ID)
    body = str(widget.render(user_token="u-5")) + str(widget.render(page_title="Cart"))
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("sendPageTitle")
    assert "warning" not in console.messages


# ------------------------------------------------------------------------------ CSP


def test_handler_code_with_windows_line_ends_keeps_the_csp_hash_valid(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    # The HTML parser turns CRLF into LF before the browser hashes the script's text.
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={"jivo_onLoadCallback": "window.crlf = 1;\r\nwindow.cr = 2;\rwindow.lf = 3;"},
    )
    policy = f"script-src {' '.join(widget.csp_hashes())} https://code.jivosite.com"
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    page.goto(live_server.add("/", html(str(widget.render(user_token="u-6")), head=meta)))
    jivo_mock.wait_for_call("setUserToken")
    assert page.evaluate("[window.crlf, window.cr, window.lf]") == [1, 2, 3]
